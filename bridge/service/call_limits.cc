#include "bridge/service/call_limits.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

// What a refused caller is told to wait before trying again.
constexpr absl::Duration kRetryAfter = absl::Seconds(1);

absl::Status LimitReached(absl::string_view what, int limit,
                          absl::string_view flag) {
  absl::Status status = status::WithReason(
      absl::ResourceExhaustedError(absl::StrCat(
          what, " (limit ", limit, ", set by ", flag,
          "); retry later, or spread the load over more replicas")),
      status::kReasonLimitExceeded);
  status::SetRetryInfo(status, kRetryAfter);
  return status;
}

}  // namespace

CallLease::CallLease(CallLease&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)),
      kind_(std::exchange(other.kind_, Kind::kNone)),
      caller_(std::move(other.caller_)) {}

CallLease& CallLease::operator=(CallLease&& other) noexcept {
  if (this != &other) {
    if (limiter_ != nullptr) limiter_->Release(kind_, caller_);
    limiter_ = std::exchange(other.limiter_, nullptr);
    kind_ = std::exchange(other.kind_, Kind::kNone);
    caller_ = std::move(other.caller_);
  }
  return *this;
}

CallLease::~CallLease() {
  if (limiter_ != nullptr) limiter_->Release(kind_, caller_);
}

absl::StatusOr<CallLease> CallLimiter::AcquireStream(
    const std::string& caller) {
  absl::MutexLock lock(&mu_);
  if (streams_ >= options_.max_streams) {
    return LimitReached("too many open StreamTaskEvents calls on this bridge",
                        options_.max_streams, "--max-streams");
  }
  int& mine = streams_by_caller_[caller];
  if (mine >= options_.max_streams_per_caller) {
    if (mine == 0) streams_by_caller_.erase(caller);
    return LimitReached("too many open StreamTaskEvents calls for this caller",
                        options_.max_streams_per_caller,
                        "--max-streams-per-caller");
  }
  ++mine;
  ++streams_;
  return CallLease(this, CallLease::Kind::kStream, caller);
}

absl::StatusOr<CallLease> CallLimiter::AcquireUpstream() {
  absl::MutexLock lock(&mu_);
  if (upstream_ >= options_.max_inflight_upstream) {
    return LimitReached("too many upstream requests in flight on this bridge",
                        options_.max_inflight_upstream,
                        "--max-inflight-upstream");
  }
  ++upstream_;
  return CallLease(this, CallLease::Kind::kUpstream, "");
}

int CallLimiter::open_streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

int CallLimiter::inflight_upstream() const {
  absl::MutexLock lock(&mu_);
  return upstream_;
}

void CallLimiter::Release(CallLease::Kind kind, const std::string& caller) {
  absl::MutexLock lock(&mu_);
  switch (kind) {
    case CallLease::Kind::kStream: {
      --streams_;
      auto it = streams_by_caller_.find(caller);
      if (it != streams_by_caller_.end() && --it->second <= 0) {
        streams_by_caller_.erase(it);
      }
      break;
    }
    case CallLease::Kind::kUpstream:
      --upstream_;
      break;
    case CallLease::Kind::kNone:
      break;
  }
}

std::string CallerKey(const absl::optional<std::string>& own_token,
                      const std::string& policy_caller,
                      const std::string& peer) {
  if (own_token.has_value()) {
    // "sha256:" and the first 16 hex digits: enough to tell callers apart.
    return absl::StrCat("token:",
                        security::HashApiKey(*own_token).substr(7, 16));
  }
  if (!policy_caller.empty()) return policy_caller;
  return absl::StrCat("peer:", peer);
}

}  // namespace neobridge::service
