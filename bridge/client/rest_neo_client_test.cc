#include "bridge/client/rest_neo_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bridge/client/timer.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/status/error_details.h"
#include "bridge/upstream/fake_http_transport.h"

namespace neobridge::client {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using upstream::FakeHttpTransport;
using upstream::HttpHeaders;
using upstream::HttpMethod;
using Reply = FakeHttpTransport::Reply;

constexpr char kBase[] = "http://neo.test";
constexpr absl::Duration kWait = absl::Seconds(10);

// Waits for one callback result.
template <typename T>
class Result {
 public:
  client::Callback<T> Done() {
    return [this](absl::StatusOr<T> value) {
      value_ = std::move(value);
      done_.Notify();
    };
  }
  absl::StatusOr<T>& Get() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(kWait));
    return value_;
  }

 private:
  absl::Notification done_;
  absl::StatusOr<T> value_ = absl::UnknownError("no result");
};

// Records what the client reports, as "operation method outcome" and
// "operation reason" lines.
class RecordingObserver final : public UpstreamObserver {
 public:
  void OnUpstreamRequest(std::string_view operation, std::string_view method,
                         std::string_view outcome,
                         absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::string(operation) + " " + std::string(method) +
                        " " + std::string(outcome));
    latencies_.push_back(latency);
  }
  void OnUpstreamRetry(std::string_view operation,
                       std::string_view reason) override {
    absl::MutexLock lock(&mu_);
    retries_.push_back(std::string(operation) + " " + std::string(reason));
  }
  void OnStreamReconnect() override {}
  void OnActiveStreams(int) override {}

  std::vector<std::string> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<absl::Duration> latencies() const {
    absl::MutexLock lock(&mu_);
    return latencies_;
  }
  std::vector<std::string> retries() const {
    absl::MutexLock lock(&mu_);
    return retries_;
  }
  bool WaitForRequests(size_t n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return requests_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> latencies_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> retries_ ABSL_GUARDED_BY(mu_);
};

// A Timer on a manual clock: tasks run on the test's thread, in Advance().
class ManualTimer final : public Timer {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  TaskId Schedule(absl::Time when, Task task) override {
    absl::MutexLock lock(&mu_);
    const TaskId id = next_id_++;
    tasks_.emplace(std::make_pair(when, id), std::move(task));
    return id;
  }
  bool Cancel(TaskId id) override {
    Task cancelled;
    absl::MutexLock lock(&mu_);
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
      if (it->first.second == id) {
        cancelled = std::move(it->second);
        tasks_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Moves the clock on by `by`, then runs every task due (on this thread).
  void Advance(absl::Duration by) {
    {
      absl::MutexLock lock(&mu_);
      now_ += by;
    }
    for (;;) {
      Task task;
      {
        absl::MutexLock lock(&mu_);
        if (tasks_.empty() || tasks_.begin()->first.first > now_) return;
        task = std::move(tasks_.begin()->second);
        tasks_.erase(tasks_.begin());
      }
      std::move(task)();
    }
  }
  // Waits until `n` tasks are scheduled (the client schedules on the
  // transport's thread).
  bool WaitForPending(size_t n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return tasks_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return tasks_.size();
  }
  // How long after Now() the first task is due.
  std::optional<absl::Duration> NextDueIn() const {
    absl::MutexLock lock(&mu_);
    if (tasks_.empty()) return std::nullopt;
    return tasks_.begin()->first.first - now_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1767225600);
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::pair<absl::Time, TaskId>, Task> tasks_ ABSL_GUARDED_BY(mu_);
};

// A StreamObserver that remembers what reached it.
class StreamProbe final : public upstream::StreamObserver {
 public:
  void OnResponseStart(int status, const HttpHeaders&) override {
    status_ = status;
  }
  upstream::StreamAction OnData(std::string_view) override {
    return upstream::StreamAction::kContinue;
  }
  void OnDone(absl::Status status) override {
    done_status_ = std::move(status);
    done_.Notify();
  }
  // The head's status (0: none) and the end status.
  std::pair<int, absl::Status> Wait() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(kWait));
    return {status_, done_status_};
  }

 private:
  absl::Notification done_;
  int status_ = 0;  // written before done_ is notified
  absl::Status done_status_;
};

v1::ListTasksRequest ListAcme() {
  v1::ListTasksRequest request;
  request.set_org("acme");
  return request;
}

v1::GetTaskRequest GetT1() {
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  return request;
}

v1::CreateTaskRequest CreateHello() {
  v1::CreateTaskRequest request;
  request.set_org("acme");
  request.mutable_message()->mutable_user_message()->set_content("hello");
  return request;
}

class RestNeoClientTest : public ::testing::Test {
 protected:
  RestNeoClientTest()
      : client_(transport_,
                {.base_url = kBase,
                 .user_agent = "neo-bridge/test",
                 .clock = [] { return absl::FromUnixSeconds(1767225600); },
                 .observer = &observer_,
                 .retry = {.initial_backoff = absl::Milliseconds(1),
                           .max_backoff = absl::Milliseconds(10)}}) {}

  upstream::HttpRequest OnlyRequest() {
    auto requests = transport_.requests();
    EXPECT_EQ(requests.size(), 1u);
    return requests.empty() ? upstream::HttpRequest() : requests[0].request;
  }

  CallOptions options_{.access_token = "pul-secret",
                       .timeout = absl::Seconds(7)};
  FakeHttpTransport transport_;
  RecordingObserver observer_;
  RestNeoClient client_;
};

constexpr char kTaskJson[] = R"({
  "id": "t-1", "name": "Fix it", "status": "idle",
  "createdAt": "2026-01-01T00:00:00Z", "approvalMode": "manual",
  "entities": [], "planMode": false, "isShared": false,
  "createdBy": {"name": "Alice", "githubLogin": "alice", "avatarUrl": "a"},
  "taskType": "sync", "tokensUsed": 5
})";

TEST_F(RestNeoClientTest, GetTaskSendsHeadersAndDecodes) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options_, result.Done());
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  EXPECT_EQ(result.Get()->task().id(), "t-1");
  EXPECT_EQ(result.Get()->task().status(), v1::TASK_STATUS_IDLE);

  upstream::HttpRequest sent = OnlyRequest();
  EXPECT_EQ(sent.method, HttpMethod::kGet);
  EXPECT_EQ(sent.url, "http://neo.test/api/preview/agents/acme/tasks/t-1");
  EXPECT_EQ(sent.timeout, absl::Seconds(7));
  EXPECT_THAT(sent.headers,
              Contains(Pair("Authorization", "token pul-secret")));
  EXPECT_THAT(sent.headers, Contains(Pair("User-Agent", "neo-bridge/test")));
  EXPECT_THAT(sent.headers,
              Contains(Pair("Accept", "application/vnd.pulumi+8")));
  EXPECT_TRUE(sent.body.empty());
}

TEST_F(RestNeoClientTest, ListTasksBuildsTheQuery) {
  transport_.PushReply(Reply::Respond(
      200, R"({"tasks": [], "continuationToken": "next/page+1"})"));
  v1::ListTasksRequest request;
  request.set_org("acme");
  request.set_page_size(2);
  request.set_page_token("tok=1&x");
  request.set_sort_by(v1::TASK_SORT_FIELD_TOKENS_USED);
  request.set_sort_direction(v1::SORT_DIRECTION_ASC);
  request.set_task_type(v1::TASK_TYPE_ASYNC);
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(request, options_, result.Done());
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  EXPECT_EQ(result.Get()->next_page_token(), "next/page+1");
  EXPECT_EQ(OnlyRequest().url,
            "http://neo.test/api/preview/agents/acme/tasks"
            "?continuationToken=tok%3D1%26x&pageSize=2&sortBy=tokensUsed"
            "&sortDirection=asc&taskType=async");
}

TEST_F(RestNeoClientTest, ListTasksOmitsDefaults) {
  transport_.PushReply(Reply::Respond(200, R"({"tasks": []})"));
  v1::ListTasksRequest request;
  request.set_org("acme");
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(request, options_, result.Done());
  ASSERT_TRUE(result.Get().ok());
  EXPECT_EQ(OnlyRequest().url, "http://neo.test/api/preview/agents/acme/tasks");
}

TEST_F(RestNeoClientTest, CreateTaskPostsJsonAndFillsTheTimestamp) {
  transport_.PushReply(Reply::Respond(201, R"({"taskId": "t-9"})"));
  v1::CreateTaskRequest request;
  request.set_org("acme");
  request.mutable_message()->mutable_user_message()->set_content("hello");
  request.mutable_enabled_integrations();  // Explicit opt-out.
  Result<v1::CreateTaskResponse> result;
  client_.CreateTask(request, options_, result.Done());
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  EXPECT_EQ(result.Get()->task_id(), "t-9");
  upstream::HttpRequest sent = OnlyRequest();
  EXPECT_EQ(sent.method, HttpMethod::kPost);
  EXPECT_EQ(sent.url, "http://neo.test/api/preview/agents/acme/tasks");
  EXPECT_THAT(sent.headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(sent.body, HasSubstr(R"("content":"hello")"));
  EXPECT_THAT(sent.body, HasSubstr(R"("type":"user_message")"));
  EXPECT_THAT(sent.body, HasSubstr(R"("timestamp":"2026-01-01T00:00:00Z")"));
  EXPECT_THAT(sent.body, HasSubstr(R"("enabledIntegrations":[])"));
}

TEST_F(RestNeoClientTest, UpdateRespondCancelAndEventsUseTheirRoutes) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  transport_.PushReply(Reply::Respond(202));
  transport_.PushReply(Reply::Respond(204));
  transport_.PushReply(Reply::Respond(200, R"({"events": []})"));

  v1::UpdateTaskRequest update;
  update.set_org("acme");
  update.set_task_id("t-1");
  update.set_is_shared(true);
  Result<v1::UpdateTaskResponse> updated;
  client_.UpdateTask(update, options_, updated.Done());
  ASSERT_TRUE(updated.Get().ok()) << updated.Get().status();

  v1::RespondToTaskRequest respond;
  respond.set_org("acme");
  respond.set_task_id("t-1");
  respond.mutable_event()->mutable_user_cancel();
  Result<v1::RespondToTaskResponse> responded;
  client_.RespondToTask(respond, options_, responded.Done());
  ASSERT_TRUE(responded.Get().ok()) << responded.Get().status();

  v1::CancelTaskRequest cancel;
  cancel.set_org("acme");
  cancel.set_task_id("t-1");
  Result<v1::CancelTaskResponse> cancelled;
  client_.CancelTask(cancel, options_, cancelled.Done());
  ASSERT_TRUE(cancelled.Get().ok()) << cancelled.Get().status();

  v1::ListTaskEventsRequest events;
  events.set_org("acme");
  events.set_task_id("t-1");
  events.set_page_size(50);
  Result<v1::ListTaskEventsResponse> listed;
  client_.ListTaskEvents(events, options_, listed.Done());
  ASSERT_TRUE(listed.Get().ok()) << listed.Get().status();

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].request.method, HttpMethod::kPatch);
  EXPECT_EQ(requests[0].request.url,
            "http://neo.test/api/preview/agents/acme/tasks/t-1");
  EXPECT_EQ(requests[0].request.body, R"({"isShared":true})");
  EXPECT_EQ(requests[1].request.method, HttpMethod::kPost);
  EXPECT_EQ(requests[1].request.url,
            "http://neo.test/api/preview/agents/acme/tasks/t-1");
  EXPECT_EQ(requests[1].request.body, R"({"event":{"type":"user_cancel"}})");
  EXPECT_EQ(requests[2].request.method, HttpMethod::kPost);
  EXPECT_EQ(requests[2].request.url,
            "http://neo.test/api/preview/agents/acme/tasks/t-1/cancel");
  EXPECT_EQ(requests[2].request.body, R"({"force":true})");
  EXPECT_EQ(requests[3].request.method, HttpMethod::kGet);
  EXPECT_EQ(requests[3].request.url,
            "http://neo.test/api/preview/agents/acme/tasks/t-1/events"
            "?pageSize=50");
}

TEST_F(RestNeoClientTest, HttpErrorsCarryErrorInfo) {
  transport_.PushReply(
      Reply::Respond(404, R"({"code": 404, "message": "task not found"})",
                     HttpHeaders{{"X-Pulumi-Request-ID", "req-42"}}));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("missing");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "GetTask: Neo API returned HTTP 404: task not found");
  auto info = status::GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(info->metadata().at("request_id"), "req-42");
  EXPECT_EQ(info->metadata().at("upstream_message"), "task not found");
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(HasSubstr("pul-secret")));
}

// Regression (issue 8): an upstream error message that echoes the access
// token the request carried is relayed with the token taken out.
TEST_F(RestNeoClientTest, HttpErrorsNeverRelayTheAccessToken) {
  CallOptions options = options_;
  options.access_token = "svc-echoed-7f3a";
  transport_.PushReply(Reply::Respond(
      401, R"({"code": 401, "message": "bad token svc-echoed-7f3a"})"));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t1");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(),
            "GetTask: Neo API returned HTTP 401: bad token [REDACTED]");
  EXPECT_EQ(status::GetErrorInfo(status)->metadata().at("upstream_message"),
            "bad token [REDACTED]");
}

TEST_F(RestNeoClientTest, RateLimitBeyondTheDeadlineCarriesRetryInfo) {
  // Retry-After 3 s does not fit into the 2 s left: no retry, at once.
  transport_.PushReply(Reply::Respond(429, "Too Many Requests",
                                      HttpHeaders{{"Retry-After", "3"}}));
  options_.timeout = absl::Seconds(2);
  const absl::Time start = absl::Now();
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("Too Many Requests"));
  auto retry = status::GetRetryInfo(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 3);
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(observer_.retries(), IsEmpty());
}

TEST_F(RestNeoClientTest, MalformedBodyIsInternalAndSaysWhat) {
  transport_.PushReply(Reply::Respond(200, R"({"id": 7})"));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("malformed Neo API response"));
  EXPECT_THAT(status.message(), HasSubstr("id"));
  EXPECT_EQ(status::GetErrorInfo(status)->reason(),
            "UPSTREAM_MALFORMED_RESPONSE");
}

TEST_F(RestNeoClientTest, TransportErrorsKeepTheirCode) {
  // Retried until the attempts are spent; the last error stands.
  transport_.SetDefaultReply(
      Reply::Error(absl::UnavailableError("connection refused")));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options_, result.Done());
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status::GetErrorInfo(result.Get().status())->reason(),
            "UPSTREAM_UNREACHABLE");
  EXPECT_THAT(result.Get().status().message(), HasSubstr("connection refused"));
  EXPECT_EQ(transport_.requests().size(), 4u);
}

TEST_F(RestNeoClientTest, CancelAbortsTheTransfer) {
  transport_.PushReply(Reply::Hold());
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  Result<v1::GetTaskResponse> result;
  CallId id = client_.GetTask(request, options_, result.Done());
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  client_.Cancel(id);
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(transport_.WaitForCancelled(id, kWait));
}

// --- Retries (real TimerQueue, 1-10 ms backoff) ---

TEST_F(RestNeoClientTest, GetIsRetriedAfter503) {
  transport_.PushReply(Reply::Respond(503, R"({"message": "busy"})"));
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  Result<v1::GetTaskResponse> result;
  client_.GetTask(GetT1(), options_, result.Done());
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  EXPECT_EQ(result.Get()->task().id(), "t-1");
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].request.url, requests[0].request.url);
  EXPECT_EQ(requests[1].request.headers, requests[0].request.headers);
  EXPECT_LE(requests[1].request.timeout, absl::Seconds(7));
  EXPECT_GT(requests[1].request.timeout, absl::Seconds(6));
  EXPECT_THAT(observer_.requests(),
              ElementsAre("GetTask GET 503", "GetTask GET 200"));
  EXPECT_THAT(observer_.retries(), ElementsAre("GetTask 503"));
}

TEST_F(RestNeoClientTest, EveryGetOperationIsRetried) {
  for (int status : {429, 502, 503, 504}) {
    transport_.PushReply(Reply::Respond(status));
    transport_.PushReply(Reply::Respond(200, R"({"tasks": []})"));
    Result<v1::ListTasksResponse> tasks;
    client_.ListTasks(ListAcme(), options_, tasks.Done());
    EXPECT_TRUE(tasks.Get().ok()) << status << ": " << tasks.Get().status();
  }
  transport_.PushReply(Reply::Respond(502));
  transport_.PushReply(Reply::Respond(200, R"({"events": []})"));
  v1::ListTaskEventsRequest events;
  events.set_org("acme");
  events.set_task_id("t-1");
  Result<v1::ListTaskEventsResponse> listed;
  client_.ListTaskEvents(events, options_, listed.Done());
  EXPECT_TRUE(listed.Get().ok()) << listed.Get().status();
  EXPECT_EQ(transport_.requests().size(), 10u);
  EXPECT_THAT(observer_.retries(),
              ElementsAre("ListTasks 429", "ListTasks 502", "ListTasks 503",
                          "ListTasks 504", "ListTaskEvents 502"));
}

TEST_F(RestNeoClientTest, ConnectFailuresOfGetsAreRetried) {
  transport_.PushReply(
      Reply::Error(absl::UnavailableError("connection refused")));
  transport_.PushReply(Reply::Error(absl::UnavailableError("reset by peer")));
  transport_.PushReply(Reply::Respond(200, R"({"tasks": []})"));
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_THAT(observer_.requests(),
              ElementsAre("ListTasks GET UNAVAILABLE",
                          "ListTasks GET UNAVAILABLE", "ListTasks GET 200"));
  EXPECT_THAT(observer_.retries(),
              ElementsAre("ListTasks UNAVAILABLE", "ListTasks UNAVAILABLE"));
}

TEST_F(RestNeoClientTest, FinalAnswersAreNotRetried) {
  struct Case {
    Reply reply;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {Reply::Respond(400), absl::StatusCode::kInvalidArgument},
      {Reply::Respond(401), absl::StatusCode::kUnauthenticated},
      {Reply::Respond(403), absl::StatusCode::kPermissionDenied},
      {Reply::Respond(404), absl::StatusCode::kNotFound},
      {Reply::Respond(409), absl::StatusCode::kAborted},
      {Reply::Respond(500), absl::StatusCode::kInternal},
      {Reply::Respond(501), absl::StatusCode::kUnimplemented},
      {Reply::Error(absl::DeadlineExceededError("timed out")),
       absl::StatusCode::kDeadlineExceeded},
      {Reply::Error(absl::ResourceExhaustedError("too big")),
       absl::StatusCode::kResourceExhausted},
  };
  size_t sent = 0;
  for (const Case& c : cases) {
    transport_.PushReply(c.reply);
    Result<v1::GetTaskResponse> result;
    client_.GetTask(GetT1(), options_, result.Done());
    EXPECT_EQ(result.Get().status().code(), c.code) << result.Get().status();
    EXPECT_EQ(transport_.requests().size(), ++sent) << result.Get().status();
  }
  EXPECT_THAT(observer_.retries(), IsEmpty());
}

TEST_F(RestNeoClientTest, PostAndPatchAreSentExactlyOnce) {
  const std::vector<Reply> failures = {
      Reply::Respond(503), Reply::Respond(502), Reply::Respond(504),
      Reply::Respond(429, "", HttpHeaders{{"Retry-After", "0"}}),
      Reply::Error(absl::UnavailableError("connection reset"))};
  for (const Reply& failure : failures) {
    transport_.SetDefaultReply(failure);
    Result<v1::CreateTaskResponse> created;
    client_.CreateTask(CreateHello(), options_, created.Done());
    EXPECT_FALSE(created.Get().ok());

    v1::UpdateTaskRequest update;
    update.set_org("acme");
    update.set_task_id("t-1");
    update.set_is_shared(true);
    Result<v1::UpdateTaskResponse> updated;
    client_.UpdateTask(update, options_, updated.Done());
    EXPECT_FALSE(updated.Get().ok());

    v1::RespondToTaskRequest respond;
    respond.set_org("acme");
    respond.set_task_id("t-1");
    respond.mutable_event()->mutable_user_cancel();
    Result<v1::RespondToTaskResponse> responded;
    client_.RespondToTask(respond, options_, responded.Done());
    EXPECT_FALSE(responded.Get().ok());

    v1::CancelTaskRequest cancel;
    cancel.set_org("acme");
    cancel.set_task_id("t-1");
    Result<v1::CancelTaskResponse> cancelled;
    client_.CancelTask(cancel, options_, cancelled.Done());
    EXPECT_FALSE(cancelled.Get().ok());
  }
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 4 * failures.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_NE(requests[i].request.method, HttpMethod::kGet);
  }
  EXPECT_THAT(observer_.retries(), IsEmpty());
}

TEST_F(RestNeoClientTest, PostFacing503IsUnavailable) {
  transport_.PushReply(Reply::Respond(503));
  transport_.PushReply(Reply::Respond(201, R"({"taskId": "t-9"})"));
  Result<v1::CreateTaskResponse> result;
  client_.CreateTask(CreateHello(), options_, result.Done());
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(observer_.requests(), ElementsAre("CreateTask POST 503"));
}

TEST_F(RestNeoClientTest, MaxAttemptsAreRespected) {
  transport_.SetDefaultReply(Reply::Respond(503, R"({"message": "down"})"));
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "ListTasks: Neo API returned HTTP 503: down");
  EXPECT_EQ(transport_.requests().size(), 4u);  // the default max_attempts
  EXPECT_THAT(observer_.requests(),
              ElementsAre("ListTasks GET 503", "ListTasks GET 503",
                          "ListTasks GET 503", "ListTasks GET 503"));
  EXPECT_THAT(observer_.retries(),
              ElementsAre("ListTasks 503", "ListTasks 503", "ListTasks 503"));
}

TEST_F(RestNeoClientTest, MaxAttemptsIsConfigurable) {
  FakeHttpTransport transport;
  transport.SetDefaultReply(Reply::Respond(503));
  Result<v1::ListTasksResponse> once;
  Result<v1::ListTasksResponse> twice;
  {
    RestNeoClient no_retries(transport,
                             {.base_url = kBase, .retry = {.max_attempts = 1}});
    no_retries.ListTasks(ListAcme(), options_, once.Done());
    EXPECT_EQ(once.Get().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(transport.requests().size(), 1u);
    RestNeoClient two(transport,
                      {.base_url = kBase,
                       .retry = {.max_attempts = 2,
                                 .initial_backoff = absl::Milliseconds(1)}});
    two.ListTasks(ListAcme(), options_, twice.Done());
    EXPECT_EQ(twice.Get().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(transport.requests().size(), 3u);
  }
}

TEST_F(RestNeoClientTest, CancelDuringTheBackoffEndsTheCallPromptly) {
  transport_.PushReply(
      Reply::Respond(429, "", HttpHeaders{{"Retry-After", "30"}}));
  options_.timeout = absl::Seconds(60);
  Result<v1::ListTasksResponse> result;
  const CallId id = client_.ListTasks(ListAcme(), options_, result.Done());
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  // Once the transport's callback has run, the call waits 30 s to retry.
  ASSERT_TRUE(transport_.WaitIdle(kWait));
  const absl::Time start = absl::Now();
  client_.Cancel(id);
  const absl::Status& status = result.Get().status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(status::GetErrorInfo(status)->reason(), "CANCELLED");
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(observer_.requests(), ElementsAre("ListTasks GET 429"));
  EXPECT_THAT(observer_.retries(), IsEmpty());
  client_.Cancel(id);  // a no-op now
}

TEST_F(RestNeoClientTest, CancelAbortsALaterAttempt) {
  transport_.PushReply(Reply::Respond(503));
  transport_.PushReply(Reply::Hold());
  Result<v1::GetTaskResponse> result;
  const CallId id = client_.GetTask(GetT1(), options_, result.Done());
  ASSERT_TRUE(transport_.WaitForRequests(2, kWait));
  const upstream::HttpTransport::RequestId second = transport_.requests()[1].id;
  EXPECT_NE(second, id);
  client_.Cancel(id);  // the id of the call, not of the attempt
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(transport_.WaitForCancelled(second, kWait));
  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_THAT(observer_.requests(),
              ElementsAre("GetTask GET 503", "GetTask GET CANCELLED"));
}

TEST_F(RestNeoClientTest, DestroyingTheClientEndsCallsWaitingToRetry) {
  transport_.PushReply(
      Reply::Respond(503, "", HttpHeaders{{"Retry-After", "30"}}));
  options_.timeout = absl::Seconds(60);
  Result<v1::ListTasksResponse> result;
  auto client = std::make_unique<RestNeoClient>(
      transport_, RestNeoClientOptions{.base_url = kBase});
  client->ListTasks(ListAcme(), options_, result.Done());
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  ASSERT_TRUE(transport_.WaitIdle(kWait));
  client.reset();
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

// --- Reporting ---

TEST_F(RestNeoClientTest, EveryExchangeIsReportedWithItsLatency) {
  transport_.PushReply(Reply::Respond(201, R"({"taskId": "t-9"})"));
  transport_.PushReply(Reply::Respond(404));
  transport_.PushReply(Reply::Error(absl::DeadlineExceededError("slow")));
  Result<v1::CreateTaskResponse> created;
  client_.CreateTask(CreateHello(), options_, created.Done());
  ASSERT_TRUE(created.Get().ok());
  Result<v1::GetTaskResponse> missing;
  client_.GetTask(GetT1(), options_, missing.Done());
  missing.Get();
  Result<v1::ListTasksResponse> slow;
  client_.ListTasks(ListAcme(), options_, slow.Done());
  slow.Get();
  EXPECT_THAT(observer_.requests(),
              ElementsAre("CreateTask POST 201", "GetTask GET 404",
                          "ListTasks GET DEADLINE_EXCEEDED"));
  for (absl::Duration latency : observer_.latencies()) {
    EXPECT_GE(latency, absl::ZeroDuration());
    EXPECT_LT(latency, kWait);
  }
}

TEST_F(RestNeoClientTest, EventStreamsAreReportedAtTheirHead) {
  v1::StreamTaskEventsRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  const StreamCallOptions options{.access_token = "pul-secret"};

  auto opened = std::make_shared<StreamProbe>();
  const CallId first = client_.OpenEventStream(request, options, opened);
  ASSERT_TRUE(transport_.StreamStart(first, 200));
  ASSERT_TRUE(observer_.WaitForRequests(1));
  EXPECT_THAT(observer_.requests(), ElementsAre("StreamTaskEvents GET 200"));
  ASSERT_TRUE(transport_.StreamEnd(first));
  EXPECT_EQ(opened->Wait(), std::make_pair(200, absl::OkStatus()));

  auto refused = std::make_shared<StreamProbe>();
  const CallId second = client_.OpenEventStream(request, options, refused);
  ASSERT_TRUE(transport_.StreamEnd(
      second, absl::UnavailableError("connection refused")));
  EXPECT_EQ(refused->Wait().second.code(), absl::StatusCode::kUnavailable);

  auto cancelled = std::make_shared<StreamProbe>();
  const CallId third = client_.OpenEventStream(request, options, cancelled);
  client_.Cancel(third);  // streams are still cancelled by their id
  EXPECT_EQ(cancelled->Wait().second.code(), absl::StatusCode::kCancelled);

  EXPECT_THAT(observer_.requests(),
              ElementsAre("StreamTaskEvents GET 200",
                          "StreamTaskEvents GET UNAVAILABLE",
                          "StreamTaskEvents GET CANCELLED"));
  EXPECT_THAT(observer_.retries(), IsEmpty());
  EXPECT_EQ(transport_.requests().size(), 3u);  // never re-opened here
}

// --- Retries on a manual clock: waits are checked, not slept ---

class RestNeoClientManualTimerTest : public ::testing::Test {
 protected:
  RestNeoClientManualTimerTest()
      : client_(transport_,
                {.base_url = kBase, .observer = &observer_, .timer = &timer_}) {
  }

  CallOptions options_{.access_token = "pul-secret",
                       .timeout = absl::Seconds(7)};
  FakeHttpTransport transport_;
  ManualTimer timer_;
  RecordingObserver observer_;
  RestNeoClient client_;
};

TEST_F(RestNeoClientManualTimerTest, RetryAfterIsHonoured) {
  transport_.PushReply(Reply::Respond(429, R"({"message": "slow down"})",
                                      HttpHeaders{{"Retry-After", "1"}}));
  transport_.PushReply(Reply::Respond(200, R"({"tasks": []})"));
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  ASSERT_TRUE(timer_.WaitForPending(1));
  // Retry-After (1 s) beats the jittered backoff (< 100 ms).
  EXPECT_EQ(timer_.NextDueIn(), absl::Seconds(1));
  timer_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(timer_.pending(), 1u);
  EXPECT_EQ(transport_.requests().size(), 1u);
  timer_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(result.Get().ok()) << result.Get().status();
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].request.timeout, absl::Seconds(7));
  // What is left of the call's 7 s.
  EXPECT_EQ(requests[1].request.timeout, absl::Seconds(6));
  EXPECT_THAT(observer_.retries(), ElementsAre("ListTasks 429"));
}

TEST_F(RestNeoClientManualTimerTest, RetryAfterAnHttpDateIsHonoured) {
  const std::string in_three_seconds =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                       absl::Now() + absl::Seconds(3), absl::UTCTimeZone());
  transport_.PushReply(
      Reply::Respond(503, "", HttpHeaders{{"Retry-After", in_three_seconds}}));
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  Result<v1::GetTaskResponse> result;
  client_.GetTask(GetT1(), options_, result.Done());
  ASSERT_TRUE(timer_.WaitForPending(1));
  // Whole seconds on the wire: between 2 and 3 s from when it was written,
  // far beyond the jittered backoff (< 100 ms).
  EXPECT_GT(timer_.NextDueIn(), absl::Milliseconds(500));
  EXPECT_LE(timer_.NextDueIn(), absl::Seconds(3));
  timer_.Advance(absl::Seconds(3));
  EXPECT_TRUE(result.Get().ok()) << result.Get().status();
}

TEST_F(RestNeoClientManualTimerTest, BackoffGrowsAndIsJittered) {
  transport_.SetDefaultReply(Reply::Respond(502));
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  // Default policy: waits below 100 ms, 200 ms, 400 ms.
  for (absl::Duration ceiling :
       {absl::Milliseconds(100), absl::Milliseconds(200),
        absl::Milliseconds(400)}) {
    ASSERT_TRUE(timer_.WaitForPending(1));
    const std::optional<absl::Duration> wait = timer_.NextDueIn();
    ASSERT_TRUE(wait.has_value());
    EXPECT_GE(*wait, absl::ZeroDuration());
    EXPECT_LT(*wait, ceiling);
    timer_.Advance(*wait);
  }
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport_.requests().size(), 4u);
  EXPECT_EQ(timer_.pending(), 0u);
}

TEST_F(RestNeoClientManualTimerTest, RetryAfterBeyondTheDeadlineGivesUpAtOnce) {
  transport_.PushReply(Reply::Respond(429, R"({"message": "slow down"})",
                                      HttpHeaders{{"Retry-After", "7"}}));
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(ListAcme(), options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(status::GetRetryInfo(status).has_value());
  EXPECT_EQ(status::GetRetryInfo(status)->retry_delay().seconds(), 7);
  EXPECT_EQ(timer_.pending(), 0u);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(RestNeoClientManualTimerTest, ALateWakeUpPastTheDeadlineSendsNothing) {
  transport_.PushReply(Reply::Respond(503, R"({"message": "busy"})",
                                      HttpHeaders{{"Retry-After", "6"}}));
  Result<v1::GetTaskResponse> result;
  client_.GetTask(GetT1(), options_, result.Done());
  ASSERT_TRUE(timer_.WaitForPending(1));
  timer_.Advance(absl::Seconds(8));  // the timer fires after the deadline
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "GetTask: Neo API returned HTTP 503: busy");
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(observer_.retries(), IsEmpty());
}

TEST_F(RestNeoClientManualTimerTest, CancelDuringTheWaitSendsNothingMore) {
  transport_.PushReply(
      Reply::Respond(503, "", HttpHeaders{{"Retry-After", "5"}}));
  Result<v1::GetTaskResponse> result;
  const CallId id = client_.GetTask(GetT1(), options_, result.Done());
  ASSERT_TRUE(timer_.WaitForPending(1));
  client_.Cancel(id);
  // The wait is cut short: due at once, on the timer's thread.
  EXPECT_LE(timer_.NextDueIn(), absl::ZeroDuration());
  timer_.Advance(absl::ZeroDuration());
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kCancelled);
  timer_.Advance(absl::Seconds(10));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(timer_.pending(), 0u);
}

}  // namespace
}  // namespace neobridge::client
