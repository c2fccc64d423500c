#include "bridge/client/rest_neo_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "bridge/status/error_details.h"
#include "bridge/upstream/fake_http_transport.h"

namespace neobridge::client {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
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

class RestNeoClientTest : public ::testing::Test {
 protected:
  RestNeoClientTest()
      : client_(transport_,
                {.base_url = kBase,
                 .user_agent = "neo-bridge/test",
                 .clock = [] { return absl::FromUnixSeconds(1767225600); }}) {}

  upstream::HttpRequest OnlyRequest() {
    auto requests = transport_.requests();
    EXPECT_EQ(requests.size(), 1u);
    return requests.empty() ? upstream::HttpRequest() : requests[0].request;
  }

  CallOptions options_{.access_token = "pul-secret",
                       .timeout = absl::Seconds(7)};
  FakeHttpTransport transport_;
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

TEST_F(RestNeoClientTest, RateLimitCarriesRetryInfo) {
  transport_.PushReply(Reply::Respond(429, "Too Many Requests",
                                      HttpHeaders{{"Retry-After", "3"}}));
  v1::ListTasksRequest request;
  request.set_org("acme");
  Result<v1::ListTasksResponse> result;
  client_.ListTasks(request, options_, result.Done());
  const absl::Status& status = result.Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("Too Many Requests"));
  auto retry = status::GetRetryInfo(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 3);
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
  transport_.PushReply(
      Reply::Error(absl::UnavailableError("connection refused")));
  v1::GetTaskRequest request;
  request.set_org("acme");
  request.set_task_id("t-1");
  Result<v1::GetTaskResponse> result;
  client_.GetTask(request, options_, result.Done());
  EXPECT_EQ(result.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status::GetErrorInfo(result.Get().status())->reason(),
            "UPSTREAM_UNREACHABLE");
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

}  // namespace
}  // namespace neobridge::client
