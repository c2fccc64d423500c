// Opaque continuation tokens for ListTasks and GetTaskEvents.
//
// A token is base64url (no padding) of a small JSON object. Task tokens are
// keyset cursors: they carry the listing's org, sortBy, sortDirection and
// taskType (a token used with different ones is rejected), the sort key of
// the last task served, and a snapshot horizon (the store revision at the
// first page) so that keys which change while a client pages do not cause
// duplicates or skips. Event tokens carry the task id and the index of the
// next event (events are append-only).
#ifndef NEO_EMULATOR_PAGE_TOKEN_H_
#define NEO_EMULATOR_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "emulator/sorting.h"

namespace neo_emulator {

struct TaskCursor {
  std::string org;
  SortField sort_by = SortField::kLastEvent;
  SortDirection direction = SortDirection::kDesc;
  std::string task_type;  // "" when the listing is not filtered.
  uint64_t horizon = 0;   // Store revision of the first page.
  SortKey last;           // Key of the last task on the previous page.
};

struct EventCursor {
  std::string task_id;
  uint64_t next_index = 0;
};

std::string EncodeTaskCursor(const TaskCursor& cursor);
// InvalidArgument "invalid continuationToken" for anything that is not a
// task token produced by EncodeTaskCursor.
absl::StatusOr<TaskCursor> DecodeTaskCursor(absl::string_view token);

std::string EncodeEventCursor(const EventCursor& cursor);
absl::StatusOr<EventCursor> DecodeEventCursor(absl::string_view token);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_PAGE_TOKEN_H_
