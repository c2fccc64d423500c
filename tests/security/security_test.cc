// The security suite: what a hostile or careless caller, upstream or
// environment cannot make neo-bridge do. Each test drives a real bridge
// (in-process BridgeServer, or the neo-bridge binary as a child process)
// against a recording HTTP upstream (TestHttpServer, which keeps every
// request exactly as it arrived) or the emulator, and asserts what reached
// the upstream and what reached the caller, the logs and /metrics.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/server/bridge_server.h"
#include "bridge/server/server_options.h"
#include "bridge/service/credentials.h"
#include "bridge/upstream/testing/test_http_server.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/rpc_status.h"
#include "tests/support/test_certs.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;

using ::neobridge::test_support::ChildProcess;
using ::neobridge::test_support::ErrorReason;
using ::neobridge::test_support::ListeningLogField;
using ::neobridge::test_support::TempDir;
using ::neobridge::test_support::WriteFileAtomically;
using ::neobridge::upstream::testing::TestHttpServer;
using ::neobridge::upstream::testing::TestRequest;
using ::neobridge::upstream::testing::TestResponse;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kServiceToken[] = "pul-servicetokenforsecuritytests";
constexpr char kAgents[] = "/api/preview/agents/";

// A task body the codec accepts, for upstream answers that should succeed.
constexpr char kTaskJson[] =
    R"({"id":"t1","name":"","status":"idle",)"
    R"("createdAt":"2024-12-31T23:59:59Z","approvalMode":"manual",)"
    R"("entities":[],"planMode":false,"isShared":false,)"
    R"("createdBy":{"name":"Bob","githubLogin":"bob","avatarUrl":""},)"
    R"("taskType":"sync","tokensUsed":0})";

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string Scrape(const std::string& url) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
  return body;
}

// The requests the upstream received on the agents API (the readiness
// probe's are left out).
std::vector<TestRequest> ApiRequests(const TestHttpServer& upstream) {
  std::vector<TestRequest> api;
  for (TestRequest& request : upstream.requests()) {
    if (absl::StartsWith(request.uri, kAgents)) api.push_back(request);
  }
  return api;
}

std::string RequestLines(const std::vector<TestRequest>& requests) {
  return absl::StrJoin(requests, "\n",
                       [](std::string* out, const TestRequest& r) {
                         absl::StrAppend(out, r.method, " ", r.uri);
                       });
}

// An in-process bridge in front of a recording upstream: every request
// gets the route's answer, or 404.
class RecordingUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = TestHttpServer::Start();
    ASSERT_TRUE(upstream.ok()) << upstream.status();
    upstream_ = *std::move(upstream);
    options_.listen = "127.0.0.1:0";
    options_.upstream_url =
        absl::StrCat("http://127.0.0.1:", upstream_->port());
    options_.default_org = "acme";
    options_.access_token = kServiceToken;
    options_.service_token_policy.kind =
        security::ServiceTokenPolicyKind::kOpen;
    options_.metrics_listen = "127.0.0.1:0";
    options_.upstream_retry_attempts = 1;
  }

  void StartBridge() {
    auto bridge = server::BridgeServer::Start(options_);
    ASSERT_TRUE(bridge.ok()) << bridge.status();
    bridge_ = *std::move(bridge);
    stub_ = v1::AgentTasksService::NewStub(grpc::CreateChannel(
        bridge_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (bridge_ != nullptr) bridge_->Shutdown();
  }

  static std::unique_ptr<grpc::ClientContext> Context(
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    for (const auto& [key, value] : metadata) context->AddMetadata(key, value);
    return context;
  }

  grpc::Status GetTask(
      const std::string& org, const std::string& task_id,
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    v1::GetTaskRequest request;
    request.set_org(org);
    request.set_task_id(task_id);
    v1::GetTaskResponse response;
    return stub_->GetTask(Context(metadata).get(), request, &response);
  }

  grpc::Status ListTasks(
      const v1::ListTasksRequest& request,
      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    v1::ListTasksResponse response;
    return stub_->ListTasks(Context(metadata).get(), request, &response);
  }

  grpc::Status StreamEvents(const v1::StreamTaskEventsRequest& request) {
    auto context = Context();
    auto reader = stub_->StreamTaskEvents(context.get(), request);
    v1::StreamTaskEventsResponse event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }

  // Every RPC with `org` and `task_id`; only those that take a task id
  // unless `org_only_rpcs`.
  std::vector<std::pair<std::string, grpc::Status>> CallEveryRpc(
      const std::string& org, const std::string& task_id,
      bool org_only_rpcs = true) {
    std::vector<std::pair<std::string, grpc::Status>> results;
    if (org_only_rpcs) {
      v1::ListTasksRequest request;
      request.set_org(org);
      results.emplace_back("ListTasks", ListTasks(request));
      v1::CreateTaskRequest create;
      create.set_org(org);
      create.mutable_message()->mutable_user_message()->set_content("hi");
      v1::CreateTaskResponse created;
      results.emplace_back(
          "CreateTask", stub_->CreateTask(Context().get(), create, &created));
    }
    results.emplace_back("GetTask", GetTask(org, task_id));
    {
      v1::UpdateTaskRequest request;
      request.set_org(org);
      request.set_task_id(task_id);
      request.set_name("renamed");
      v1::UpdateTaskResponse response;
      results.emplace_back(
          "UpdateTask", stub_->UpdateTask(Context().get(), request, &response));
    }
    {
      v1::RespondToTaskRequest request;
      request.set_org(org);
      request.set_task_id(task_id);
      request.mutable_event()->mutable_user_message()->set_content("yes");
      v1::RespondToTaskResponse response;
      results.emplace_back(
          "RespondToTask",
          stub_->RespondToTask(Context().get(), request, &response));
    }
    {
      v1::CancelTaskRequest request;
      request.set_org(org);
      request.set_task_id(task_id);
      v1::CancelTaskResponse response;
      results.emplace_back(
          "CancelTask", stub_->CancelTask(Context().get(), request, &response));
    }
    {
      v1::ListTaskEventsRequest request;
      request.set_org(org);
      request.set_task_id(task_id);
      v1::ListTaskEventsResponse response;
      results.emplace_back(
          "ListTaskEvents",
          stub_->ListTaskEvents(Context().get(), request, &response));
    }
    {
      v1::StreamTaskEventsRequest request;
      request.set_org(org);
      request.set_task_id(task_id);
      results.emplace_back("StreamTaskEvents", StreamEvents(request));
    }
    return results;
  }

  server::ServerOptions options_;
  std::unique_ptr<TestHttpServer> upstream_;
  std::unique_ptr<server::BridgeServer> bridge_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

// 1. Odd characters in ids: refused before any upstream request.
TEST_F(RecordingUpstreamTest, OddIdsAreRefusedAndNeverReachTheUpstream) {
  StartBridge();
  const std::vector<std::string> odd_ids = {
      "..",
      ".",
      "../admin",
      "../../x",
      "%2e%2e",
      "%2E%2E%2Fadmin",
      "a/b",
      "a\\b",
      "?x=1",
      "t1?org=other",
      "#frag",
      "t1#x",
      "a b",
      "\xC3\xBC"
      "ml\xC3\xA4ut",
      "\xE2\x80\xAE"
      "t1",
      "t1\r\nX-Injected: 1",
      "t1\n",
      std::string("t1\0x", 4),
      "t1%00",
      std::string(257, 'a'),
      std::string(100000, 'b'),
  };
  for (const std::string& id : odd_ids) {
    SCOPED_TRACE(absl::CHexEscape(id.substr(0, 40)));
    // As the task id (org valid), then as the org (task id valid).
    for (const bool as_org : {false, true}) {
      const std::string field = as_org ? "org" : "task_id";
      for (const auto& [rpc, status] :
           as_org ? CallEveryRpc(id, "t1") : CallEveryRpc("acme", id, false)) {
        SCOPED_TRACE(rpc);
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << status.error_message();
        EXPECT_THAT(status.error_message(),
                    HasSubstr(absl::StrCat(
                        field,
                        ": must be 1 to 256 characters out of letters, "
                        "digits, '-', '_', '.' and '~', and not \".\" or "
                        "\"..\"")));
        EXPECT_EQ(ErrorReason(status), "INVALID_REQUEST");
        // Quoted escaped and cut: the message stays one short line.
        EXPECT_THAT(status.error_message(), Not(HasSubstr("\n")));
        EXPECT_LT(status.error_message().size(), 400u);
      }
    }
  }
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u)
      << RequestLines(ApiRequests(*upstream_));
}

// 1. Ids validation accepts are sent as exactly one path segment.
TEST_F(RecordingUpstreamTest, AcceptedIdsAreSentAsExactlyOneSegment) {
  StartBridge();
  const std::string long_id(256, 'z');
  const std::vector<std::string> ids = {"t1", "...", "~a.b-c_d", long_id};
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    const size_t before = ApiRequests(*upstream_).size();
    CallEveryRpc(id, id);
    const std::vector<TestRequest> all = ApiRequests(*upstream_);
    std::vector<std::string> lines;
    for (size_t i = before; i < all.size(); ++i) {
      lines.push_back(absl::StrCat(all[i].method, " ", all[i].uri));
    }
    const std::string tasks = absl::StrCat(kAgents, id, "/tasks");
    const std::string task = absl::StrCat(tasks, "/", id);
    EXPECT_THAT(
        lines,
        ::testing::ElementsAre(
            absl::StrCat("GET ", tasks), absl::StrCat("POST ", tasks),
            absl::StrCat("GET ", task), absl::StrCat("PATCH ", task),
            absl::StrCat("POST ", task), absl::StrCat("POST ", task, "/cancel"),
            absl::StrCat("GET ", task, "/events"),
            absl::StrCat("GET ", task, "/events/stream")));
  }
}

// 1. Values that travel in the query or a header are encoded or refused.
TEST_F(RecordingUpstreamTest, QueryAndHeaderValuesCannotAddParametersOrLines) {
  StartBridge();
  v1::ListTasksRequest list;
  list.set_page_token("a&pageSize=1000#frag/../x y%");
  list.set_page_size(5);
  EXPECT_EQ(ListTasks(list).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(ApiRequests(*upstream_).size(), 1u);
  EXPECT_EQ(ApiRequests(*upstream_)[0].uri,
            "/api/preview/agents/acme/tasks?continuationToken=a%26pageSize%"
            "3D1000%23frag%2F..%2Fx%20y%25&pageSize=5");

  v1::StreamTaskEventsRequest stream;
  stream.set_task_id("t1");
  stream.set_last_event_id("e1\r\nAuthorization: token stolen");
  grpc::Status refused = StreamEvents(stream);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("last_event_id: must be an event id (at most 4096 "
                        "bytes, no CR, LF or NUL)"));
  stream.set_last_event_id("e1: x;y");
  EXPECT_EQ(StreamEvents(stream).error_code(), grpc::StatusCode::NOT_FOUND);
  const std::vector<TestRequest> sent = ApiRequests(*upstream_);
  ASSERT_EQ(sent.size(), 2u) << RequestLines(sent);
  EXPECT_EQ(sent[1].uri, "/api/preview/agents/acme/tasks/t1/events/stream");
  EXPECT_EQ(sent[1].Header("Last-Event-ID"), "e1: x;y");
  EXPECT_EQ(sent[1].Header("Authorization"),
            absl::StrCat("token ", kServiceToken));
}

// 2. Caller metadata: only a well-formed `authorization` is ever forwarded;
// nothing else the caller sends becomes an upstream header.
TEST_F(RecordingUpstreamTest, CallerMetadataNeverBecomesAnUpstreamHeader) {
  StartBridge();
  // Malformed authorization values gRPC lets a client send.
  for (const std::string value :
       {"Bearer two words", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a\"b c",
        "pul-noscheme"}) {
    SCOPED_TRACE(value);
    grpc::Status status = GetTask("acme", "t1", {{"authorization", value}});
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(),
                HasSubstr("the authorization metadata must be \"Bearer "
                          "<Pulumi access token>\" or \"token <Pulumi access "
                          "token>\""));
    // What the caller sent is not echoed ("Bearer " is in the advice).
    if (value != "Bearer ") {
      EXPECT_THAT(status.error_message(), Not(HasSubstr(value)));
    }
  }
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u);

  // Binary metadata may carry any byte (CR, LF, NUL); none of it is used.
  const std::string injected = std::string("Bearer x\r\nX-Injected: 1\0", 24);
  EXPECT_EQ(GetTask("acme", "t1",
                    {{"authorization-bin", injected},
                     {"x-request-id", "rid-1"},
                     {"x-pulumi-request-id-bin", injected},
                     {"x-injected", "1"}})
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::vector<TestRequest> sent = ApiRequests(*upstream_);
  ASSERT_EQ(sent.size(), 1u);
  std::vector<std::string> names;
  for (const auto& [name, value] : sent[0].headers) {
    names.push_back(absl::AsciiStrToLower(name));
    EXPECT_EQ(value.find_first_of(std::string("\r\n\0", 3)), std::string::npos)
        << name;
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("host", "authorization",
                                                     "accept", "user-agent"));
  EXPECT_EQ(sent[0].Header("Authorization"),
            absl::StrCat("token ", kServiceToken));
}

// 2. The bridge's own check, for values no gRPC client would send:
// control characters inside a token are refused; white space around it
// (CR and LF included) is trimmed, so it never reaches a header either.
TEST(CallerTokenTest, ControlCharactersAreRefusedOrTrimmed) {
  for (const std::string& value :
       {std::string("Bearer tok\r\nX-Injected: 1"), std::string("Bearer to\nk"),
        std::string("Bearer to\rk"), std::string("Bearer tok\0x", 12),
        std::string("Bearer to\tk"), std::string("Bearer tok\x7F"),
        std::string("Bearer tok\xC3\xA9"), std::string("Bearer \r\n")}) {
    SCOPED_TRACE(absl::CHexEscape(value));
    service::Metadata metadata = {
        {"authorization", grpc::string_ref(value.data(), value.size())}};
    absl::StatusOr<absl::optional<std::string>> token =
        service::CallerToken(metadata);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
  }
  for (const std::string& value :
       {std::string("Bearer tok\n"), std::string("Bearer tok\r\n"),
        std::string("\r\nBearer \ttok \r\n")}) {
    SCOPED_TRACE(absl::CHexEscape(value));
    service::Metadata metadata = {
        {"authorization", grpc::string_ref(value.data(), value.size())}};
    absl::StatusOr<absl::optional<std::string>> token =
        service::CallerToken(metadata);
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(token->value_or(""), "tok");
  }
}

// 2. A service token that could split a header is refused at start, not
// lent.
TEST_F(RecordingUpstreamTest, ServiceTokenWithControlCharactersStopsStartUp) {
  for (const std::string token :
       {"pul-a\r\nX-Injected: 1", "pul-a\nb", "pul-a b", "pul-\x7F"}) {
    SCOPED_TRACE(absl::CHexEscape(token));
    options_.access_token = token;
    auto bridge = server::BridgeServer::Start(options_);
    ASSERT_FALSE(bridge.ok());
    EXPECT_EQ(bridge.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bridge.status().message(),
                HasSubstr("PULUMI_ACCESS_TOKEN must hold one Pulumi access "
                          "token"));
    EXPECT_THAT(bridge.status().message(), Not(HasSubstr("pul-a")));
  }
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u);
}

// 3. Oversized requests: gRPC's cap, then the field limits.
TEST_F(RecordingUpstreamTest, OversizedRequestsAreRefusedClearly) {
  options_.max_recv_message_bytes = 64 << 10;
  StartBridge();
  v1::CreateTaskRequest create;
  create.mutable_message()->mutable_user_message()->set_content(
      std::string(100 << 10, 'x'));
  v1::CreateTaskResponse response;
  grpc::Status too_big = stub_->CreateTask(Context().get(), create, &response);
  EXPECT_EQ(too_big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(too_big.error_message(),
              HasSubstr("Received message larger than max"));

  v1::ListTasksRequest list;
  list.set_page_token(std::string(4097, 't'));
  list.set_page_size(1001);
  grpc::Status fields = ListTasks(list);
  EXPECT_EQ(fields.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fields.error_message(),
              HasSubstr("page_size: must be between 0 and 1000"));
  EXPECT_THAT(fields.error_message(),
              HasSubstr("page_token: must be at most 4096 bytes"));
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u);
}

// 3. An upstream answer beyond the response cap (16 MiB) is not buffered.
TEST_F(RecordingUpstreamTest, OversizedUpstreamResponsesAreCapped) {
  upstream_->Route(
      "/api/preview/agents/acme/tasks/huge",
      TestResponse{.status = 200,
                   .headers = {{"Content-Type", "application/json"}},
                   .body = std::string((16 << 20) + 1, ' ')});
  upstream_->Route(
      "/api/preview/agents/acme/tasks/huge-chunked",
      TestResponse{.status = 200,
                   .chunks = {{.data = std::string(8 << 20, ' ')},
                              {.data = std::string((8 << 20) + 1, ' ')}}});
  StartBridge();
  for (const std::string task : {"huge", "huge-chunked"}) {
    SCOPED_TRACE(task);
    grpc::Status status = GetTask("acme", task);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(),
                HasSubstr("GetTask: upstream response from 127.0.0.1 exceeds "
                          "the limit of 16777216 bytes"));
  }
}

// 5. The service token is lent only under a policy that allows the caller.
TEST_F(RecordingUpstreamTest, NoPolicyLendsNoServiceToken) {
  options_.service_token_policy = {};  // The default: disabled.
  StartBridge();
  grpc::Status anonymous = GetTask("acme", "t1");
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(anonymous), "SERVICE_TOKEN_DENIED");
  // An API key means nothing without the api-keys policy.
  EXPECT_EQ(GetTask("acme", "t1", {{"x-api-key", "k-anything"}}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u);
  // A caller's own token is forwarded, and only it.
  EXPECT_EQ(GetTask("acme", "t1", {{"authorization", "Bearer pul-callers-own"}})
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::vector<TestRequest> sent = ApiRequests(*upstream_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].Header("Authorization"), "token pul-callers-own");
}

TEST_F(RecordingUpstreamTest, ApiKeysPolicyRefusesWrongOrMissingKeys) {
  TempDir dir;
  WriteFileAtomically(
      dir.File("keys"),
      absl::StrCat("ci ", security::HashApiKey("k-right-123456"), "\n"));
  options_.service_token_policy = {
      .kind = security::ServiceTokenPolicyKind::kApiKeys,
      .api_keys_file = dir.File("keys")};
  StartBridge();
  const std::vector<std::vector<std::pair<std::string, std::string>>> refused =
      {{},
       {{"x-api-key", "k-wrong"}},
       {{"x-api-key", ""}},
       {{"x-api-key", "k-right-12345"}},
       {{"x-api-key", "k-right-1234567"}},
       {{"x-api-key", "K-RIGHT-123456"}},
       {{"x-api-key-bin", "k-right-123456"}}};
  for (const auto& metadata : refused) {
    grpc::Status status = GetTask("acme", "t1", metadata);
    EXPECT_THAT(status.error_code(),
                ::testing::AnyOf(grpc::StatusCode::UNAUTHENTICATED,
                                 grpc::StatusCode::PERMISSION_DENIED))
        << status.error_message();
    EXPECT_EQ(ErrorReason(status), "SERVICE_TOKEN_DENIED");
    for (const auto& [key, value] : metadata) {
      if (!value.empty()) {
        EXPECT_THAT(status.error_message(), Not(HasSubstr(value)));
      }
    }
  }
  EXPECT_EQ(ApiRequests(*upstream_).size(), 0u)
      << RequestLines(ApiRequests(*upstream_));
  // The right key gets the service token lent.
  EXPECT_EQ(
      GetTask("acme", "t1", {{"x-api-key", "k-right-123456"}}).error_code(),
      grpc::StatusCode::NOT_FOUND);
  const std::vector<TestRequest> sent = ApiRequests(*upstream_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].Header("Authorization"),
            absl::StrCat("token ", kServiceToken));
  EXPECT_FALSE(sent[0].Header("x-api-key").has_value());
}

// The neo-bridge binary, for what only a process shows: its logs, its
// command line, its environment.
std::unique_ptr<ChildProcess> RunBridge(std::vector<std::string> args,
                                        std::vector<std::string> env = {}) {
  args.insert(args.begin(), NEO_BRIDGE_BINARY);
  auto child = ChildProcess::Start({.argv = std::move(args), .env = env});
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

std::unique_ptr<v1::AgentTasksService::Stub> Connect(
    const ChildProcess& bridge) {
  return v1::AgentTasksService::NewStub(
      grpc::CreateChannel(ListeningLogField(bridge, "address"),
                          grpc::InsecureChannelCredentials()));
}

// 4. Planted secrets never show in logs, /metrics or anything a caller
// gets back, even when the upstream echoes the token in its errors. The
// service token comes from PULUMI_ACCESS_TOKEN or from --token-file.
class SecretsTest : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(ServiceTokenSource, SecretsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "TokenFile" : "Environment";
                         });

TEST_P(SecretsTest, PlantedTokensNeverLeak) {
  const bool token_file = GetParam();
  // Not in the pul- form log redaction recognises by shape: only the
  // bridge knowing them as secrets keeps them out.
  const std::string kPlantedService = "plantedSvcTok-91c2e7a4";
  const std::string kPlantedCaller = "plantedCallerTok-4d8b1a55";
  const std::string kPlantedApiKey = "plantedApiKey-6e2f0d37";
  auto upstream = TestHttpServer::Start();
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  // An upstream that echoes the Authorization header in every error.
  auto echo = [](int status) {
    return [status](const TestRequest& request) {
      const std::string auth = request.Header("Authorization").value_or("");
      TestResponse response{
          .status = status,
          .headers = {{"Content-Type", "application/json"},
                      {"X-Pulumi-Request-Id", "req-1"}},
          .body =
              absl::StrCat(R"({"code":)", status, R"(,"message":"rejected )",
                           auth, R"( (token )", auth.substr(6), R"x()"})x")};
      return response;
    };
  };
  const std::vector<int> statuses = {400, 401, 403, 404, 409,
                                     429, 500, 502, 503};
  for (int status : statuses) {
    const std::string task =
        absl::StrCat("/api/preview/agents/acme/tasks/s", status);
    (*upstream)->Route(task, echo(status));
    (*upstream)->Route(absl::StrCat(task, "/events/stream"), echo(status));
  }
  (*upstream)->Route(
      "/api/preview/agents/acme/tasks/ok",
      TestResponse{.status = 200,
                   .headers = {{"Content-Type", "application/json"}},
                   .body = kTaskJson});

  TempDir dir;
  WriteFileAtomically(dir.File("token"), kPlantedService);
  WriteFileAtomically(
      dir.File("keys"),
      absl::StrCat("ci ", security::HashApiKey(kPlantedApiKey), "\n"));
  std::vector<std::string> args = {
      "--listen=127.0.0.1:0",
      "--metrics-listen=127.0.0.1:0",
      absl::StrCat("--upstream-url=http://127.0.0.1:", (*upstream)->port()),
      "--default-org=acme",
      "--log-level=debug",
      "--upstream-retry-attempts=2",
      "--service-token-policy=api-keys",
      absl::StrCat("--api-keys-file=", dir.File("keys"))};
  std::vector<std::string> env;
  if (token_file) {
    args.push_back(absl::StrCat("--token-file=", dir.File("token")));
  } else {
    env.push_back(absl::StrCat("PULUMI_ACCESS_TOKEN=", kPlantedService));
  }
  auto bridge = RunBridge(args, env);
  ASSERT_NE(bridge, nullptr);
  ASSERT_TRUE(bridge->WaitForStderr("\"msg\":\"listening\"", kWait))
      << bridge->Stderr();
  auto stub = Connect(*bridge);

  // Everything a caller got back: messages and serialized details.
  std::vector<std::string> returned;
  auto record = [&returned](const grpc::Status& status) {
    returned.push_back(status.error_message());
    returned.push_back(status.error_details());
  };
  const std::vector<std::vector<std::pair<std::string, std::string>>> callers =
      {{{"x-api-key", kPlantedApiKey}},
       {{"authorization", absl::StrCat("Bearer ", kPlantedCaller)}},
       {{"x-api-key", absl::StrCat(kPlantedApiKey, "x")}},
       {{"authorization", absl::StrCat("Basic ", kPlantedCaller)}}};
  int echoed_errors = 0;
  for (const auto& metadata : callers) {
    std::vector<std::string> tasks = {"ok"};
    for (int status : statuses) tasks.push_back(absl::StrCat("s", status));
    for (const std::string& task : tasks) {
      auto context = [&metadata] {
        auto c = std::make_unique<grpc::ClientContext>();
        c->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(20));
        for (const auto& [key, value] : metadata) c->AddMetadata(key, value);
        return c;
      };
      v1::GetTaskRequest get;
      get.set_task_id(task);
      v1::GetTaskResponse got;
      const grpc::Status status = stub->GetTask(context().get(), get, &got);
      record(status);
      if (absl::StrContains(status.error_message(), "rejected token")) {
        ++echoed_errors;
      }
      v1::StreamTaskEventsRequest stream;
      stream.set_task_id(task);
      auto stream_context = context();
      auto reader = stub->StreamTaskEvents(stream_context.get(), stream);
      v1::StreamTaskEventsResponse event;
      while (reader->Read(&event)) {
      }
      record(reader->Finish());
    }
  }
  // The upstream's messages were relayed, with the token taken out.
  EXPECT_GE(echoed_errors, 2 * static_cast<int>(statuses.size()));
  const std::string metrics =
      Scrape(absl::StrCat("http://", ListeningLogField(*bridge, "metrics")));
  EXPECT_THAT(metrics, HasSubstr("neobridge_"));
  bridge->Signal(SIGTERM);
  EXPECT_EQ(bridge->WaitForExit(kWait), 0);
  const std::string log = bridge->Stderr();
  EXPECT_THAT(log, HasSubstr("rejected token [REDACTED]"));

  // The upstream did get both tokens: the searches below are not vacuous.
  std::set<std::string> sent_auth;
  for (const TestRequest& request : (*upstream)->requests()) {
    sent_auth.insert(request.Header("Authorization").value_or(""));
  }
  EXPECT_TRUE(sent_auth.contains(absl::StrCat("token ", kPlantedService)));
  EXPECT_TRUE(sent_auth.contains(absl::StrCat("token ", kPlantedCaller)));

  for (const std::string& secret :
       {kPlantedService, kPlantedCaller, kPlantedApiKey}) {
    // The secret itself and the forms it could be carried in.
    const std::vector<std::string> forms = {
        secret,
        absl::Base64Escape(secret),
        absl::WebSafeBase64Escape(secret),
        absl::Base64Escape(absl::StrCat("token ", secret)),
        absl::BytesToHexString(secret),
    };
    for (const std::string& form : forms) {
      SCOPED_TRACE(form);
      EXPECT_THAT(log, Not(HasSubstr(form)));
      EXPECT_THAT(metrics, Not(HasSubstr(form)));
      for (const std::string& text : returned) {
        EXPECT_THAT(text, Not(HasSubstr(form)));
      }
    }
  }
}

// 6. No flag or variable turns upstream TLS verification off.
TEST(TlsVerificationTest, NoFlagDisablesVerification) {
  for (const std::string flag :
       {"--insecure", "--tls-skip-verify", "--no-verify", "--ssl-no-verify",
        "--insecure-skip-tls-verify", "--upstream-insecure"}) {
    SCOPED_TRACE(flag);
    auto bridge = RunBridge({flag});
    ASSERT_NE(bridge, nullptr);
    EXPECT_EQ(bridge->WaitForExit(kWait), 2);
    EXPECT_THAT(bridge->Stderr(),
                HasSubstr(absl::StrCat("unknown flag ", flag)));
  }
}

// The subject hash OpenSSL looks a CA up by in a CA directory ("HASH.0").
std::string SubjectHash(const std::string& cert_pem) {
  BIO* bio =
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  char hash[16];
  std::snprintf(hash, sizeof(hash), "%08lx", X509_subject_name_hash(cert));
  X509_free(cert);
  return hash;
}

// 6. The OpenSSL and curl CA variables do not widen what the bridge trusts:
// only --ca-file does.
TEST(TlsVerificationTest, CaEnvironmentVariablesDoNotWidenTrust) {
  test_support::TestCa attacker_ca("attacker CA");
  TempDir dir;
  const test_support::CertAndKey leaf = attacker_ca.IssueLocalhost();
  WriteFileAtomically(dir.File("leaf.crt"), leaf.cert_pem);
  WriteFileAtomically(dir.File("leaf.key"), leaf.key_pem);
  WriteFileAtomically(dir.File("attacker-ca.crt"), attacker_ca.cert_pem());
  ASSERT_EQ(::mkdir(dir.File("cadir").c_str(), 0700), 0);
  WriteFileAtomically(absl::StrCat(dir.File("cadir"), "/",
                                   SubjectHash(attacker_ca.cert_pem()), ".0"),
                      attacker_ca.cert_pem());
  auto emulator =
      neo_emulator::Emulator::Start({.tls_cert_file = dir.File("leaf.crt"),
                                     .tls_key_file = dir.File("leaf.key")});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const std::string ca = dir.File("attacker-ca.crt");
  const std::vector<std::vector<std::string>> environments = {
      {absl::StrCat("SSL_CERT_FILE=", ca)},
      {absl::StrCat("SSL_CERT_DIR=", dir.File("cadir"))},
      {absl::StrCat("CURL_CA_BUNDLE=", ca)},
      {absl::StrCat("SSL_CERT_FILE=", ca),
       absl::StrCat("SSL_CERT_DIR=", dir.File("cadir")),
       absl::StrCat("CURL_CA_BUNDLE=", ca),
       absl::StrCat("REQUESTS_CA_BUNDLE=", ca), "CURL_SSL_NO_VERIFY=1",
       "NODE_TLS_REJECT_UNAUTHORIZED=0"},
  };
  auto list_tasks = [](const ChildProcess& bridge) {
    auto stub = Connect(bridge);
    v1::ListTasksRequest request;
    v1::ListTasksResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(20));
    context.AddMetadata("authorization", "Bearer pul-emulator-alice");
    return stub->ListTasks(&context, request, &response);
  };
  const std::vector<std::string> args = {
      "--listen=127.0.0.1:0", "--metrics-listen=off",
      absl::StrCat("--upstream-url=", (*emulator)->base_url()),
      "--default-org=acme"};
  for (const auto& env : environments) {
    SCOPED_TRACE(absl::StrJoin(env, " "));
    auto bridge = RunBridge(args, env);
    ASSERT_NE(bridge, nullptr);
    ASSERT_TRUE(bridge->WaitForStderr("\"msg\":\"listening\"", kWait))
        << bridge->Stderr();
    grpc::Status status = list_tasks(*bridge);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << status.error_message();
    EXPECT_THAT(status.error_message(),
                HasSubstr("upstream TLS certificate of 127.0.0.1 not trusted"));
  }
  // The control: the same CA given with --ca-file is trusted.
  std::vector<std::string> with_ca = args;
  with_ca.push_back(absl::StrCat("--ca-file=", ca));
  auto bridge = RunBridge(with_ca);
  ASSERT_NE(bridge, nullptr);
  ASSERT_TRUE(bridge->WaitForStderr("\"msg\":\"listening\"", kWait))
      << bridge->Stderr();
  grpc::Status trusted = list_tasks(*bridge);
  EXPECT_TRUE(trusted.ok()) << trusted.error_message();
}

}  // namespace
}  // namespace neobridge
