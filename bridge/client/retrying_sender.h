// RetryingSender: runs RestNeoClient's unary upstream exchanges. Sends a
// request, re-sends a GET after a retryable outcome as RetryPolicy decides
// (waiting on a Timer, never on a blocked thread), reports every exchange and
// retry to an UpstreamObserver, and cancels a call across its attempts.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_RETRYING_SENDER_H_
#define NEOBRIDGE_BRIDGE_CLIENT_RETRYING_SENDER_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "bridge/client/neo_client.h"
#include "bridge/client/retry_policy.h"
#include "bridge/client/timer.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/upstream/http_transport.h"

namespace neobridge::client {

struct RetryingSenderOptions {
  // Not owned; must outlive every call (the transport's callbacks report to
  // it, also after this sender is gone). Null means none.
  UpstreamObserver* observer = &NoopUpstreamObserver::Instance();
  RetryPolicy retry;
};

class RetryingSender {
 public:
  // The outcome of the call's last attempt: any HTTP answer (2xx or not), or
  // the transport error (CANCELLED when cancelled while waiting to retry).
  using Done =
      absl::AnyInvocable<void(absl::StatusOr<upstream::HttpResponse>) &&>;

  // `transport` and `timer` must outlive this sender.
  RetryingSender(upstream::HttpTransport& transport, Timer& timer,
                 RetryingSenderOptions options);
  RetryingSender(const RetryingSender&) = delete;
  RetryingSender& operator=(const RetryingSender&) = delete;
  // Calls waiting to be re-sent complete with CANCELLED, on this thread,
  // before it returns; calls with a transfer in flight end with that
  // transfer's outcome, without further retries.
  ~RetryingSender();

  // Sends `request` for `operation` (the RPC it serves, e.g. "ListTasks";
  // reported to the observer). `request.timeout` bounds the whole call,
  // retries and waits included: each attempt is sent with what is left of
  // it. A GET is sent again per the RetryPolicy; other methods exactly once.
  // `done` runs exactly once, never inline: on the transport's callback
  // thread, or on the timer's thread when the call is cancelled while
  // waiting to be re-sent. Returns the call's id (the transport's RequestId
  // of its first attempt).
  CallId Send(std::string operation, upstream::HttpRequest request, Done done);

  // Aborts call `id` if it is still in progress: a transfer in flight is
  // cancelled (as HttpTransport::Cancel, so `done` gets CANCELLED unless the
  // transfer already completed), a wait to re-send ends at once with
  // CANCELLED, and nothing is sent again. False when `id` is not a call of
  // this sender in progress (nothing is done then). Any thread.
  bool Cancel(CallId id);

 private:
  struct Shared;
  class Call;

  std::shared_ptr<Shared> shared_;  // shared with calls in progress
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_RETRYING_SENDER_H_
