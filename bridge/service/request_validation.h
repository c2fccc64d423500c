// Request validation, done before any upstream call. Pure functions: each
// returns OK or INVALID_ARGUMENT with a google.rpc.BadRequest naming every
// offending field and saying what a valid value looks like.
#ifndef NEOBRIDGE_BRIDGE_SERVICE_REQUEST_VALIDATION_H_
#define NEOBRIDGE_BRIDGE_SERVICE_REQUEST_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "neobridge/v1/agent_tasks_service.pb.h"

namespace neobridge::service {

namespace v1 = ::neobridge::v1;

// Longest org name or task id accepted.
inline constexpr size_t kMaxIdLength = 256;
// Largest page size the upstream accepts.
inline constexpr int32_t kMaxPageSize = 1000;
// Longest task name after trimming, in characters.
inline constexpr size_t kMaxTaskNameLength = 255;
// Longest page token or event id accepted.
inline constexpr size_t kMaxTokenLength = 4096;

// The org a request acts on: its own `org`, or `default_org` when empty.
std::string ResolveOrg(absl::string_view org, absl::string_view default_org);

// True when `id` may be used as an org name or task id: 1..kMaxIdLength
// characters out of letters, digits, '-', '_', '.', '~', and neither "." nor
// "..". Nothing else can reach an upstream path.
bool IsValidId(absl::string_view id);

// Each validates a request whose org was resolved with ResolveOrg.
absl::Status ValidateListTasks(const v1::ListTasksRequest& request);
absl::Status ValidateCreateTask(const v1::CreateTaskRequest& request);
absl::Status ValidateGetTask(const v1::GetTaskRequest& request);
absl::Status ValidateUpdateTask(const v1::UpdateTaskRequest& request);
absl::Status ValidateRespondToTask(const v1::RespondToTaskRequest& request);
absl::Status ValidateCancelTask(const v1::CancelTaskRequest& request);
absl::Status ValidateListTaskEvents(const v1::ListTaskEventsRequest& request);
absl::Status ValidateStreamTaskEvents(
    const v1::StreamTaskEventsRequest& request);

}  // namespace neobridge::service

#endif  // NEOBRIDGE_BRIDGE_SERVICE_REQUEST_VALIDATION_H_
