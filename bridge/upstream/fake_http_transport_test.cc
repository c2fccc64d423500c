#include "bridge/upstream/fake_http_transport.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::upstream {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using Reply = FakeHttpTransport::Reply;

constexpr absl::Duration kWait = absl::Seconds(10);

// Collects Send() completions; shared with the callbacks it hands out.
class Results {
 public:
  HttpTransport::DoneCallback Callback(int tag) {
    return [state = state_, tag](absl::StatusOr<HttpResponse> result) {
      absl::MutexLock lock(&state->mu);
      state->results.emplace_back(tag, std::move(result));
      state->threads.push_back(std::this_thread::get_id());
    };
  }
  bool WaitFor(size_t n) {
    absl::MutexLock lock(&state_->mu);
    State* s = state_.get();
    auto reached = [s, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
      return s->results.size() >= n;
    };
    return s->mu.AwaitWithTimeout(absl::Condition(&reached), kWait);
  }
  std::vector<std::pair<int, absl::StatusOr<HttpResponse>>> results() {
    absl::MutexLock lock(&state_->mu);
    return state_->results;
  }
  std::vector<std::thread::id> threads() {
    absl::MutexLock lock(&state_->mu);
    return state_->threads;
  }

 private:
  struct State {
    absl::Mutex mu;
    std::vector<std::pair<int, absl::StatusOr<HttpResponse>>> results
        ABSL_GUARDED_BY(mu);
    std::vector<std::thread::id> threads ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class Observer : public StreamObserver {
 public:
  void OnResponseStart(int status, const HttpHeaders& headers) override {
    absl::MutexLock lock(&mu_);
    log_.push_back("start " + std::to_string(status));
    headers_ = headers;
  }
  StreamAction OnData(std::string_view chunk) override {
    absl::MutexLock lock(&mu_);
    if (pause_next_) {
      pause_next_ = false;
      log_.push_back("refused " + std::string(chunk));
      return StreamAction::kPause;
    }
    log_.push_back("data " + std::string(chunk));
    return StreamAction::kContinue;
  }
  void OnDone(absl::Status status) override {
    absl::MutexLock lock(&mu_);
    log_.push_back("done " +
                   std::string(absl::StatusCodeToString(status.code())));
  }
  void PauseNext() {
    absl::MutexLock lock(&mu_);
    pause_next_ = true;
  }
  std::vector<std::string> log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }
  HttpHeaders headers() {
    absl::MutexLock lock(&mu_);
    return headers_;
  }

 private:
  absl::Mutex mu_;
  bool pause_next_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  HttpHeaders headers_ ABSL_GUARDED_BY(mu_);
};

HttpRequest Request(HttpMethod method, std::string url, std::string body = {}) {
  HttpRequest request;
  request.method = method;
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

TEST(FakeHttpTransportTest, RecordsEveryRequest) {
  FakeHttpTransport fake;
  fake.SetDefaultReply(Reply::Respond(204));
  Results results;
  HttpRequest request = Request(HttpMethod::kPatch, "https://x/api/t/1", "{}");
  request.headers = {{"Authorization", "token t"}};
  request.timeout = absl::Seconds(3);

  const auto id = fake.Send(request, results.Callback(0));
  const auto stream_id =
      fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"),
                      std::make_shared<Observer>());

  ASSERT_TRUE(fake.WaitForRequests(2, kWait));
  std::vector<FakeHttpTransport::RecordedRequest> seen = fake.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, id);
  EXPECT_FALSE(seen[0].stream);
  EXPECT_EQ(seen[0].request.method, HttpMethod::kPatch);
  EXPECT_EQ(seen[0].request.url, "https://x/api/t/1");
  EXPECT_EQ(seen[0].request.body, "{}");
  EXPECT_EQ(seen[0].request.timeout, absl::Seconds(3));
  EXPECT_THAT(seen[0].request.headers,
              ElementsAre(std::pair<std::string, std::string>("Authorization",
                                                              "token t")));
  EXPECT_EQ(seen[1].id, stream_id);
  EXPECT_TRUE(seen[1].stream);
  EXPECT_NE(id, stream_id);
}

TEST(FakeHttpTransportTest, AnswersFromQueueThenRoutesThenDefault) {
  FakeHttpTransport fake;
  fake.PushReply(Reply::Respond(201, "first"));
  fake.PushReply(Reply::Error(absl::UnavailableError("conn refused")));
  fake.SetRoute(HttpMethod::kGet, "https://x/tasks",
                Reply::Respond(200, "listed", {{"X-Pulumi-Request-ID", "r"}}));
  Results results;

  fake.Send(Request(HttpMethod::kGet, "https://x/tasks"), results.Callback(1));
  fake.Send(Request(HttpMethod::kGet, "https://x/tasks"), results.Callback(2));
  fake.Send(Request(HttpMethod::kGet, "https://x/tasks?pageSize=5"),
            results.Callback(3));
  fake.Send(Request(HttpMethod::kPost, "https://x/tasks"), results.Callback(4));

  ASSERT_TRUE(results.WaitFor(4));
  auto r = results.results();
  ASSERT_EQ(r.size(), 4u);
  // Delivered in the order sent.
  EXPECT_EQ(r[0].first, 1);
  EXPECT_EQ(r[1].first, 2);
  EXPECT_EQ(r[2].first, 3);
  EXPECT_EQ(r[3].first, 4);
  ASSERT_TRUE(r[0].second.ok());
  EXPECT_EQ(r[0].second->status, 201);
  EXPECT_EQ(r[0].second->body, "first");
  EXPECT_EQ(r[1].second.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(r[2].second.ok());
  EXPECT_EQ(r[2].second->body, "listed");
  EXPECT_THAT(r[2].second->Header("x-pulumi-request-id"),
              Optional(std::string_view("r")));
  EXPECT_EQ(r[3].second.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(FakeHttpTransportTest, CallsBackOnItsOwnThread) {
  FakeHttpTransport fake;
  fake.SetDefaultReply(Reply::Respond(200));
  Results results;
  fake.Send(Request(HttpMethod::kGet, "https://x/a"), results.Callback(0));
  fake.Send(Request(HttpMethod::kGet, "https://x/b"), results.Callback(1));
  ASSERT_TRUE(results.WaitFor(2));
  auto threads = results.threads();
  EXPECT_NE(threads[0], std::this_thread::get_id());
  EXPECT_EQ(threads[0], threads[1]);
}

TEST(FakeHttpTransportTest, HeldRequestWaitsForComplete) {
  FakeHttpTransport fake;
  fake.PushReply(Reply::Hold());
  Results results;
  const auto id =
      fake.Send(Request(HttpMethod::kGet, "https://x/a"), results.Callback(0));
  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_TRUE(fake.IsPending(id));
  EXPECT_TRUE(results.results().empty());

  HttpResponse response;
  response.status = 200;
  response.body = "late";
  EXPECT_TRUE(fake.Complete(id, response));

  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(results.results()[0].second->body, "late");
  EXPECT_FALSE(fake.IsPending(id));
  EXPECT_FALSE(fake.Complete(id, response));
}

TEST(FakeHttpTransportTest, CancelCompletesAHeldRequestOnce) {
  FakeHttpTransport fake;
  fake.PushReply(Reply::Hold());
  fake.SetDefaultReply(Reply::Respond(200));
  Results results;
  const auto held =
      fake.Send(Request(HttpMethod::kGet, "https://x/a"), results.Callback(0));
  const auto answered =
      fake.Send(Request(HttpMethod::kGet, "https://x/b"), results.Callback(1));
  ASSERT_TRUE(results.WaitFor(1));

  fake.Cancel(held);
  fake.Cancel(held);
  fake.Cancel(answered);  // completed already: a no-op

  ASSERT_TRUE(fake.WaitForCancelled(held, kWait));
  ASSERT_TRUE(fake.WaitIdle(kWait));
  auto r = results.results();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].first, 0);
  EXPECT_EQ(r[1].second.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(fake.cancelled(), ElementsAre(held));
  EXPECT_FALSE(fake.Complete(held, HttpResponse{}));
}

TEST(FakeHttpTransportTest, CallbacksMayReenter) {
  Results results;  // outlives the fake, whose callbacks use it
  FakeHttpTransport fake;
  fake.SetDefaultReply(Reply::Respond(200));
  fake.Send(Request(HttpMethod::kGet, "https://x/a"),
            [&fake, &results](absl::StatusOr<HttpResponse>) {
              fake.Send(Request(HttpMethod::kGet, "https://x/b"),
                        results.Callback(2));
            });
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(fake.requests().size(), 2u);
}

TEST(FakeHttpTransportTest, StreamDeliversWhatTheTestPushesInOrder) {
  FakeHttpTransport fake;
  auto observer = std::make_shared<Observer>();
  const auto id =
      fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"), observer);

  EXPECT_TRUE(
      fake.StreamStart(id, 200, {{"Content-Type", "text/event-stream"}}));
  EXPECT_TRUE(fake.StreamPush(id, "data: 1\n\n"));
  EXPECT_TRUE(fake.StreamPush(id, "data: 2\n\n"));
  EXPECT_TRUE(fake.StreamEnd(id));
  EXPECT_FALSE(fake.StreamPush(id, "late"));

  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_THAT(observer->log(), ElementsAre("start 200", "data data: 1\n\n",
                                           "data data: 2\n\n", "done OK"));
  EXPECT_THAT(observer->headers().Get("content-type"),
              Optional(std::string_view("text/event-stream")));
  EXPECT_FALSE(fake.IsPending(id));
}

TEST(FakeHttpTransportTest, StreamPushImpliesStartAndErrorsEndIt) {
  FakeHttpTransport fake;
  auto observer = std::make_shared<Observer>();
  const auto id =
      fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"), observer);
  EXPECT_TRUE(fake.StreamPush(id, "x"));
  EXPECT_TRUE(fake.StreamEnd(id, absl::UnavailableError("reset")));
  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_THAT(observer->log(),
              ElementsAre("start 200", "data x", "done UNAVAILABLE"));
}

TEST(FakeHttpTransportTest, PausedStreamReoffersTheChunkAfterResume) {
  FakeHttpTransport fake;
  auto observer = std::make_shared<Observer>();
  observer->PauseNext();
  const auto id =
      fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"), observer);
  fake.StreamPush(id, "a");
  fake.StreamPush(id, "b");
  fake.StreamEnd(id);

  ASSERT_TRUE(fake.WaitForPaused(id, kWait));
  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_THAT(observer->log(), ElementsAre("start 200", "refused a"));
  EXPECT_TRUE(fake.IsPending(id));

  fake.Resume(id);

  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_THAT(observer->log(), ElementsAre("start 200", "refused a", "data a",
                                           "data b", "done OK"));
}

TEST(FakeHttpTransportTest, CancelEndsAStreamOnce) {
  FakeHttpTransport fake;
  auto observer = std::make_shared<Observer>();
  const auto id =
      fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"), observer);
  fake.StreamPush(id, "a");
  ASSERT_TRUE(fake.WaitIdle(kWait));

  fake.Cancel(id);
  fake.Cancel(id);
  EXPECT_FALSE(fake.StreamPush(id, "b"));

  ASSERT_TRUE(fake.WaitIdle(kWait));
  EXPECT_THAT(observer->log(),
              ElementsAre("start 200", "data a", "done CANCELLED"));
  EXPECT_THAT(fake.cancelled(), ElementsAre(id));
}

TEST(FakeHttpTransportTest, DestructionCancelsEverythingPending) {
  Results results;
  auto observer = std::make_shared<Observer>();
  {
    FakeHttpTransport fake;
    fake.SetDefaultReply(Reply::Hold());
    fake.Send(Request(HttpMethod::kGet, "https://x/a"), results.Callback(0));
    fake.OpenStream(Request(HttpMethod::kGet, "https://x/events"), observer);
  }
  auto r = results.results();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].second.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(observer->log(), ElementsAre("done CANCELLED"));
}

}  // namespace
}  // namespace neobridge::upstream
