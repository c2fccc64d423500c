// An incremental parser for a text/event-stream body, per the WHATWG HTML
// standard, "Server-sent events": "Parsing an event stream" and
// "Interpreting an event stream". Pure: no I/O, no clock, no threads.
//
// Why a visitor rather than a returned vector: one chunk can complete many
// events, and comments (heartbeats) and retry values must stay ordered with
// them. Callbacks deliver all three in stream order with no per-event
// allocation (the event's views point into the parser's reused buffers), and
// a relay can move each one straight into its own bounded queue.
#ifndef NEOBRIDGE_BRIDGE_SSE_SSE_PARSER_H_
#define NEOBRIDGE_BRIDGE_SSE_SSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace neobridge::sse {

// One dispatched event. The views point into the parser's buffers: they are
// valid only until the OnEvent call that receives them returns, so copy what
// you keep. All three are valid UTF-8.
struct SseEvent {
  // The last event ID buffer at dispatch: the value of the most recent `id`
  // field without a NUL on this stream, which persists across events; an
  // `id` field with an empty value resets it to empty. Empty before any.
  std::string_view id;
  // The `event` field's value, or "message" when it was absent or empty.
  std::string_view type;
  // The values of the event's `data` lines joined with '\n'. May be empty
  // (a `data` line with no value) and may contain NUL.
  std::string_view data;
};

// Receives what a parser finds, in stream order, synchronously on the thread
// that called SseParser::Feed and before Feed returns. An implementation must
// not call back into the parser that invokes it.
class SseVisitor {
 public:
  virtual ~SseVisitor() = default;

  // A blank line ended an event whose data buffer is not empty.
  virtual void OnEvent(const SseEvent& event) = 0;

  // A comment line (one that starts with ':'), such as a heartbeat. `text`
  // is everything after the colon, verbatim (": ping" gives " ping"), valid
  // UTF-8, and valid only during the call.
  virtual void OnComment(std::string_view text) = 0;

  // A `retry` field whose value is one or more ASCII digits and fits in an
  // int64_t: the server's reconnection time in milliseconds. It takes effect
  // at once, not at the next blank line. Any other value is ignored.
  virtual void OnRetry(int64_t milliseconds) = 0;
};

struct SseParserOptions {
  // Upper bound, in bytes, on (a) one event's data plus its event type, as
  // they would be dispatched, and (b) any single field name, field value or
  // comment text on one line, including `id`, `retry` and ignored fields
  // (which are counted but not kept). Reaching it is fine; exceeding it
  // fails the parser with RESOURCE_EXHAUSTED. Sizes count bytes after UTF-8
  // decoding (an invalid sequence becomes the 3-byte U+FFFD). The parser's
  // buffers never hold more than about 4 times this in total. The default
  // matches gRPC's default maximum message size: a bigger event could not be
  // relayed anyway.
  size_t max_event_bytes = size_t{4} << 20;
};

// How a stream ended; see SseParser::Finish.
enum class SseStreamEnd {
  // Nothing was pending: the stream ended right after a line, and every
  // `data`, `event` or `id` field had been followed by a blank line.
  kClean,
  // The stream ended inside a line, or after `data`, `event` or `id` fields
  // that no blank line followed. WHATWG discards them, so a partial event
  // was lost: a relay should treat this as a truncated stream (reconnect
  // with Last-Event-ID) rather than as a clean end.
  kPartialEventDiscarded,
};

// A parser for one response body: feed it the body's bytes in chunks of any
// size, including empty ones, then call Finish at end of stream. The result
// does not depend on how the body was split into chunks.
//
// Conformance: lines end with CRLF, LF or CR (a CRLF split across chunks is
// one line end); one leading UTF-8 BOM is skipped at the very start of the
// stream only; the body is decoded as UTF-8 with invalid sequences replaced
// by U+FFFD, as WHATWG requires; `field:value` loses one leading space of
// the value; a line without a colon is a field with an empty value; `data`,
// `event`, `id` (ignored if it contains NUL) and `retry` (ASCII digits only)
// are interpreted, field names case-sensitively; other fields are ignored; a
// blank line dispatches the event unless its data buffer is empty, and
// resets the data and event type buffers either way.
//
// Cost: amortized O(1) per byte fed; bytes of earlier chunks are never
// scanned again and nothing is allocated per byte. A raw line is never
// buffered: values stream into their destination (data, event type, id or
// comment buffer), so memory is bounded by SseParserOptions.
//
// Not thread-safe: one thread at a time. Copyable and movable.
class SseParser {
 public:
  explicit SseParser(SseParserOptions options = {});

  // Parses `chunk` as the next bytes of the stream, reporting every line it
  // completes to `visitor` before returning. Returns OK, or:
  //  - RESOURCE_EXHAUSTED "SSE event exceeds N bytes: …" when a limit of
  //    SseParserOptions is exceeded. Lines completed earlier in the chunk
  //    have been reported; the parser is failed for good, frees its buffers,
  //    and every later Feed or Finish returns this status and reports
  //    nothing.
  //  - FAILED_PRECONDITION after Finish.
  absl::Status Feed(std::string_view chunk, SseVisitor& visitor);

  // Ends the stream. Reports nothing: per WHATWG an unterminated last line
  // and undispatched fields are discarded, and the result says whether that
  // happened. Returns the failure status instead if the parser failed.
  // Frees the event buffers; calling it again returns the same result.
  absl::StatusOr<SseStreamEnd> Finish();

  // OK, or the sticky RESOURCE_EXHAUSTED failure.
  const absl::Status& status() const { return status_; }

  // The last event ID string: the last event ID buffer as of the most
  // recent blank line, whether or not that line dispatched an event. This is
  // what to send as Last-Event-ID when reconnecting: an `id` line not yet
  // followed by a blank line does not change it. Survives Finish.
  std::string_view last_event_id() const { return last_event_id_; }

  // Total bytes accepted by Feed (not counting calls that returned an error
  // on entry). For liveness: any change between two reads means upstream
  // sent something, even a partial line or a comment.
  uint64_t bytes_fed() const { return bytes_fed_; }

 private:
  enum class State : uint8_t {
    kBom,         // At the start of the stream, matching a leading BOM.
    kLineStart,   // At the start of a line.
    kName,        // Inside a field name.
    kValueStart,  // Right after a field's colon: one space is skipped.
    kValue,       // Inside a field value or comment text.
  };
  enum class Field : uint8_t { kData, kEvent, kId, kRetry, kComment, kIgnored };

  // Incremental WHATWG UTF-8 decoder state between bytes (and chunks).
  struct Utf8State {
    uint8_t needed = 0;  // Continuation bytes the current sequence needs.
    uint8_t seen = 0;    // Continuation bytes of it seen so far.
    uint8_t lower = 0x80;
    uint8_t upper = 0xBF;
  };

  // Parses bytes after the BOM check. False when the parser failed.
  bool Parse(std::string_view bytes, SseVisitor& visitor);
  // Classifies the completed field name and prepares for its value.
  bool BeginField();
  // Takes `bytes` (no CR or LF) as the next part of the current value.
  bool AppendValue(std::string_view bytes);
  // Processes the line that just ended, reporting to `visitor`.
  bool EndLine(SseVisitor& visitor);
  // A blank line: commits the last event ID and dispatches the event.
  void DispatchEvent(SseVisitor& visitor);
  // Appends `bytes` to `dest`, UTF-8 decoded, keeping dest.size() <= cap.
  bool DecodeAppend(std::string_view bytes, std::string& dest, size_t cap);
  // Ends the current value's UTF-8 decoding (a cut sequence becomes U+FFFD).
  bool FlushDecoder(std::string& dest, size_t cap);
  // Fails the parser: sets status_ and frees the buffers. Returns false.
  bool FailEventTooLarge();
  bool FailLineTooLong();
  void ReleaseBuffers();

  SseParserOptions options_;
  absl::Status status_;
  bool finished_ = false;
  SseStreamEnd end_ = SseStreamEnd::kClean;
  uint64_t bytes_fed_ = 0;

  // Line state.
  State state_ = State::kBom;
  uint8_t bom_matched_ = 0;  // Bytes of a leading BOM matched so far.
  bool after_cr_ = false;    // The last line ended with CR: skip one LF.
  Field field_ = Field::kIgnored;
  char name_[5] = {};       // The field name's first bytes.
  size_t name_bytes_ = 0;   // The field name's length so far.
  size_t value_bytes_ = 0;  // Raw bytes of the current value so far.
  Utf8State utf8_;
  std::string line_value_;  // The current `id` value or comment text.
  bool id_has_nul_ = false;
  bool retry_valid_ = false;
  int64_t retry_ = 0;

  // Event state.
  std::string data_;  // Dispatch-ready: lines joined by '\n', none trailing.
  bool has_data_ = false;  // Whether the WHATWG data buffer is non-empty.
  std::string type_;
  bool fields_pending_ = false;  // A data/event/id line since the blank line.
  std::string id_buffer_;        // The last event ID buffer.
  bool id_changed_ = false;      // id_buffer_ set since the last blank line.
  std::string last_event_id_;    // The last event ID string.
};

}  // namespace neobridge::sse

#endif  // NEOBRIDGE_BRIDGE_SSE_SSE_PARSER_H_
