// Operations, end to end: a real neo-bridge (in-process BridgeServer) in
// front of a real neo-emulator. Health and readiness transitions, graceful
// shutdown with open streams, Prometheus metrics after known calls, GET
// retries against the emulator's 503 knob, admission limits, and the
// service-token policies over plaintext, TLS and mTLS.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bridge/metrics/test_util.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/server/bridge_server.h"
#include "bridge/status/error_details.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/support/health_check.h"
#include "tests/support/rpc_status.h"
#include "tests/support/stream_reader.h"
#include "tests/support/test_certs.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;

using ::neobridge::metrics::testing::SampleValue;
using ::neobridge::test_support::CheckHealth;
using ::neobridge::test_support::ErrorReason;
using ::neobridge::test_support::Serving;
using ::neobridge::test_support::StreamReader;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kAlice[] = "pul-emulator-alice";
constexpr char kBob[] = "pul-emulator-bob";
constexpr char kService[] = "neobridge.v1.AgentTasksService";

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET http://127.0.0.1:<port>/metrics.
std::string Scrape(int port) {
  std::string body;
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
  return body;
}

double Sample(int port, absl::string_view series) {
  return SampleValue(Scrape(port), series).value_or(-1);
}

class ServerOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartEmulator(0);
    options_.listen = "127.0.0.1:0";
    options_.upstream_url = emulator_->base_url();
    options_.default_org = "acme";
    options_.access_token = kAlice;
    options_.service_token_policy.kind =
        security::ServiceTokenPolicyKind::kOpen;
    options_.metrics_listen = "127.0.0.1:0";
    options_.upstream_probe_interval = absl::Milliseconds(50);
    options_.upstream_probe_timeout = absl::Milliseconds(500);
  }

  void StartEmulator(int port) {
    auto emulator = neo_emulator::Emulator::Start(
        {.port = port, .agent_step_delay = absl::Milliseconds(5)});
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }

  void StartBridge(std::shared_ptr<grpc::ChannelCredentials> credentials =
                       grpc::InsecureChannelCredentials()) {
    auto bridge = server::BridgeServer::Start(options_);
    ASSERT_TRUE(bridge.ok()) << bridge.status();
    bridge_ = *std::move(bridge);
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    channel_ = grpc::CreateCustomChannel(bridge_->address(), credentials, args);
    stub_ = v1::AgentTasksService::NewStub(channel_);
  }

  std::string CreateTask() {
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content("hello");
    v1::CreateTaskResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->CreateTask(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.task_id();
  }

  grpc::Status GetTask(
      const std::string& id,
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    v1::GetTaskRequest request;
    request.set_task_id(id);
    v1::GetTaskResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->GetTask(&context, request, &response);
  }

  grpc::Status ListTasks(
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    v1::ListTasksRequest request;
    v1::ListTasksResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->ListTasks(&context, request, &response);
  }

  v1::StreamTaskEventsRequest StreamRequest(const std::string& task_id) {
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    return request;
  }

  server::ServerOptions options_;
  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<server::BridgeServer> bridge_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(ServerOperationsTest, ReadinessFollowsTheUpstream) {
  StartBridge();
  EXPECT_EQ(*CheckHealth(channel_, ""), Serving::kServing);
  ASSERT_TRUE(Eventually([&] {
    return CheckHealth(channel_, kService).value_or(Serving::kUnknown) ==
           Serving::kServing;
  }));
  // The upstream goes away: not ready, but still live.
  const int port = emulator_->port();
  emulator_.reset();
  ASSERT_TRUE(Eventually([&] {
    return CheckHealth(channel_, kService).value_or(Serving::kUnknown) ==
           Serving::kNotServing;
  }));
  EXPECT_EQ(*CheckHealth(channel_, ""), Serving::kServing);
  // It comes back on the same address: ready again.
  StartEmulator(port);
  EXPECT_TRUE(Eventually([&] {
    return CheckHealth(channel_, kService).value_or(Serving::kUnknown) ==
           Serving::kServing;
  }));
}

TEST_F(ServerOperationsTest, ShutdownDrainsThenEndsStreamsWithUnavailable) {
  options_.shutdown_drain_window = absl::Seconds(2);
  options_.shutdown_timeout = absl::Seconds(10);
  StartBridge();
  ASSERT_TRUE(Eventually([&] {
    return CheckHealth(channel_, kService).value_or(Serving::kUnknown) ==
           Serving::kServing;
  }));
  const std::string task_id = CreateTask();
  StreamReader stream(*stub_, StreamRequest(task_id), absl::Seconds(30));
  ASSERT_TRUE(stream.WaitForEvents(1)) << stream.status_text();

  const absl::Time started = absl::Now();
  absl::Notification stopped;
  std::thread shutdown([&] {
    bridge_->Shutdown();
    stopped.Notify();
  });
  // During the drain window: not serving, new calls refused, the open
  // stream still open.
  ASSERT_TRUE(Eventually([&] {
    return CheckHealth(channel_, "").value_or(Serving::kUnknown) ==
           Serving::kNotServing;
  }));
  EXPECT_EQ(*CheckHealth(channel_, kService), Serving::kNotServing);
  grpc::Status refused = GetTask(task_id);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorReason(refused), "SHUTTING_DOWN");
  EXPECT_THAT(refused.error_message(), HasSubstr("shutting down"));
  EXPECT_FALSE(stopped.HasBeenNotified());

  // After it: the stream ends with a resumable UNAVAILABLE.
  grpc::Status end = stream.WaitForEnd();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE)
      << end.error_message();
  EXPECT_EQ(ErrorReason(end), "SHUTTING_DOWN");
  EXPECT_THAT(
      end.error_message(),
      HasSubstr(absl::StrCat("last_event_id \"", stream.ids().back(), "\"")));
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(1900));
  ASSERT_TRUE(stopped.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_LT(absl::Now() - started, absl::Seconds(10));
  shutdown.join();
}

TEST_F(ServerOperationsTest, ShutdownWithoutStreamsIsImmediate) {
  options_.shutdown_drain_window = absl::Seconds(20);
  options_.shutdown_timeout = absl::Seconds(25);
  StartBridge();
  ASSERT_TRUE(ListTasks().ok());
  const absl::Time started = absl::Now();
  bridge_->Shutdown();
  EXPECT_LT(absl::Now() - started, absl::Seconds(5));
}

TEST_F(ServerOperationsTest, MetricsAfterKnownCalls) {
  StartBridge();
  const int port = bridge_->metrics_port();
  ASSERT_GT(port, 0);
  ASSERT_TRUE(ListTasks().ok());
  grpc::Status missing = GetTask("no-such-task");
  ASSERT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string task_id = CreateTask();
  auto stream = std::make_unique<StreamReader>(*stub_, StreamRequest(task_id));
  ASSERT_TRUE(stream->WaitForEvents(2)) << stream->status_text();

  const std::string unary =
      R"(grpc_service="neobridge.v1.AgentTasksService",grpc_type="unary")";
  EXPECT_EQ(
      Sample(port, absl::StrCat(
                       R"(grpc_server_started_total{grpc_method="ListTasks",)",
                       unary, "}")),
      1);
  EXPECT_EQ(
      Sample(
          port,
          absl::StrCat(
              R"(grpc_server_handled_total{grpc_code="OK",grpc_method="ListTasks",)",
              unary, "}")),
      1);
  EXPECT_EQ(
      Sample(
          port,
          absl::StrCat(
              R"(grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetTask",)",
              unary, "}")),
      1);
  EXPECT_EQ(
      Sample(port,
             absl::StrCat(
                 R"(grpc_server_handling_seconds_count{grpc_method="GetTask",)",
                 unary, "}")),
      1);
  EXPECT_EQ(
      Sample(
          port,
          R"(neobridge_upstream_requests_total{code="404",method="GET",operation="GetTask"})"),
      1);
  EXPECT_EQ(
      Sample(
          port,
          R"(neobridge_upstream_requests_total{code="201",method="POST",operation="CreateTask"})"),
      1);
  EXPECT_EQ(
      Sample(
          port,
          R"(neobridge_upstream_requests_total{code="200",method="GET",operation="StreamTaskEvents"})"),
      1);
  EXPECT_EQ(Sample(port, "neobridge_active_streams"), 1);
  EXPECT_GE(
      Sample(
          port,
          R"(grpc_server_msg_sent_total{grpc_method="StreamTaskEvents",grpc_service="neobridge.v1.AgentTasksService",grpc_type="server_stream"})"),
      2);
  EXPECT_EQ(Sample(port, absl::StrCat("neobridge_build_info{version=\"",
                                      server::kVersion, "\"}")),
            1);

  stream.reset();  // Cancels the call.
  EXPECT_TRUE(Eventually([&] {
    return Sample(port, "neobridge_active_streams") == 0 &&
           Sample(
               port,
               R"(grpc_server_handled_total{grpc_code="Canceled",grpc_method="StreamTaskEvents",grpc_service="neobridge.v1.AgentTasksService",grpc_type="server_stream"})") ==
               1;
  }));
}

TEST_F(ServerOperationsTest, StreamReconnectsAreCounted) {
  options_.stream.backoff.initial = absl::Milliseconds(1);
  options_.stream.backoff.max = absl::Milliseconds(10);
  StartBridge();
  const std::string task_id = CreateTask();
  neo_emulator::FaultPlan plan;
  plan.stream = neo_emulator::StreamFaults{.drop_after_events = 1, .times = 1};
  ASSERT_TRUE(emulator_->SetFaults(plan).ok());
  StreamReader stream(*stub_, StreamRequest(task_id));
  ASSERT_TRUE(stream.WaitForEvents(3)) << stream.status_text();
  EXPECT_EQ(
      Sample(bridge_->metrics_port(), "neobridge_stream_reconnects_total"), 1);
  // Each open of the upstream stream is one upstream request.
  EXPECT_EQ(
      Sample(
          bridge_->metrics_port(),
          R"(neobridge_upstream_requests_total{code="200",method="GET",operation="StreamTaskEvents"})"),
      2);
}

TEST_F(ServerOperationsTest, GetsAreRetriedPostsAreNot) {
  StartBridge();
  neo_emulator::FaultPlan plan;
  plan.fail = neo_emulator::RequestFailure{
      .status = 503,
      .times = 2,
      .scope = neo_emulator::FailScope::kRequests,
      .method = neo_emulator::HttpMethod::kGet,
      .path_pattern = "/api/preview/agents/acme/tasks"};
  ASSERT_TRUE(emulator_->SetFaults(plan).ok());
  grpc::Status listed = ListTasks();
  EXPECT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_FALSE(emulator_->faults().fail.has_value());  // Both 503s consumed.
  const int port = bridge_->metrics_port();
  EXPECT_EQ(
      Sample(
          port,
          R"(neobridge_upstream_retries_total{operation="ListTasks",reason="503"})"),
      2);

  plan.fail->method = neo_emulator::HttpMethod::kPost;
  plan.fail->times = 2;
  ASSERT_TRUE(emulator_->SetFaults(plan).ok());
  v1::CreateTaskRequest request;
  request.mutable_message()->mutable_user_message()->set_content("hello");
  v1::CreateTaskResponse response;
  grpc::ClientContext context;
  grpc::Status created = stub_->CreateTask(&context, request, &response);
  EXPECT_EQ(created.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Sent once: one of the two failures is left.
  ASSERT_TRUE(emulator_->faults().fail.has_value());
  EXPECT_EQ(emulator_->faults().fail->times, 1);
  EXPECT_EQ(
      SampleValue(
          Scrape(port),
          R"(neobridge_upstream_retries_total{operation="CreateTask",reason="503"})"),
      std::nullopt);
}

TEST_F(ServerOperationsTest, LimitsAnswerResourceExhausted) {
  options_.limits.max_streams_per_caller = 1;
  options_.limits.max_inflight_upstream = 1;
  StartBridge();
  const std::string task_id = CreateTask();
  StreamReader first(*stub_, StreamRequest(task_id));
  ASSERT_TRUE(first.WaitForEvents(1)) << first.status_text();
  StreamReader second(*stub_, StreamRequest(task_id));
  grpc::Status refused = second.WaitForEnd();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorReason(refused), "LIMIT_EXCEEDED");
  EXPECT_THAT(refused.error_message(), HasSubstr("--max-streams-per-caller"));
  // Another caller (its own token, its own task) still gets a stream.
  v1::CreateTaskRequest create;
  create.mutable_message()->mutable_user_message()->set_content("bob's");
  v1::CreateTaskResponse created;
  grpc::ClientContext create_context;
  create_context.AddMetadata("authorization", absl::StrCat("token ", kBob));
  ASSERT_TRUE(stub_->CreateTask(&create_context, create, &created).ok());
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("token ", kBob));
  v1::StreamTaskEventsResponse item;
  auto reader =
      stub_->StreamTaskEvents(&context, StreamRequest(created.task_id()));
  EXPECT_TRUE(reader->Read(&item));
  context.TryCancel();
  grpc::Status finished = reader->Finish();
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::CANCELLED)
      << finished.error_message();

  // One upstream request at a time: of calls made together while the
  // upstream is slow, one holds the only slot and the others are refused.
  ASSERT_TRUE(emulator_->SetFaults({.latency = absl::Seconds(1)}).ok());
  std::vector<grpc::Status> results(4);
  std::vector<std::thread> callers;
  for (grpc::Status& result : results) {
    callers.emplace_back([&] { result = GetTask(task_id); });
  }
  for (std::thread& caller : callers) caller.join();
  int ok = 0;
  int refused_upstream = 0;
  for (const grpc::Status& result : results) {
    ok += result.ok() ? 1 : 0;
    if (result.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        absl::StrContains(result.error_message(), "--max-inflight-upstream")) {
      ++refused_upstream;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused_upstream, 1);
  EXPECT_EQ(ok + refused_upstream, 4);
}

TEST_F(ServerOperationsTest, ServiceTokenIsNotLentByDefault) {
  options_.service_token_policy = {};  // The default: disabled.
  StartBridge();
  grpc::Status anonymous = ListTasks();
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(anonymous), "SERVICE_TOKEN_DENIED");
  EXPECT_THAT(anonymous.error_message(), HasSubstr("authorization"));
  // Callers with their own token pass.
  EXPECT_TRUE(
      ListTasks({{"authorization", absl::StrCat("token ", kBob)}}).ok());
}

TEST_F(ServerOperationsTest, ApiKeysPolicy) {
  test_support::TempDir dir;
  const std::string keys = dir.File("api-keys");
  test_support::WriteFileAtomically(
      keys, absl::StrCat("ci ", security::HashApiKey("k-ci-1234567"), "\n"));
  options_.service_token_policy = {
      .kind = security::ServiceTokenPolicyKind::kApiKeys,
      .api_keys_file = keys};
  StartBridge();
  EXPECT_EQ(ListTasks().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status wrong = ListTasks({{"x-api-key", "k-wrong"}});
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), ::testing::Not(HasSubstr("k-wrong")));
  EXPECT_TRUE(ListTasks({{"x-api-key", "k-ci-1234567"}}).ok());
  EXPECT_TRUE(
      ListTasks({{"authorization", absl::StrCat("token ", kBob)}}).ok());
}

// mTLS: the bridge verifies client certificates against its CA and lends
// the service token to allowed identities only.
class MtlsOperationsTest : public ServerOperationsTest {
 protected:
  void SetUp() override {
    ServerOperationsTest::SetUp();
    const test_support::CertAndKey server = ca_.IssueLocalhost();
    test_support::WriteFileAtomically(dir_.File("tls.crt"), server.cert_pem);
    test_support::WriteFileAtomically(dir_.File("tls.key"), server.key_pem);
    test_support::WriteFileAtomically(dir_.File("ca.crt"), ca_.cert_pem());
    options_.tls = {.cert_file = dir_.File("tls.crt"),
                    .key_file = dir_.File("tls.key"),
                    .client_ca_file = dir_.File("ca.crt"),
                    .client_auth = security::ClientAuth::kRequest};
    options_.service_token_policy = {
        .kind = security::ServiceTokenPolicyKind::kMtls,
        .mtls_allow = {"spiffe://acme/ns/ci/*"}};
  }

  std::shared_ptr<grpc::ChannelCredentials> Client(
      const std::string& uri, const test_support::TestCa* trusted = nullptr) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = (trusted != nullptr ? *trusted : ca_).cert_pem();
    if (!uri.empty()) {
      test_support::CertAndKey leaf =
          ca_.Issue({.common_name = "client", .uris = {uri}});
      ssl.pem_cert_chain = leaf.cert_pem;
      ssl.pem_private_key = leaf.key_pem;
    }
    return grpc::SslCredentials(ssl);
  }

  test_support::TestCa ca_;
  test_support::TempDir dir_;
};

TEST_F(MtlsOperationsTest, AllowedIdentitiesGetTheServiceToken) {
  StartBridge(Client("spiffe://acme/ns/ci/sa/deployer"));
  grpc::Status allowed = ListTasks();
  EXPECT_TRUE(allowed.ok()) << allowed.error_message();
}

TEST_F(MtlsOperationsTest, OtherIdentitiesAreDenied) {
  StartBridge(Client("spiffe://acme/ns/dev/sa/laptop"));
  grpc::Status denied = ListTasks();
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(denied), "SERVICE_TOKEN_DENIED");
  EXPECT_THAT(denied.error_message(), HasSubstr("--service-token-mtls-allow"));
  // With its own token the same caller passes.
  EXPECT_TRUE(
      ListTasks({{"authorization", absl::StrCat("token ", kBob)}}).ok());
}

TEST_F(MtlsOperationsTest, NoCertificateMeansNoServiceToken) {
  StartBridge(Client(""));
  EXPECT_EQ(ListTasks().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(
      ListTasks({{"authorization", absl::StrCat("token ", kBob)}}).ok());
}

TEST_F(MtlsOperationsTest, UntrustedServerCertificateFailsTheHandshake) {
  test_support::TestCa other;
  StartBridge(Client("spiffe://acme/ns/ci/sa/deployer", &other));
  EXPECT_EQ(ListTasks().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MtlsOperationsTest, APlaintextHealthPortServesProbesOnly) {
  options_.health_listen = "127.0.0.1:0";
  StartBridge(Client("spiffe://acme/ns/ci/sa/deployer"));
  ASSERT_GT(bridge_->health_port(), 0);
  auto health =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", bridge_->health_port()),
                          grpc::InsecureChannelCredentials());
  EXPECT_EQ(*CheckHealth(health, ""), Serving::kServing);
  EXPECT_TRUE(Eventually([&] {
    return CheckHealth(health, kService).value_or(Serving::kUnknown) ==
           Serving::kServing;
  }));
  // Health only: the API is not served there.
  auto stub = v1::AgentTasksService::NewStub(health);
  v1::ListTasksRequest request;
  v1::ListTasksResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub->ListTasks(&context, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(MtlsOperationsTest, PlaintextClientsCannotConnect) {
  StartBridge(grpc::InsecureChannelCredentials());
  EXPECT_EQ(ListTasks().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(ServerStartTest, InvalidSecuritySettingsStopStartUp) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.tls.cert_file = "/nonexistent/tls.crt";
  options.tls.key_file = "/nonexistent/tls.key";
  auto started = server::BridgeServer::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("--tls-cert-file"));

  options.tls = {};
  options.service_token_policy.kind = security::ServiceTokenPolicyKind::kMtls;
  options.service_token_policy.mtls_allow = {"spiffe://acme/*"};
  started = server::BridgeServer::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(),
              HasSubstr("--service-token-policy=mtls needs"));
}

}  // namespace
}  // namespace neobridge
