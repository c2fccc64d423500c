// EventFeed: one upstream Server-Sent Events stream of a task, read once
// and shared by every StreamTaskEvents call watching that task with the same
// credential. It keeps the events it has read (the history), so a caller
// that joins late gets them first, then live events, each exactly once and
// in order; it reconnects after drops without losing or repeating an event.
#ifndef NEOBRIDGE_BRIDGE_STREAM_EVENT_FEED_H_
#define NEOBRIDGE_BRIDGE_STREAM_EVENT_FEED_H_

#include <grpcpp/alarm.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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
  // When every caller of a feed is this many events behind its newest
  // event, the upstream transfer pauses until they catch up.
  size_t queue_capacity = 64;
  // A caller this many events behind the newest event while another caller
  // of the same feed keeps up is ended with RESOURCE_EXHAUSTED, so it never
  // slows the others. At least queue_capacity.
  size_t max_lag = 1024;
  // Events a feed keeps for late joiners (and to drop events the upstream
  // replays after a reconnect), oldest dropped first; at least max_lag.
  size_t history_events = 10000;
  // The same bound in bytes of event data.
  size_t history_bytes = size_t{16} << 20;
  // How long a feed stays open after its last caller left, so a caller
  // that comes back (e.g. resuming on a new connection) shares it again.
  absl::Duration linger = absl::Seconds(5);
  // Largest single SSE event accepted.
  size_t max_event_bytes = size_t{4} << 20;
};

// One item of a feed, shared by every caller it is written to.
using FeedItem = std::shared_ptr<const v1::StreamTaskEventsResponse>;

// A caller of a feed. The feed tells it when there may be something new to
// take (an event, the end); it then calls EventFeed::Take.
class FeedSubscriber {
 public:
  virtual ~FeedSubscriber() = default;
  // Called on any thread, without the feed's lock; never after Detach
  // returned. The feed holds a reference (AddRef) across the call.
  virtual void OnFeedUpdate() = 0;
  virtual void AddRef() = 0;
  virtual void Release() = 0;
};

struct FeedHooks {
  // Upstream requests, reconnects and open upstream streams (must outlive
  // the feed).
  client::UpstreamObserver* observer =
      &client::NoopUpstreamObserver::Instance();
  // Called once, without the feed's lock, when the feed stops taking new
  // callers: the upstream stream ended or failed for good, the last caller
  // left (after `linger`), or Close. The owner forgets it then.
  absl::AnyInvocable<void(class EventFeed*) &&> on_closed;
  // Called from the destructor (take no lock the feed's last owner may
  // hold).
  absl::AnyInvocable<void(class EventFeed*) &&> on_destroyed;
};

// Shared ownership: the owner (StreamHub) and every attached caller hold a
// shared_ptr; the upstream transfer and timers hold one while they run.
//
// Threads: upstream callbacks run on the transport's loop thread, alarms
// and caller calls on gRPC threads. All state is under `mu_`; subscriber
// and client methods are called only after releasing it. A subscriber may
// call Take while holding its own lock (lock order: subscriber, then feed).
class EventFeed final : public std::enable_shared_from_this<EventFeed> {
 public:
  // `request` names the task (org resolved, validated) and the point the
  // feed starts after (`last_event_id`, empty for the whole history).
  EventFeed(client::NeoClient& client, v1::StreamTaskEventsRequest request,
            std::string access_token, StreamOptions options,
            FeedHooks hooks = {});
  ~EventFeed();

  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Opens the upstream stream. Call once, after the first Attach.
  void Start();

  // Adds `subscriber`, which wants the events after `last_event_id` (empty:
  // the whole history). False when this feed cannot give exactly those (it
  // started later, has dropped them from its history, or is closed). When
  // the upstream transfer was paused for the callers already there, sets
  // `*resume` to pass to Resume once the caller's locks are released.
  bool Attach(FeedSubscriber* subscriber, absl::string_view last_event_id,
              client::CallId* resume);

  // Removes `subscriber`; no OnFeedUpdate starts after this returns. The
  // feed closes `linger` after its last caller left.
  void Detach(FeedSubscriber* subscriber);

  struct Taken {
    // The next item for the subscriber, if one is ready.
    FeedItem item;
    // Set when no item will follow: how the subscriber's call should end.
    std::optional<absl::Status> end;
    // The subscriber fell too far behind the others (`end` is set).
    bool cut = false;
    // Pass to Resume once the subscriber's own lock is released.
    client::CallId resume = 0;
  };
  // The next item for `subscriber` (attached), advancing its position.
  Taken Take(FeedSubscriber* subscriber);
  // Resumes the paused upstream transfer `id` (from Taken::resume).
  void Resume(client::CallId id);

  // Closes the feed now: stops the upstream transfer; attached callers end
  // with `status` after the events they have not taken yet.
  void Close(absl::Status status);

  // Takes no new callers (ended, failed or closed).
  bool closed();

 private:
  class TransferObserver;
  class Parsed;

  struct SubscriberState {
    // Sequence number of the next item to take.
    uint64_t next = 0;
    // Sequence number of the newest item when it attached: items before
    // this are history for it and do not count as lag.
    uint64_t joined_at = 0;
    // Fell too far behind: it only gets `cut_status` now.
    bool cut = false;
  };

  // What to do once `mu_` is released.
  struct Actions {
    bool open_upstream = false;
    bool arm_reconnect = false;
    absl::Duration reconnect_delay = absl::ZeroDuration();
    bool arm_linger = false;
    client::CallId cancel_upstream = 0;
    client::CallId resume_upstream = 0;
    bool notify = false;
    bool closed = false;
    bool stream_closed = false;
    // Replaced alarms, destroyed (cancelled) outside the lock.
    std::unique_ptr<grpc::Alarm> old_reconnect;
    std::unique_ptr<grpc::Alarm> old_linger;
  };

  void OpenUpstream();
  void OnUpstreamStart(uint64_t generation, int status, std::string request_id);
  upstream::StreamAction OnUpstreamData(uint64_t generation,
                                        std::string_view chunk);
  void OnUpstreamDone(uint64_t generation, absl::Status status);
  void OnReconnectAlarm(bool ok);
  void OnLingerAlarm(bool ok);

  // Appends an event unless its id is in the history already (a replay).
  void AppendLocked(v1::TaskEvent event, size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the oldest items beyond the history bounds that no caller still
  // has to take.
  void TrimHistoryLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends callers that fell more than max_lag behind.
  void CutLaggardsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How far the subscriber that is least behind is.
  uint64_t MinLagLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LagLocked(const SubscriberState& state) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(absl::Status status, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RetryLocked(const absl::Status& cause, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Execute(Actions actions);
  // Calls OnFeedUpdate on every attached subscriber.
  void NotifySubscribers();

  client::NeoClient& client_;
  const v1::StreamTaskEventsRequest request_;
  const std::string access_token_;
  const StreamOptions options_;
  client::UpstreamObserver& observer_;
  absl::AnyInvocable<void(EventFeed*) &&> on_closed_;
  absl::AnyInvocable<void(EventFeed*) &&> on_destroyed_;

  absl::Mutex mu_;
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
  std::unique_ptr<grpc::Alarm> reconnect_alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> linger_alarm_ ABSL_GUARDED_BY(mu_);
  // The resume point for the next upstream request.
  std::string last_event_id_ ABSL_GUARDED_BY(mu_);
  // History: items with sequence numbers [first_seq_, first_seq_ +
  // history_.size()), the ids of their events, and their size.
  std::deque<FeedItem> history_ ABSL_GUARDED_BY(mu_);
  uint64_t first_seq_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, uint64_t> seq_of_id_ ABSL_GUARDED_BY(mu_);
  std::deque<size_t> history_sizes_ ABSL_GUARDED_BY(mu_);
  size_t history_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // The whole history from the feed's start point is still kept.
  bool history_complete_ ABSL_GUARDED_BY(mu_) = true;
  absl::flat_hash_map<FeedSubscriber*, SubscriberState> subscribers_
      ABSL_GUARDED_BY(mu_);
  // Ending: no upstream work after `ended_`; callers get `end_status_`
  // after the history.
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace neobridge::stream

#endif  // NEOBRIDGE_BRIDGE_STREAM_EVENT_FEED_H_
