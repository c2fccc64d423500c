// EventStreamReactor: one StreamTaskEvents call. It relays the task's
// upstream Server-Sent Events stream to the caller as typed TaskEvents,
// reconnecting after transport drops without losing or repeating an event.
#ifndef NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_
#define NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_

#include <grpcpp/alarm.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/neo_client.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/sse/sse_parser.h"
#include "bridge/stream/backoff.h"
#include "neobridge/v1/agent_tasks_service.pb.h"

namespace neobridge::stream {

namespace v1 = ::neobridge::v1;

struct StreamOptions {
  // A Heartbeat goes to the caller when nothing else was sent for this long.
  absl::Duration heartbeat_interval = absl::Seconds(15);
  // Upstream silence (no event, no heartbeat comment) for this long counts
  // as a dropped connection.
  absl::Duration upstream_idle_timeout = absl::Seconds(45);
  // Bound on each wait for the upstream response head.
  absl::Duration open_timeout = absl::Seconds(20);
  // Reconnect delays.
  BackoffPolicy backoff;
  // Reconnecting stops (UNAVAILABLE) once this long has passed without
  // progress; every event, heartbeat or successful open is progress.
  absl::Duration retry_budget = absl::Minutes(5);
  // Events buffered for a slow caller before the upstream transfer pauses.
  size_t queue_capacity = 64;
  // Ids of the most recent events delivered, kept to drop events the
  // upstream replays after a reconnect. It resumes after the last delivered
  // id, so a replay only repeats events near it; the window bounds memory.
  size_t dedupe_window = 256;
  // Largest single SSE event accepted.
  size_t max_event_bytes = size_t{4} << 20;
};

class EventStreamReactor;

// What a reactor tells its owner about.
struct StreamHooks {
  // Reconnects and the stream's start and end (must outlive the reactor).
  client::UpstreamObserver* observer =
      &client::NoopUpstreamObserver::Instance();
  // Called once from OnDone, on a gRPC thread, without the reactor's lock:
  // gRPC is done with the call; no reaction follows. The reactor stays
  // alive until this returns (and until its own transfers and timers end).
  // `status` is how the call ended (CANCELLED when the caller left).
  absl::AnyInvocable<void(EventStreamReactor*, const absl::Status& status) &&>
      on_done;
};

// Owns itself: created by the service for one call, deleted once gRPC has
// called OnDone and no upstream transfer or timer still refers to it.
//
// Threads: gRPC reactions (OnWriteDone, OnCancel, OnDone) and alarm
// callbacks run on gRPC's callback threads; upstream callbacks run on the
// transport's loop thread. All state is under `mu_`; gRPC, NeoClient and
// alarm methods are called only after releasing it. Exactly one write is in
// flight at a time, and Finish is called exactly once.
class EventStreamReactor final
    : public grpc::ServerWriteReactor<v1::StreamTaskEventsResponse> {
 public:
  // `request` has its org resolved and is validated; `client` must outlive
  // every reactor. Call Start() once, right after construction.
  EventStreamReactor(client::NeoClient& client,
                     v1::StreamTaskEventsRequest request,
                     std::string access_token, StreamOptions options,
                     StreamHooks hooks = {});

  // Opens the upstream stream and arms the heartbeat timer.
  void Start();

  // Ends the call with `status` (e.g. UNAVAILABLE at server shutdown) after
  // writing what is queued; stops the upstream transfer. A no-op once the
  // call is ending. Any thread; the caller must hold a reference (AddRef)
  // or otherwise know the reactor is alive.
  void Shutdown(absl::Status status);

  // Keeps the reactor alive across a call from another thread (e.g. an
  // owner's registry handing it to Shutdown); pair with Release.
  void AddRef();
  void Release() { Unref(); }

  // The id of the last event delivered (or the request's last_event_id).
  std::string last_event_id();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  class UpstreamObserver;
  class Parsed;

  // What to do once `mu_` is released.
  struct Actions {
    bool start_write = false;
    bool finish = false;
    grpc::Status finish_status;
    bool resume_upstream = false;
    client::CallId resume_id = 0;
    client::CallId cancel_upstream = 0;
    bool open_upstream = false;
    bool arm_heartbeat = false;
    absl::Duration reconnect_delay = absl::ZeroDuration();
    bool arm_reconnect = false;
    bool cancel_alarms = false;
  };

  ~EventStreamReactor() override = default;

  // Upstream callbacks, for the transfer of generation `generation`.
  void OnUpstreamStart(uint64_t generation, int status, std::string request_id);
  upstream::StreamAction OnUpstreamData(uint64_t generation,
                                        std::string_view chunk);
  void OnUpstreamDone(uint64_t generation, absl::Status status);

  void OnHeartbeatAlarm(bool ok);
  void OnReconnectAlarm(bool ok);

  // Decides, under the lock, what the state calls for next.
  void PumpLocked(Actions& actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues a caller-visible event unless its id was delivered before.
  void EnqueueEventLocked(v1::TaskEvent event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the call with `status` once queued items are written (or at once
  // when `drain` is false).
  void FinishLocked(absl::Status status, bool drain, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Schedules a reconnect, or finishes when the retry budget is spent.
  void RetryLocked(const absl::Status& cause, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Execute(Actions actions);
  void OpenUpstream();
  void Ref() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ++refs_; }
  // Drops a reference; deletes `this` at zero. Call without `mu_`.
  void Unref();

  client::NeoClient& client_;
  const v1::StreamTaskEventsRequest request_;
  const std::string access_token_;
  const StreamOptions options_;
  client::UpstreamObserver& observer_;
  absl::AnyInvocable<void(EventStreamReactor*, const absl::Status&) &&>
      on_done_;

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, released in OnDone.
  // Upstream transfer state.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  client::CallId upstream_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool upstream_active_ ABSL_GUARDED_BY(mu_) = false;
  bool upstream_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool ever_opened_ ABSL_GUARDED_BY(mu_) = false;
  int http_status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string error_body_ ABSL_GUARDED_BY(mu_);
  std::string request_id_ ABSL_GUARDED_BY(mu_);
  sse::SseParser parser_ ABSL_GUARDED_BY(mu_);
  int attempt_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_);
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
  // Delivery state.
  std::string last_event_id_ ABSL_GUARDED_BY(mu_);
  // The last `dedupe_window` delivered ids, oldest first, and a set of views
  // into them (deque elements never move).
  std::deque<std::string> recent_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<absl::string_view> recent_id_set_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::StreamTaskEventsResponse> queue_ ABSL_GUARDED_BY(mu_);
  v1::StreamTaskEventsResponse in_flight_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // An event was written since the last heartbeat tick.
  bool wrote_since_tick_ ABSL_GUARDED_BY(mu_) = false;
  // Ending.
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;  // No more upstream work.
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  bool grpc_done_ ABSL_GUARDED_BY(mu_) = false;
  // Timers; replaced (never re-set) each time they are armed.
  std::unique_ptr<grpc::Alarm> heartbeat_alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> reconnect_alarm_ ABSL_GUARDED_BY(mu_);
};

}  // namespace neobridge::stream

#endif  // NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_
