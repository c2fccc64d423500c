// Small blocking TCP and HTTP/1.1 helpers for relay_load: connecting to
// HOST:PORT, and one request per connection (`Connection: close`) for the
// emulator's admin API and task creation. Not for load: the streams
// themselves are read by relay_load's epoll loop.
#ifndef NEOBRIDGE_BENCHMARKS_LOOPBACK_HTTP_H_
#define NEOBRIDGE_BENCHMARKS_LOOPBACK_HTTP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace neobridge::bench {

// A connected TCP socket to `host_port` ("127.0.0.1:8080"; numeric IPv4 or
// IPv6 "[::1]:8080"), TCP_NODELAY set, blocking or not. The caller owns the
// descriptor. A non-blocking connect may still be in progress (EINPROGRESS
// is not an error). Unavailable naming the address on failure.
absl::StatusOr<int> ConnectTcp(const std::string& host_port, bool nonblocking);

struct HttpReply {
  int status = 0;
  std::string body;
};

// Sends one request (`body` with Content-Type: application/json when not
// empty) and reads the whole reply, within `timeout`. The reply must be
// Content-Length or close-delimited (not chunked). Errors name what failed.
absl::StatusOr<HttpReply> HttpCall(
    const std::string& host_port, absl::string_view method,
    absl::string_view path, absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::Duration timeout = absl::Seconds(10));

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_LOOPBACK_HTTP_H_
