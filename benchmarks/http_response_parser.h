// HttpResponseParser: an incremental parser of HTTP/1.1 responses on one
// keep-alive connection, for http_load. Fed the bytes as they arrive, in
// chunks of any size; it finds where each response ends (Content-Length,
// chunked transfer coding, or a close-delimited body) and reports its status
// and whether the connection may be reused. Bodies are skipped, not kept.
#ifndef NEOBRIDGE_BENCHMARKS_HTTP_RESPONSE_PARSER_H_
#define NEOBRIDGE_BENCHMARKS_HTTP_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace neobridge::bench {

// One complete response.
struct HttpResponseHead {
  int status = 0;
  // False when the server said `Connection: close`, answered HTTP/1.0
  // without keep-alive, or delimited the body by closing.
  bool keep_alive = true;
  int64_t body_bytes = 0;
};

class HttpResponseParser {
 public:
  // Feeds `data`. Returns how many bytes of it belong to the current
  // response; when the response is complete, sets `*done` (the rest of
  // `data`, if any, belongs to the next response, which the caller feeds
  // after calling Reset()). An error means the bytes are not a valid
  // HTTP/1.1 response; the connection must then be closed.
  absl::Status Feed(absl::string_view data, size_t* consumed, bool* done);

  // The connection closed. Completes a close-delimited body (sets `*done`);
  // anywhere else the response was cut short, which is an error.
  absl::Status Close(bool* done);

  // Valid once Feed or Close set `*done`.
  const HttpResponseHead& head() const { return head_; }

  // Starts on the next response of the same connection.
  void Reset();

  // Bounds on what is buffered while looking for a line's end.
  static constexpr size_t kMaxHeaderBytes = 64 * 1024;

 private:
  enum class State {
    kHead,          // Status line and headers, up to the empty line.
    kFixedBody,     // `remaining_` bytes of body.
    kChunkSize,     // A chunk-size line.
    kChunkData,     // `remaining_` bytes of chunk data.
    kChunkDataEnd,  // The CRLF after a chunk's data.
    kTrailers,      // Trailer lines, up to the empty line.
    kUntilClose,    // Body delimited by the connection's close.
    kDone,
  };

  absl::Status ParseHead(absl::string_view head);
  // Appends to `line_` up to and including the next LF of `data`; returns
  // the bytes taken and sets `*complete` when the line ended.
  absl::Status TakeLine(absl::string_view data, size_t* taken, bool* complete);

  State state_ = State::kHead;
  std::string line_;  // A partial head or line, across Feed calls.
  int64_t remaining_ = 0;
  HttpResponseHead head_;
};

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_HTTP_RESPONSE_PARSER_H_
