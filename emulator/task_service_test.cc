#include "emulator/task_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "emulator/fake_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::FakeScheduler;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class TaskServiceTest : public ::testing::Test {
 protected:
  TaskServiceTest()
      : users_(DefaultUsers()),
        alice_(users_[0]),
        bob_(users_[1]),
        service_(TaskService::Options{.seed = 1,
                                      .agent_step_delay = absl::Seconds(1)},
                 &scheduler_, [this] { return scheduler_.now(); }) {}

  std::string Create(absl::string_view prompt,
                     absl::string_view tool_mode = "") {
    std::string body = Json{{"message", {{"content", prompt}}}}.dump();
    if (!tool_mode.empty()) {
      body = Json{{"message", {{"content", prompt}}},
                  {"toolExecutionMode", tool_mode}}
                 .dump();
    }
    absl::StatusOr<CreateTaskRequest> request =
        ParseCreateTaskRequest(body, scheduler_.now());
    EXPECT_TRUE(request.ok());
    absl::StatusOr<const Task*> task =
        service_.CreateTask(alice_, "acme", *std::move(request));
    EXPECT_TRUE(task.ok()) << task.status();
    return (*task)->id;
  }

  absl::Status Respond(const std::string& id, const Json& event,
                       const User* user = nullptr) {
    absl::StatusOr<UserEvent> parsed =
        ParseRespondRequest(Json{{"event", event}}.dump(), scheduler_.now());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return service_.RespondToTask(user ? *user : alice_, "acme", id,
                                  *std::move(parsed));
  }

  const Task& TaskRef(const std::string& id) {
    return **service_.GetTask(alice_, "acme", id);
  }

  std::vector<std::string> BodyTypes(const std::string& id) {
    std::vector<std::string> types;
    for (const ConsoleEvent& event : TaskRef(id).events) {
      types.push_back(event.body["type"]);
    }
    return types;
  }

  std::vector<User> users_;
  const User& alice_;
  const User& bob_;
  FakeScheduler scheduler_;
  TaskService service_;
};

TEST_F(TaskServiceTest, CreateRunsTheScriptOneStepPerDelay) {
  const std::string id = Create("look around");
  const Task& task = TaskRef(id);
  EXPECT_EQ(task.status, TaskStatus::kRunning);
  EXPECT_EQ(task.runtime_phase, "booting");
  EXPECT_FALSE(task.last_heartbeat.has_value());
  EXPECT_EQ(task.name, "look around");
  EXPECT_THAT(BodyTypes(id), ElementsAre("user_message"));
  EXPECT_EQ(task.events[0].type, "userInput");

  const absl::Time start = scheduler_.now();
  ASSERT_TRUE(scheduler_.RunNext());
  EXPECT_EQ(scheduler_.now() - start, absl::Seconds(1));
  EXPECT_EQ(task.name, "Task: look around");
  EXPECT_EQ(task.runtime_phase, "running");
  EXPECT_EQ(task.last_heartbeat, scheduler_.now());
  EXPECT_EQ(task.status, TaskStatus::kRunning);

  EXPECT_EQ(scheduler_.RunAll(), 4);
  EXPECT_THAT(BodyTypes(id), ElementsAre("user_message", "set_task_name",
                                         "assistant_message", "exec_tool_call",
                                         "tool_response", "assistant_message"));
  EXPECT_EQ(task.status, TaskStatus::kIdle);
  EXPECT_EQ(task.runtime_phase, "ready");
  EXPECT_EQ(task.agent.turn, TurnState::kIdle);
  // Token accounting: the sum of both assistant messages' usage.
  int64_t total = 0;
  int64_t last_context = 0;
  for (const ConsoleEvent& event : task.events) {
    if (event.body["type"] != "assistant_message") continue;
    const Json& usage = event.body["token_usage"]["neo-model"];
    total += usage["input_tokens"].get<int64_t>() +
             usage["output_tokens"].get<int64_t>() +
             usage["cache_read_input_tokens"].get<int64_t>() +
             usage["cache_creation_input_tokens"].get<int64_t>();
    last_context = usage["input_tokens"].get<int64_t>() +
                   usage["cache_read_input_tokens"].get<int64_t>() +
                   usage["cache_creation_input_tokens"].get<int64_t>();
  }
  EXPECT_EQ(task.tokens_used, total);
  EXPECT_EQ(task.context_used_tokens, last_context);
  // Every agent event carries its emission time.
  EXPECT_EQ(task.events.back().body["timestamp"], "2026-01-01T00:00:05.000Z");
}

TEST_F(TaskServiceTest, UserRenameWinsOverTheAgentsName) {
  const std::string id = Create("x");
  ASSERT_TRUE(
      service_.UpdateTask(alice_, "acme", id, UpdateTaskRequest{.name = "mine"})
          .ok());
  scheduler_.RunAll();
  EXPECT_EQ(TaskRef(id).name, "mine");
}

TEST_F(TaskServiceTest, InputWhileRunningIsRejected) {
  const std::string id = Create("x");
  absl::Status status =
      Respond(id, {{"type", "user_message"}, {"content", "more"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), kRequestOngoing);
  EXPECT_THAT(BodyTypes(id), ElementsAre("user_message"));
}

TEST_F(TaskServiceTest, UserCancelStopsTheTurn) {
  const std::string id = Create("x");
  scheduler_.RunNext();
  ASSERT_TRUE(Respond(id, {{"type", "user_cancel"}}).ok());
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_THAT(BodyTypes(id), ElementsAre("user_message", "set_task_name",
                                         "user_cancel", "cancelled"));
  const Task& task = TaskRef(id);
  EXPECT_EQ(task.events.back().body["operation_was_running"], true);
  EXPECT_FALSE(task.events.back().is_synthetic);
  EXPECT_EQ(task.status, TaskStatus::kIdle);
  // Idle: a new message is accepted and starts a turn without renaming.
  ASSERT_TRUE(Respond(id, {{"type", "user_message"}, {"content", "y"}}).ok());
  scheduler_.RunAll();
  EXPECT_EQ(BodyTypes(id).back(), "assistant_message");
  const std::vector<std::string> types = BodyTypes(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "set_task_name"), 1);
}

TEST_F(TaskServiceTest, ApprovalFlow) {
  const std::string id = Create("approve it");
  scheduler_.RunAll();
  const Task& task = TaskRef(id);
  ASSERT_TRUE(task.agent.pending_approval_id.has_value());
  const std::string approval = *task.agent.pending_approval_id;
  EXPECT_EQ(task.events.back().body["id"], approval);
  EXPECT_EQ(task.status, TaskStatus::kIdle);

  // A message while the approval is pending gets awaiting_approvals.
  ASSERT_TRUE(Respond(id, {{"type", "user_message"}, {"content", "?"}}).ok());
  scheduler_.RunAll();
  EXPECT_EQ(BodyTypes(id).back(), "awaiting_approvals");
  EXPECT_EQ(task.agent.pending_approval_id, approval);

  absl::Status wrong = Respond(id, {{"type", "user_confirmation"},
                                    {"approval_request_id", "nope"},
                                    {"ok", true}});
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.message(), HasSubstr(approval));

  ASSERT_TRUE(Respond(id, {{"type", "user_confirmation"},
                           {"approval_request_id", approval},
                           {"ok", true}})
                  .ok());
  EXPECT_FALSE(task.agent.pending_approval_id.has_value());
  EXPECT_EQ(task.status, TaskStatus::kRunning);
  scheduler_.RunAll();
  EXPECT_EQ(task.events.back().body["content"],
            "Applied 3 changes to stack dev.");
  EXPECT_EQ(task.status, TaskStatus::kIdle);
}

TEST_F(TaskServiceTest, ForceCancelClearsThePendingApproval) {
  const std::string id = Create("approve it");
  scheduler_.RunAll();
  ASSERT_TRUE(service_.CancelTask(alice_, "acme", id).ok());
  const Task& task = TaskRef(id);
  EXPECT_FALSE(task.agent.pending_approval_id.has_value());
  EXPECT_TRUE(task.events.back().is_synthetic);
  EXPECT_EQ(task.events.back().body["operation_was_running"], false);
}

TEST_F(TaskServiceTest, CliToolFlow) {
  const std::string id = Create("run it", "cli");
  scheduler_.RunAll();
  const Task& task = TaskRef(id);
  EXPECT_EQ(task.agent.turn, TurnState::kAwaitingCliResults);
  EXPECT_EQ(task.status, TaskStatus::kRunning);
  ASSERT_EQ(task.agent.pending_cli_calls.size(), 1u);
  const std::string call = task.agent.pending_cli_calls[0].id;

  EXPECT_EQ(Respond(id, {{"type", "user_message"}, {"content", "?"}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Respond(id, {{"type", "user_cancel"}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      Respond(id,
              {{"type", "tool_result"},
               {"tool_results",
                {{{"tool_call_id", "x"}, {"name", "n"}, {"content", "c"}}}}})
          .code(),
      absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Respond(id, {{"type", "exec_tool_call"},
                           {"tool_call_id", call},
                           {"name", "pulumi_preview"}})
                  .ok());
  EXPECT_TRUE(task.events.back().is_synthetic);
  ASSERT_TRUE(Respond(id, {{"type", "tool_result"},
                           {"tool_results",
                            {{{"tool_call_id", call},
                              {"name", "pulumi_preview"},
                              {"content", "ok"},
                              {"is_error", true}}}}})
                  .ok());
  EXPECT_EQ(task.agent.turn, TurnState::kAgentRunning);
  scheduler_.RunAll();
  EXPECT_EQ(BodyTypes(id).back(), "error");
  EXPECT_EQ(task.status, TaskStatus::kIdle);
  EXPECT_EQ(
      Respond(id,
              {{"type", "tool_result"},
               {"tool_results",
                {{{"tool_call_id", call}, {"name", "n"}, {"content", "c"}}}}})
          .message(),
      "no CLI tool call is waiting for a result");
}

TEST_F(TaskServiceTest, VisibilityAndOwnership) {
  const std::string id = Create("x");
  const User outsider{.token = "t", .login = "eve", .orgs = {"globex"}};
  EXPECT_EQ(service_.GetTask(outsider, "acme", id).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_.GetTask(bob_, "acme", id).status().message(),
            kTaskNotFound);
  EXPECT_EQ(service_.GetTask(alice_, "globex", id).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(
      service_
          .UpdateTask(alice_, "acme", id, UpdateTaskRequest{.is_shared = true})
          .ok());
  EXPECT_TRUE(service_.GetTask(bob_, "acme", id).ok());
  EXPECT_EQ(service_.UpdateTask(bob_, "acme", id, UpdateTaskRequest{})
                .status()
                .message(),
            kTaskNotOwned);
  EXPECT_EQ(Respond(id, {{"type", "user_cancel"}}, &bob_).message(),
            kTaskNotOwned);
  EXPECT_EQ(service_.CancelTask(bob_, "acme", id).message(), kTaskNotOwned);
}

TEST_F(TaskServiceTest, SubscribersGetBacklogThenLiveEvents) {
  const std::string id = Create("x");
  scheduler_.RunNext();
  std::vector<std::string> live;
  absl::StatusOr<TaskService::Subscription> subscription = service_.Subscribe(
      alice_, "acme", id, std::nullopt,
      [&](const ConsoleEvent& event) { live.push_back(event.id); });
  ASSERT_TRUE(subscription.ok());
  EXPECT_EQ(subscription->backlog.size(), 2u);
  scheduler_.RunNext();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0], TaskRef(id).events[2].id);

  // Last-Event-ID: only what follows; unknown ids replay everything.
  absl::StatusOr<TaskService::Subscription> resumed = service_.Subscribe(
      alice_, "acme", id, TaskRef(id).events[1].id, [](const ConsoleEvent&) {});
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->backlog.size(), 1u);
  EXPECT_EQ(resumed->backlog[0]->id, TaskRef(id).events[2].id);
  EXPECT_EQ(
      service_
          .Subscribe(alice_, "acme", id, "unknown", [](const ConsoleEvent&) {})
          ->backlog.size(),
      3u);

  service_.Unsubscribe(subscription->id);
  scheduler_.RunNext();
  EXPECT_EQ(live.size(), 1u);
  EXPECT_EQ(
      service_
          .Subscribe(bob_, "acme", id, std::nullopt, [](const ConsoleEvent&) {})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
}

TEST_F(TaskServiceTest, CallbacksMayUnsubscribeThemselvesAndOthers) {
  const std::string id = Create("x");
  uint64_t first = 0;
  uint64_t second = 0;
  int calls = 0;
  first = service_
              .Subscribe(alice_, "acme", id, std::nullopt,
                         [&](const ConsoleEvent&) {
                           ++calls;
                           service_.Unsubscribe(first);
                           service_.Unsubscribe(second);
                         })
              ->id;
  second = service_
               .Subscribe(alice_, "acme", id, std::nullopt,
                          [&](const ConsoleEvent&) { ++calls; })
               ->id;
  scheduler_.RunAll();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(service_.subscription_count(), 0u);
}

TEST_F(TaskServiceTest, ShutdownStopsAgentsAndDropsSubscriptions) {
  const std::string id = Create("x");
  ASSERT_TRUE(service_
                  .Subscribe(alice_, "acme", id, std::nullopt,
                             [](const ConsoleEvent&) {})
                  .ok());
  service_.Shutdown();
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_EQ(service_.subscription_count(), 0u);
}

TEST_F(TaskServiceTest, SameSeedSameIds) {
  FakeScheduler other_scheduler;
  TaskService other(
      TaskService::Options{.seed = 1, .agent_step_delay = absl::Seconds(1)},
      &other_scheduler, [&] { return other_scheduler.now(); });
  const std::string id = Create("approve");
  absl::StatusOr<const Task*> twin = other.CreateTask(
      alice_, "acme",
      *ParseCreateTaskRequest(R"({"message":{"content":"approve"}})",
                              other_scheduler.now()));
  ASSERT_TRUE(twin.ok());
  EXPECT_EQ((*twin)->id, id);
  scheduler_.RunAll();
  other_scheduler.RunAll();
  ASSERT_EQ((*twin)->events.size(), TaskRef(id).events.size());
  for (size_t i = 0; i < (*twin)->events.size(); ++i) {
    EXPECT_EQ((*twin)->events[i].json, TaskRef(id).events[i].json);
  }
}

}  // namespace
}  // namespace neo_emulator
