# Stream, relay and fan-out tools (see run.sh): the side-by-side parts
# streams_bench.sh, relay_bench.sh and fanout_bench.sh.

# bench::firehose_probe: what a client reads from neo-emulator's firehose
# events (sequence number, send time) and the per-stream order check;
# bench::sse_reader: an HTTP/1.1 response carrying SSE, read incrementally;
# bench::loopback_http: connect and one-shot requests to the emulator.
add_library(bench_firehose_probe firehose_probe.cc)
add_library(bench::firehose_probe ALIAS bench_firehose_probe)
target_include_directories(bench_firehose_probe PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_firehose_probe PUBLIC absl::strings)
neobridge_warnings(bench_firehose_probe)

add_library(bench_sse_reader sse_reader.cc)
add_library(bench::sse_reader ALIAS bench_sse_reader)
target_include_directories(bench_sse_reader PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_sse_reader PUBLIC absl::status absl::strings)
neobridge_warnings(bench_sse_reader)

add_library(bench_loopback_http loopback_http.cc)
add_library(bench::loopback_http ALIAS bench_loopback_http)
target_include_directories(bench_loopback_http PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_loopback_http PUBLIC absl::status absl::statusor
                                                 absl::strings absl::time)
neobridge_warnings(bench_loopback_http)

# relay_load: the firehose's events through neo-bridge (gRPC) or over plain
# HTTP/1.1 SSE (neo-emulator directly, or nginx): latency from the
# emulator's send to receipt, events/s, order; N streams for fan-out.
add_executable(relay_load relay_load.cc)
target_link_libraries(relay_load PRIVATE bench::dashed_flags
                                         bench::firehose_probe
                                         bench::load_stats
                                         bench::loopback_http
                                         bench::sse_reader bridge::proto
                                         gRPC::grpc++ absl::flags
                                         absl::flags_parse absl::statusor
                                         absl::strings absl::synchronization
                                         absl::time
                                         nlohmann_json::nlohmann_json)
neobridge_warnings(relay_load)

if(NEOBRIDGE_BUILD_TESTS)
  neobridge_test(bench_firehose_probe_test
    SOURCES firehose_probe_test.cc
    LIBS bench::firehose_probe)
  neobridge_test(bench_sse_reader_test
    SOURCES sse_reader_test.cc
    LIBS bench::sse_reader)
endif()

add_dependencies(bench_tools relay_load)
