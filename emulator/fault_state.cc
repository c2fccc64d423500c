#include "emulator/fault_state.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace neo_emulator {

RequestDecision DecideRequest(const FaultPlan& plan, HttpMethod method,
                              absl::string_view path) {
  RequestDecision decision;
  decision.latency = plan.latency;
  if (plan.fail && FailureMatches(*plan.fail, method, path)) {
    decision.failure = plan.fail;
  } else if (plan.body && BodyFaultMatches(*plan.body, method, path)) {
    decision.body = plan.body;
  }
  return decision;
}

HttpResponse FailureResponse(const RequestFailure& failure) {
  const std::string message =
      failure.message.empty()
          ? absl::StrCat("neo-emulator injected fault: ", failure.status, " ",
                         ReasonPhrase(failure.status))
          : failure.message;
  HttpResponse response = ApiHandler::Error(failure.status, message);
  std::optional<int> retry_after = failure.retry_after_seconds;
  if (failure.status == 429 && !retry_after) retry_after = 1;
  if (retry_after) {
    response.headers.emplace_back("Retry-After", absl::StrCat(*retry_after));
  }
  return response;
}

void FaultState::Set(FaultPlan plan) {
  absl::MutexLock lock(&mutex_);
  plan_ = std::move(plan);
}

void FaultState::Clear() {
  absl::MutexLock lock(&mutex_);
  plan_ = FaultPlan{};
}

FaultPlan FaultState::Get() const {
  absl::MutexLock lock(&mutex_);
  return plan_;
}

RequestDecision FaultState::DecideRequest(HttpMethod method,
                                          absl::string_view path) {
  absl::MutexLock lock(&mutex_);
  RequestDecision decision = neo_emulator::DecideRequest(plan_, method, path);
  if (decision.failure && --plan_.fail->times <= 0) plan_.fail.reset();
  if (decision.body && --plan_.body->times <= 0) plan_.body.reset();
  return decision;
}

std::optional<StreamFaults> FaultState::TakeStreamFaults() {
  absl::MutexLock lock(&mutex_);
  std::optional<StreamFaults> faults = plan_.stream;
  if (plan_.stream && plan_.stream->times && --*plan_.stream->times <= 0) {
    plan_.stream.reset();
  }
  return faults;
}

}  // namespace neo_emulator
