# neobridge_warnings(<target>): the warning set for the project's own code.
# Generated protobuf code is compiled without it.
function(neobridge_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           -Wno-unused-parameter
                                           -Wno-missing-field-initializers)
  if(NEOBRIDGE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# neobridge_test(<name> SOURCES ... LIBS ... [LABELS ...]): a GoogleTest
# binary registered with ctest through gtest_discover_tests.
function(neobridge_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock
                                        GTest::gtest_main)
  neobridge_warnings(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
