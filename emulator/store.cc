#include "emulator/store.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "emulator/page_token.h"

namespace neo_emulator {
namespace {

TaskSnapshot SnapshotOf(const Task& task, uint64_t revision) {
  return TaskSnapshot{
      .revision = revision,
      .last_event_micros = absl::ToUnixMicros(task.last_event_at),
      .status = task.status,
      .name = task.name,
      .tokens_used = task.tokens_used,
      .is_shared = task.is_shared};
}

bool SameSortFields(const TaskSnapshot& a, const TaskSnapshot& b) {
  return a.last_event_micros == b.last_event_micros && a.status == b.status &&
         a.name == b.name && a.tokens_used == b.tokens_used &&
         a.is_shared == b.is_shared;
}

// The task's sort fields as of `horizon`; nullptr if it did not exist yet.
const TaskSnapshot* SnapshotAt(const Task& task, uint64_t horizon) {
  auto it = std::upper_bound(
      task.history.begin(), task.history.end(), horizon,
      [](uint64_t h, const TaskSnapshot& s) { return h < s.revision; });
  if (it == task.history.begin()) return nullptr;
  return &*std::prev(it);
}

SortKey KeyOf(const Task& task, const TaskSnapshot& snapshot, SortField field) {
  SortKey key;
  key.seq = task.seq;
  switch (field) {
    case SortField::kLastEvent:
      key.value = snapshot.last_event_micros;
      break;
    case SortField::kCreated:
      key.value = absl::ToUnixMicros(task.created_at);
      break;
    case SortField::kStatus:
      // Running sorts before idle when ascending.
      key.value = int64_t{snapshot.status == TaskStatus::kRunning ? 0 : 1};
      break;
    case SortField::kName:
      key.value = snapshot.name;
      break;
    case SortField::kTokensUsed:
      key.value = snapshot.tokens_used;
      break;
  }
  return key;
}

}  // namespace

absl::string_view TaskStatusName(TaskStatus status) {
  return status == TaskStatus::kRunning ? "running" : "idle";
}

bool IsVisibleTo(const Task& task, absl::string_view viewer_login) {
  return task.is_shared || task.creator_login == viewer_login;
}

Task& Store::Insert(std::unique_ptr<Task> task) {
  task->seq = tasks_.size() + 1;
  task->history.push_back(SnapshotOf(*task, ++revision_));
  Task& ref = *task;
  by_id_[ref.id] = &ref;
  tasks_.push_back(std::move(task));
  return ref;
}

Task* Store::Find(absl::string_view id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const Task* Store::Find(absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const ConsoleEvent& Store::AppendEvent(Task& task, ConsoleEvent event) {
  // Keep lastEvent monotonic per task even if the wall clock steps back.
  task.last_event_at = std::max(task.last_event_at, event.at);
  task.events.push_back(std::move(event));
  Commit(task);
  return task.events.back();
}

void Store::Commit(Task& task) {
  TaskSnapshot next = SnapshotOf(task, revision_ + 1);
  if (!task.history.empty() && SameSortFields(task.history.back(), next)) {
    return;
  }
  ++revision_;
  task.history.push_back(std::move(next));
}

absl::StatusOr<TaskPage> Store::ListTasks(const TaskQuery& query) const {
  const std::string task_type = query.task_type.value_or("");
  std::optional<TaskCursor> cursor;
  if (!query.continuation_token.empty()) {
    absl::StatusOr<TaskCursor> decoded =
        DecodeTaskCursor(query.continuation_token);
    if (!decoded.ok()) return decoded.status();
    if (decoded->org != query.org) {
      return absl::InvalidArgumentError(
          "invalid continuationToken: it belongs to a different organization");
    }
    if (decoded->sort_by != query.sort_by ||
        decoded->direction != query.direction ||
        decoded->task_type != task_type) {
      return absl::InvalidArgumentError(
          "invalid continuationToken: sortBy, sortDirection and taskType must "
          "be the same as for the first page");
    }
    if (decoded->horizon > revision_) {
      return absl::InvalidArgumentError("invalid continuationToken");
    }
    cursor = *std::move(decoded);
  }
  const uint64_t horizon = cursor ? cursor->horizon : revision_;

  struct Candidate {
    SortKey key;
    const Task* task;
  };
  std::vector<Candidate> candidates;
  for (const auto& task : tasks_) {
    if (task->org != query.org) continue;
    if (!task_type.empty() && task->task_type != task_type) continue;
    const TaskSnapshot* snapshot = SnapshotAt(*task, horizon);
    if (snapshot == nullptr) continue;  // Created after the first page.
    if (!snapshot->is_shared && task->creator_login != query.viewer_login) {
      continue;
    }
    SortKey key = KeyOf(*task, *snapshot, query.sort_by);
    if (cursor && !ComesBefore(cursor->last, key, query.direction)) continue;
    candidates.push_back(Candidate{std::move(key), task.get()});
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](const Candidate& a, const Candidate& b) {
              return ComesBefore(a.key, b.key, query.direction);
            });

  TaskPage page;
  const size_t limit = static_cast<size_t>(std::max(query.page_size, 1));
  const size_t count = std::min(limit, candidates.size());
  for (size_t i = 0; i < count; ++i) page.tasks.push_back(candidates[i].task);
  if (candidates.size() > count) {
    page.continuation_token =
        EncodeTaskCursor(TaskCursor{.org = query.org,
                                    .sort_by = query.sort_by,
                                    .direction = query.direction,
                                    .task_type = task_type,
                                    .horizon = horizon,
                                    .last = candidates[count - 1].key});
  }
  return page;
}

absl::StatusOr<EventPage> Store::ListEvents(const Task& task, int page_size,
                                            absl::string_view token) const {
  uint64_t start = 0;
  if (!token.empty()) {
    absl::StatusOr<EventCursor> cursor = DecodeEventCursor(token);
    if (!cursor.ok()) return cursor.status();
    if (cursor->task_id != task.id) {
      return absl::InvalidArgumentError(
          "invalid continuationToken: it belongs to a different task");
    }
    if (cursor->next_index > task.events.size()) {
      return absl::InvalidArgumentError("invalid continuationToken");
    }
    start = cursor->next_index;
  }
  EventPage page;
  const uint64_t limit = static_cast<uint64_t>(std::max(page_size, 1));
  const uint64_t end = std::min<uint64_t>(start + limit, task.events.size());
  for (uint64_t i = start; i < end; ++i) page.events.push_back(&task.events[i]);
  if (end < task.events.size()) {
    page.continuation_token =
        EncodeEventCursor(EventCursor{.task_id = task.id, .next_index = end});
  }
  return page;
}

}  // namespace neo_emulator
