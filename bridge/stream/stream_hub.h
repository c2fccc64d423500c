// StreamHub: shares upstream event streams between StreamTaskEvents calls.
// Calls that watch the same task of the same org with the same credential
// get one EventFeed (one upstream connection), keyed by a fingerprint of the
// credential, never the credential itself.
#ifndef NEOBRIDGE_BRIDGE_STREAM_STREAM_HUB_H_
#define NEOBRIDGE_BRIDGE_STREAM_STREAM_HUB_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/neo_client.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/stream/event_feed.h"

namespace neobridge::stream {

// Serves one upstream (one NeoClient). Thread-safe.
class StreamHub {
 public:
  // `client` and `observer` must outlive the hub.
  StreamHub(client::NeoClient& client, StreamOptions options,
            client::UpstreamObserver* observer =
                &client::NoopUpstreamObserver::Instance());
  // Closes every feed and waits for them to go (see Shutdown).
  ~StreamHub();

  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Attaches `subscriber` to a feed of the task in `request` (org resolved,
  // validated) from `request.last_event_id()` on, and returns that feed.
  // Joins the shared feed of (org, task, credential) when it can give
  // exactly the events asked for; otherwise starts the shared feed, or,
  // when one runs that cannot (it started after that point), a private
  // feed for this caller alone. `credential_fingerprint` identifies
  // `access_token` (e.g. a keyed hash of it).
  std::shared_ptr<EventFeed> Subscribe(
      const v1::StreamTaskEventsRequest& request, std::string access_token,
      absl::string_view credential_fingerprint, FeedSubscriber* subscriber);

  // Closes every feed (their callers end with `status`) and waits up to
  // `timeout` for their upstream transfers and timers to end; true when
  // they did. New subscriptions after this get private feeds that close
  // at once. Call before the client goes away.
  bool Shutdown(absl::Status status, absl::Duration timeout);

  // Shared feeds open now.
  size_t shared_feeds();
  // Feeds (shared or private) not yet destroyed.
  size_t live_feeds();

 private:
  // A feed registered in `live_`; shared (closing unregisters it from
  // `feeds_`) when `key` is not empty.
  std::shared_ptr<EventFeed> NewFeed(const v1::StreamTaskEventsRequest& request,
                                     std::string access_token, std::string key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  client::NeoClient& client_;
  const StreamOptions options_;
  client::UpstreamObserver* const observer_;

  absl::Mutex mu_;
  // Shared feeds by key.
  absl::flat_hash_map<std::string, std::shared_ptr<EventFeed>> feeds_
      ABSL_GUARDED_BY(mu_);
  // Every feed not yet destroyed, shared or private.
  absl::flat_hash_map<EventFeed*, std::weak_ptr<EventFeed>> live_
      ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace neobridge::stream

#endif  // NEOBRIDGE_BRIDGE_STREAM_STREAM_HUB_H_
