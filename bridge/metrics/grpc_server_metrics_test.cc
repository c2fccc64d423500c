// The metrics interceptor on an in-process gRPC server: the real
// AgentTasksService (RestNeoClient over a FakeHttpTransport), gRPC's health
// service and its reflection service, called over loopback. Checks the
// grpc_server_* series after known calls.
#include "bridge/metrics/grpc_server_metrics.h"

#include <gmock/gmock.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/metrics/metrics.h"
#include "bridge/metrics/test_util.h"
#include "bridge/service/agent_tasks_service.h"
#include "bridge/upstream/fake_http_transport.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using testing::SampleValue;
using upstream::FakeHttpTransport;
using Reply = FakeHttpTransport::Reply;

constexpr absl::Duration kWait = absl::Seconds(10);
constexpr char kService[] = "neobridge.v1.AgentTasksService";
constexpr char kHealth[] = "grpc.health.v1.Health";
constexpr char kReflection[] = "grpc.reflection.v1alpha.ServerReflection";

constexpr char kTaskJson[] = R"({
  "id": "t-1", "name": "Fix it", "status": "running",
  "createdAt": "2026-01-01T00:00:00Z", "approvalMode": "auto",
  "entities": [], "planMode": false, "isShared": false,
  "createdBy": {"name": "Alice", "githubLogin": "alice", "avatarUrl": "a"}
})";

// One SSE frame carrying a console event with id `id`.
std::string Frame(const std::string& id) {
  return absl::StrCat(
      "id: ", id, "\ndata: {\"id\":\"", id,
      "\",\"isSynthetic\":false,\"type\":\"agentResponse\",\"eventBody\":{"
      "\"type\":\"warning\",\"timestamp\":\"2026-01-01T00:00:00Z\","
      "\"message\":\"m\"}}\n\n");
}

// `name{grpc_method=...,grpc_service=...,grpc_type=...}`, with grpc_code
// first when given (the exposition sorts labels by name).
std::string Series(absl::string_view name, absl::string_view service,
                   absl::string_view method, absl::string_view type,
                   absl::string_view code = "") {
  return absl::StrCat(
      name, "{", code.empty() ? "" : absl::StrCat("grpc_code=\"", code, "\","),
      "grpc_method=\"", method, "\",grpc_service=\"", service,
      "\",grpc_type=\"", type, "\"}");
}

class GrpcServerInterceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = std::make_unique<client::RestNeoClient>(
        transport_,
        client::RestNeoClientOptions{.base_url = "http://neo.test"});
    tokens_ = std::make_unique<service::ServiceTokenSource>("pul-service", "");
    stream::StreamOptions stream_options;
    stream_options.heartbeat_interval = absl::Hours(1);  // no extra messages
    service_ = std::make_unique<service::AgentTasksService>(
        *client_, tokens_.get(),
        service::AgentTasksServiceOptions{.default_org = "acme",
                                          .stream = stream_options});

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        creators;
    creators.push_back(metrics_.NewServerInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::AgentTasksService::NewStub(channel_);
  }

  void TearDown() override { StopServer(); }

  // Shuts the server down (cancelling calls still running) and waits until
  // every call has ended, so every interceptor has reported.
  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }

  std::string Text() { return metrics_.TextExposition(); }

  // Polls the exposition until `series` reads `want`, for up to kWait;
  // returns the last value read.
  std::optional<double> WaitForSample(const std::string& series, double want) {
    const absl::Time deadline = absl::Now() + kWait;
    while (true) {
      std::optional<double> value = SampleValue(Text(), series);
      if (value == want || absl::Now() >= deadline) return value;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  // The sum of grpc_server_handled_total over every code of `method`.
  double HandledTotal(absl::string_view method) {
    double total = 0;
    const std::string label = absl::StrCat("grpc_method=\"", method, "\",");
    for (absl::string_view line : absl::StrSplit(Text(), '\n')) {
      if (!absl::StartsWith(line, "grpc_server_handled_total{") ||
          !absl::StrContains(line, label)) {
        continue;
      }
      double value = 0;
      const size_t space = line.rfind(' ');
      EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
      total += value;
    }
    return total;
  }

  // A unary call of `method` with a serialized request, through a generic
  // stub; returns its status.
  grpc::Status GenericUnaryCall(const std::string& method,
                                const std::string& request_bytes) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoSeconds(kWait));
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request,
                      &response, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    return status;
  }

  FakeHttpTransport transport_;
  std::unique_ptr<client::RestNeoClient> client_;
  std::unique_ptr<service::ServiceTokenSource> tokens_;
  std::unique_ptr<service::AgentTasksService> service_;
  Metrics metrics_{"test"};
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(GrpcServerInterceptorTest, SuccessfulUnaryCall) {
  transport_.PushReply(Reply::Respond(200, kTaskJson));
  grpc::ClientContext context;
  v1::GetTaskRequest request;
  request.set_task_id("t-1");
  v1::GetTaskResponse response;
  grpc::Status status = stub_->GetTask(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kService,
                                   "GetTask", "unary", "OK"),
                            1),
              Optional(1.0));
  const std::string text = Text();
  EXPECT_THAT(SampleValue(text, Series("grpc_server_started_total", kService,
                                       "GetTask", "unary")),
              Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_handling_seconds_count",
                                       kService, "GetTask", "unary")),
              Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_msg_received_total",
                                       kService, "GetTask", "unary")),
              Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_msg_sent_total", kService,
                                       "GetTask", "unary")),
              Optional(1.0));
  // Caller input (the task id, the org) never becomes a label.
  EXPECT_THAT(text, Not(HasSubstr("t-1")));
  EXPECT_THAT(text, Not(HasSubstr("acme")));
}

TEST_F(GrpcServerInterceptorTest, FailedUnaryCallsCountTheirCode) {
  transport_.PushReply(
      Reply::Respond(404, R"({"code":404,"message":"task not found"})"));
  {
    grpc::ClientContext context;
    v1::GetTaskRequest request;
    request.set_task_id("t-404");
    v1::GetTaskResponse response;
    EXPECT_EQ(stub_->GetTask(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ListTasksRequest request;
    request.set_page_size(5000);
    v1::ListTasksResponse response;
    EXPECT_EQ(stub_->ListTasks(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kService,
                                   "GetTask", "unary", "NotFound"),
                            1),
              Optional(1.0));
  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kService,
                                   "ListTasks", "unary", "InvalidArgument"),
                            1),
              Optional(1.0));
  const std::string text = Text();
  EXPECT_THAT(SampleValue(text, Series("grpc_server_handling_seconds_count",
                                       kService, "ListTasks", "unary")),
              Optional(1.0));
  // No response message went out.
  EXPECT_THAT(SampleValue(text, Series("grpc_server_msg_sent_total", kService,
                                       "GetTask", "unary")),
              Optional(0.0));
  EXPECT_EQ(HandledTotal("GetTask"), 1);
  EXPECT_EQ(HandledTotal("ListTasks"), 1);
}

TEST_F(GrpcServerInterceptorTest, ServerStreamCountsEachMessageSent) {
  grpc::ClientContext context;
  v1::StreamTaskEventsRequest request;
  request.set_task_id("t-1");
  std::unique_ptr<grpc::ClientReader<v1::StreamTaskEventsResponse>> reader =
      stub_->StreamTaskEvents(&context, request);
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  const auto id = transport_.requests()[0].id;
  transport_.StreamPush(id, Frame("e1") + Frame("e2") + Frame("e3"));
  transport_.StreamEnd(id);
  int items = 0;
  v1::StreamTaskEventsResponse item;
  while (reader->Read(&item)) ++items;
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(items, 3);

  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kService,
                                   "StreamTaskEvents", "server_stream", "OK"),
                            1),
              Optional(1.0));
  const std::string text = Text();
  EXPECT_THAT(SampleValue(text, Series("grpc_server_started_total", kService,
                                       "StreamTaskEvents", "server_stream")),
              Optional(1.0));
  EXPECT_THAT(
      SampleValue(text, Series("grpc_server_msg_received_total", kService,
                               "StreamTaskEvents", "server_stream")),
      Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_msg_sent_total", kService,
                                       "StreamTaskEvents", "server_stream")),
              Optional(3.0));
  // handling_seconds is for unary calls only.
  EXPECT_THAT(text, Not(HasSubstr("grpc_server_handling_seconds_count{grpc_"
                                  "method=\"StreamTaskEvents\"")));
}

TEST_F(GrpcServerInterceptorTest, ClientCancelledUnaryCallCountsCanceledOnce) {
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
  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kService,
                                   "GetTask", "unary", "Canceled"),
                            1),
              Optional(1.0));

  // Once the call has ended on the server too, it still counts once.
  StopServer();
  EXPECT_THAT(SampleValue(Text(), Series("grpc_server_handled_total", kService,
                                         "GetTask", "unary", "Canceled")),
              Optional(1.0));
  EXPECT_EQ(HandledTotal("GetTask"), 1);
  EXPECT_THAT(SampleValue(Text(), Series("grpc_server_handling_seconds_count",
                                         kService, "GetTask", "unary")),
              Optional(1.0));
}

TEST_F(GrpcServerInterceptorTest, ClientCancelledStreamCountsCanceledOnce) {
  grpc::ClientContext context;
  v1::StreamTaskEventsRequest request;
  request.set_task_id("t-1");
  std::unique_ptr<grpc::ClientReader<v1::StreamTaskEventsResponse>> reader =
      stub_->StreamTaskEvents(&context, request);
  ASSERT_TRUE(transport_.WaitForRequests(1, kWait));
  context.TryCancel();
  v1::StreamTaskEventsResponse item;
  while (reader->Read(&item)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_THAT(
      WaitForSample(Series("grpc_server_handled_total", kService,
                           "StreamTaskEvents", "server_stream", "Canceled"),
                    1),
      Optional(1.0));

  StopServer();
  EXPECT_EQ(HandledTotal("StreamTaskEvents"), 1);
}

TEST_F(GrpcServerInterceptorTest, HealthCheck) {
  // An empty HealthCheckRequest serializes to zero bytes.
  grpc::Status status = GenericUnaryCall("/grpc.health.v1.Health/Check", "");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kHealth,
                                   "Check", "unary", "OK"),
                            1),
              Optional(1.0));
  const std::string text = Text();
  EXPECT_THAT(SampleValue(text, Series("grpc_server_started_total", kHealth,
                                       "Check", "unary")),
              Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_msg_sent_total", kHealth,
                                       "Check", "unary")),
              Optional(1.0));
  EXPECT_THAT(SampleValue(text, Series("grpc_server_handling_seconds_count",
                                       kHealth, "Check", "unary")),
              Optional(1.0));
}

TEST_F(GrpcServerInterceptorTest, ReflectionListServices) {
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoSeconds(kWait));
  // Runs one operation tagged `tag` to completion; its ok flag.
  auto await = [&cq](int tag) {
    void* got = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&got, &ok));
    EXPECT_EQ(got, reinterpret_cast<void*>(static_cast<intptr_t>(tag)));
    return ok;
  };
  auto tag = [](int n) {
    return reinterpret_cast<void*>(static_cast<intptr_t>(n));
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      generic.PrepareCall(
          &context,
          "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
          &cq);
  call->StartCall(tag(1));
  ASSERT_TRUE(await(1));
  // ServerReflectionRequest{list_services: ""}: field 7, length 0.
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, tag(2));
  ASSERT_TRUE(await(2));
  call->WritesDone(tag(3));
  ASSERT_TRUE(await(3));
  grpc::ByteBuffer response;
  call->Read(&response, tag(4));
  EXPECT_TRUE(await(4));
  call->Read(&response, tag(5));
  EXPECT_FALSE(await(5));
  grpc::Status status;
  call->Finish(&status, tag(6));
  ASSERT_TRUE(await(6));
  ASSERT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }

  EXPECT_THAT(WaitForSample(Series("grpc_server_handled_total", kReflection,
                                   "ServerReflectionInfo", "bidi_stream", "OK"),
                            1),
              Optional(1.0));
  const std::string text = Text();
  EXPECT_THAT(
      SampleValue(text, Series("grpc_server_msg_received_total", kReflection,
                               "ServerReflectionInfo", "bidi_stream")),
      Optional(1.0));
  EXPECT_THAT(
      SampleValue(text, Series("grpc_server_msg_sent_total", kReflection,
                               "ServerReflectionInfo", "bidi_stream")),
      Optional(1.0));
}

TEST_F(GrpcServerInterceptorTest, MethodsTheServerDoesNotHaveAreNotLabels) {
  grpc::Status status =
      GenericUnaryCall("/neobridge.v1.AgentTasksService/org-4711", "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  status = GenericUnaryCall("/acme.Secret/Leak", "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  StopServer();
  // gRPC runs interceptors for calls of unknown methods too; they are
  // counted under one "unknown" name.
  EXPECT_EQ(HandledTotal("unknown"), 2);
  const std::string text = Text();
  EXPECT_THAT(text, Not(HasSubstr("org-4711")));
  EXPECT_THAT(text, Not(HasSubstr("acme")));
  EXPECT_THAT(text, Not(HasSubstr("Leak")));
}

}  // namespace
}  // namespace neobridge::metrics
