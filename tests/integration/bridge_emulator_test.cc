// Integration: a real neo-bridge (BridgeServer, CurlTransport) in front of a
// real neo-emulator, both in-process on loopback with ephemeral ports, called
// through generated gRPC stubs.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bridge/server/bridge_server.h"
#include "emulator/emulator.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAliceToken[] = "pul-emulator-alice";
constexpr char kBobToken[] = "pul-emulator-bob";
constexpr absl::Duration kWait = absl::Seconds(20);

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

// The body kind of an event, e.g. "userInput/user_message" or
// "agentResponse/assistant_message".
std::string Kind(const v1::TaskEvent& event) {
  if (event.has_agent_response()) {
    return absl::StrCat(event.type(), "/", event.agent_response().type());
  }
  if (event.has_user_input()) {
    return absl::StrCat(event.type(), "/", event.user_input().type());
  }
  return event.type();
}

class BridgeEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { StartAll(absl::Milliseconds(10)); }

  void StartAll(absl::Duration agent_step_delay) {
    bridge_.reset();
    emulator_.reset();
    neo_emulator::EmulatorOptions emulator_options;
    emulator_options.agent_step_delay = agent_step_delay;
    auto emulator = neo_emulator::Emulator::Start(emulator_options);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    StartBridge(emulator_->base_url());
  }

  void StartBridge(const std::string& upstream_url) {
    bridge_.reset();
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.upstream_url = upstream_url;
    options.default_org = "acme";
    options.access_token = kAliceToken;
    // The suite calls without metadata: lend it the service token.
    options.service_token_policy.kind = security::ServiceTokenPolicyKind::kOpen;
    options.metrics_listen = "";  // Off: not under test here.
    options.connect_timeout = absl::Seconds(2);
    auto bridge = server::BridgeServer::Start(options);
    ASSERT_TRUE(bridge.ok()) << bridge.status();
    bridge_ = *std::move(bridge);
    stub_ = v1::AgentTasksService::NewStub(grpc::CreateChannel(
        bridge_->address(), grpc::InsecureChannelCredentials()));
  }

  // A context with a deadline, acting as `token` when given (else the
  // bridge's service token, alice).
  std::unique_ptr<grpc::ClientContext> Context(const char* token = nullptr) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    if (token != nullptr) {
      context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    return context;
  }

  std::string CreateTask(const std::string& prompt) {
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content(prompt);
    v1::CreateTaskResponse response;
    grpc::Status status =
        stub_->CreateTask(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(response.task_id().empty());
    return response.task_id();
  }

  v1::Task GetTask(const std::string& task_id) {
    v1::GetTaskRequest request;
    request.set_task_id(task_id);
    v1::GetTaskResponse response;
    grpc::Status status = stub_->GetTask(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.task();
  }

  // Every event of the task, all pages.
  std::vector<v1::TaskEvent> AllEvents(const std::string& task_id,
                                       int page_size = 0) {
    std::vector<v1::TaskEvent> events;
    v1::ListTaskEventsRequest request;
    request.set_task_id(task_id);
    request.set_page_size(page_size);
    for (int page = 0; page < 1000; ++page) {
      v1::ListTaskEventsResponse response;
      grpc::Status status =
          stub_->ListTaskEvents(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      events.insert(events.end(), response.events().begin(),
                    response.events().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return events;
  }

  // Polls the task's events until `done` holds for them; fails on timeout.
  template <typename Predicate>
  std::vector<v1::TaskEvent> WaitForEvents(const std::string& task_id,
                                           Predicate done) {
    const absl::Time deadline = absl::Now() + kWait;
    std::vector<v1::TaskEvent> events;
    while (absl::Now() < deadline) {
      events = AllEvents(task_id);
      if (done(events)) return events;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "condition not met within " << kWait << "; "
                  << events.size() << " events";
    return events;
  }

  // Waits until the agent's turn has ended `turns` times.
  std::vector<v1::TaskEvent> WaitForTurnEnds(const std::string& task_id,
                                             int turns) {
    return WaitForEvents(task_id, [turns](const auto& events) {
      int ended = 0;
      for (const auto& e : events) ended += e.ends_turn() ? 1 : 0;
      return ended >= turns;
    });
  }

  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<server::BridgeServer> bridge_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(BridgeEmulatorTest, CreateGetAndListATask) {
  const std::string id = CreateTask("Check the dev stack");
  v1::Task task = GetTask(id);
  EXPECT_EQ(task.id(), id);
  EXPECT_FALSE(task.name().empty());
  EXPECT_NE(task.status(), v1::TASK_STATUS_UNSPECIFIED);
  EXPECT_TRUE(task.has_created_at());
  EXPECT_EQ(task.created_by().github_login(), "alice");
  EXPECT_FALSE(task.created_by().name().empty());
  EXPECT_EQ(task.approval_mode(), v1::APPROVAL_MODE_MANUAL);
  EXPECT_EQ(task.task_type(), v1::TASK_TYPE_SYNC);
  EXPECT_FALSE(task.is_shared());
  EXPECT_FALSE(task.has_shared_at());
  EXPECT_TRUE(task.unknown_fields().fields().empty())
      << "the emulator sent a task field the bridge does not model: "
      << task.unknown_fields().ShortDebugString();

  v1::ListTasksRequest list;
  v1::ListTasksResponse listed;
  ASSERT_TRUE(stub_->ListTasks(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.tasks_size(), 1);
  EXPECT_EQ(listed.tasks(0).id(), id);
  EXPECT_TRUE(listed.next_page_token().empty());
}

TEST_F(BridgeEmulatorTest, CreateCarriesEveryOption) {
  v1::CreateTaskRequest request;
  v1::UserEvent* message = request.mutable_message();
  message->mutable_user_message()->set_content("Review the stack");
  v1::EntityDiff* diff = message->mutable_entity_diff();
  v1::StackEntity* stack = diff->add_add()->mutable_stack();
  stack->set_name("dev");
  stack->set_project("web");
  v1::RepositoryEntity* repo = diff->add_add()->mutable_repository();
  repo->set_name("infra");
  repo->set_org("acme");
  repo->set_forge("github");
  v1::PullRequestEntity* pr = diff->add_add()->mutable_pull_request();
  pr->set_number(42);
  pr->set_merged(false);
  pr->mutable_repo()->set_name("infra");
  pr->mutable_repo()->set_org("acme");
  diff->add_add()->mutable_policy_issue()->set_id("pol-1");
  message->mutable_page_context()->set_path("/acme/web/dev");
  request.set_approval_mode(v1::APPROVAL_MODE_AUTO);
  request.set_plan_mode(true);
  request.set_permission_mode(v1::PERMISSION_MODE_READ_ONLY);
  request.set_tool_execution_mode(v1::TOOL_EXECUTION_MODE_CLI);
  request.set_source(v1::TASK_SOURCE_SLACK);
  request.set_role("role-reader");
  request.mutable_enabled_integrations();  // Opt out of all.
  v1::CreateTaskResponse created;
  ASSERT_TRUE(stub_->CreateTask(Context().get(), request, &created).ok());

  v1::Task task = GetTask(created.task_id());
  EXPECT_EQ(task.approval_mode(), v1::APPROVAL_MODE_AUTO);
  EXPECT_TRUE(task.plan_mode());
  EXPECT_EQ(task.permission_mode(), v1::PERMISSION_MODE_READ_ONLY);
  EXPECT_EQ(task.tool_execution_mode(), v1::TOOL_EXECUTION_MODE_CLI);
  EXPECT_EQ(task.source(), v1::TASK_SOURCE_SLACK);
  EXPECT_EQ(task.role(), "role-reader");
  ASSERT_EQ(task.entities_size(), 4);
  EXPECT_EQ(task.entities(0).stack().project(), "web");
  EXPECT_EQ(task.entities(1).repository().forge(), "github");
  EXPECT_EQ(task.entities(2).pull_request().number(), 42);
  EXPECT_EQ(task.entities(2).pull_request().repo().name(), "infra");
  EXPECT_EQ(task.entities(3).policy_issue().id(), "pol-1");

  // The first event is the user's message, as sent.
  std::vector<v1::TaskEvent> events = AllEvents(created.task_id());
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events[0].has_user_input());
  const v1::UserEvent& first = events[0].user_input();
  EXPECT_EQ(first.user_message().content(), "Review the stack");
  EXPECT_EQ(first.page_context().path(), "/acme/web/dev");
  EXPECT_EQ(first.entity_diff().add_size(), 4);
  EXPECT_TRUE(first.has_timestamp());
}

TEST_F(BridgeEmulatorTest, ATurnRunsToItsEnd) {
  const std::string id = CreateTask("Summarize the dev stack");
  std::vector<v1::TaskEvent> events = WaitForTurnEnds(id, 1);
  std::vector<std::string> kinds;
  for (const auto& e : events) kinds.push_back(Kind(e));
  EXPECT_THAT(
      kinds,
      ElementsAre("userInput/user_message", "agentResponse/set_task_name",
                  "agentResponse/assistant_message",
                  "agentResponse/exec_tool_call", "agentResponse/tool_response",
                  "agentResponse/assistant_message"));
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_FALSE(events[i].ends_turn()) << i;
  }
  const v1::AssistantMessage& final_message =
      events.back().agent_response().assistant_message();
  EXPECT_TRUE(final_message.is_final());
  EXPECT_TRUE(events.back().ends_turn());
  const v1::AssistantMessage& first_message =
      events[2].agent_response().assistant_message();
  ASSERT_EQ(first_message.tool_calls_size(), 1);
  EXPECT_EQ(
      first_message.tool_calls(0).args().fields().at("stack").string_value(),
      "dev");
  EXPECT_FALSE(first_message.token_usage().empty());
  for (const auto& e : events) {
    EXPECT_FALSE(e.id().empty());
    EXPECT_TRUE(e.unknown_fields().fields().empty()) << Kind(e);
  }
  // The agent renamed the task and went idle.
  v1::Task task = GetTask(id);
  EXPECT_EQ(task.name(), events[1].agent_response().set_task_name().name());
  EXPECT_EQ(task.status(), v1::TASK_STATUS_IDLE);
  EXPECT_GT(task.tokens_used(), 0);
}

TEST_F(BridgeEmulatorTest, AnApprovalConversation) {
  const std::string id = CreateTask("Update the stack, ask for my approval");
  std::vector<v1::TaskEvent> events = WaitForTurnEnds(id, 1);
  ASSERT_FALSE(events.empty());
  const v1::TaskEvent ask = events.back();
  ASSERT_EQ(Kind(ask), "agentResponse/user_approval_request");
  EXPECT_TRUE(ask.ends_turn());
  ASSERT_FALSE(ask.approval_request_id().empty());
  EXPECT_EQ(ask.approval_request_id(),
            ask.agent_response().user_approval_request().id());
  EXPECT_EQ(ask.agent_response().user_approval_request().approval_type(),
            v1::APPROVAL_TYPE_GENERAL);

  v1::RespondToTaskRequest respond;
  respond.set_task_id(id);
  v1::UserConfirmation* confirmation =
      respond.mutable_event()->mutable_user_confirmation();
  confirmation->set_approval_request_id(ask.approval_request_id());
  confirmation->set_ok(true);
  v1::RespondToTaskResponse responded;
  grpc::Status status =
      stub_->RespondToTask(Context().get(), respond, &responded);
  ASSERT_TRUE(status.ok()) << status.error_message();

  events = WaitForTurnEnds(id, 2);
  const v1::TaskEvent& answer = events.back();
  ASSERT_EQ(Kind(answer), "agentResponse/assistant_message");
  EXPECT_TRUE(answer.agent_response().assistant_message().is_final());
  bool saw_confirmation = false;
  for (const auto& e : events) {
    if (e.user_input().has_user_confirmation()) {
      saw_confirmation = true;
      EXPECT_EQ(e.user_input().user_confirmation().approval_request_id(),
                ask.approval_request_id());
      EXPECT_TRUE(e.user_input().user_confirmation().ok());
    }
  }
  EXPECT_TRUE(saw_confirmation);
}

TEST_F(BridgeEmulatorTest, ListTasksPagesWithoutDuplicatesOrGaps) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) created.insert(CreateTask(absl::StrCat("t", i)));

  std::vector<std::string> seen;
  v1::ListTasksRequest request;
  request.set_page_size(2);
  int pages = 0;
  while (true) {
    v1::ListTasksResponse response;
    grpc::Status status = stub_->ListTasks(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++pages;
    EXPECT_LE(response.tasks_size(), 2);
    for (const auto& t : response.tasks()) seen.push_back(t.id());
    // A task created between pages must not disturb the paging.
    if (pages == 1) CreateTask("created between pages");
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    ASSERT_LT(pages, 10);
  }
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a task was listed twice";
  for (const std::string& id : created) {
    EXPECT_TRUE(unique.contains(id)) << "task " << id << " was skipped";
  }
  EXPECT_GE(pages, 3);
}

TEST_F(BridgeEmulatorTest, ListTasksSortsAndFilters) {
  for (const char* prompt : {"bravo", "alpha", "charlie"}) CreateTask(prompt);
  v1::ListTasksRequest request;
  request.set_sort_by(v1::TASK_SORT_FIELD_CREATED);
  request.set_sort_direction(v1::SORT_DIRECTION_ASC);
  v1::ListTasksResponse ascending;
  ASSERT_TRUE(stub_->ListTasks(Context().get(), request, &ascending).ok());
  ASSERT_EQ(ascending.tasks_size(), 3);
  request.set_sort_direction(v1::SORT_DIRECTION_DESC);
  v1::ListTasksResponse descending;
  ASSERT_TRUE(stub_->ListTasks(Context().get(), request, &descending).ok());
  ASSERT_EQ(descending.tasks_size(), 3);
  EXPECT_EQ(ascending.tasks(0).id(), descending.tasks(2).id());
  EXPECT_EQ(ascending.tasks(2).id(), descending.tasks(0).id());

  request.set_task_type(v1::TASK_TYPE_ASYNC);
  v1::ListTasksResponse async_only;
  ASSERT_TRUE(stub_->ListTasks(Context().get(), request, &async_only).ok());
  EXPECT_EQ(async_only.tasks_size(), 0);
}

TEST_F(BridgeEmulatorTest, ListTaskEventsPages) {
  const std::string id = CreateTask("Summarize");
  std::vector<v1::TaskEvent> all = WaitForTurnEnds(id, 1);
  std::vector<v1::TaskEvent> paged = AllEvents(id, /*page_size=*/2);
  ASSERT_EQ(paged.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(paged[i].id(), all[i].id());
}

TEST_F(BridgeEmulatorTest, OnlyTheCreatorMayUpdate) {
  const std::string id = CreateTask("Rename me");
  WaitForTurnEnds(id, 1);

  v1::UpdateTaskRequest update;
  update.set_task_id(id);
  update.set_name("  Renamed by Alice  ");
  update.set_is_shared(true);
  update.set_approval_mode(v1::APPROVAL_MODE_BALANCED);
  v1::UpdateTaskResponse updated;
  grpc::Status status = stub_->UpdateTask(Context().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.task().name(), "Renamed by Alice");
  EXPECT_TRUE(updated.task().is_shared());
  EXPECT_TRUE(updated.task().has_shared_at());
  EXPECT_EQ(updated.task().approval_mode(), v1::APPROVAL_MODE_BALANCED);
  // Unset fields stay unchanged.
  EXPECT_EQ(updated.task().permission_mode(), v1::PERMISSION_MODE_DEFAULT);

  // Bob sees the shared task but may not change it.
  v1::GetTaskRequest get;
  get.set_task_id(id);
  v1::GetTaskResponse got;
  ASSERT_TRUE(stub_->GetTask(Context(kBobToken).get(), get, &got).ok());
  v1::UpdateTaskRequest by_bob;
  by_bob.set_task_id(id);
  by_bob.set_name("Renamed by Bob");
  status = stub_->UpdateTask(Context(kBobToken).get(), by_bob, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(info->metadata().at("http_status"), "404");
  EXPECT_EQ(GetTask(id).name(), "Renamed by Alice");
}

TEST_F(BridgeEmulatorTest, UnknownTaskIsNotFoundWithTheRequestId) {
  v1::GetTaskRequest request;
  request.set_task_id("no-such-task");
  v1::GetTaskResponse response;
  grpc::Status status = stub_->GetTask(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              HasSubstr("GetTask: Neo API returned HTTP 404"));
  auto info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), "neobridge.v1");
  EXPECT_FALSE(info->metadata().at("request_id").empty());
  EXPECT_FALSE(info->metadata().at("upstream_message").empty());

  v1::ListTaskEventsRequest events;
  events.set_task_id("no-such-task");
  v1::ListTaskEventsResponse listed;
  EXPECT_EQ(
      stub_->ListTaskEvents(Context().get(), events, &listed).error_code(),
      grpc::StatusCode::NOT_FOUND);
  v1::CancelTaskRequest cancel;
  cancel.set_task_id("no-such-task");
  v1::CancelTaskResponse cancelled;
  EXPECT_EQ(stub_->CancelTask(Context().get(), cancel, &cancelled).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BridgeEmulatorTest, AnUnknownTokenIsUnauthenticated) {
  v1::ListTasksRequest request;
  v1::ListTasksResponse response;
  grpc::Status status =
      stub_->ListTasks(Context("pul-not-a-user").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_UNAUTHENTICATED");
  EXPECT_THAT(status.error_message(),
              ::testing::Not(HasSubstr("pul-not-a-user")));
}

TEST_F(BridgeEmulatorTest, AnotherOrgIsPermissionDenied) {
  v1::ListTasksRequest request;
  request.set_org("not-my-org");
  v1::ListTasksResponse response;
  grpc::Status status = stub_->ListTasks(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_PERMISSION_DENIED");
}

TEST_F(BridgeEmulatorTest, UpstreamValidationErrorsAreInvalidArgument) {
  const std::string id = CreateTask("Summarize");
  WaitForTurnEnds(id, 1);
  // A user event type the emulator does not accept passes the bridge (it may
  // be newer than the bridge) and is refused upstream with 400.
  v1::RespondToTaskRequest respond;
  respond.set_task_id(id);
  respond.mutable_event()->set_type("user_telepathy");
  v1::RespondToTaskResponse responded;
  grpc::Status status =
      stub_->RespondToTask(Context().get(), respond, &responded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_INVALID_ARGUMENT");

  // The bridge's own validation answers before any upstream call.
  v1::UpdateTaskRequest update;
  update.set_task_id(id);
  update.set_name(" \t ");
  v1::UpdateTaskResponse updated;
  status = stub_->UpdateTask(Context().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "INVALID_REQUEST");
}

TEST_F(BridgeEmulatorTest, CancelStopsARunningTurn) {
  StartAll(absl::Milliseconds(300));
  const std::string id = CreateTask("A long job");
  v1::CancelTaskRequest cancel;
  cancel.set_task_id(id);
  v1::CancelTaskResponse cancelled;
  grpc::Status status = stub_->CancelTask(Context().get(), cancel, &cancelled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::TaskEvent> events = WaitForTurnEnds(id, 1);
  ASSERT_EQ(Kind(events.back()), "agentResponse/cancelled");
  EXPECT_TRUE(events.back().is_synthetic());
  EXPECT_TRUE(
      events.back().agent_response().cancelled().operation_was_running());
  EXPECT_EQ(GetTask(id).status(), v1::TASK_STATUS_IDLE);
}

TEST_F(BridgeEmulatorTest, RespondingWhileATurnRunsIsAborted) {
  StartAll(absl::Milliseconds(500));
  const std::string id = CreateTask("A long job");
  v1::RespondToTaskRequest respond;
  respond.set_task_id(id);
  respond.mutable_event()->mutable_user_message()->set_content("and more");
  v1::RespondToTaskResponse responded;
  grpc::Status status =
      stub_->RespondToTask(Context().get(), respond, &responded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_CONFLICT");

  // A user_cancel is accepted while the turn runs, and ends it.
  respond.mutable_event()->mutable_user_cancel();
  status = stub_->RespondToTask(Context().get(), respond, &responded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::TaskEvent> events = WaitForTurnEnds(id, 1);
  EXPECT_EQ(Kind(events.back()), "agentResponse/cancelled");
}

TEST_F(BridgeEmulatorTest, AnUnreachableUpstreamIsUnavailable) {
  // Stop the emulator, keep its address: connections are refused.
  const std::string url = emulator_->base_url();
  bridge_.reset();
  emulator_.reset();
  StartBridge(url);
  v1::ListTasksRequest request;
  v1::ListTasksResponse response;
  grpc::Status status = stub_->ListTasks(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_UNREACHABLE");
}

}  // namespace
}  // namespace neobridge
