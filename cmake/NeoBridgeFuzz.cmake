# neobridge_fuzzer(<name> TEST <ctest name> REPLAY_TEST <gtest binary>
#                  CORPUS <dir under tests/fuzz> MIN_FILES <n>
#                  SOURCES <fuzzer .cc first, then code to instrument>
#                  LIBS <libs of the fuzzer> REPLAY_LIBS <libs of the replay>)
# One fuzz target, three ways:
#  - REPLAY_TEST (every build with tests): tests/support/fuzz_corpus_test.cc
#    replays the committed corpus through the fuzzer's checks;
#  - <name> (NEOBRIDGE_FUZZ=ON, clang): the libFuzzer binary, with the code
#    under test compiled in so it is instrumented, joining `fuzzers`;
#  - TEST (every build with tests): ctest runs that binary from
#    NEOBRIDGE_FUZZ_BUILD_DIR for NEOBRIDGE_FUZZ_SECONDS (tests/run_fuzzer.sh).
set(NEOBRIDGE_FUZZ_BUILD_DIR "${PROJECT_SOURCE_DIR}/build-fuzz"
    CACHE PATH "Build directory of the clang/libFuzzer build")
set(NEOBRIDGE_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzzer runs in ctest")

function(neobridge_fuzzer name)
  cmake_parse_arguments(ARG "" "TEST;REPLAY_TEST;CORPUS;MIN_FILES"
                        "SOURCES;LIBS;REPLAY_LIBS" ${ARGN})
  list(GET ARG_SOURCES 0 fuzzer_source)
  set(corpus "${PROJECT_SOURCE_DIR}/tests/fuzz/${ARG_CORPUS}")
  if(NEOBRIDGE_BUILD_TESTS)
    neobridge_test(${ARG_REPLAY_TEST}
      SOURCES ${PROJECT_SOURCE_DIR}/tests/support/fuzz_corpus_test.cc
              ${fuzzer_source}
      LIBS ${ARG_REPLAY_LIBS})
    target_compile_definitions(${ARG_REPLAY_TEST}
      PRIVATE NEOBRIDGE_FUZZ_CORPUS_DIR="${corpus}"
              NEOBRIDGE_FUZZ_CORPUS_MIN_FILES=${ARG_MIN_FILES})
    file(RELATIVE_PATH binary_dir "${PROJECT_BINARY_DIR}"
         "${CMAKE_CURRENT_BINARY_DIR}")
    add_test(NAME ${ARG_TEST}
             COMMAND ${PROJECT_SOURCE_DIR}/tests/run_fuzzer.sh
                     ${NEOBRIDGE_FUZZ_BUILD_DIR}/${binary_dir}/${name}
                     ${corpus} ${NEOBRIDGE_FUZZ_SECONDS})
    set_tests_properties(${ARG_TEST} PROPERTIES LABELS fuzz TIMEOUT 600)
  endif()
  if(NEOBRIDGE_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR
        "NEOBRIDGE_FUZZ=ON needs clang (libFuzzer); configure with "
        "-DCMAKE_CXX_COMPILER=clang++")
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS})
    set(sanitizers -fsanitize=fuzzer,address,undefined
                   -fno-sanitize-recover=undefined)
    target_compile_options(${name} PRIVATE ${sanitizers} -g)
    target_link_options(${name} PRIVATE ${sanitizers})
    neobridge_warnings(${name})
    add_dependencies(fuzzers ${name})
  endif()
endfunction()
