// The Neo task domain: creating and updating tasks, user events, the
// scripted agent's turns, cancellation, listings and live event
// subscriptions. Transport-free (no HTTP); errors are absl::Status codes the
// HTTP layer maps to status codes:
//   InvalidArgument -> 400, PermissionDenied -> 403, NotFound -> 404,
//   FailedPrecondition -> 409.
//
// Thread: everything, including scheduler callbacks and subscriber
// callbacks, runs on the event-loop thread.
#ifndef NEO_EMULATOR_TASK_SERVICE_H_
#define NEO_EMULATOR_TASK_SERVICE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "emulator/ids.h"
#include "emulator/request_parsing.h"
#include "emulator/scheduler.h"
#include "emulator/store.h"
#include "emulator/users.h"

namespace neo_emulator {

inline constexpr absl::string_view kTaskNotFound = "task not found";
inline constexpr absl::string_view kTaskNotOwned =
    "task not found or not owned by user";
inline constexpr absl::string_view kRequestOngoing =
    "cannot respond while a request is still ongoing";

class TaskService {
 public:
  struct Options {
    uint64_t seed = 1;
    absl::Duration agent_step_delay = absl::Milliseconds(200);
  };
  using Clock = std::function<absl::Time()>;
  // Receives each event appended to a watched task, in order.
  using EventCallback = std::function<void(const ConsoleEvent&)>;

  struct Subscription {
    uint64_t id = 0;
    // Events already recorded that the subscriber should send first. The
    // pointers stay valid while the task exists (for the service lifetime).
    std::vector<const ConsoleEvent*> backlog;
  };

  // `scheduler` must outlive the service.
  TaskService(Options options, Scheduler* scheduler, Clock clock);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  // CreateTasks: records the message as the first userInput event and starts
  // the first turn.
  absl::StatusOr<const Task*> CreateTask(const User& caller,
                                         absl::string_view org,
                                         CreateTaskRequest request);

  // GetTask: visible tasks only (creator or shared).
  absl::StatusOr<const Task*> GetTask(const User& caller, absl::string_view org,
                                      absl::string_view task_id) const;

  // UpdateTask: creator only (404 for others).
  absl::StatusOr<const Task*> UpdateTask(const User& caller,
                                         absl::string_view org,
                                         absl::string_view task_id,
                                         const UpdateTaskRequest& update);

  // RespondToTask: creator only. Records the event and drives the agent.
  absl::Status RespondToTask(const User& caller, absl::string_view org,
                             absl::string_view task_id, UserEvent event);

  // CancelTask (force): creator only. Stops any turn, appends a synthetic
  // `cancelled`, leaves the task idle.
  absl::Status CancelTask(const User& caller, absl::string_view org,
                          absl::string_view task_id);

  // ListTasks; `query.viewer_login` is set from the caller.
  absl::StatusOr<TaskPage> ListTasks(const User& caller, TaskQuery query) const;

  // GetTaskEvents for a visible task.
  absl::StatusOr<EventPage> ListEvents(const User& caller,
                                       absl::string_view org,
                                       absl::string_view task_id, int page_size,
                                       absl::string_view token) const;

  // Watches a visible task. The backlog is every event after
  // `last_event_id` (all events when it is absent or unknown); `callback`
  // then receives each new event until Unsubscribe or Shutdown.
  absl::StatusOr<Subscription> Subscribe(
      const User& caller, absl::string_view org, absl::string_view task_id,
      std::optional<absl::string_view> last_event_id, EventCallback callback);
  // Safe to call with an unknown id and from inside a callback.
  void Unsubscribe(uint64_t subscription_id);

  // Records an agentResponse event with `body` (an AgentBackendEvent) on
  // task `task_id`, whatever its org, creator or turn, and sends it to the
  // task's watchers like any event: for test tooling (the admin firehose).
  // Leaves the task's status and agent alone. NotFound for an unknown task.
  absl::Status AppendAgentResponse(absl::string_view task_id,
                                   nlohmann::json body);

  // Cancels every agent timer and drops every subscription without calling
  // it. Requests after Shutdown still work but agents no longer advance.
  void Shutdown();

  // PermissionDenied unless `caller` is a member of `org`.
  absl::Status CheckMember(const User& caller, absl::string_view org) const;

  const Store& store() const { return store_; }
  size_t subscription_count() const { return subscribers_.size(); }

 private:
  struct Subscriber {
    std::string task_id;
    EventCallback callback;
  };

  // The task when it exists in `org` and `caller` may see it.
  absl::StatusOr<const Task*> FindVisible(const User& caller,
                                          absl::string_view org,
                                          absl::string_view task_id) const;
  // The task when it exists in `org` and `caller` created it.
  absl::StatusOr<Task*> FindOwned(const User& caller, absl::string_view org,
                                  absl::string_view task_id);

  void AppendEvent(Task& task, absl::string_view type, bool synthetic,
                   nlohmann::json body);
  void StartTurn(Task& task, std::vector<AgentStep> steps);
  void StopTurn(Task& task);
  void ScheduleNextStep(Task& task);
  void RunNextStep(const std::string& task_id);
  void EndTurn(Task& task);
  void Cancel(Task& task, bool synthetic);
  static void ApplyEntityDiff(Task& task, const nlohmann::json& diff);

  absl::Status OnUserMessage(Task& task, UserEvent& event);
  absl::Status OnConfirmation(Task& task, UserEvent& event);
  absl::Status OnExecToolCall(Task& task, UserEvent& event);
  absl::Status OnToolResult(Task& task, UserEvent& event);
  absl::Status OnUserCancel(Task& task, UserEvent& event);

  Options options_;
  Scheduler* scheduler_;
  Clock clock_;
  Store store_;
  IdSource task_ids_;
  bool shut_down_ = false;
  uint64_t next_subscription_id_ = 1;
  absl::flat_hash_map<uint64_t, Subscriber> subscribers_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_TASK_SERVICE_H_
