#include "bridge/stream/stream_hub.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace neobridge::stream {

StreamHub::StreamHub(client::NeoClient& client, StreamOptions options,
                     client::UpstreamObserver* observer)
    : client_(client), options_(std::move(options)), observer_(observer) {}

StreamHub::~StreamHub() {
  Shutdown(absl::CancelledError("the stream hub is going away"),
           absl::InfiniteDuration());
}

std::shared_ptr<EventFeed> StreamHub::NewFeed(
    const v1::StreamTaskEventsRequest& request, std::string access_token,
    std::string key) {
  StreamOptions options = options_;
  // A private feed serves one caller: nobody comes back to it.
  if (key.empty()) options.linger = absl::ZeroDuration();
  auto feed = std::make_shared<EventFeed>(
      client_, request, std::move(access_token), options,
      FeedHooks{.observer = observer_,
                .on_closed =
                    [this, key = std::move(key)](EventFeed* closed) {
                      std::shared_ptr<EventFeed> dropped;  // After unlock.
                      absl::MutexLock lock(&mu_);
                      if (key.empty()) return;
                      auto it = feeds_.find(key);
                      if (it != feeds_.end() && it->second.get() == closed) {
                        dropped = std::move(it->second);
                        feeds_.erase(it);
                      }
                    },
                .on_destroyed =
                    [this](EventFeed* gone) {
                      absl::MutexLock lock(&mu_);
                      live_.erase(gone);
                    }});
  live_[feed.get()] = feed;
  return feed;
}

std::shared_ptr<EventFeed> StreamHub::Subscribe(
    const v1::StreamTaskEventsRequest& request, std::string access_token,
    absl::string_view credential_fingerprint, FeedSubscriber* subscriber) {
  std::shared_ptr<EventFeed> dropped;  // Destroyed after the lock is released.
  std::shared_ptr<EventFeed> feed;
  client::CallId resume = 0;
  bool joined = false;
  {
    absl::MutexLock lock(&mu_);
    // Length-prefixed parts: no two different triples make the same key.
    std::string key = absl::StrCat(request.org().size(), ":", request.org(),
                                   request.task_id().size(), ":",
                                   request.task_id(), credential_fingerprint);
    if (shut_down_) {
      feed = NewFeed(request, std::move(access_token), "");
    } else if (auto it = feeds_.find(key); it == feeds_.end()) {
      feed = NewFeed(request, std::move(access_token), key);
      feeds_.emplace(std::move(key), feed);
    } else if (it->second->Attach(subscriber, request.last_event_id(),
                                  &resume)) {
      feed = it->second;
      joined = true;
    } else if (it->second->closed()) {
      // Closing: it is about to be forgotten; a new one takes its place.
      dropped = std::move(it->second);
      feed = NewFeed(request, std::move(access_token), key);
      it->second = feed;
    } else {
      // The shared feed started after the point this caller wants.
      feed = NewFeed(request, std::move(access_token), "");
    }
    // A new feed starts at the caller's point: this cannot fail.
    if (!joined) feed->Attach(subscriber, request.last_event_id(), &resume);
  }
  feed->Start();  // A no-op for a running feed.
  feed->Resume(resume);
  return feed;
}

bool StreamHub::Shutdown(absl::Status status, absl::Duration timeout) {
  std::vector<std::shared_ptr<EventFeed>> feeds;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (const auto& [raw, weak] : live_) {
      if (std::shared_ptr<EventFeed> feed = weak.lock()) {
        feeds.push_back(std::move(feed));
      }
    }
  }
  for (const std::shared_ptr<EventFeed>& feed : feeds) feed->Close(status);
  feeds.clear();
  absl::MutexLock lock(&mu_);
  auto gone = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_.empty(); };
  return mu_.AwaitWithTimeout(absl::Condition(&gone), timeout);
}

size_t StreamHub::shared_feeds() {
  absl::MutexLock lock(&mu_);
  return feeds_.size();
}

size_t StreamHub::live_feeds() {
  absl::MutexLock lock(&mu_);
  return live_.size();
}

}  // namespace neobridge::stream
