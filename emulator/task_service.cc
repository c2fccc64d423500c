#include "emulator/task_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "emulator/json_shapes.h"
#include "emulator/time_format.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kAgentResponse = "agentResponse";
constexpr absl::string_view kUserInput = "userInput";

}  // namespace

TaskService::TaskService(Options options, Scheduler* scheduler, Clock clock)
    : options_(options),
      scheduler_(scheduler),
      clock_(std::move(clock)),
      task_ids_(options.seed, kTaskIdStream) {}

TaskService::~TaskService() { Shutdown(); }

void TaskService::Shutdown() {
  shut_down_ = true;
  for (const auto& task : store_.tasks()) {
    if (task->agent.step_timer != 0) {
      scheduler_->Cancel(task->agent.step_timer);
      task->agent.step_timer = 0;
    }
    task->subscribers.clear();
  }
  subscribers_.clear();
}

absl::Status TaskService::CheckMember(const User& caller,
                                      absl::string_view org) const {
  if (!caller.IsMemberOf(org)) {
    return absl::PermissionDeniedError(
        absl::StrCat("user '", caller.login,
                     "' is not a member of organization '", org, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const Task*> TaskService::FindVisible(
    const User& caller, absl::string_view org,
    absl::string_view task_id) const {
  if (absl::Status status = CheckMember(caller, org); !status.ok()) {
    return status;
  }
  const Task* task = store_.Find(task_id);
  if (task == nullptr || task->org != org ||
      !IsVisibleTo(*task, caller.login)) {
    return absl::NotFoundError(kTaskNotFound);
  }
  return task;
}

absl::StatusOr<Task*> TaskService::FindOwned(const User& caller,
                                             absl::string_view org,
                                             absl::string_view task_id) {
  if (absl::Status status = CheckMember(caller, org); !status.ok()) {
    return status;
  }
  Task* task = store_.Find(task_id);
  if (task == nullptr || task->org != org ||
      task->creator_login != caller.login) {
    return absl::NotFoundError(kTaskNotOwned);
  }
  return task;
}

absl::StatusOr<const Task*> TaskService::CreateTask(const User& caller,
                                                    absl::string_view org,
                                                    CreateTaskRequest request) {
  if (absl::Status status = CheckMember(caller, org); !status.ok()) {
    return status;
  }
  const absl::Time now = clock_();
  auto task = std::make_unique<Task>();
  task->id = task_ids_.NextUuid();
  task->org = std::string(org);
  task->creator_login = caller.login;
  task->creator_name = caller.name;
  task->creator_avatar_url = caller.avatar_url;
  task->name = InitialTaskName(request.prompt);
  task->status = TaskStatus::kRunning;
  task->created_at = now;
  task->last_event_at = now;
  task->approval_mode = request.approval_mode.value_or("manual");
  task->entities = std::move(request.entities);
  task->plan_mode = request.plan_mode.value_or(false);
  task->permission_mode = request.permission_mode.value_or("default");
  task->runtime_phase = "booting";
  task->tool_execution_mode = request.tool_execution_mode.value_or("cloud");
  task->source = request.source.value_or("api");
  task->role = std::move(request.role);
  task->enabled_integrations = std::move(request.enabled_integrations);
  task->cli_integrations = std::move(request.cli_integrations);

  Task& stored = store_.Insert(std::move(task));
  stored.agent.ids = IdSource(options_.seed, kFirstTaskStream + stored.seq);
  AppendEvent(stored, kUserInput, /*synthetic=*/false,
              std::move(request.message));
  stored.agent.last_prompt = request.prompt;
  StartTurn(stored, PlanUserMessageTurn(
                        UserMessageTurn{
                            .prompt = request.prompt,
                            .first_turn = true,
                            .cli_tools = stored.tool_execution_mode == "cli"},
                        stored.agent.ids));
  return &stored;
}

absl::StatusOr<const Task*> TaskService::GetTask(
    const User& caller, absl::string_view org,
    absl::string_view task_id) const {
  return FindVisible(caller, org, task_id);
}

absl::StatusOr<const Task*> TaskService::UpdateTask(
    const User& caller, absl::string_view org, absl::string_view task_id,
    const UpdateTaskRequest& update) {
  absl::StatusOr<Task*> found = FindOwned(caller, org, task_id);
  if (!found.ok()) return found.status();
  Task& task = **found;
  if (update.name) {
    task.name = *update.name;
    task.agent.renamed_by_user = true;
  }
  if (update.is_shared) {
    if (*update.is_shared && !task.shared_at) task.shared_at = clock_();
    task.is_shared = *update.is_shared;
  }
  if (update.approval_mode) task.approval_mode = *update.approval_mode;
  if (update.permission_mode) task.permission_mode = *update.permission_mode;
  store_.Commit(task);
  return &task;
}

absl::StatusOr<TaskPage> TaskService::ListTasks(const User& caller,
                                                TaskQuery query) const {
  if (absl::Status status = CheckMember(caller, query.org); !status.ok()) {
    return status;
  }
  query.viewer_login = caller.login;
  return store_.ListTasks(query);
}

absl::StatusOr<EventPage> TaskService::ListEvents(
    const User& caller, absl::string_view org, absl::string_view task_id,
    int page_size, absl::string_view token) const {
  absl::StatusOr<const Task*> task = FindVisible(caller, org, task_id);
  if (!task.ok()) return task.status();
  return store_.ListEvents(**task, page_size, token);
}

absl::StatusOr<TaskService::Subscription> TaskService::Subscribe(
    const User& caller, absl::string_view org, absl::string_view task_id,
    std::optional<absl::string_view> last_event_id, EventCallback callback) {
  absl::StatusOr<const Task*> found = FindVisible(caller, org, task_id);
  if (!found.ok()) return found.status();
  Task& task = *store_.Find((*found)->id);
  Subscription subscription;
  size_t start = 0;
  if (last_event_id) {
    for (size_t i = 0; i < task.events.size(); ++i) {
      if (task.events[i].id == *last_event_id) {
        start = i + 1;
        break;
      }
    }
  }
  for (size_t i = start; i < task.events.size(); ++i) {
    subscription.backlog.push_back(&task.events[i]);
  }
  if (shut_down_) return subscription;  // Backlog only; nothing live.
  subscription.id = next_subscription_id_++;
  subscribers_.emplace(subscription.id,
                       Subscriber{task.id, std::move(callback)});
  task.subscribers.push_back(subscription.id);
  return subscription;
}

void TaskService::Unsubscribe(uint64_t subscription_id) {
  auto it = subscribers_.find(subscription_id);
  if (it == subscribers_.end()) return;
  if (Task* task = store_.Find(it->second.task_id)) {
    std::erase(task->subscribers, subscription_id);
  }
  subscribers_.erase(it);
}

absl::Status TaskService::AppendAgentResponse(absl::string_view task_id,
                                              Json body) {
  Task* task = store_.Find(task_id);
  if (task == nullptr) return absl::NotFoundError(kTaskNotFound);
  AppendEvent(*task, kAgentResponse, /*synthetic=*/false, std::move(body));
  return absl::OkStatus();
}

void TaskService::AppendEvent(Task& task, absl::string_view type,
                              bool synthetic, Json body) {
  ConsoleEvent event;
  event.id = task.agent.ids.NextUuid();
  event.is_synthetic = synthetic;
  event.type = std::string(type);
  event.body = std::move(body);
  event.json =
      DumpJson(ConsoleEventToJson(event.id, synthetic, event.type, event.body));
  event.at = clock_();
  const ConsoleEvent& stored = store_.AppendEvent(task, std::move(event));
  // Copy: a callback may unsubscribe itself or others.
  const std::vector<uint64_t> watchers = task.subscribers;
  for (uint64_t id : watchers) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) continue;
    EventCallback callback = it->second.callback;
    callback(stored);
  }
}

void TaskService::StartTurn(Task& task, std::vector<AgentStep> steps) {
  StopTurn(task);
  task.agent.turn = TurnState::kAgentRunning;
  ++task.agent.turns_started;
  task.status = TaskStatus::kRunning;
  for (AgentStep& step : steps)
    task.agent.queued_steps.push_back(std::move(step));
  store_.Commit(task);
  ScheduleNextStep(task);
}

void TaskService::StopTurn(Task& task) {
  if (task.agent.step_timer != 0) {
    scheduler_->Cancel(task.agent.step_timer);
    task.agent.step_timer = 0;
  }
  task.agent.queued_steps.clear();
}

void TaskService::ScheduleNextStep(Task& task) {
  if (shut_down_ || task.agent.queued_steps.empty()) return;
  task.agent.step_timer = scheduler_->ScheduleAfter(
      options_.agent_step_delay, [this, id = task.id] { RunNextStep(id); });
}

void TaskService::RunNextStep(const std::string& task_id) {
  Task* found = store_.Find(task_id);
  if (found == nullptr) return;
  Task& task = *found;
  task.agent.step_timer = 0;
  if (task.agent.queued_steps.empty()) return;
  AgentStep step = std::move(task.agent.queued_steps.front());
  task.agent.queued_steps.pop_front();

  const absl::Time now = clock_();
  task.runtime_phase = "running";
  task.last_heartbeat = now;
  if (step.rename_to && !task.agent.renamed_by_user)
    task.name = *step.rename_to;
  if (step.usage) {
    task.tokens_used += step.usage->Total();
    task.context_used_tokens = step.usage->ContextTokens();
  }
  if (step.approval_request_id) {
    task.agent.pending_approval_id = step.approval_request_id;
  }
  switch (step.effect) {
    case TurnEffect::kContinue:
      break;
    case TurnEffect::kEndTurn:
      EndTurn(task);
      break;
    case TurnEffect::kAwaitCli:
      task.agent.turn = TurnState::kAwaitingCliResults;
      task.agent.pending_cli_calls = step.cli_tool_calls;
      task.agent.queued_steps.clear();
      break;
  }
  Json body = std::move(step.body);
  body["timestamp"] = FormatTimestamp(now);
  AppendEvent(task, kAgentResponse, /*synthetic=*/false, std::move(body));
  if (task.agent.turn == TurnState::kAgentRunning) ScheduleNextStep(task);
}

void TaskService::EndTurn(Task& task) {
  StopTurn(task);
  task.agent.turn = TurnState::kIdle;
  task.agent.pending_cli_calls.clear();
  task.status = TaskStatus::kIdle;
  task.runtime_phase = "ready";
}

void TaskService::Cancel(Task& task, bool synthetic) {
  const bool was_running = task.agent.turn != TurnState::kIdle;
  EndTurn(task);
  task.agent.pending_approval_id.reset();
  Json body = CancelledBody(was_running);
  body["timestamp"] = FormatTimestamp(clock_());
  AppendEvent(task, kAgentResponse, synthetic, std::move(body));
}

void TaskService::ApplyEntityDiff(Task& task, const Json& diff) {
  if (!diff.is_object()) return;
  if (auto remove = diff.find("remove");
      remove != diff.end() && remove->is_array()) {
    for (const Json& entity : *remove) {
      auto& list = task.entities;
      list.erase(std::remove(list.begin(), list.end(), entity), list.end());
    }
  }
  if (auto add = diff.find("add"); add != diff.end() && add->is_array()) {
    for (const Json& entity : *add) {
      if (std::find(task.entities.begin(), task.entities.end(), entity) ==
          task.entities.end()) {
        task.entities.push_back(entity);
      }
    }
  }
}

absl::Status TaskService::CancelTask(const User& caller, absl::string_view org,
                                     absl::string_view task_id) {
  absl::StatusOr<Task*> found = FindOwned(caller, org, task_id);
  if (!found.ok()) return found.status();
  Cancel(**found, /*synthetic=*/true);
  return absl::OkStatus();
}

absl::Status TaskService::RespondToTask(const User& caller,
                                        absl::string_view org,
                                        absl::string_view task_id,
                                        UserEvent event) {
  absl::StatusOr<Task*> found = FindOwned(caller, org, task_id);
  if (!found.ok()) return found.status();
  Task& task = **found;
  switch (event.type) {
    case UserEventType::kUserMessage:
      return OnUserMessage(task, event);
    case UserEventType::kUserConfirmation:
      return OnConfirmation(task, event);
    case UserEventType::kExecToolCall:
      return OnExecToolCall(task, event);
    case UserEventType::kToolResult:
      return OnToolResult(task, event);
    case UserEventType::kUserCancel:
      return OnUserCancel(task, event);
  }
  return absl::InvalidArgumentError("unknown event type");
}

absl::Status TaskService::OnUserMessage(Task& task, UserEvent& event) {
  if (task.agent.turn != TurnState::kIdle) {
    return absl::FailedPreconditionError(kRequestOngoing);
  }
  ApplyEntityDiff(task, event.entity_diff);
  AppendEvent(task, kUserInput, /*synthetic=*/false, std::move(event.body));
  if (task.agent.pending_approval_id) {
    StartTurn(task, PlanAwaitingApprovalsTurn());
    return absl::OkStatus();
  }
  task.agent.last_prompt = event.content;
  StartTurn(task,
            PlanUserMessageTurn(
                UserMessageTurn{.prompt = event.content,
                                .first_turn = false,
                                .cli_tools = task.tool_execution_mode == "cli"},
                task.agent.ids));
  return absl::OkStatus();
}

absl::Status TaskService::OnConfirmation(Task& task, UserEvent& event) {
  if (task.agent.turn != TurnState::kIdle) {
    return absl::FailedPreconditionError(kRequestOngoing);
  }
  if (!task.agent.pending_approval_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("approval_request_id '", event.approval_request_id,
                     "' does not match a pending approval request (the task "
                     "has none)"));
  }
  if (*task.agent.pending_approval_id != event.approval_request_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("approval_request_id '", event.approval_request_id,
                     "' does not match the pending approval request '",
                     *task.agent.pending_approval_id, "'"));
  }
  task.agent.pending_approval_id.reset();
  AppendEvent(task, kUserInput, /*synthetic=*/false, std::move(event.body));
  StartTurn(task, PlanConfirmationTurn(event.ok, event.instructions));
  return absl::OkStatus();
}

absl::Status TaskService::OnExecToolCall(Task& task, UserEvent& event) {
  if (task.agent.turn == TurnState::kAgentRunning) {
    return absl::FailedPreconditionError(kRequestOngoing);
  }
  const auto& pending = task.agent.pending_cli_calls;
  const bool known = std::any_of(pending.begin(), pending.end(),
                                 [&](const PendingToolCall& call) {
                                   return call.id == event.tool_call_id;
                                 });
  if (task.agent.turn != TurnState::kAwaitingCliResults || !known) {
    return absl::InvalidArgumentError(
        absl::StrCat("tool_call_id '", event.tool_call_id,
                     "' does not match a pending CLI tool call"));
  }
  AppendEvent(task, kUserInput, /*synthetic=*/false, std::move(event.body));
  // The service mirrors the CLI's notice as a backend exec_tool_call.
  Json mirror = {{"type", "exec_tool_call"},
                 {"tool_call_id", event.tool_call_id},
                 {"name", event.tool_name},
                 {"timestamp", FormatTimestamp(clock_())}};
  AppendEvent(task, kAgentResponse, /*synthetic=*/true, std::move(mirror));
  return absl::OkStatus();
}

absl::Status TaskService::OnToolResult(Task& task, UserEvent& event) {
  if (task.agent.turn == TurnState::kAgentRunning) {
    return absl::FailedPreconditionError(kRequestOngoing);
  }
  if (task.agent.turn != TurnState::kAwaitingCliResults) {
    return absl::InvalidArgumentError(
        "no CLI tool call is waiting for a result");
  }
  auto& pending = task.agent.pending_cli_calls;
  for (const ToolResult& result : event.tool_results) {
    const bool known = std::any_of(pending.begin(), pending.end(),
                                   [&](const PendingToolCall& call) {
                                     return call.id == result.tool_call_id;
                                   });
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("tool_call_id '", result.tool_call_id,
                       "' does not match a pending CLI tool call"));
    }
  }
  bool any_error = false;
  for (const ToolResult& result : event.tool_results) {
    any_error = any_error || result.is_error;
    std::erase_if(pending, [&](const PendingToolCall& call) {
      return call.id == result.tool_call_id;
    });
  }
  AppendEvent(task, kUserInput, /*synthetic=*/false, std::move(event.body));
  if (!pending.empty()) return absl::OkStatus();  // Still waiting for more.
  StartTurn(task, PlanToolResultTurn(task.agent.last_prompt, any_error,
                                     task.agent.ids));
  return absl::OkStatus();
}

absl::Status TaskService::OnUserCancel(Task& task, UserEvent& event) {
  if (task.agent.turn == TurnState::kAwaitingCliResults) {
    return absl::FailedPreconditionError(
        "cannot cancel while the task is waiting for CLI tool results; send "
        "tool_result, or force-cancel with POST .../cancel {\"force\": true}");
  }
  AppendEvent(task, kUserInput, /*synthetic=*/false, std::move(event.body));
  Cancel(task, /*synthetic=*/false);
  return absl::OkStatus();
}

}  // namespace neo_emulator
