// EventStreamReactor: one StreamTaskEvents call. It writes the events of
// its task's EventFeed (shared with the other calls watching that task with
// the same credential) to the caller as typed TaskEvents, with heartbeats
// while nothing else is sent.
#ifndef NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_
#define NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/stream/event_feed.h"
#include "bridge/stream/stream_hub.h"
#include "neobridge/v1/agent_tasks_service.pb.h"

namespace neobridge::stream {

class EventStreamReactor;

// What a reactor tells its owner about.
struct StreamHooks {
  // The stream's start and end (must outlive the reactor).
  client::UpstreamObserver* observer =
      &client::NoopUpstreamObserver::Instance();
  // Called once from OnDone, on a gRPC thread, without the reactor's lock:
  // gRPC is done with the call; no reaction follows. The reactor stays
  // alive until this returns (and until its timers and feed notifications
  // end). `status` is how the call ended (CANCELLED when the caller left).
  absl::AnyInvocable<void(EventStreamReactor*, const absl::Status& status) &&>
      on_done;
};

// Owns itself: created by the service for one call, deleted once gRPC has
// called OnDone and no timer or feed notification still refers to it.
//
// Threads: gRPC reactions (OnWriteDone, OnCancel, OnDone) run on gRPC's
// callback threads, OnFeedUpdate on the transport's loop thread or any of
// those, OnHeartbeatTick on the owner's heartbeat thread. All state is under
// `mu_`; gRPC and hub methods are called only after releasing it
// (EventFeed::Take is called under it: lock order reactor, then feed). Exactly
// one write is in flight at a time, and Finish is called exactly once.
class EventStreamReactor final
    : public grpc::ServerWriteReactor<v1::StreamTaskEventsResponse>,
      public FeedSubscriber {
 public:
  // `request` has its org resolved and is validated; `hub` must outlive
  // every reactor. `credential_fingerprint` identifies `access_token` to the
  // hub. Call Start() once, right after construction.
  EventStreamReactor(StreamHub& hub, v1::StreamTaskEventsRequest request,
                     std::string access_token,
                     std::string credential_fingerprint,
                     StreamHooks hooks = {});

  // Joins the task's feed.
  void Start();

  // The owner calls this every heartbeat interval (for all its streams from
  // one thread, not a timer per stream): a Heartbeat goes to the caller
  // when nothing was written since the previous tick.
  void OnHeartbeatTick();

  // Ends the call with `status` (e.g. UNAVAILABLE at server shutdown) once
  // the write in flight, if any, is done. A no-op once the call is ending.
  // Any thread; the caller must hold a reference (AddRef) or otherwise know
  // the reactor is alive.
  void Shutdown(absl::Status status);

  // Keeps the reactor alive across a call from another thread; pair with
  // Release.
  void AddRef() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Release() override;

  // The id of the last event written (or the request's last_event_id).
  std::string last_event_id();

  void OnFeedUpdate() override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // What to do once `mu_` is released.
  struct Actions {
    bool start_write = false;
    bool finish = false;
    grpc::Status finish_status;
    bool detach = false;
    client::CallId resume_upstream = 0;
  };

  ~EventStreamReactor() override = default;

  // Starts the next write, or Finish, when the state calls for it.
  void PumpLocked(Actions& actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the call with `status` once the write in flight is done.
  void FinishLocked(absl::Status status, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Execute(Actions actions);

  StreamHub& hub_;
  const v1::StreamTaskEventsRequest request_;
  std::string access_token_;  // Handed to the hub in Start.
  const std::string credential_fingerprint_;
  client::UpstreamObserver& observer_;
  absl::AnyInvocable<void(EventStreamReactor*, const absl::Status&) &&>
      on_done_;
  // gRPC's reference (released in OnDone), plus one per feed notification
  // or heartbeat tick in progress.
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  // The feed, from Start until OnDone.
  std::shared_ptr<EventFeed> feed_ ABSL_GUARDED_BY(mu_);
  std::string last_event_id_ ABSL_GUARDED_BY(mu_);
  // The item being written: a shared event, or this call's heartbeat.
  FeedItem in_flight_ ABSL_GUARDED_BY(mu_);
  v1::StreamTaskEventsResponse heartbeat_ ABSL_GUARDED_BY(mu_);
  // What StartWrite gets: in_flight_ or heartbeat_.
  const v1::StreamTaskEventsResponse* write_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool heartbeat_due_ ABSL_GUARDED_BY(mu_) = false;
  // An event was written since the last heartbeat tick.
  bool wrote_since_tick_ ABSL_GUARDED_BY(mu_) = false;
  // Ending.
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace neobridge::stream

#endif  // NEOBRIDGE_BRIDGE_STREAM_EVENT_STREAM_REACTOR_H_
