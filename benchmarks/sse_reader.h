// SseResponseReader: an incremental reader of one HTTP/1.1 response that
// carries a Server-Sent Events stream, for relay_load's plain-HTTP paths
// (straight to neo-emulator, or through nginx). Fed the bytes as they
// arrive, in pieces of any size: it reads the status line and headers,
// undoes the chunked transfer coding (or takes the body as is), and reports
// each SSE event's data (its `data:` lines joined with "\n") and each
// comment line (heartbeats). Enough SSE for the emulator's streams: LF or
// CRLF line endings; `id:`, `event:` and `retry:` are skipped.
#ifndef NEOBRIDGE_BENCHMARKS_SSE_READER_H_
#define NEOBRIDGE_BENCHMARKS_SSE_READER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace neobridge::bench {

class SseResponseReader {
 public:
  // Called from Feed, in stream order. The views last only for the call.
  using DataCallback = std::function<void(absl::string_view data)>;
  using CommentCallback = std::function<void(absl::string_view comment)>;

  SseResponseReader(DataCallback on_data, CommentCallback on_comment)
      : on_data_(std::move(on_data)), on_comment_(std::move(on_comment)) {}

  // Feeds the next bytes of the connection. An error (a status other than
  // 200, a malformed head or chunk) means the stream is unusable; the
  // reader must not be fed again.
  absl::Status Feed(absl::string_view bytes);

  // The response status once the head is in; 0 before.
  int status() const { return status_; }
  // True once the terminating chunk arrived (a chunked body's clean end).
  bool ended() const { return state_ == State::kEnded; }

  // Bounds on a head or an SSE line buffered while waiting for its end.
  static constexpr size_t kMaxHeadBytes = 64 * 1024;
  static constexpr size_t kMaxLineBytes = 1 << 20;

 private:
  enum class State {
    kHead,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kIdentity,  // No chunking: the body runs until the connection closes.
    kEnded,
  };

  absl::Status ParseHead(absl::string_view head);
  // Takes bytes up to and including the next LF into `line_`; true when
  // the line is complete.
  bool TakeLine(absl::string_view* bytes);
  void Body(absl::string_view bytes);
  void Line(absl::string_view line);

  DataCallback on_data_;
  CommentCallback on_comment_;
  State state_ = State::kHead;
  int status_ = 0;
  std::string head_;
  std::string line_;       // A partial head, chunk-size or trailer line.
  int64_t remaining_ = 0;  // Of the current chunk's data.
  std::string sse_line_;   // A partial SSE line.
  std::string data_;       // The current event's data so far.
  bool has_data_ = false;
};

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_SSE_READER_H_
