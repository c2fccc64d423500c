// Service tests: AgentTasksService on an in-process gRPC server, with the
// real RestNeoClient over a FakeHttpTransport. Checks what reaches the wire
// in both directions: validation, credentials, deadlines, cancellation and
// rich error details.
#include "bridge/service/agent_tasks_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "bridge/client/rest_neo_client.h"
#include "bridge/upstream/fake_http_transport.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge::service {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;
using upstream::FakeHttpTransport;
using Reply = FakeHttpTransport::Reply;

constexpr absl::Duration kWait = absl::Seconds(10);

constexpr char kTaskJson[] = R"({
  "id": "t-1", "name": "Fix it", "status": "running",
  "createdAt": "2026-01-01T00:00:00Z", "approvalMode": "auto",
  "entities": [{"type": "stack", "name": "dev", "project": "web"}],
  "planMode": true, "isShared": false,
  "createdBy": {"name": "Alice", "githubLogin": "alice", "avatarUrl": "a"},
  "taskType": "sync", "tokensUsed": 5, "brandNewField": {"x": 1}
})";

// Decodes the google.rpc.Status details of a failed call.
google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  return details;
}

template <typename Detail>
std::optional<Detail> FindDetail(const grpc::Status& status) {
  const google::rpc::Status details = Details(status);
  for (const auto& any : details.details()) {
    Detail detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

class AgentTasksServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*service_token=*/"pul-service"); }

  void Start(std::string service_token, CallLimitsOptions limits = {}) {
    if (server_ != nullptr) server_->Shutdown();
    tokens_ = std::make_unique<ServiceTokenSource>(service_token, "");
    client_ = std::make_unique<client::RestNeoClient>(
        transport_,
        client::RestNeoClientOptions{.base_url = "http://neo.test"});
    service_ = std::make_unique<AgentTasksService>(
        *client_, tokens_.get(),
        AgentTasksServiceOptions{.default_org = "acme",
                                 .default_timeout = absl::Seconds(20),
                                 .create_timeout = absl::Seconds(120),
                                 .limits = limits});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::AgentTasksService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override { server_->Shutdown(); }

  upstream::HttpRequest LastRequest() {
    auto requests = transport_.requests();
    EXPECT_FALSE(requests.empty());
    return requests.empty() ? upstream::HttpRequest() : requests.back().request;
  }

  FakeHttpTransport transport_;
  std::unique_ptr<ServiceTokenSource> tokens_;
  std::unique_ptr<client::RestNeoClient> client_;
  std::unique_ptr<AgentTasksService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(AgentTasksServiceTest, GetTaskUsesDefaultOrgAndServiceToken) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  grpc::ClientContext context;
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  grpc::Status status = stub_->GetTask(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.task().id(), "t-1");
  EXPECT_EQ(response.task().approval_mode(), v1::APPROVAL_MODE_AUTO);
  EXPECT_TRUE(response.task().plan_mode());
  EXPECT_EQ(response.task().entities(0).stack().project(), "web");
  // Unknown upstream fields reach the caller.
  EXPECT_TRUE(
      response.task().unknown_fields().fields().contains("brandNewField"));
  upstream::HttpRequest sent = LastRequest();
  EXPECT_EQ(sent.url, "http://neo.test/api/preview/agents/acme/tasks/t-1");
  EXPECT_THAT(sent.headers,
              Contains(Pair("Authorization", "token pul-service")));
}

// The upstream slot of a call is free by the time its caller has the
// answer: with one slot, back-to-back calls never find it taken. (It was
// released after Finish, racing the next call and, at shutdown, the
// limiter's destruction; TSan caught the latter.)
TEST_F(AgentTasksServiceTest, UpstreamSlotIsFreeOnceTheCallerHasItsAnswer) {
  Start("pul-service", CallLimitsOptions{.max_inflight_upstream = 1});
  for (int i = 0; i < 50; ++i) {
    transport_.PushReply(Reply::Respond(200, kTaskJson));
    grpc::ClientContext context;
    v1::GetTaskRequest request;
    request.set_task_id("t-1");
    v1::GetTaskResponse response;
    grpc::Status status = stub_->GetTask(&context, request, &response);
    ASSERT_TRUE(status.ok()) << "call " << i << ": " << status.error_message();
  }
}

TEST_F(AgentTasksServiceTest, ForwardsTheCallersToken) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer pul-caller");
  v1::GetTaskRequest request;
  request.set_org("other");
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  ASSERT_TRUE(stub_->GetTask(&context, request, &response).ok());
  upstream::HttpRequest sent = LastRequest();
  EXPECT_EQ(sent.url, "http://neo.test/api/preview/agents/other/tasks/t-1");
  EXPECT_THAT(sent.headers,
              Contains(Pair("Authorization", "token pul-caller")));
}

TEST_F(AgentTasksServiceTest, UnauthenticatedWithoutAnyToken) {
  Start(/*service_token=*/"");
  grpc::ClientContext context;
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  grpc::Status status = stub_->GetTask(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("PULUMI_ACCESS_TOKEN"));
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(AgentTasksServiceTest, InvalidRequestsNeverReachUpstream) {
  grpc::ClientContext context;
  v1::ListTasksRequest request;
  request.set_page_size(5000);
  v1::ListTasksResponse response;
  grpc::Status status = stub_->ListTasks(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto bad = FindDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "page_size");
  auto info = FindDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INVALID_REQUEST");
  EXPECT_EQ(info->domain(), "neobridge.v1");
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(AgentTasksServiceTest, UpstreamErrorsArriveWithDetails) {
  transport_.PushReply(Reply::Respond(
      409,
      R"({"code":409,"message":"cannot respond while a request is still ongoing"})",
      upstream::HttpHeaders{{"X-Pulumi-Request-ID", "req-7"}}));
  grpc::ClientContext context;
  v1::RespondToTaskRequest request;
  request.set_task_id("t-1");
  request.mutable_event()->mutable_user_message()->set_content("more");
  v1::RespondToTaskResponse response;
  grpc::Status status = stub_->RespondToTask(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("still ongoing"));
  auto info = FindDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UPSTREAM_CONFLICT");
  EXPECT_EQ(info->metadata().at("http_status"), "409");
  EXPECT_EQ(info->metadata().at("request_id"), "req-7");
}

TEST_F(AgentTasksServiceTest, DeadlineBoundsTheUpstreamRequest) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(3));
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  ASSERT_TRUE(stub_->GetTask(&context, request, &response).ok());
  // The remaining time, not the 20 s default. gRPC sends the deadline as a
  // rounded-up relative timeout (grpc-timeout), so the server's view may be
  // a few milliseconds longer than the client's.
  absl::Duration timeout = LastRequest().timeout;
  EXPECT_LE(timeout, absl::Seconds(3) + absl::Milliseconds(100));
  EXPECT_GT(timeout, absl::Seconds(1));
}

TEST_F(AgentTasksServiceTest, DefaultTimeoutsWithoutADeadline) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  transport_.PushReply(Reply::Respond(201, R"({"taskId":"t-2"})"));
  {
    grpc::ClientContext context;
    v1::GetTaskRequest request;
    request.set_task_id("t-1");
    v1::GetTaskResponse response;
    ASSERT_TRUE(stub_->GetTask(&context, request, &response).ok());
    EXPECT_EQ(LastRequest().timeout, absl::Seconds(20));
  }
  {
    grpc::ClientContext context;
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content("hi");
    v1::CreateTaskResponse response;
    ASSERT_TRUE(stub_->CreateTask(&context, request, &response).ok());
    EXPECT_EQ(response.task_id(), "t-2");
    EXPECT_EQ(LastRequest().timeout, absl::Seconds(120));
  }
}

TEST_F(AgentTasksServiceTest, ClientCancelAbortsTheUpstreamCall) {
  transport_.PushReply(Reply::Hold());
  grpc::ClientContext context;
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  grpc::Status status;
  std::thread caller(
      [&] { status = stub_->GetTask(&context, request, &response); });
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  context.TryCancel();
  caller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  auto requests = transport_.requests();
  EXPECT_TRUE(transport_.WaitForCancelled(requests[0].id, kWait));
}

TEST_F(AgentTasksServiceTest, ExpiredDeadlineAbortsTheUpstreamCall) {
  transport_.PushReply(Reply::Hold());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(300));
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  grpc::Status status = stub_->GetTask(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(transport_.WaitForCancelled(requests[0].id, kWait));
}

}  // namespace
}  // namespace neobridge::service
