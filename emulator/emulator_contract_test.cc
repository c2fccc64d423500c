// Contract tests: the emulator over loopback, driven by a small libcurl
// client, asserting status codes, bodies, JSON names and headers.
#include <time.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "emulator/emulator.h"
#include "emulator/test_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::ParseSseFrames;
using ::neo_emulator::testing::SseFrame;
using ::neo_emulator::testing::TestHttpClient;
using ::neo_emulator::testing::TestResponse;
using ::neo_emulator::testing::TestSseClient;
using ::neo_emulator::testing::WaitUntil;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kAlice[] = "pul-emulator-alice";
constexpr char kBob[] = "pul-emulator-bob";
constexpr char kTasks[] = "/api/preview/agents/acme/tasks";
constexpr absl::Duration kWait = absl::Seconds(10);

std::string TaskPath(const std::string& id) {
  return absl::StrCat(kTasks, "/", id);
}

std::string CreateBody(absl::string_view prompt) {
  return Json{{"message", {{"type", "user_message"}, {"content", prompt}}}}
      .dump();
}

std::string RespondBody(const Json& event) {
  return Json{{"event", event}}.dump();
}

class EmulatorContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start(EmulatorOptions{.agent_step_delay = absl::Milliseconds(2),
                          .heartbeat_interval = absl::Milliseconds(100)});
  }

  void Start(EmulatorOptions options) {
    emulator_.reset();
    absl::StatusOr<std::unique_ptr<Emulator>> started =
        Emulator::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<TestHttpClient>(emulator_->base_url());
  }

  TestHttpClient& client() { return *client_; }

  std::string Create(absl::string_view prompt,
                     absl::string_view token = kAlice) {
    TestResponse response = client().Post(kTasks, token, CreateBody(prompt));
    EXPECT_EQ(response.status, 201) << response.body;
    return response.Json().value("taskId", "");
  }

  // Every event of the task, paging with pageSize 1000.
  Json AllEvents(const std::string& id, absl::string_view token = kAlice) {
    Json events = Json::array();
    std::string next;
    do {
      std::string path = absl::StrCat(TaskPath(id), "/events?pageSize=1000");
      if (!next.empty()) absl::StrAppend(&path, "&continuationToken=", next);
      TestResponse response = client().Get(path, token);
      EXPECT_EQ(response.status, 200) << response.body;
      Json body = response.Json();
      for (const Json& event : body["events"]) events.push_back(event);
      next = body.value("continuationToken", "");
    } while (!next.empty());
    return events;
  }

  // Waits for an agentResponse whose eventBody.type is `type`, returns it.
  Json WaitForEvent(const std::string& id, absl::string_view type,
                    absl::string_view token = kAlice) {
    Json found;
    const bool ok = WaitUntil(
        [&] {
          for (const Json& event : AllEvents(id, token)) {
            if (event["eventBody"].value("type", "") == type) {
              found = event;
              return true;
            }
          }
          return false;
        },
        kWait);
    EXPECT_TRUE(ok) << "no " << type << " event in " << AllEvents(id).dump();
    return found;
  }

  Json GetTask(const std::string& id, absl::string_view token = kAlice) {
    TestResponse response = client().Get(TaskPath(id), token);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  void WaitIdle(const std::string& id) {
    EXPECT_TRUE(WaitUntil(
        [&] { return GetTask(id).value("status", "") == "idle"; }, kWait));
  }

  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<TestHttpClient> client_;
};

void ExpectError(const TestResponse& response, int status,
                 absl::string_view message_part) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  Json body = response.Json();
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body["code"], status);
  EXPECT_THAT(body.value("message", ""), HasSubstr(std::string(message_part)));
}

// --- Authentication, routing, headers --------------------------------------

TEST_F(EmulatorContractTest, EveryEndpointAnswers401WithoutValidCredentials) {
  const std::string id = Create("hello");
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", kTasks},
      {"POST", kTasks},
      {"GET", TaskPath(id)},
      {"PATCH", TaskPath(id)},
      {"POST", TaskPath(id)},
      {"POST", TaskPath(id) + "/cancel"},
      {"GET", TaskPath(id) + "/events"},
      {"GET", TaskPath(id) + "/events/stream"},
  };
  for (const auto& [method, path] : endpoints) {
    for (absl::string_view token : {"", "not-a-token"}) {
      TestResponse response = client().Request(method, path, token, "{}");
      EXPECT_EQ(response.status, 401) << method << " " << path;
      EXPECT_EQ(
          response.body,
          R"({"code":401,"message":"Unauthorized: No credentials provided or are invalid."})");
    }
  }
}

TEST_F(EmulatorContractTest, AcceptsTokenAndBearerSchemesCaseInsensitively) {
  for (const std::string& header :
       {std::string("Authorization: token ") + kAlice,
        std::string("Authorization: TOKEN ") + kAlice,
        std::string("Authorization: Bearer ") + kAlice,
        std::string("Authorization: bearer ") + kAlice}) {
    TestResponse response =
        client().Request("GET", kTasks, /*token=*/"", std::nullopt, {header});
    EXPECT_EQ(response.status, 200) << header;
  }
  TestResponse basic = client().Request("GET", kTasks, "", std::nullopt,
                                        {"Authorization: Basic abc"});
  EXPECT_EQ(basic.status, 401);
}

TEST_F(EmulatorContractTest, NonMemberGets403) {
  ExpectError(client().Get("/api/preview/agents/globex/tasks", kAlice), 403,
              "not a member of organization 'globex'");
  ExpectError(client().Post("/api/preview/agents/globex/tasks", kAlice,
                            CreateBody("x")),
              403, "not a member");
}

TEST_F(EmulatorContractTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  ExpectError(client().Get("/api/preview/agents/acme/nope", kAlice), 404,
              "no such endpoint");
  ExpectError(client().Get("/", kAlice), 404, "no such endpoint");
  ExpectError(client().Get(absl::StrCat(kTasks, "/"), kAlice), 404,
              "no such endpoint");

  TestResponse del = client().Request("DELETE", TaskPath("x"), kAlice);
  ExpectError(del, 405, "DELETE");
  EXPECT_EQ(del.Header("Allow"), "GET, PATCH, POST");
  TestResponse put = client().Request("PUT", kTasks, kAlice, "{}");
  ExpectError(put, 405, "allowed: GET, POST");
  EXPECT_EQ(put.Header("Allow"), "GET, POST");
  EXPECT_EQ(client()
                .Request("GET", TaskPath("x") + "/cancel", kAlice)
                .Header("Allow"),
            "POST");
  EXPECT_EQ(client()
                .Request("POST", TaskPath("x") + "/events/stream", kAlice, "{}")
                .Header("Allow"),
            "GET");
}

TEST_F(EmulatorContractTest, EveryResponseCarriesAUniqueRequestId) {
  std::set<std::string> ids;
  const std::string id = Create("hello");
  std::vector<TestResponse> responses = {
      client().Get(kTasks, kAlice),
      client().Get(kTasks, ""),
      client().Get(TaskPath(id), kAlice),
      client().Post(TaskPath(id) + "/cancel", kAlice, R"({"force":true})"),
      client().Request("DELETE", TaskPath(id), kAlice),
      client().Get("/nowhere", kAlice),
  };
  for (const TestResponse& response : responses) {
    std::optional<std::string> request_id =
        response.Header("X-Pulumi-Request-ID");
    ASSERT_TRUE(request_id.has_value()) << response.status;
    EXPECT_FALSE(request_id->empty());
    ids.insert(*request_id);
  }
  EXPECT_EQ(ids.size(), responses.size());
}

// --- CreateTasks / GetTask --------------------------------------------------

TEST_F(EmulatorContractTest, CreateReturns201WithTaskIdAndGetReturnsTheTask) {
  // The agent does not start within this test: the task is as created.
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1)});
  TestResponse created =
      client().Post(kTasks, kAlice, CreateBody("  Deploy   the dev stack  "));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("Content-Type"), "application/json");
  Json body = created.Json();
  ASSERT_EQ(body.size(), 1u) << created.body;
  const std::string id = body["taskId"];
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                     "[0-9a-f]{12}")))
      << id;

  TestResponse got = client().Get(TaskPath(id), kAlice);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Header("Content-Type"), "application/json");
  Json task = got.Json();
  EXPECT_EQ(task["id"], id);
  EXPECT_EQ(task["name"], "Deploy the dev stack");
  EXPECT_EQ(task["status"], "running");
  EXPECT_EQ(task["runtimePhase"], "booting");
  EXPECT_FALSE(task.contains("lastHeartbeat"));
  EXPECT_TRUE(
      std::regex_match(task["createdAt"].get<std::string>(),
                       std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << task["createdAt"];
  EXPECT_EQ(task["approvalMode"], "manual");
  EXPECT_EQ(task["entities"], Json::array());
  EXPECT_EQ(task["planMode"], false);
  EXPECT_EQ(task["isShared"], false);
  EXPECT_FALSE(task.contains("sharedAt"));
  EXPECT_EQ(task["createdBy"],
            (Json{{"name", "Alice Example"},
                  {"githubLogin", "alice"},
                  {"avatarUrl", "https://avatars.example.com/alice.png"}}));
  EXPECT_EQ(task["permissionMode"], "default");
  EXPECT_EQ(task["contextUsedTokens"], 0);
  EXPECT_EQ(task["contextWindowTokens"], 200000);
  EXPECT_EQ(task["toolExecutionMode"], "cloud");
  EXPECT_EQ(task["taskType"], "sync");
  EXPECT_EQ(task["tokensUsed"], 0);
  EXPECT_EQ(task["source"], "api");
  EXPECT_FALSE(task.contains("role"));
  for (const auto& [key, value] : task.items()) {
    EXPECT_FALSE(value.is_null()) << key << " is null";
  }
}

TEST_F(EmulatorContractTest, TaskFieldsFollowTheTurn) {
  const std::string id = Create("  Deploy   the dev stack  ");
  WaitIdle(id);
  Json idle = GetTask(id);
  EXPECT_EQ(idle["name"], "Task: Deploy the dev stack");
  EXPECT_EQ(idle["runtimePhase"], "ready");
  EXPECT_TRUE(idle.contains("lastHeartbeat"));
  EXPECT_GT(idle["tokensUsed"].get<int64_t>(), 0);
  EXPECT_GT(idle["contextUsedTokens"].get<int64_t>(), 0);
}

TEST_F(EmulatorContractTest, CreateKeepsRequestedModesEntitiesAndRole) {
  Json request = {
      {"message",
       {{"type", "user_message"},
        {"content", "check it"},
        {"timestamp", "2026-01-02T03:04:05Z"},
        {"entity_diff",
         {{"add",
           {{{"type", "stack"}, {"name", "dev"}, {"project", "web"}},
            {{"type", "repository"}, {"name", "web"}, {"org", "acme"}}}}}}}},
      {"approvalMode", "auto"},
      {"permissionMode", "read-only"},
      {"planMode", true},
      {"toolExecutionMode", "worker"},
      {"source", "slack"},
      {"role", "role-123"},
      {"enabledIntegrations", Json::array()},
  };
  TestResponse created = client().Post(kTasks, kAlice, request.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  Json task = GetTask(created.Json()["taskId"]);
  EXPECT_EQ(task["approvalMode"], "auto");
  EXPECT_EQ(task["permissionMode"], "read-only");
  EXPECT_EQ(task["planMode"], true);
  EXPECT_EQ(task["toolExecutionMode"], "worker");
  EXPECT_EQ(task["source"], "slack");
  EXPECT_EQ(task["role"], "role-123");
  EXPECT_EQ(task["entities"], request["message"]["entity_diff"]["add"]);

  Json first = AllEvents(task["id"])[0];
  EXPECT_EQ(first["type"], "userInput");
  EXPECT_EQ(first["isSynthetic"], false);
  EXPECT_EQ(first["eventBody"], request["message"]);
}

TEST_F(EmulatorContractTest, CreateValidation) {
  ExpectError(client().Post(kTasks, kAlice, "{not json"), 400,
              "not valid JSON");
  ExpectError(client().Post(kTasks, kAlice, "{}"), 400, "prompt is required");
  ExpectError(client().Post(kTasks, kAlice, R"({"message":{"content":""}})"),
              400, "prompt is required");
  ExpectError(
      client().Post(kTasks, kAlice,
                    R"({"message":{"type":"user_cancel","content":"x"}})"),
      400, "message.type must be user_message");
  ExpectError(client().Post(
                  kTasks, kAlice,
                  R"({"message":{"content":"x"},"approvalMode":"sometimes"})"),
              400,
              "invalid approvalMode 'sometimes': allowed values are manual, "
              "auto, balanced");
  ExpectError(
      client().Post(kTasks, kAlice,
                    R"({"message":{"content":"x"},"toolExecutionMode":"gpu"})"),
      400, "toolExecutionMode");
  ExpectError(
      client().Post(
          kTasks, kAlice,
          R"({"message":{"content":"x","entity_diff":{"add":[{"type":"stack","name":"dev"}]}}})"),
      400, "invalid entities: entity_diff.add[0]: stack requires");
  ExpectError(
      client().Post(
          kTasks, kAlice,
          R"({"message":{"content":"x","entity_diff":{"add":[{"type":"pull_request","number":1,"merged":false,"repo":{"name":"r"}}]}}})"),
      400, "invalid entities");
  ExpectError(
      client().Post(
          kTasks, kAlice,
          R"({"message":{"content":"x","entity_diff":{"add":[{"type":"galaxy"}]}}})"),
      400, "unknown entity type 'galaxy'");
  // A valid pull_request and policy_issue pass.
  EXPECT_EQ(
      client()
          .Post(
              kTasks, kAlice,
              R"({"message":{"content":"x","entity_diff":{"add":[{"type":"pull_request","number":7,"merged":true,"repo":{"name":"r","org":"o"}},{"type":"policy_issue","id":"p1"}]}}})")
          .status,
      201);
}

TEST_F(EmulatorContractTest, GetUnknownOrInvisibleTaskIs404) {
  ExpectError(client().Get(TaskPath("does-not-exist"), kAlice), 404,
              "task not found");
  const std::string id = Create("private work");
  ExpectError(client().Get(TaskPath(id), kBob), 404, "task not found");
  ExpectError(client().Get(TaskPath(id) + "/events", kBob), 404,
              "task not found");
  ExpectError(client().Get(TaskPath(id) + "/events/stream", kBob), 404,
              "task not found");
  ASSERT_EQ(client().Patch(TaskPath(id), kAlice, R"({"isShared":true})").status,
            200);
  EXPECT_EQ(client().Get(TaskPath(id), kBob).status, 200);
}

// --- UpdateTask ------------------------------------------------------------

TEST_F(EmulatorContractTest, UpdateChangesOnlyGivenFieldsAndSharedAtSticks) {
  const std::string id = Create("rename me");
  WaitIdle(id);
  TestResponse renamed =
      client().Patch(TaskPath(id), kAlice, R"({"name":"  My task  "})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.Header("Content-Type"), "application/json");
  Json task = renamed.Json();
  EXPECT_EQ(task["name"], "My task");
  EXPECT_EQ(task["approvalMode"], "manual");
  EXPECT_FALSE(task.contains("sharedAt"));

  task =
      client()
          .Patch(
              TaskPath(id), kAlice,
              R"({"name":null,"isShared":true,"approvalMode":"balanced","permissionMode":"read-only"})")
          .Json();
  EXPECT_EQ(task["name"], "My task");
  EXPECT_EQ(task["isShared"], true);
  EXPECT_EQ(task["approvalMode"], "balanced");
  EXPECT_EQ(task["permissionMode"], "read-only");
  ASSERT_TRUE(task.contains("sharedAt"));
  const std::string shared_at = task["sharedAt"];

  task = client().Patch(TaskPath(id), kAlice, R"({"isShared":false})").Json();
  EXPECT_EQ(task["isShared"], false);
  EXPECT_EQ(task["sharedAt"], shared_at);
  task = client().Patch(TaskPath(id), kAlice, R"({"isShared":true})").Json();
  EXPECT_EQ(task["sharedAt"], shared_at);
  EXPECT_EQ(client().Patch(TaskPath(id), kAlice, "{}").Json(), task);
}

TEST_F(EmulatorContractTest, UpdateValidationAndCreatorOnly) {
  const std::string id = Create("mine");
  ExpectError(client().Patch(TaskPath(id), kAlice, R"({"name":"   "})"), 400,
              "between 1 and 255 characters");
  ExpectError(client().Patch(TaskPath(id), kAlice,
                             Json{{"name", std::string(256, 'x')}}.dump()),
              400, "between 1 and 255 characters");
  EXPECT_EQ(client()
                .Patch(TaskPath(id), kAlice,
                       Json{{"name", std::string(255, 'x')}}.dump())
                .status,
            200);
  ExpectError(client().Patch(TaskPath(id), kAlice, R"({"isShared":"yes"})"),
              400, "isShared must be a boolean");
  ExpectError(
      client().Patch(TaskPath(id), kAlice, R"({"permissionMode":"admin"})"),
      400,
      "invalid permissionMode 'admin': allowed values are default, "
      "read-only");
  // Bob may read the shared task but not change it.
  ASSERT_EQ(client().Patch(TaskPath(id), kAlice, R"({"isShared":true})").status,
            200);
  ExpectError(client().Patch(TaskPath(id), kBob, R"({"name":"bob's"})"), 404,
              "task not found or not owned by user");
  ExpectError(client().Patch(TaskPath("unknown"), kAlice, R"({"name":"x"})"),
              404, "task not found or not owned by user");
}

// --- ListTasks -------------------------------------------------------------

TEST_F(EmulatorContractTest, ListParameterValidation) {
  for (const char* size : {"0", "1001", "abc", "-1", "1.5"}) {
    ExpectError(client().Get(absl::StrCat(kTasks, "?pageSize=", size), kAlice),
                400, "pageSize must be between 1 and 1000");
  }
  EXPECT_EQ(client().Get(absl::StrCat(kTasks, "?pageSize=1000"), kAlice).status,
            200);
  ExpectError(client().Get(absl::StrCat(kTasks, "?sortBy=size"), kAlice), 400,
              "invalid sortBy 'size': allowed values are lastEvent, created, "
              "status, name, tokensUsed");
  ExpectError(client().Get(absl::StrCat(kTasks, "?sortDirection=up"), kAlice),
              400, "invalid sortDirection 'up': allowed values are asc, desc");
  ExpectError(client().Get(absl::StrCat(kTasks, "?taskType=batch"), kAlice),
              400, "invalid taskType 'batch': allowed values are sync, async");
  ExpectError(
      client().Get(absl::StrCat(kTasks, "?continuationToken=garbage"), kAlice),
      400, "invalid continuationToken");
}

TEST_F(EmulatorContractTest, ListShowsOwnAndSharedTasksOnly) {
  const std::string mine = Create("alice private");
  const std::string shared = Create("alice shared");
  const std::string bobs = Create("bob private", kBob);
  ASSERT_EQ(
      client().Patch(TaskPath(shared), kAlice, R"({"isShared":true})").status,
      200);
  auto ids = [&](absl::string_view token) {
    std::set<std::string> out;
    TestResponse response = client().Get(kTasks, token);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("Content-Type"), "application/json");
    Json body = response.Json();
    EXPECT_FALSE(body.contains("continuationToken"));
    for (const Json& task : body["tasks"]) out.insert(task["id"]);
    return out;
  };
  EXPECT_EQ(ids(kAlice), (std::set<std::string>{mine, shared}));
  EXPECT_EQ(ids(kBob), (std::set<std::string>{shared, bobs}));
  EXPECT_EQ(
      client().Get(absl::StrCat(kTasks, "?taskType=async"), kAlice).Json(),
      (Json{{"tasks", Json::array()}}));
}

TEST_F(EmulatorContractTest, PagingStaysCorrectWhileTasksAreCreated) {
  // Agent steps far in the future: no key changes while paging.
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1)});
  for (int i = 0; i < 7; ++i) Create(absl::StrCat("t", i));

  for (const std::string direction : {"asc", "desc"}) {
    // The listing as it is before the first page, in one page.
    std::vector<std::string> expected;
    const Json full = client()
                          .Get(absl::StrCat(kTasks,
                                            "?pageSize=1000&sortBy=created&"
                                            "sortDirection=",
                                            direction),
                               kAlice)
                          .Json();
    for (const Json& task : full["tasks"]) expected.push_back(task["id"]);
    std::vector<std::string> seen;
    std::string token;
    size_t pages = 0;
    do {
      std::string path = absl::StrCat(
          kTasks, "?pageSize=3&sortBy=created&sortDirection=", direction);
      if (!token.empty()) absl::StrAppend(&path, "&continuationToken=", token);
      TestResponse response = client().Get(path, kAlice);
      ASSERT_EQ(response.status, 200) << response.body;
      Json body = response.Json();
      EXPECT_LE(body["tasks"].size(), 3u);
      for (const Json& task : body["tasks"]) seen.push_back(task["id"]);
      token = body.value("continuationToken", "");
      // New tasks between pages must not disturb the listing.
      Create(absl::StrCat("between pages ", direction, pages));
      ++pages;
    } while (!token.empty());
    EXPECT_EQ(pages, (expected.size() + 2) / 3) << direction;
    EXPECT_EQ(seen, expected) << direction;
  }
}

TEST_F(EmulatorContractTest, ContinuationTokenIsBoundToTheListing) {
  for (int i = 0; i < 3; ++i) Create(absl::StrCat("t", i));
  Json first = client()
                   .Get(absl::StrCat(kTasks, "?pageSize=1&sortBy=name"), kAlice)
                   .Json();
  const std::string token = first["continuationToken"];
  EXPECT_EQ(client()
                .Get(absl::StrCat(kTasks,
                                  "?pageSize=1&sortBy=name&"
                                  "continuationToken=",
                                  token),
                     kAlice)
                .status,
            200);
  ExpectError(client().Get(absl::StrCat(kTasks,
                                        "?sortBy=created&"
                                        "continuationToken=",
                                        token),
                           kAlice),
              400, "sortBy, sortDirection and taskType must be the same");
  ExpectError(client().Get(absl::StrCat(kTasks,
                                        "?sortBy=name&sortDirection=asc&"
                                        "continuationToken=",
                                        token),
                           kAlice),
              400, "sortBy, sortDirection and taskType must be the same");
  ExpectError(client().Get(absl::StrCat(kTasks,
                                        "?sortBy=name&taskType=sync&"
                                        "continuationToken=",
                                        token),
                           kAlice),
              400, "sortBy, sortDirection and taskType must be the same");
}

TEST_F(EmulatorContractTest, SortsByNameAndStatus) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1)});
  const std::string b = Create("bravo");
  const std::string a = Create("alpha");
  const std::string c = Create("charlie");
  auto order = [&](absl::string_view query) {
    std::vector<std::string> ids;
    const Json body =
        client().Get(absl::StrCat(kTasks, "?", query), kAlice).Json();
    for (const Json& task : body["tasks"]) ids.push_back(task["id"]);
    return ids;
  };
  EXPECT_EQ(order("sortBy=name&sortDirection=asc"),
            (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(order("sortBy=name"), (std::vector<std::string>{c, b, a}));
  // Cancel makes `alpha` idle; running sorts before idle ascending.
  ASSERT_EQ(client()
                .Post(TaskPath(a) + "/cancel", kAlice, R"({"force":true})")
                .status,
            204);
  EXPECT_EQ(order("sortBy=status&sortDirection=asc"),
            (std::vector<std::string>{b, c, a}));
  EXPECT_EQ(order("sortBy=status&sortDirection=desc"),
            (std::vector<std::string>{a, c, b}));
  // lastEvent (the default): alpha has the newest event.
  ASSERT_FALSE(order("").empty());
  EXPECT_EQ(order("").front(), a);
}

// --- Events ----------------------------------------------------------------

TEST_F(EmulatorContractTest, EventsPageChronologically) {
  const std::string id = Create("look at things");
  WaitForEvent(id, "assistant_message");
  WaitIdle(id);
  Json all = AllEvents(id);
  ASSERT_GE(all.size(), 6u);
  Json paged = Json::array();
  std::string token;
  do {
    std::string path = absl::StrCat(TaskPath(id), "/events?pageSize=2");
    if (!token.empty()) absl::StrAppend(&path, "&continuationToken=", token);
    Json body = client().Get(path, kAlice).Json();
    EXPECT_LE(body["events"].size(), 2u);
    for (const Json& event : body["events"]) paged.push_back(event);
    token = body.value("continuationToken", "");
  } while (!token.empty());
  EXPECT_EQ(paged, all);

  for (const Json& event : all) {
    EXPECT_EQ(event.size(), 4u) << event.dump();
    EXPECT_TRUE(event["id"].is_string());
    EXPECT_TRUE(event["isSynthetic"].is_boolean());
    EXPECT_TRUE(event["eventBody"].contains("timestamp")) << event.dump();
  }
  EXPECT_EQ(all[0]["type"], "userInput");
  EXPECT_EQ(all[1]["type"], "agentResponse");
  EXPECT_EQ(all[1]["eventBody"]["type"], "set_task_name");

  ExpectError(client().Get(TaskPath(id) + "/events?pageSize=0", kAlice), 400,
              "pageSize must be between 1 and 1000");
  const std::string other = Create("other");
  WaitIdle(other);
  Json first =
      client().Get(TaskPath(other) + "/events?pageSize=1", kAlice).Json();
  ExpectError(
      client().Get(absl::StrCat(TaskPath(id), "/events?continuationToken=",
                                first["continuationToken"].get<std::string>()),
                   kAlice),
      400, "invalid continuationToken");
}

// --- The scripted agent over HTTP ----------------------------------------

TEST_F(EmulatorContractTest, ScriptedTurnProducesTheDocumentedEvents) {
  const std::string id = Create("check the dev stack");
  Json final_message = WaitForEvent(id, "assistant_message");
  WaitIdle(id);
  Json events = AllEvents(id);
  std::vector<std::string> types;
  for (const Json& event : events) types.push_back(event["eventBody"]["type"]);
  EXPECT_EQ(types,
            (std::vector<std::string>{"user_message", "set_task_name",
                                      "assistant_message", "exec_tool_call",
                                      "tool_response", "assistant_message"}));
  const Json& first = events[2]["eventBody"];
  EXPECT_EQ(first["content"], "Looking into: check the dev stack");
  EXPECT_EQ(first["is_final"], false);
  EXPECT_EQ(first["tool_calls"][0]["name"], "pulumi_preview");
  EXPECT_EQ(first["tool_calls"][0]["args"], (Json{{"stack", "dev"}}));
  const Json& usage = first["token_usage"]["neo-model"];
  for (const char* field :
       {"input_tokens", "output_tokens", "cache_read_input_tokens",
        "cache_creation_input_tokens"}) {
    EXPECT_TRUE(usage[field].is_number_integer()) << field;
  }
  const std::string call_id = first["tool_calls"][0]["id"];
  EXPECT_EQ(events[3]["eventBody"]["tool_call_id"], call_id);
  EXPECT_EQ(events[4]["eventBody"]["content"],
            (Json{{"summary", "3 resources to update"}}));
  EXPECT_EQ(events[4]["eventBody"]["is_error"], false);
  EXPECT_EQ(events[5]["eventBody"]["is_final"], true);
  EXPECT_THAT(events[5]["eventBody"]["content"].get<std::string>(),
              HasSubstr("Done:"));
}

TEST_F(EmulatorContractTest, FailingPromptEndsWithError) {
  const std::string id = Create("please FAIL now");
  Json error = WaitForEvent(id, "error");
  EXPECT_THAT(error["eventBody"]["message"].get<std::string>(),
              HasSubstr("please FAIL now"));
  WaitIdle(id);
}

TEST_F(EmulatorContractTest, WholeConversationWithApproval) {
  const std::string id = Create("Apply after approval");
  Json request = WaitForEvent(id, "user_approval_request");
  const Json& body = request["eventBody"];
  EXPECT_EQ(body["approval_type"], "general");
  EXPECT_EQ(body["message"], "Apply 3 changes to stack dev?");
  EXPECT_EQ(body["source"], "agent");
  EXPECT_EQ(body["sensitivity"], "regular");
  EXPECT_EQ(body["context"]["tool_name"], "pulumi_preview");
  const std::string approval_id = body["id"];
  WaitIdle(id);

  ExpectError(client().Post(TaskPath(id), kAlice,
                            RespondBody({{"type", "user_confirmation"},
                                         {"approval_request_id", "wrong"},
                                         {"ok", true}})),
              400, "does not match the pending approval request");
  TestResponse accepted =
      client().Post(TaskPath(id), kAlice,
                    RespondBody({{"type", "user_confirmation"},
                                 {"approval_request_id", approval_id},
                                 {"ok", true}}));
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, "");
  EXPECT_FALSE(accepted.Header("Content-Type").has_value());
  ASSERT_TRUE(WaitUntil(
      [&] {
        Json events = AllEvents(id);
        return events.back()["eventBody"].value("content", "") ==
               "Applied 3 changes to stack dev.";
      },
      kWait));
  WaitIdle(id);
  Json events = AllEvents(id);
  const Json& confirmation = events[events.size() - 2];
  EXPECT_EQ(confirmation["type"], "userInput");
  EXPECT_EQ(confirmation["eventBody"]["type"], "user_confirmation");
  EXPECT_EQ(confirmation["eventBody"]["approval_request_id"], approval_id);
  EXPECT_TRUE(confirmation["eventBody"].contains("timestamp"));
  EXPECT_EQ(events.back()["eventBody"]["is_final"], true);
  // The approval is answered now; a second confirmation is rejected.
  ExpectError(client().Post(TaskPath(id), kAlice,
                            RespondBody({{"type", "user_confirmation"},
                                         {"approval_request_id", approval_id},
                                         {"ok", true}})),
              400, "does not match a pending approval request");
}

TEST_F(EmulatorContractTest, RejectedApprovalQuotesInstructions) {
  const std::string id = Create("needs approval");
  const std::string approval_id =
      WaitForEvent(id, "user_approval_request")["eventBody"]["id"];
  WaitIdle(id);
  ASSERT_EQ(client()
                .Post(TaskPath(id), kAlice,
                      RespondBody({{"type", "user_confirmation"},
                                   {"approval_request_id", approval_id},
                                   {"ok", false},
                                   {"instructions", "use staging"}}))
                .status,
            202);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return AllEvents(id)
                   .back()["eventBody"]
                   .value("content", "")
                   .find("\"use staging\"") != std::string::npos;
      },
      kWait));
}

TEST_F(EmulatorContractTest, FollowUpMessageStartsANewTurn) {
  const std::string id = Create("first question");
  WaitIdle(id);
  const size_t before = AllEvents(id).size();
  TestResponse response = client().Post(
      TaskPath(id), kAlice,
      RespondBody(
          {{"type", "user_message"},
           {"content", "second question"},
           {"entity_diff",
            {{"add",
              {{{"type", "stack"}, {"name", "p"}, {"project", "w"}}}}}}}));
  ASSERT_EQ(response.status, 202) << response.body;
  WaitUntil([&] { return AllEvents(id).size() >= before + 5; }, kWait);
  WaitIdle(id);
  Json events = AllEvents(id);
  ASSERT_EQ(events.size(), before + 5);  // No second set_task_name.
  EXPECT_EQ(events[before]["eventBody"]["content"], "second question");
  EXPECT_EQ(events[before + 1]["eventBody"]["content"],
            "Looking into: second question");
  EXPECT_EQ(GetTask(id)["entities"].size(), 1u);
}

TEST_F(EmulatorContractTest, RespondValidationOwnershipAnd409) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1)});
  const std::string id = Create("long running");
  ExpectError(client().Post(TaskPath(id), kAlice, "{}"), 400,
              "event field is required");
  ExpectError(client().Post(TaskPath(id), kAlice, "[1]"), 400,
              "must be a JSON object");
  ExpectError(
      client().Post(TaskPath(id), kAlice, RespondBody({{"type", "dance"}})),
      400, "unknown event type 'dance'");
  ExpectError(client().Post(TaskPath(id), kAlice,
                            RespondBody({{"type", "user_confirmation"},
                                         {"approval_request_id", "a"}})),
              400, "event.ok is required");
  ASSERT_EQ(client().Patch(TaskPath(id), kAlice, R"({"isShared":true})").status,
            200);
  ExpectError(
      client().Post(TaskPath(id), kBob,
                    RespondBody({{"type", "user_message"}, {"content", "hi"}})),
      404, "task not found or not owned by user");
  for (const Json& event :
       {Json{{"type", "user_message"}, {"content", "more"}},
        Json{{"type", "user_confirmation"},
             {"approval_request_id", "a"},
             {"ok", true}},
        Json{{"type", "exec_tool_call"}, {"tool_call_id", "c"}, {"name", "n"}},
        Json{{"type", "tool_result"},
             {"tool_results",
              {{{"tool_call_id", "c"}, {"name", "n"}, {"content", "ok"}}}}}}) {
    ExpectError(client().Post(TaskPath(id), kAlice, RespondBody(event)), 409,
                "cannot respond while a request is still ongoing");
  }
  // user_cancel is allowed while running and ends the turn.
  TestResponse cancel = client().Post(TaskPath(id), kAlice,
                                      RespondBody({{"type", "user_cancel"}}));
  EXPECT_EQ(cancel.status, 202);
  Json events = AllEvents(id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1]["type"], "userInput");
  EXPECT_EQ(events[1]["eventBody"]["type"], "user_cancel");
  EXPECT_TRUE(events[1]["eventBody"].contains("timestamp"));
  EXPECT_EQ(events[2]["eventBody"]["type"], "cancelled");
  EXPECT_EQ(events[2]["eventBody"]["operation_was_running"], true);
  EXPECT_EQ(events[2]["isSynthetic"], false);
  EXPECT_EQ(GetTask(id)["status"], "idle");
}

TEST_F(EmulatorContractTest, ForceCancel) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1)});
  const std::string id = Create("stuck");
  for (const char* body : {"{}", R"({"force":false})", R"({"force":"true"})"}) {
    ExpectError(client().Post(TaskPath(id) + "/cancel", kAlice, body), 400,
                "force must be true (graceful cancel not yet supported via "
                "this endpoint)");
  }
  ExpectError(
      client().Post(TaskPath("nope") + "/cancel", kAlice, R"({"force":true})"),
      404, "task not found");
  TestResponse cancelled =
      client().Post(TaskPath(id) + "/cancel", kAlice, R"({"force":true})");
  EXPECT_EQ(cancelled.status, 204);
  EXPECT_EQ(cancelled.body, "");
  Json events = AllEvents(id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["isSynthetic"], true);
  EXPECT_EQ(events[1]["type"], "agentResponse");
  EXPECT_EQ(events[1]["eventBody"]["type"], "cancelled");
  EXPECT_EQ(events[1]["eventBody"]["operation_was_running"], true);
  EXPECT_EQ(GetTask(id)["status"], "idle");
  // Idle now: another force cancel reports that nothing was running.
  EXPECT_EQ(client()
                .Post(TaskPath(id) + "/cancel", kAlice, R"({"force":true})")
                .status,
            204);
  EXPECT_EQ(AllEvents(id).back()["eventBody"]["operation_was_running"], false);
}

TEST_F(EmulatorContractTest, CliToolExecutionRoundTrip) {
  TestResponse created = client().Post(
      kTasks, kAlice,
      R"({"message":{"content":"cli please"},"toolExecutionMode":"cli"})");
  ASSERT_EQ(created.status, 201);
  const std::string id = created.Json()["taskId"];
  Json message = WaitForEvent(id, "assistant_message");
  const Json& call = message["eventBody"]["tool_calls"][0];
  EXPECT_EQ(call["execution_mode"], "cli");
  EXPECT_EQ(message["eventBody"]["is_final"], true);
  const std::string call_id = call["id"];
  EXPECT_EQ(GetTask(id)["status"], "running");  // Waiting for the CLI.

  ExpectError(client().Post(TaskPath(id), kAlice,
                            RespondBody({{"type", "user_cancel"}})),
              409, "waiting for CLI tool results");
  ExpectError(client().Post(TaskPath(id), kAlice,
                            RespondBody({{"type", "exec_tool_call"},
                                         {"tool_call_id", "other"},
                                         {"name", "pulumi_preview"}})),
              400, "does not match a pending CLI tool call");
  EXPECT_EQ(client()
                .Post(TaskPath(id), kAlice,
                      RespondBody({{"type", "exec_tool_call"},
                                   {"tool_call_id", call_id},
                                   {"name", "pulumi_preview"}}))
                .status,
            202);
  Json events = AllEvents(id);
  EXPECT_EQ(events.back()["isSynthetic"], true);
  EXPECT_EQ(events.back()["eventBody"]["type"], "exec_tool_call");
  EXPECT_EQ(client()
                .Post(TaskPath(id), kAlice,
                      RespondBody({{"type", "tool_result"},
                                   {"tool_results",
                                    {{{"tool_call_id", call_id},
                                      {"name", "pulumi_preview"},
                                      {"content", {{"changes", 3}}},
                                      {"is_error", false}}}}}))
                .status,
            202);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return AllEvents(id).back()["eventBody"].value("is_final", false);
      },
      kWait));
  WaitIdle(id);
}

TEST_F(EmulatorContractTest, MessageWhileApprovalPendingGetsAwaitingApprovals) {
  const std::string id = Create("approve this");
  WaitForEvent(id, "user_approval_request");
  WaitIdle(id);
  ASSERT_EQ(client()
                .Post(TaskPath(id), kAlice,
                      RespondBody(
                          {{"type", "user_message"}, {"content", "what now?"}}))
                .status,
            202);
  WaitForEvent(id, "awaiting_approvals");
  WaitIdle(id);
}

TEST_F(EmulatorContractTest, IdsAreDeterministicForASeed) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1), .seed = 42});
  const std::string first = Create("x");
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1), .seed = 42});
  EXPECT_EQ(Create("x"), first);
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1), .seed = 43});
  EXPECT_NE(Create("x"), first);
}

// --- SSE -------------------------------------------------------------------

std::vector<std::string> Ids(const std::vector<SseFrame>& frames) {
  std::vector<std::string> ids;
  for (const SseFrame& frame : frames) {
    if (!frame.id.empty()) ids.push_back(frame.id);
  }
  return ids;
}

std::vector<std::string> Ids(const Json& events) {
  std::vector<std::string> ids;
  for (const Json& event : events) ids.push_back(event["id"]);
  return ids;
}

TEST_F(EmulatorContractTest, StreamSendsHistoryThenLiveEventsAndHeartbeats) {
  const std::string id = Create("stream me");
  WaitIdle(id);
  const Json history = AllEvents(id);
  TestSseClient stream(
      absl::StrCat(client().base_url(), TaskPath(id), "/events/stream"),
      {absl::StrCat("Authorization: token ", kAlice)});
  ASSERT_TRUE(stream.WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return Ids(frames).size() >= history.size();
      },
      kWait));
  EXPECT_EQ(stream.status(), 200);
  EXPECT_THAT(stream.response_headers(),
              HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(stream.response_headers(), HasSubstr("Cache-Control: no-cache"));
  EXPECT_THAT(stream.response_headers(), HasSubstr("X-Pulumi-Request-ID: "));

  // Live: a follow-up turn arrives on the same stream.
  ASSERT_EQ(client()
                .Post(TaskPath(id), kAlice,
                      RespondBody(
                          {{"type", "user_message"}, {"content", "and more"}}))
                .status,
            202);
  WaitIdle(id);
  const Json all = AllEvents(id);
  ASSERT_TRUE(stream.WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return Ids(frames).size() == all.size();
      },
      kWait));
  std::vector<SseFrame> frames = ParseSseFrames(stream.raw());
  EXPECT_EQ(Ids(frames), Ids(all));
  size_t index = 0;
  for (const SseFrame& frame : frames) {
    if (frame.id.empty()) continue;
    EXPECT_EQ(frame.data.find('\n'), std::string::npos);
    EXPECT_EQ(Json::parse(frame.data), all[index]) << frame.data;
    ++index;
  }
  // Heartbeats every 100 ms.
  ASSERT_TRUE(stream.WaitForFrames(
      [](const std::vector<SseFrame>& frames) {
        int heartbeats = 0;
        for (const SseFrame& frame : frames) {
          if (frame.id.empty() && frame.comment == "heartbeat") ++heartbeats;
        }
        return heartbeats >= 2;
      },
      kWait));
  EXPECT_EQ(stream.raw().find("\r"), std::string::npos);
}

TEST_F(EmulatorContractTest, StreamReplaysAfterLastEventId) {
  const std::string id = Create("replay");
  WaitIdle(id);
  const Json all = AllEvents(id);
  ASSERT_GE(all.size(), 4u);
  const std::string header = absl::StrCat("Authorization: token ", kAlice);
  const std::string url =
      absl::StrCat(client().base_url(), TaskPath(id), "/events/stream");
  {
    TestSseClient stream(
        url, {header, absl::StrCat("Last-Event-ID: ",
                                   all[2]["id"].get<std::string>())});
    ASSERT_TRUE(stream.WaitForFrames(
        [](const std::vector<SseFrame>& frames) {
          for (const SseFrame& frame : frames) {
            if (frame.comment == "heartbeat") return true;
          }
          return false;
        },
        kWait));
    const std::vector<std::string> all_ids = Ids(all);
    const std::vector<std::string> expected(all_ids.begin() + 3, all_ids.end());
    EXPECT_EQ(Ids(ParseSseFrames(stream.raw())), expected);
  }
  {
    TestSseClient stream(url, {header, "Last-Event-ID: unknown-id"});
    ASSERT_TRUE(stream.WaitForFrames(
        [&](const std::vector<SseFrame>& frames) {
          return Ids(frames).size() == all.size();
        },
        kWait));
    EXPECT_EQ(Ids(ParseSseFrames(stream.raw())), Ids(all));
  }
}

TEST_F(EmulatorContractTest, StreamClosedByClientIsReleased) {
  // No heartbeat writes: the hang-up must be noticed from the socket alone.
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1),
                        .heartbeat_interval = absl::Hours(1)});
  const std::string id = Create("watch");
  const std::string url =
      absl::StrCat(client().base_url(), TaskPath(id), "/events/stream");
  const std::string header = absl::StrCat("Authorization: token ", kAlice);
  {
    std::vector<std::unique_ptr<TestSseClient>> streams;
    for (int i = 0; i < 5; ++i) {
      streams.push_back(
          std::make_unique<TestSseClient>(url, std::vector{header}));
    }
    ASSERT_TRUE(
        WaitUntil([&] { return emulator_->open_stream_count() == 5; }, kWait));
  }
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
  EXPECT_EQ(client().Get(TaskPath(id), kAlice).status, 200);
}

TEST_F(EmulatorContractTest, StatsCountOpenStreamsPerTask) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1),
                        .heartbeat_interval = absl::Hours(1)});
  const std::string a = Create("watch a");
  const std::string b = Create("watch b");
  const std::string header = absl::StrCat("Authorization: token ", kAlice);
  auto url = [&](const std::string& id) {
    return absl::StrCat(client().base_url(), TaskPath(id), "/events/stream");
  };
  // Refused opens are not streams.
  EXPECT_EQ(client().Get(TaskPath("missing") + "/events/stream", kAlice).status,
            404);
  EXPECT_EQ(client().Get(TaskPath(a) + "/events/stream", "").status, 401);

  auto a1 = std::make_unique<TestSseClient>(url(a), std::vector{header});
  auto a2 = std::make_unique<TestSseClient>(url(a), std::vector{header});
  auto b1 = std::make_unique<TestSseClient>(url(b), std::vector{header});
  ASSERT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 3; }, kWait));
  EXPECT_EQ(emulator_->open_stream_count(a), 2u);
  EXPECT_EQ(emulator_->open_stream_count(b), 1u);
  EXPECT_EQ(emulator_->open_stream_count("missing"), 0u);
  EXPECT_EQ(emulator_->streams_opened_total(), 3u);
  TestResponse stats = client().Get("/_emulator/stats", "");
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(stats.Header("Content-Type"), "application/json");
  EXPECT_EQ(stats.Json(), (Json{{"open_streams", 3},
                                {"streams_opened_total", 3},
                                {"open_streams_by_task", {{a, 2}, {b, 1}}}}));

  b1.reset();
  a1.reset();
  ASSERT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 1; }, kWait));
  EXPECT_EQ(emulator_->open_stream_count(a), 1u);
  EXPECT_EQ(emulator_->open_stream_count(b), 0u);
  EXPECT_EQ(emulator_->streams_opened_total(), 3u);
  EXPECT_EQ(client().Get("/_emulator/stats", "").Json(),
            (Json{{"open_streams", 1},
                  {"streams_opened_total", 3},
                  {"open_streams_by_task", {{a, 1}}}}));
}

// CLOCK_REALTIME, the firehose's clock, in nanoseconds.
int64_t RealtimeNs() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

// The firehose contract: valid AgentConsoleEvents, in history and on every
// stream of the task, numbered without gaps, stamped with CLOCK_REALTIME.
TEST_F(EmulatorContractTest, FirehoseEmitsStampedEventsToHistoryAndStreams) {
  Start(EmulatorOptions{.agent_step_delay = absl::Hours(1),
                        .heartbeat_interval = absl::Hours(1)});
  const std::string id = Create("relay target");
  const std::string url =
      absl::StrCat(client().base_url(), TaskPath(id), "/events/stream");
  const std::string header = absl::StrCat("Authorization: token ", kAlice);
  TestSseClient first(url, {header});
  TestSseClient second(url, {header});
  ASSERT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count(id) == 2; }, kWait));

  constexpr int kCount = 300;
  const int64_t before_ns = RealtimeNs();
  TestResponse started = client().Request(
      "PUT", "/_emulator/firehose", "",
      Json{{"task_id", id}, {"rate", 5000}, {"count", kCount}}.dump());
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.Json()["first_seq"], 1);
  EXPECT_EQ(started.Json()["running"], true);

  // history: the user message, then the firehose's events.
  auto firehose_frames = [](const std::vector<SseFrame>& frames) {
    std::vector<Json> events;
    for (const SseFrame& frame : frames) {
      if (frame.data.empty()) continue;
      Json event = Json::parse(frame.data);
      if (absl::StartsWith(event["eventBody"].value("content", ""),
                           "firehose ")) {
        events.push_back(std::move(event));
      }
    }
    return events;
  };
  for (TestSseClient* stream : {&first, &second}) {
    ASSERT_TRUE(stream->WaitForFrames(
        [&](const std::vector<SseFrame>& frames) {
          return firehose_frames(frames).size() == kCount;
        },
        kWait));
  }
  const int64_t after_ns = RealtimeNs();
  const std::vector<Json> events = firehose_frames(ParseSseFrames(first.raw()));
  EXPECT_EQ(events, firehose_frames(ParseSseFrames(second.raw())));
  int64_t previous_ns = before_ns;
  for (int i = 0; i < kCount; ++i) {
    const Json& event = events[i];
    EXPECT_EQ(event["type"], "agentResponse");
    EXPECT_EQ(event["isSynthetic"], false);
    const Json& body = event["eventBody"];
    EXPECT_EQ(body["type"], "assistant_message");
    EXPECT_EQ(body["is_final"], false);
    EXPECT_EQ(body["token_usage"], Json::object());
    EXPECT_TRUE(body.contains("timestamp"));
    const std::string content = body["content"];
    const std::string prefix = absl::StrCat("firehose seq=", i + 1, " t=");
    ASSERT_TRUE(absl::StartsWith(content, prefix)) << content;
    int64_t sent_ns = 0;
    ASSERT_TRUE(absl::SimpleAtoi(content.substr(prefix.size()), &sent_ns))
        << content;
    // Send times are wall-clock nanoseconds, in order, within the run.
    EXPECT_GE(sent_ns, previous_ns);
    EXPECT_LE(sent_ns, after_ns);
    previous_ns = sent_ns;
  }

  // Ordinary history: listed, and replayed after a Last-Event-ID.
  const Json history = AllEvents(id);
  ASSERT_EQ(history.size(), kCount + 1u);
  EXPECT_EQ(history[1], events[0]);
  EXPECT_EQ(history[kCount], events[kCount - 1]);
  TestSseClient resumed(
      url, {header, absl::StrCat("Last-Event-ID: ",
                                 events[kCount - 2]["id"].get<std::string>())});
  ASSERT_TRUE(resumed.WaitForFrames(
      [&](const std::vector<SseFrame>& frames) { return !Ids(frames).empty(); },
      kWait));
  EXPECT_EQ(Ids(ParseSseFrames(resumed.raw())),
            std::vector<std::string>{events[kCount - 1]["id"]});

  const Json listed = client().Get("/_emulator/firehose", "").Json();
  ASSERT_EQ(listed["firehoses"].size(), 1u);
  EXPECT_EQ(listed["firehoses"][0]["emitted"], kCount);
  EXPECT_EQ(listed["firehoses"][0]["running"], false);
}

TEST_F(EmulatorContractTest, FirehoseRefusals) {
  const std::string id = Create("relay target");
  ExpectError(client().Request("PUT", "/_emulator/firehose", "",
                               R"({"task_id": "missing", "rate": 1,
                                   "count": 1})"),
              404, "task not found");
  ExpectError(client().Request("PUT", "/_emulator/firehose", "",
                               R"({"task_id": "x", "rate": 0, "count": 1})"),
              400,
              "invalid firehose: rate must be an integer between 1 and "
              "1000000");
  const std::string slow =
      Json{{"task_id", id}, {"rate", 1}, {"count", 1000}}.dump();
  ASSERT_EQ(client().Request("PUT", "/_emulator/firehose", "", slow).status,
            200);
  ExpectError(client().Request("PUT", "/_emulator/firehose", "", slow), 409,
              "a firehose is already running on task");
  EXPECT_EQ(client().Request("DELETE", "/_emulator/firehose", "").status, 204);
  EXPECT_EQ(
      client().Get("/_emulator/firehose", "").Json()["firehoses"][0]["running"],
      false);
}

TEST_F(EmulatorContractTest, StoppingTheEmulatorEndsOpenStreams) {
  const std::string id = Create("until shutdown");
  TestSseClient stream(
      absl::StrCat(client().base_url(), TaskPath(id), "/events/stream"),
      {absl::StrCat("Authorization: token ", kAlice)});
  ASSERT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 1; }, kWait));
  emulator_.reset();
  ASSERT_TRUE(stream.WaitForEnd(kWait));
  EXPECT_EQ(stream.curl_result(), 0);  // CURLE_OK: a clean end of stream.
}

TEST_F(EmulatorContractTest, StreamOfUnknownTaskIs404) {
  ExpectError(client().Get(TaskPath("missing") + "/events/stream", kAlice), 404,
              "task not found");
}

TEST(EmulatorStartTest, RejectsInvalidOptions) {
  EXPECT_FALSE(Emulator::Start({.port = 70000}).ok());
  EXPECT_FALSE(
      Emulator::Start({.heartbeat_interval = absl::ZeroDuration()}).ok());
  EXPECT_FALSE(
      Emulator::Start({.agent_step_delay = absl::Milliseconds(-1)}).ok());
  EXPECT_FALSE(Emulator::Start({.users = {}}).ok());
  EXPECT_FALSE(Emulator::Start({.host = "256.1.1.1"}).ok());
}

TEST(EmulatorStartTest, CustomUsersReplaceTheDefaults) {
  absl::StatusOr<std::unique_ptr<Emulator>> emulator =
      Emulator::Start({.users = {User{.token = "t-carol",
                                      .login = "carol",
                                      .name = "Carol",
                                      .avatar_url = "https://a/c.png",
                                      .orgs = {"initech"}}}});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  TestHttpClient client((*emulator)->base_url());
  EXPECT_EQ(client.Get("/api/preview/agents/initech/tasks", "t-carol").status,
            200);
  EXPECT_EQ(client.Get("/api/preview/agents/initech/tasks", kAlice).status,
            401);
  TestResponse created = client.Post("/api/preview/agents/initech/tasks",
                                     "t-carol", CreateBody("hi"));
  ASSERT_EQ(created.status, 201);
  Json task =
      client
          .Get(absl::StrCat("/api/preview/agents/initech/tasks/",
                            created.Json()["taskId"].get<std::string>()),
               "t-carol")
          .Json();
  EXPECT_EQ(task["createdBy"], (Json{{"name", "Carol"},
                                     {"githubLogin", "carol"},
                                     {"avatarUrl", "https://a/c.png"}}));
}

}  // namespace
}  // namespace neo_emulator
