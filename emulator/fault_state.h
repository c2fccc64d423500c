// The fault plan in force, shared by the C++ API, the admin endpoint and the
// request dispatcher, and the decisions the dispatcher takes from it.
#ifndef NEO_EMULATOR_FAULT_STATE_H_
#define NEO_EMULATOR_FAULT_STATE_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "emulator/api_handler.h"
#include "emulator/fault_plan.h"
#include "emulator/router.h"

namespace neo_emulator {

// The request header that carries a per-request plan (same JSON as
// PUT /_emulator/faults).
inline constexpr absl::string_view kFaultHeader = "X-Emulator-Fault";

// What happens to one API request before it reaches the ApiHandler.
struct RequestDecision {
  // Delay before the request is served (or failed).
  absl::Duration latency = absl::ZeroDuration();
  // When set, answer with FailureResponse(*failure) instead of serving.
  std::optional<RequestFailure> failure;
  // When set (never with `failure`), serve the request but corrupt the body
  // of its unary response.
  std::optional<BodyFault> body;
};

// The decision `plan` gives a request, without consuming any `times`: for
// per-request (X-Emulator-Fault) plans.
RequestDecision DecideRequest(const FaultPlan& plan, HttpMethod method,
                              absl::string_view path);

// The error response of an injected failure: `failure.status` with the JSON
// error body {"code", "message"} and, for 429 (default 1) or when set for
// 503, a `Retry-After: <seconds>` header.
HttpResponse FailureResponse(const RequestFailure& failure);

// The plan in force, with its remaining `times`. Thread-safe: Set, Clear and
// Get run on any thread; the Take/Decide calls on the event-loop thread.
class FaultState {
 public:
  // `plan` must be valid (ValidateFaultPlan). Replaces the whole plan.
  void Set(FaultPlan plan);
  void Clear();
  FaultPlan Get() const;

  // For each API request, in arrival order: its decision. A matching
  // failure, or else a matching body fault, uses up one of its `times` (and
  // is removed at zero).
  RequestDecision DecideRequest(HttpMethod method, absl::string_view path);

  // For each event stream that opens: its stream faults, using up one of
  // their `times` (removed at zero). nullopt = a clean stream.
  std::optional<StreamFaults> TakeStreamFaults();

 private:
  mutable absl::Mutex mutex_;
  FaultPlan plan_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_FAULT_STATE_H_
