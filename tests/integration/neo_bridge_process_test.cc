// The neo-bridge binary as an operator runs it: command line, exit codes,
// SIGTERM with open streams, and logs that never carry a secret.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bridge/security/service_token_policy.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/rpc_status.h"
#include "tests/support/stream_reader.h"
#include "tests/support/test_certs.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;

using ::neobridge::test_support::ChildOptions;
using ::neobridge::test_support::ChildProcess;
using ::neobridge::test_support::ErrorReason;
using ::neobridge::test_support::ListeningLogField;
using ::neobridge::test_support::StreamReader;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(20);

std::unique_ptr<ChildProcess> RunBridge(std::vector<std::string> args,
                                        std::vector<std::string> env = {},
                                        std::string stdin_text = "") {
  args.insert(args.begin(), NEO_BRIDGE_BINARY);
  auto child = ChildProcess::Start({.argv = std::move(args),
                                    .env = std::move(env),
                                    .stdin_text = std::move(stdin_text)});
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

TEST(NeoBridgeCommandLineTest, VersionAndHelp) {
  auto version = RunBridge({"--version"});
  EXPECT_EQ(version->WaitForExit(kWait), 0);
  EXPECT_THAT(version->Stdout(),
              ::testing::MatchesRegex("neo-bridge [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  auto help = RunBridge({"--help"});
  EXPECT_EQ(help->WaitForExit(kWait), 0);
  EXPECT_THAT(help->Stdout(), HasSubstr("--service-token-policy=POLICY"));
  EXPECT_THAT(help->Stdout(), HasSubstr("NEO_BRIDGE_SHUTDOWN_DRAIN_WINDOW"));
}

TEST(NeoBridgeCommandLineTest, InvalidSettingsStopStartUpNamingThem) {
  auto flag = RunBridge({"--max-streams=0"});
  EXPECT_EQ(flag->WaitForExit(kWait), 2);
  EXPECT_THAT(flag->Stderr(), HasSubstr("--max-streams: invalid number"));

  auto env = RunBridge({}, {"NEO_BRIDGE_TLS_CLIENT_AUTH=sometimes"});
  EXPECT_EQ(env->WaitForExit(kWait), 2);
  EXPECT_THAT(env->Stderr(), HasSubstr("NEO_BRIDGE_TLS_CLIENT_AUTH"));

  // Valid syntax, unusable at start: a certificate that is not there.
  auto files = RunBridge({"--listen=127.0.0.1:0", "--metrics-listen=off",
                          "--tls-cert-file=/nonexistent/tls.crt",
                          "--tls-key-file=/nonexistent/tls.key"});
  EXPECT_EQ(files->WaitForExit(kWait), 1);
  EXPECT_THAT(files->Stderr(), HasSubstr("--tls-cert-file"));
  EXPECT_THAT(files->Stderr(), HasSubstr("\"level\":\"error\""));
}

TEST(NeoBridgeCommandLineTest, HashApiKeyPrintsWhatTheKeysFileHolds) {
  auto hash = RunBridge({"--hash-api-key"}, {}, "k-ci-1234567\n");
  EXPECT_EQ(hash->WaitForExit(kWait), 0);
  EXPECT_EQ(hash->Stdout(),
            absl::StrCat(security::HashApiKey("k-ci-1234567"), "\n"));
  auto empty = RunBridge({"--hash-api-key"});
  EXPECT_EQ(empty->WaitForExit(kWait), 2);
}

TEST(NeoBridgeCommandLineTest, PlaintextUpstreamBeyondLoopbackIsAWarning) {
  // 192.0.2.0/24 is TEST-NET-1: never routed, so nothing is ever sent.
  auto remote = RunBridge({"--listen=127.0.0.1:0", "--metrics-listen=off",
                           "--upstream-url=http://192.0.2.1:8080"});
  ASSERT_TRUE(remote->WaitForStderr("\"msg\":\"listening\"", kWait));
  EXPECT_TRUE(remote->WaitForStderr(
      "\"msg\":\"upstream is plain http beyond loopback\"", kWait))
      << remote->Stderr();
  remote->Signal(SIGTERM);
  EXPECT_EQ(remote->WaitForExit(kWait), 0);

  auto loopback = RunBridge({"--listen=127.0.0.1:0", "--metrics-listen=off",
                             "--upstream-url=http://127.0.0.1:9"});
  ASSERT_TRUE(loopback->WaitForStderr("\"msg\":\"listening\"", kWait));
  loopback->Signal(SIGTERM);
  EXPECT_EQ(loopback->WaitForExit(kWait), 0);
  EXPECT_THAT(loopback->Stderr(), Not(HasSubstr("plain http")));
}

// A running neo-bridge process in front of an in-process emulator.
class NeoBridgeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = neo_emulator::Emulator::Start(
        {.agent_step_delay = absl::Milliseconds(5)});
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }

  // Starts the binary and connects once it logs its address.
  void StartBridge(std::vector<std::string> args,
                   std::vector<std::string> env) {
    args.insert(args.end(),
                {"--listen=127.0.0.1:0", "--metrics-listen=off",
                 absl::StrCat("--upstream-url=", emulator_->base_url()),
                 "--default-org=acme"});
    bridge_ = RunBridge(std::move(args), std::move(env));
    ASSERT_NE(bridge_, nullptr);
    ASSERT_TRUE(bridge_->WaitForStderr("\"msg\":\"listening\"", kWait))
        << bridge_->Stderr();
    channel_ = grpc::CreateChannel(ListeningLogField(*bridge_, "address"),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::AgentTasksService::NewStub(channel_);
  }

  std::string CreateTask(
      const std::vector<std::pair<std::string, std::string>>& metadata) {
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content("hello");
    v1::CreateTaskResponse response;
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    grpc::Status status = stub_->CreateTask(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.task_id();
  }

  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<ChildProcess> bridge_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(NeoBridgeProcessTest,
       SigtermEndsOpenStreamsWithUnavailableAndExitsZero) {
  StartBridge({"--shutdown-drain-window=1s", "--shutdown-timeout=20s"},
              {"PULUMI_ACCESS_TOKEN=pul-emulator-alice",
               "NEO_BRIDGE_SERVICE_TOKEN_POLICY=open"});
  const std::string task_id = CreateTask({});
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (int i = 0; i < 3; ++i) {
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    streams.push_back(
        std::make_unique<StreamReader>(*stub_, request, absl::Seconds(30)));
    ASSERT_TRUE(streams.back()->WaitForEvents(1))
        << streams.back()->status_text();
  }
  const absl::Time signalled = absl::Now();
  bridge_->Signal(SIGTERM);
  for (auto& stream : streams) {
    grpc::Status end = stream->WaitForEnd();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE)
        << end.error_message();
    EXPECT_EQ(ErrorReason(end), "SHUTTING_DOWN");
  }
  EXPECT_EQ(bridge_->WaitForExit(absl::Seconds(10)), 0) << bridge_->Stderr();
  // Soon after the drain window (well before the shutdown timeout).
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(5)) << bridge_->Stderr();
  EXPECT_GE(absl::Now() - signalled, absl::Milliseconds(900));
  const std::string log = bridge_->Stderr();
  EXPECT_THAT(log, HasSubstr("\"signal\":\"SIGTERM\""));
  EXPECT_THAT(log, HasSubstr("\"msg\":\"draining\""));
  EXPECT_THAT(log, HasSubstr("\"msg\":\"stopped\""));
}

TEST_F(NeoBridgeProcessTest, LogsNeverCarryPlantedSecrets) {
  test_support::TempDir dir;
  const std::string kServiceToken = "pul-plantedservicetoken0001";
  const std::string kCallerToken = "pul-plantedcallertoken0002";
  const std::string kMalformedAuth = "plantedbasicsecret0003";
  const std::string kApiKey = "apikey-planted-0004";
  const std::string kEncrypted = "plantedencryptedtoken0005";
  test_support::WriteFileAtomically(dir.File("token"), kServiceToken);
  test_support::WriteFileAtomically(
      dir.File("keys"),
      absl::StrCat("ci ", security::HashApiKey("k-real-api-key"), "\n"));
  StartBridge(
      {"--log-level=debug", absl::StrCat("--token-file=", dir.File("token")),
       "--service-token-policy=api-keys",
       absl::StrCat("--api-keys-file=", dir.File("keys"))},
      {});
  // Calls that carry every kind of secret, succeeding and failing.
  {
    // Refused upstream (not a real token): its error is logged.
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content("hi");
    v1::CreateTaskResponse response;
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kCallerToken));
    EXPECT_EQ(stub_->CreateTask(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  const std::string task_id =
      CreateTask({{"authorization", "token pul-emulator-alice"}});
  {
    v1::GetTaskRequest request;
    request.set_task_id(task_id);
    v1::GetTaskResponse response;
    for (const auto& metadata :
         std::vector<std::pair<std::string, std::string>>{
             {"authorization", absl::StrCat("Basic ", kMalformedAuth)},
             {"x-api-key", kApiKey},
             {"x-api-key", "k-real-api-key"},
             {"authorization", absl::StrCat("token ", kCallerToken)}}) {
      grpc::ClientContext context;
      context.AddMetadata(metadata.first, metadata.second);
      (void)stub_->GetTask(&context, request, &response);
    }
  }
  // An upstream frame that is not an event but holds an encrypted token:
  // the bridge logs its data at debug level.
  ASSERT_TRUE(emulator_
                  ->SetFaultsFromJson(absl::StrCat(
                      R"({"stream": {"malformed": {"afterEvents": 0, "data": )",
                      R"("{\"encrypted_pulumi_access_token\": \")", kEncrypted,
                      R"(\", \"truncated\": )", R"("}}})"))
                  .ok());
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "token pul-emulator-alice");
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    auto reader = stub_->StreamTaskEvents(&context, request);
    v1::StreamTaskEventsResponse item;
    ASSERT_TRUE(reader->Read(&item));
    ASSERT_TRUE(bridge_->WaitForStderr("malformed upstream event data", kWait));
    context.TryCancel();
    reader->Finish();
  }
  bridge_->Signal(SIGTERM);
  ASSERT_EQ(bridge_->WaitForExit(kWait), 0);

  const std::string log = bridge_->Stderr();
  for (const std::string& secret :
       {kServiceToken, kCallerToken, kMalformedAuth, kApiKey, kEncrypted,
        std::string("k-real-api-key"), std::string("pul-emulator-alice")}) {
    EXPECT_THAT(log, Not(HasSubstr(secret))) << secret;
  }
  EXPECT_THAT(log, HasSubstr("[REDACTED]"));  // The encrypted token was there.
  // Every line is one JSON object; RPC lines carry the access-log fields.
  int rpc_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << line;
    EXPECT_TRUE(entry.contains("time") && entry.contains("level")) << line;
    if (entry.value("msg", "") != "rpc") continue;
    ++rpc_lines;
    for (const char* field : {"rpc", "org", "task", "status", "duration_ms",
                              "caller", "upstream_request_id"}) {
      EXPECT_TRUE(entry.contains(field)) << field << " in " << line;
    }
  }
  EXPECT_GE(rpc_lines, 7);
}

}  // namespace
}  // namespace neobridge
