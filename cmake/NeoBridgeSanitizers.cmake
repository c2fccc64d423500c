# NEOBRIDGE_SANITIZE: build every target of this project (protos, bridge,
# emulator, tests, tools) with clang's sanitizers, e.g.
#   -DCMAKE_CXX_COMPILER=clang++ -DNEOBRIDGE_SANITIZE=address,undefined
#   -DCMAKE_CXX_COMPILER=clang++ -DNEOBRIDGE_SANITIZE=thread
# tests/sanitizers/run.sh configures, builds and tests these builds.
# Undefined behaviour is fatal (-fno-sanitize-recover), so it fails a test.
# The Debian libraries we link (gRPC, protobuf, absl, curl, libevent) stay
# uninstrumented; see tests/sanitizers/*.supp for what that costs.
set(NEOBRIDGE_SANITIZE "" CACHE STRING
    "Sanitizers for the project's code: address,undefined or thread (clang)")

if(NEOBRIDGE_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "NEOBRIDGE_SANITIZE=${NEOBRIDGE_SANITIZE} needs clang; configure a new "
      "build directory with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  string(REPLACE "," ";" _neobridge_sanitizers "${NEOBRIDGE_SANITIZE}")
  foreach(_sanitizer IN LISTS _neobridge_sanitizers)
    if(NOT _sanitizer MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR
        "NEOBRIDGE_SANITIZE: unknown sanitizer '${_sanitizer}' "
        "(known: address, undefined, thread)")
    endif()
  endforeach()
  if("thread" IN_LIST _neobridge_sanitizers AND
     "address" IN_LIST _neobridge_sanitizers)
    message(FATAL_ERROR
      "NEOBRIDGE_SANITIZE: thread and address cannot share a build; use "
      "two build directories")
  endif()
  if(NEOBRIDGE_FUZZ)
    message(FATAL_ERROR
      "NEOBRIDGE_SANITIZE and NEOBRIDGE_FUZZ set their own -fsanitize flags; "
      "use separate build directories")
  endif()

  set(_neobridge_sanitize_flags -fsanitize=${NEOBRIDGE_SANITIZE}
                                -fno-omit-frame-pointer)
  if("undefined" IN_LIST _neobridge_sanitizers)
    list(APPEND _neobridge_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  # Directory-wide, before any add_subdirectory: every target of the project
  # is compiled and linked with them, generated protobuf code included.
  add_compile_options(${_neobridge_sanitize_flags})
  add_link_options(-fsanitize=${NEOBRIDGE_SANITIZE})
  message(STATUS "neo-bridge: sanitizers ${NEOBRIDGE_SANITIZE}")
endif()
