// In-memory state of the emulator: tasks, their console events, and the
// paginated views over them. Pure data structure: no I/O, no clock, no
// threads. Owned by TaskService and used only on the event-loop thread.
#ifndef NEO_EMULATOR_STORE_H_
#define NEO_EMULATOR_STORE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "emulator/agent_script.h"
#include "emulator/sorting.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

// One AgentConsoleEvent. `json` is its serialized one-line form, computed
// once when the event is recorded and reused by listings and SSE frames.
struct ConsoleEvent {
  std::string id;
  bool is_synthetic = false;
  std::string type;  // "agentResponse" or "userInput".
  nlohmann::json body;
  std::string json;
  absl::Time at;
};

enum class TaskStatus { kRunning, kIdle };
absl::string_view TaskStatusName(TaskStatus status);

// The fields ListTasks sorts and filters on, as of one store revision.
struct TaskSnapshot {
  uint64_t revision = 0;
  int64_t last_event_micros = 0;
  TaskStatus status = TaskStatus::kRunning;
  std::string name;
  int64_t tokens_used = 0;
  bool is_shared = false;
};

// A task: the AgentTask wire fields, its conversation, and the scripted
// agent's state. Optional wire fields are std::optional and omitted from JSON
// when unset.
struct Task {
  std::string id;
  std::string org;
  uint64_t seq = 0;  // Creation order, unique; assigned by Store::Insert.

  // createdBy (UserInfo without email).
  std::string creator_login;
  std::string creator_name;
  std::string creator_avatar_url;

  std::string name;
  TaskStatus status = TaskStatus::kRunning;
  absl::Time created_at;
  absl::Time last_event_at;
  std::string approval_mode = "manual";
  nlohmann::json entities = nlohmann::json::array();
  bool plan_mode = false;
  bool is_shared = false;
  std::optional<absl::Time> shared_at;
  std::string permission_mode = "default";
  std::optional<std::string> runtime_phase;
  int64_t context_used_tokens = 0;
  int64_t context_window_tokens = 200000;
  int64_t context_compaction_threshold_percent = 80;
  std::string tool_execution_mode = "cloud";
  std::string task_type = "sync";
  int64_t tokens_used = 0;
  std::string source = "api";
  std::optional<std::string> role;
  std::optional<absl::Time> last_heartbeat;
  // Tri-state, kept as sent: nullopt = absent/null (inherit), [] = opt out,
  // list = whitelist. Not part of AgentTask on the wire.
  std::optional<nlohmann::json> enabled_integrations;
  std::optional<nlohmann::json> cli_integrations;

  // Chronological; std::deque so references stay valid on append.
  std::deque<ConsoleEvent> events;

  AgentState agent;

  // SSE subscriptions watching this task (TaskService ids).
  std::vector<uint64_t> subscribers;

  // Sort-field history, one entry per committed change, oldest first.
  std::vector<TaskSnapshot> history;
};

struct TaskQuery {
  std::string org;
  std::string viewer_login;  // Sees own tasks and shared tasks.
  int page_size = 100;
  SortField sort_by = SortField::kLastEvent;
  SortDirection direction = SortDirection::kDesc;
  std::optional<std::string> task_type;
  std::string continuation_token;  // "" = first page.
};

struct TaskPage {
  std::vector<const Task*> tasks;
  std::optional<std::string> continuation_token;  // Set when more remain.
};

struct EventPage {
  std::vector<const ConsoleEvent*> events;
  std::optional<std::string> continuation_token;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Takes ownership, assigns `seq`, records the first snapshot. The
  // reference stays valid for the store's lifetime.
  Task& Insert(std::unique_ptr<Task> task);

  // nullptr when unknown. Does not check org or visibility.
  Task* Find(absl::string_view id);
  const Task* Find(absl::string_view id) const;

  // Appends `event` (whose `at` must be set), advances last_event_at and
  // commits. Returns the stored event (stable address).
  const ConsoleEvent& AppendEvent(Task& task, ConsoleEvent event);

  // Records the task's current sort fields if they changed since the last
  // snapshot. Call after every mutation of name, status, tokens_used or
  // is_shared.
  void Commit(Task& task);

  // Keyset page over the tasks of `query.org` visible to the viewer.
  // InvalidArgument for malformed or mismatched tokens.
  absl::StatusOr<TaskPage> ListTasks(const TaskQuery& query) const;

  // Chronological page of the task's events.
  absl::StatusOr<EventPage> ListEvents(const Task& task, int page_size,
                                       absl::string_view token) const;

  // All tasks in creation order.
  const std::vector<std::unique_ptr<Task>>& tasks() const { return tasks_; }

  uint64_t revision() const { return revision_; }

 private:
  std::vector<std::unique_ptr<Task>> tasks_;
  absl::flat_hash_map<std::string, Task*> by_id_;
  uint64_t revision_ = 0;
};

// True when `viewer_login` may see `task` (creator, or shared).
bool IsVisibleTo(const Task& task, absl::string_view viewer_login);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_STORE_H_
