// Fault knobs for tests of clients of the emulator: what to break, parsed
// from and printed as JSON (the body of PUT /_emulator/faults and the value
// of the X-Emulator-Fault header; see emulator/README.md "Fault knobs").
// Pure: no I/O, no clock, no locking.
#ifndef NEO_EMULATOR_FAULT_PLAN_H_
#define NEO_EMULATOR_FAULT_PLAN_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "emulator/router.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

// Line terminator of every SSE line a faulted stream writes.
enum class LineEnding { kLf, kCr, kCrLf };

enum class MalformedKind {
  kNotJson,        // data: this is not json
  kTruncatedJson,  // data: the first part of an AgentConsoleEvent object
  kCustom,         // data: MalformedFrame::data
};

// One extra `data:` frame (no `id:` line) that is not an AgentConsoleEvent.
struct MalformedFrame {
  // Written as soon as this many real event frames have been written; 0 =
  // right after the response head, before the first event.
  int after_events = 0;
  MalformedKind kind = MalformedKind::kNotJson;
  // The data line for kCustom: non-empty, no CR or LF.
  std::string data;

  friend bool operator==(const MalformedFrame&,
                         const MalformedFrame&) = default;
};

// Faults of one event stream. Counts are of real event frames (`id:` +
// `data:`); heartbeats and malformed frames do not count.
struct StreamFaults {
  // After this many event frames, waits until they are flushed to the
  // socket and closes the connection without the terminating zero-length
  // chunk (the client sees a transport error, not a clean end).
  std::optional<int> drop_after_events;
  // With drop_after_events: instead, when the next event comes, writes the
  // first half of its frame, then drops as above.
  bool drop_mid_frame = false;
  // After this many event frames, writes nothing more (no events, no
  // heartbeats) but keeps the connection open. Exclusive with
  // drop_after_events.
  std::optional<int> stall_after_events;
  // Writes every frame as HTTP chunks of at most this many bytes.
  std::optional<int> chunk_bytes;
  LineEnding line_ending = LineEnding::kLf;
  std::optional<MalformedFrame> malformed;
  // Applies to this many stream opens, then is removed; nullopt = to every
  // stream opened until the plan changes. Ignored in X-Emulator-Fault.
  std::optional<int> times;

  friend bool operator==(const StreamFaults&, const StreamFaults&) = default;
};

enum class FailScope {
  kStreamOpens,  // GET .../tasks/{id}/events/stream only.
  kRequests,     // Every API request matching `method` and `path_pattern`.
};

// Answers matching requests with an error status instead of serving them.
struct RequestFailure {
  // 429, 500, 502, 503 or 504.
  int status = 503;
  // How many matching requests fail; then the failure is removed. Ignored
  // in X-Emulator-Fault (the header applies to its own request only).
  int times = 1;
  // Retry-After header value; allowed with 429 (default 1) and 503 (default
  // none).
  std::optional<int> retry_after_seconds;
  FailScope scope = FailScope::kStreamOpens;
  // kRequests only: the method to match (any when unset).
  std::optional<HttpMethod> method;
  // kRequests only: the (still percent-encoded) path to match, `*` matching
  // any run of characters including '/'; empty = any path.
  std::string path_pattern;
  // The error body's message; empty = a default naming the fault.
  std::string message;

  friend bool operator==(const RequestFailure&,
                         const RequestFailure&) = default;
};

enum class BodyFaultKind {
  // The body is replaced by the start of a JSON object, cut off.
  kMalformedJson,
  // Content-Length announces the whole body (at least 1 byte), only its
  // first half (rounded down) is sent, then the connection is closed.
  kTruncated,
  // The body is padded with trailing spaces (still valid JSON) to
  // BodyFault::oversized_bytes.
  kOversized,
};

// Corrupts the body of unary API responses (whatever their status; never
// event streams), as a broken proxy or server would.
struct BodyFault {
  BodyFaultKind kind = BodyFaultKind::kMalformedJson;
  // kOversized only: the size of the padded body; one byte over the
  // bridge's default response cap (16 MiB) by default.
  int oversized_bytes = (16 << 20) + 1;
  // How many matching responses are corrupted; then the fault is removed.
  // Ignored in X-Emulator-Fault.
  int times = 1;
  // The method to match (any when unset).
  std::optional<HttpMethod> method;
  // The (still percent-encoded) path to match, `*` matching any run of
  // characters including '/'; empty = any path.
  std::string path_pattern;

  friend bool operator==(const BodyFault&, const BodyFault&) = default;
};

// Everything the emulator is told to break. The default plan breaks nothing.
struct FaultPlan {
  // Every API response (unary and stream open) is delayed by this much.
  absl::Duration latency = absl::ZeroDuration();
  std::optional<StreamFaults> stream;
  std::optional<RequestFailure> fail;
  std::optional<BodyFault> body;

  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

// Parses a plan from JSON text. InvalidArgument naming the offending field
// (e.g. "stream.chunkBytes must be an integer between 1 and 65536"),
// unknown fields included.
absl::StatusOr<FaultPlan> ParseFaultPlan(absl::string_view json_text);

// Checks the ranges and combinations ParseFaultPlan enforces, for plans
// built in C++. Messages name fields by their JSON names.
absl::Status ValidateFaultPlan(const FaultPlan& plan);

// The JSON form ParseFaultPlan reads; only set fields are printed, so the
// empty plan is {}. ParseFaultPlan(FaultPlanToJson(p).dump()) == p for every
// plan ParseFaultPlan returns.
nlohmann::json FaultPlanToJson(const FaultPlan& plan);

// Whether `failure` applies to a request with this method and path.
bool FailureMatches(const RequestFailure& failure, HttpMethod method,
                    absl::string_view path);

// Whether `fault` applies to the response to a request with this method and
// path (never to an event stream open).
bool BodyFaultMatches(const BodyFault& fault, HttpMethod method,
                      absl::string_view path);

// The body a kMalformedJson fault sends instead of the real one.
absl::string_view MalformedJsonBody();

// `*` matches any run of characters (including none and '/'); everything
// else matches itself.
bool PathPatternMatches(absl::string_view pattern, absl::string_view path);

// The data line of a malformed frame.
std::string MalformedData(const MalformedFrame& frame);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_FAULT_PLAN_H_
