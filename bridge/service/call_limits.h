// Admission limits: concurrent StreamTaskEvents calls (overall and per
// caller) and upstream requests in flight. Beyond a limit a call is answered
// RESOURCE_EXHAUSTED at once, so one noisy caller cannot starve the others
// or the upstream.
#ifndef NEOBRIDGE_BRIDGE_SERVICE_CALL_LIMITS_H_
#define NEOBRIDGE_BRIDGE_SERVICE_CALL_LIMITS_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace neobridge::service {

struct CallLimitsOptions {
  // Open StreamTaskEvents calls, across all callers.
  int max_streams = 10000;
  // Open StreamTaskEvents calls of one caller (see CallerKey).
  int max_streams_per_caller = 100;
  // Unary upstream requests in flight (streams are bounded above).
  int max_inflight_upstream = 1000;
};

class CallLimiter;

// One admitted call; gives its slot back when destroyed. Move-only.
class CallLease {
 public:
  CallLease() = default;
  CallLease(CallLease&& other) noexcept;
  CallLease& operator=(CallLease&& other) noexcept;
  CallLease(const CallLease&) = delete;
  CallLease& operator=(const CallLease&) = delete;
  ~CallLease();

 private:
  friend class CallLimiter;
  enum class Kind { kNone, kStream, kUpstream };
  CallLease(CallLimiter* limiter, Kind kind, std::string caller)
      : limiter_(limiter), kind_(kind), caller_(std::move(caller)) {}

  CallLimiter* limiter_ = nullptr;
  Kind kind_ = Kind::kNone;
  std::string caller_;
};

// Thread-safe. Must outlive every lease it hands out.
class CallLimiter {
 public:
  explicit CallLimiter(CallLimitsOptions options) : options_(options) {}

  // A slot for one stream of `caller`, or RESOURCE_EXHAUSTED (with
  // ErrorInfo LIMIT_EXCEEDED and RetryInfo) naming the limit reached.
  absl::StatusOr<CallLease> AcquireStream(const std::string& caller);

  // A slot for one unary upstream request, or RESOURCE_EXHAUSTED.
  absl::StatusOr<CallLease> AcquireUpstream();

  int open_streams() const;
  int inflight_upstream() const;

 private:
  friend class CallLease;
  void Release(CallLease::Kind kind, const std::string& caller);

  const CallLimitsOptions options_;
  mutable absl::Mutex mu_;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> streams_by_caller_ ABSL_GUARDED_BY(mu_);
  int upstream_ ABSL_GUARDED_BY(mu_) = 0;
};

// The key per-caller limits count by: "token:<hash>" for a caller bringing
// its own Pulumi token (a SHA-256 prefix, never the token), else the
// service-token policy's name of the caller (e.g. "api-key:ci"), else the
// peer address.
std::string CallerKey(const absl::optional<std::string>& own_token,
                      const std::string& policy_caller,
                      const std::string& peer);

}  // namespace neobridge::service

#endif  // NEOBRIDGE_BRIDGE_SERVICE_CALL_LIMITS_H_
