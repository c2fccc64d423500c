// Unit tests of StreamHub and EventFeed: which calls share a feed, where a
// joiner starts, how the history is bounded, and that Shutdown waits for
// every feed. The upstream is a FakeHttpTransport driven by the test; the
// subscribers here take items by hand instead of writing to gRPC.
#include "bridge/stream/stream_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/upstream/fake_http_transport.h"

namespace neobridge::stream {
namespace {

using ::testing::ElementsAre;
using upstream::FakeHttpTransport;

constexpr absl::Duration kWait = absl::Seconds(10);

std::string Frame(const std::string& id) {
  return absl::StrCat(
      "id: ", id, "\ndata: {\"id\":\"", id,
      "\",\"type\":\"agentResponse\",\"eventBody\":{\"type\":\"warning\","
      "\"message\":\"m\"}}\n\n");
}

// Counts notifications; the test takes items itself. Its destructor waits
// for a notification in progress (the feed holds a reference across it).
class TestSubscriber final : public FeedSubscriber {
 public:
  ~TestSubscriber() override {
    absl::MutexLock lock(&mu_);
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return refs_ == 0;
    };
    mu_.Await(absl::Condition(&released));
  }
  void OnFeedUpdate() override {
    absl::MutexLock lock(&mu_);
    ++updates_;
  }
  void AddRef() override {
    absl::MutexLock lock(&mu_);
    ++refs_;
  }
  void Release() override {
    absl::MutexLock lock(&mu_);
    --refs_;
  }

  // Takes what is ready from `feed`; returns the ids taken.
  std::vector<std::string> TakeAll(EventFeed& feed) {
    std::vector<std::string> ids;
    for (;;) {
      EventFeed::Taken taken = feed.Take(this);
      feed.Resume(taken.resume);
      if (taken.item == nullptr) {
        if (taken.end.has_value()) end_ = taken.end;
        return ids;
      }
      ids.push_back(taken.item->event().id());
    }
  }
  // Waits until the feed notified at least `n` times in all.
  bool WaitForUpdates(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return updates_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  const std::optional<absl::Status>& end() const { return end_; }

 private:
  absl::Mutex mu_;
  int updates_ ABSL_GUARDED_BY(mu_) = 0;
  int refs_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Status> end_;
};

class StreamHubTest : public ::testing::Test {
 protected:
  StreamHubTest()
      : client_(transport_,
                client::RestNeoClientOptions{.base_url = "http://neo.test"}) {}

  void MakeHub(StreamOptions options = {}) {
    hub_.reset();
    hub_ = std::make_unique<StreamHub>(client_, options);
  }

  v1::StreamTaskEventsRequest Request(const std::string& task,
                                      const std::string& last_event_id = "") {
    v1::StreamTaskEventsRequest request;
    request.set_org("acme");
    request.set_task_id(task);
    request.set_last_event_id(last_event_id);
    return request;
  }

  std::shared_ptr<EventFeed> Subscribe(TestSubscriber& subscriber,
                                       const std::string& task,
                                       const std::string& last_event_id = "",
                                       const std::string& fingerprint = "fp") {
    return hub_->Subscribe(Request(task, last_event_id), "pul-token",
                           fingerprint, &subscriber);
  }

  // Pushes `frames` on upstream request `n` (1-based) and waits until
  // `subscriber` was told.
  void Push(size_t n, const std::string& frames, TestSubscriber& subscriber,
            int updates) {
    ASSERT_TRUE(transport_.WaitForRequests(n, kWait));
    transport_.StreamPush(transport_.requests()[n - 1].id, frames);
    ASSERT_TRUE(subscriber.WaitForUpdates(updates));
  }

  FakeHttpTransport transport_;
  client::RestNeoClient client_;
  std::unique_ptr<StreamHub> hub_;
};

TEST_F(StreamHubTest, OneKeyOneFeed) {
  MakeHub();
  TestSubscriber a, b, c, d;
  auto feed_a = Subscribe(a, "t-1");
  auto feed_b = Subscribe(b, "t-1");
  auto feed_c = Subscribe(c, "t-1", "", "other-credential");
  auto feed_d = Subscribe(d, "t-2");
  EXPECT_EQ(feed_a, feed_b);
  EXPECT_NE(feed_a, feed_c);
  EXPECT_NE(feed_a, feed_d);
  EXPECT_NE(feed_c, feed_d);
  EXPECT_EQ(hub_->shared_feeds(), 3u);
  ASSERT_TRUE(transport_.WaitForRequests(3, kWait));
  EXPECT_EQ(transport_.requests().size(), 3u);
  feed_a->Detach(&a);
  feed_b->Detach(&b);
  feed_c->Detach(&c);
  feed_d->Detach(&d);
}

TEST_F(StreamHubTest, AJoinerStartsWhereItAsked) {
  MakeHub();
  TestSubscriber first;
  auto feed = Subscribe(first, "t-1");
  Push(1, Frame("e1") + Frame("e2") + Frame("e3"), first, 1);
  EXPECT_THAT(first.TakeAll(*feed), ElementsAre("e1", "e2", "e3"));

  TestSubscriber whole, after_e1, unknown;
  EXPECT_EQ(Subscribe(whole, "t-1"), feed);
  EXPECT_THAT(whole.TakeAll(*feed), ElementsAre("e1", "e2", "e3"));
  EXPECT_EQ(Subscribe(after_e1, "t-1", "e1"), feed);
  EXPECT_THAT(after_e1.TakeAll(*feed), ElementsAre("e2", "e3"));
  // An id the feed never saw: its own feed, resuming after that id.
  auto own = Subscribe(unknown, "t-1", "x9");
  EXPECT_NE(own, feed);
  ASSERT_TRUE(transport_.WaitForRequests(2, kWait));
  bool resumed = false;
  // requests() returns a copy: keep it alive for the loop.
  const auto requests = transport_.requests();
  for (const auto& [name, value] : requests[1].request.headers) {
    resumed |= name == "Last-Event-ID" && value == "x9";
  }
  EXPECT_TRUE(resumed);

  Push(1, Frame("e4"), first, 2);
  for (TestSubscriber* s : {&first, &whole, &after_e1}) {
    EXPECT_THAT(s->TakeAll(*feed), ElementsAre("e4"));
  }
  for (TestSubscriber* s : {&first, &whole, &after_e1}) feed->Detach(s);
  own->Detach(&unknown);
}

TEST_F(StreamHubTest, ReplayedEventsAreDropped) {
  MakeHub();
  TestSubscriber subscriber;
  auto feed = Subscribe(subscriber, "t-1");
  Push(1, Frame("e1") + Frame("e2") + Frame("e1") + Frame("e3"), subscriber, 1);
  EXPECT_THAT(subscriber.TakeAll(*feed), ElementsAre("e1", "e2", "e3"));
  feed->Detach(&subscriber);
}

TEST_F(StreamHubTest, TheHistoryIsBoundedButKeepsWhatACallerStillNeeds) {
  StreamOptions options;
  options.history_events = 4;
  options.max_lag = 4;
  options.queue_capacity = 4;
  MakeHub(options);
  TestSubscriber reader;
  auto feed = Subscribe(reader, "t-1");
  std::string frames;
  for (int i = 1; i <= 3; ++i) frames += Frame(absl::StrCat("e", i));
  Push(1, frames, reader, 1);
  EXPECT_EQ(reader.TakeAll(*feed).size(), 3u);
  frames.clear();
  for (int i = 4; i <= 6; ++i) frames += Frame(absl::StrCat("e", i));
  Push(1, frames, reader, 2);
  // e1 and e2 are gone: the whole history can no longer be given, so a
  // caller that wants it gets a feed of its own; one after e5 joins.
  TestSubscriber whole, after_e5;
  auto own = Subscribe(whole, "t-1");
  EXPECT_NE(own, feed);
  EXPECT_EQ(Subscribe(after_e5, "t-1", "e5"), feed);
  EXPECT_THAT(reader.TakeAll(*feed), ElementsAre("e4", "e5", "e6"));
  EXPECT_THAT(after_e5.TakeAll(*feed), ElementsAre("e6"));
  feed->Detach(&reader);
  feed->Detach(&after_e5);
  own->Detach(&whole);
}

TEST_F(StreamHubTest, ALaggardIsCutOnlyWhileAnotherKeepsUp) {
  StreamOptions options;
  options.queue_capacity = 2;
  options.max_lag = 3;
  MakeHub(options);
  TestSubscriber fast, slow;
  auto feed = Subscribe(fast, "t-1");
  EXPECT_EQ(Subscribe(slow, "t-1"), feed);
  for (int i = 1; i <= 5; ++i) {
    Push(1, Frame(absl::StrCat("e", i)), fast, i);
    fast.TakeAll(*feed);
  }
  EXPECT_TRUE(slow.TakeAll(*feed).empty());
  ASSERT_TRUE(slow.end().has_value());
  EXPECT_EQ(slow.end()->code(), absl::StatusCode::kResourceExhausted);
  feed->Detach(&fast);
  feed->Detach(&slow);
}

TEST_F(StreamHubTest, EveryCallerBehindPausesTheUpstream) {
  StreamOptions options;
  options.queue_capacity = 2;
  options.max_lag = 10;
  MakeHub(options);
  TestSubscriber a, b;
  auto feed = Subscribe(a, "t-1");
  Subscribe(b, "t-1");
  Push(1, Frame("e1") + Frame("e2"), a, 1);
  const auto id = transport_.requests()[0].id;
  transport_.StreamPush(id, Frame("e3"));
  EXPECT_TRUE(transport_.WaitForPaused(id, kWait));
  // Once one catches up the upstream goes on; nobody was cut.
  std::vector<std::string> got = a.TakeAll(*feed);
  ASSERT_TRUE(a.WaitForUpdates(2));
  for (const std::string& id : a.TakeAll(*feed)) got.push_back(id);
  EXPECT_THAT(got, ElementsAre("e1", "e2", "e3"));
  EXPECT_THAT(b.TakeAll(*feed), ElementsAre("e1", "e2", "e3"));
  feed->Detach(&a);
  feed->Detach(&b);
}

TEST_F(StreamHubTest, AnUpstreamEndReachesEveryCallerAfterItsItems) {
  MakeHub();
  TestSubscriber a, b;
  auto feed = Subscribe(a, "t-1");
  Subscribe(b, "t-1");
  Push(1, Frame("e1"), a, 1);
  transport_.StreamEnd(transport_.requests()[0].id);
  ASSERT_TRUE(a.WaitForUpdates(2));
  EXPECT_THAT(a.TakeAll(*feed), ElementsAre("e1"));
  ASSERT_TRUE(a.end().has_value());
  EXPECT_TRUE(a.end()->ok());
  EXPECT_THAT(b.TakeAll(*feed), ElementsAre("e1"));
  EXPECT_TRUE(b.end().has_value());
  // An ended feed takes nobody new.
  TestSubscriber late;
  auto next = Subscribe(late, "t-1");
  EXPECT_NE(next, feed);
  feed->Detach(&a);
  feed->Detach(&b);
  next->Detach(&late);
}

TEST_F(StreamHubTest, AFeedClosesAfterTheLingerAndShutdownWaitsForAll) {
  StreamOptions options;
  options.linger = absl::Milliseconds(50);
  MakeHub(options);
  TestSubscriber a;
  auto feed = Subscribe(a, "t-1");
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  const auto id = transport_.requests()[0].id;
  feed->Detach(&a);
  feed.reset();
  EXPECT_TRUE(transport_.WaitForCancelled(id, kWait));
  EXPECT_TRUE(hub_->Shutdown(absl::CancelledError("test"), kWait));
  EXPECT_EQ(hub_->live_feeds(), 0u);
}

}  // namespace
}  // namespace neobridge::stream
