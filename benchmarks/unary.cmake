# Unary side-by-side tools (see run.sh and unary_bench.sh): gRPC and plain
# HTTP load generators that print the same JSON summary line, and the smoke
# test of the whole harness.

# bench::load_stats: the latency histogram and JSON summary line shared by
# unary_load and http_load; bench::http_response_parser: http_load's
# HTTP/1.1 response framing.
add_library(bench_load_stats load_stats.cc)
add_library(bench::load_stats ALIAS bench_load_stats)
target_include_directories(bench_load_stats PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_load_stats PUBLIC absl::strings
                                              absl::str_format)
neobridge_warnings(bench_load_stats)

add_library(bench_http_response_parser http_response_parser.cc)
add_library(bench::http_response_parser ALIAS bench_http_response_parser)
target_include_directories(bench_http_response_parser
                           PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_http_response_parser PUBLIC absl::status
                                                        absl::strings)
neobridge_warnings(bench_http_response_parser)

# unary_load: GetTask / ListTasks through neo-bridge on the callback API.
add_executable(unary_load unary_load.cc)
target_link_libraries(unary_load PRIVATE bench::dashed_flags bench::load_stats bridge::proto
                                         gRPC::grpc++ absl::flags
                                         absl::flags_parse absl::status
                                         absl::strings
                                         absl::synchronization absl::time)
neobridge_warnings(unary_load)

# http_load: the same REST calls over HTTP/1.1 keep-alive (to neo-emulator
# directly, or to nginx in front of it), one epoll thread.
add_executable(http_load http_load.cc)
target_link_libraries(http_load PRIVATE bench::dashed_flags bench::load_stats
                                        bench::http_response_parser
                                        absl::flags absl::flags_parse
                                        absl::strings absl::str_format
                                        absl::time)
neobridge_warnings(http_load)

if(NEOBRIDGE_BUILD_TESTS)
  neobridge_test(bench_load_stats_test
    SOURCES load_stats_test.cc
    LIBS bench::load_stats)
  neobridge_test(bench_http_response_parser_test
    SOURCES http_response_parser_test.cc
    LIBS bench::http_response_parser)
  # The whole side-by-side harness in smoke mode (every part that exists):
  # checks that it runs and writes well-formed JSON and SVG, never timings.
  add_test(NAME bench.harness_smoke
           COMMAND env SMOKE=1 SKIP_BUILD=1 BUILD_DIR=${CMAKE_BINARY_DIR}
                   bash ${CMAKE_CURRENT_SOURCE_DIR}/run.sh)
  set_tests_properties(bench.harness_smoke
                       PROPERTIES LABELS bench TIMEOUT 180)
endif()

# bench_tools: every binary the side-by-side harness runs, so that run.sh
# builds them in one go. Other parts add theirs with
# add_dependencies(bench_tools <target>).
add_custom_target(bench_tools)
add_dependencies(bench_tools neo-bridge neo-emulator unary_load http_load
                             stream_load)
