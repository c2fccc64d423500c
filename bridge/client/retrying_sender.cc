#include "bridge/client/retrying_sender.h"

#include <chrono>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bridge/status/status_mapping.h"

namespace neobridge::client {
namespace {

using upstream::HttpRequest;
using upstream::HttpResponse;
using upstream::HttpTransport;
using SteadyClock = std::chrono::steady_clock;

// As UpstreamObserver reports it: "503", or "UNAVAILABLE" for a transport
// error.
std::string OutcomeName(const absl::StatusOr<HttpResponse>& outcome) {
  if (outcome.ok()) return absl::StrCat(outcome->status);
  return absl::StatusCodeToString(outcome.status().code());
}

bool Succeeded(const absl::StatusOr<HttpResponse>& outcome) {
  return outcome.ok() && outcome->status >= 200 && outcome->status < 300;
}

}  // namespace

// What the sender shares with its calls in progress, which may outlive it.
struct RetryingSender::Shared {
  Shared(HttpTransport& transport, Timer& timer, RetryingSenderOptions options)
      : transport(transport),
        observer(options.observer != nullptr
                     ? *options.observer
                     : NoopUpstreamObserver::Instance()),
        policy(options.retry),
        timer(&timer) {}

  HttpTransport& transport;
  UpstreamObserver& observer;
  const RetryPolicy policy;

  absl::Mutex mu;
  // Null once the sender is destroyed: nothing is scheduled any more.
  Timer* timer ABSL_GUARDED_BY(mu);
  absl::BitGen random ABSL_GUARDED_BY(mu);
  // Calls in progress by id, for Cancel.
  absl::flat_hash_map<CallId, std::shared_ptr<Call>> calls ABSL_GUARDED_BY(mu);
};

// One call: its attempts and the waits between them. Owned by whoever holds
// it (the transport's callback, a timer task, the registry of calls in
// progress). Lock order: mu_, then Shared::mu, then the timer's own lock.
class RetryingSender::Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<Shared> shared, std::string operation,
       HttpRequest request, absl::Time deadline, Done done)
      : shared_(std::move(shared)),
        operation_(std::move(operation)),
        request_(std::move(request)),
        deadline_(deadline),
        done_(std::move(done)) {}

  // Sends the first attempt and registers the call; returns its id.
  CallId Start() {
    {
      absl::MutexLock lock(&mu_);
      attempts_ = 1;
    }
    // The first attempt gets the caller's timeout as it is.
    const CallId id = SendAttempt(1, request_.timeout);
    absl::MutexLock lock(&mu_);
    if (phase_ != Phase::kDone) {
      id_ = id;
      absl::MutexLock shared_lock(&shared_->mu);
      shared_->calls.emplace(id, shared_from_this());
    }
    return id;
  }

  void Cancel() {
    HttpTransport::RequestId transfer = 0;
    {
      absl::MutexLock lock(&mu_);
      if (phase_ == Phase::kDone || cancelled_) return;
      cancelled_ = true;
      if (phase_ == Phase::kSending) {
        transfer = transfer_;  // 0 while Send has not returned: see SendAttempt
      } else {
        // End the wait now, on the timer's thread (`done` never runs inline
        // from Cancel). If the wake-up is already running, it sees
        // cancelled_.
        absl::MutexLock shared_lock(&shared_->mu);
        Timer* timer = shared_->timer;
        if (timer != nullptr && timer->Cancel(wait_)) {
          wait_ = timer->Schedule(
              absl::InfinitePast(),
              [self = shared_from_this()] { self->OnWaitOver(); });
        }
      }
    }
    if (transfer != 0) shared_->transport.Cancel(transfer);
  }

  // The sender is being destroyed (it has stopped scheduling): a call that
  // waits to be re-sent completes with CANCELLED here.
  void Abandon(Timer& timer) {
    Done done;
    {
      absl::MutexLock lock(&mu_);
      if (phase_ != Phase::kWaiting) return;
      phase_ = Phase::kDone;
      timer.Cancel(wait_);
      done = std::move(done_);
    }
    std::move(done)(absl::CancelledError("upstream client is shutting down"));
  }

 private:
  enum class Phase {
    kSending,  // an attempt is being sent or is in flight
    kWaiting,  // waiting to send the next attempt
    kDone,     // `done` has been taken to run
  };

  HttpTransport::RequestId SendAttempt(int attempt, absl::Duration timeout) {
    HttpRequest request = request_;
    request.timeout = timeout;
    const SteadyClock::time_point sent = SteadyClock::now();
    const HttpTransport::RequestId id = shared_->transport.Send(
        std::move(request), [self = shared_from_this(),
                             sent](absl::StatusOr<HttpResponse> outcome) {
          self->OnAttemptDone(sent, std::move(outcome));
        });
    bool cancel = false;
    {
      absl::MutexLock lock(&mu_);
      // Unless this attempt has completed already.
      if (phase_ == Phase::kSending && attempts_ == attempt) {
        transfer_ = id;
        cancel = cancelled_;  // Cancel came while Send ran
      }
    }
    if (cancel) shared_->transport.Cancel(id);
    return id;
  }

  // The transport's callback thread.
  void OnAttemptDone(SteadyClock::time_point sent,
                     absl::StatusOr<HttpResponse> outcome) {
    const std::string outcome_name = OutcomeName(outcome);
    shared_->observer.OnUpstreamRequest(
        operation_, upstream::HttpMethodName(request_.method), outcome_name,
        absl::FromChrono(SteadyClock::now() - sent));
    Done done;
    CallId id = 0;
    {
      absl::MutexLock lock(&mu_);
      transfer_ = 0;
      if (!cancelled_ && !Succeeded(outcome) &&
          ScheduleRetryLocked(outcome, outcome_name)) {
        return;
      }
      phase_ = Phase::kDone;
      done = std::move(done_);
      id = id_;
    }
    Complete(id, std::move(done), std::move(outcome));
  }

  // Asks the policy; when it says retry, schedules the next attempt.
  bool ScheduleRetryLocked(const absl::StatusOr<HttpResponse>& outcome,
                           const std::string& outcome_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    FailedAttempt failed{.method = request_.method, .attempts_made = attempts_};
    if (outcome.ok()) {
      failed.http_status = outcome->status;
      if (auto value = outcome->Header("retry-after")) {
        absl::optional<absl::Duration> retry_after = status::ParseRetryAfter(
            absl::string_view(value->data(), value->size()), absl::Now());
        if (retry_after.has_value()) failed.retry_after = *retry_after;
      }
    } else {
      failed.transport_error = outcome.status().code();
    }
    absl::MutexLock shared_lock(&shared_->mu);
    Timer* timer = shared_->timer;
    if (timer == nullptr) return false;  // the sender is gone
    const absl::Time now = timer->Now();
    failed.remaining = deadline_ - now;
    const RetryDecision decision = DecideRetry(
        shared_->policy, failed, absl::Uniform(shared_->random, 0.0, 1.0));
    if (!decision.retry) return false;
    phase_ = Phase::kWaiting;
    retry_reason_ = outcome_name;
    last_outcome_ = outcome;
    wait_ = timer->Schedule(now + decision.delay, [self = shared_from_this()] {
      self->OnWaitOver();
    });
    return true;
  }

  // The timer's thread: the wait is over (or was cut short by Cancel).
  void OnWaitOver() {
    Done done;
    CallId id = 0;
    absl::StatusOr<HttpResponse> outcome;
    int attempt = 0;
    absl::Duration remaining;
    std::string reason;
    {
      absl::MutexLock lock(&mu_);
      if (phase_ != Phase::kWaiting) return;
      wait_ = 0;
      bool gone = false;
      {
        absl::MutexLock shared_lock(&shared_->mu);
        gone = shared_->timer == nullptr;
        if (!gone) remaining = deadline_ - shared_->timer->Now();
      }
      if (cancelled_) {
        outcome = absl::CancelledError(
            "upstream request cancelled while waiting to retry");
      } else if (gone) {
        outcome = absl::CancelledError("upstream client is shutting down");
      } else if (remaining <= absl::ZeroDuration()) {
        // The wake-up came too late to send again: that outcome stands.
        outcome = std::move(last_outcome_);
      } else {
        phase_ = Phase::kSending;
        attempt = ++attempts_;
        reason = retry_reason_;
      }
      if (attempt == 0) {
        phase_ = Phase::kDone;
        done = std::move(done_);
        id = id_;
      }
    }
    if (attempt == 0) {
      Complete(id, std::move(done), std::move(outcome));
      return;
    }
    shared_->observer.OnUpstreamRetry(operation_, reason);
    SendAttempt(attempt, remaining);
  }

  // After phase_ became kDone: unregisters `id` (0: not registered) and runs
  // `done`, with no lock held.
  void Complete(CallId id, Done done, absl::StatusOr<HttpResponse> outcome) {
    if (id != 0) {
      absl::MutexLock shared_lock(&shared_->mu);
      shared_->calls.erase(id);
    }
    std::move(done)(std::move(outcome));
  }

  const std::shared_ptr<Shared> shared_;
  const std::string operation_;
  const HttpRequest request_;
  const absl::Time deadline_;

  absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kSending;
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
  // The attempt in flight; 0 while unknown or between attempts.
  HttpTransport::RequestId transfer_ ABSL_GUARDED_BY(mu_) = 0;
  // The pending wake-up while kWaiting.
  Timer::TaskId wait_ ABSL_GUARDED_BY(mu_) = 0;
  // The id the call is registered under; 0 until registered.
  CallId id_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // While kWaiting: what the failed attempt was.
  std::string retry_reason_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<HttpResponse> last_outcome_ ABSL_GUARDED_BY(mu_);
  Done done_ ABSL_GUARDED_BY(mu_);
};

RetryingSender::RetryingSender(HttpTransport& transport, Timer& timer,
                               RetryingSenderOptions options)
    : shared_(std::make_shared<Shared>(transport, timer, std::move(options))) {}

RetryingSender::~RetryingSender() {
  Timer* timer = nullptr;
  absl::flat_hash_map<CallId, std::shared_ptr<Call>> calls;
  {
    absl::MutexLock lock(&shared_->mu);
    timer = shared_->timer;
    shared_->timer = nullptr;
    calls.swap(shared_->calls);
  }
  for (auto& [id, call] : calls) call->Abandon(*timer);
}

CallId RetryingSender::Send(std::string operation, HttpRequest request,
                            Done done) {
  absl::Time now;
  {
    absl::MutexLock lock(&shared_->mu);
    now = shared_->timer->Now();
  }
  const absl::Time deadline = now + request.timeout;
  auto call =
      std::make_shared<Call>(shared_, std::move(operation), std::move(request),
                             deadline, std::move(done));
  return call->Start();
}

bool RetryingSender::Cancel(CallId id) {
  std::shared_ptr<Call> call;
  {
    absl::MutexLock lock(&shared_->mu);
    auto it = shared_->calls.find(id);
    if (it == shared_->calls.end()) return false;
    call = it->second;
  }
  call->Cancel();
  return true;
}

}  // namespace neobridge::client
