// neobridge.v1 requests ⇄ the upstream JSON request bodies
// (CreateAgentTaskRequest, UpdateTaskRequest, AgentRespondToTaskRequest,
// CancelAgentTaskRequest).
//
// `org` and `task_id` travel in the URL path, never in a body. The
// Serialize* functions never fail or throw; they encode what they are given
// and leave validation (required fields, lengths) to the service.
#ifndef NEOBRIDGE_BRIDGE_CODEC_REQUEST_CODEC_H_
#define NEOBRIDGE_BRIDGE_CODEC_REQUEST_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "neobridge/v1/agent_tasks_service.pb.h"

namespace neobridge::codec {

// The CreateTask body. `message` is encoded as a user event (see
// UserEventToJson), its timestamp set to `now` when unset; absent if the
// request has no message. `*_UNSPECIFIED` enums and unset optionals are
// omitted. `enabledIntegrations` and `cliIntegrations` keep their three
// states: unset → omitted (inherit the organization's), set with no entries
// → `[]` (none), set with entries → that list.
std::string SerializeCreateTaskRequest(const v1::CreateTaskRequest& request,
                                       absl::Time now);

// The UpdateTask body: only the fields that are set (`name`, `isShared`) or
// specified (`approvalMode`, `permissionMode`); absent means "no change".
// `{}` when nothing is set.
std::string SerializeUpdateTaskRequest(const v1::UpdateTaskRequest& request);

// The RespondToTask body `{"event":{…}}`: the user event as UserEventToJson
// encodes it, with no timestamp when it is unset (the upstream accepts
// that). An unset event gives `{}`.
std::string SerializeRespondToTaskRequest(
    const v1::RespondToTaskRequest& request);

// The CancelTask body: always `{"force":true}`, the only cancel the upstream
// supports.
std::string SerializeCancelTaskRequest();

// The inverse of the Serialize* functions, for tests and tools: decode a
// request body with the response codecs' rules. `org` and `task_id` are left
// empty. Unmodeled members of the body object itself (and of integration
// references) are ignored; those inside the user event are kept in its
// `unknown_fields`.
absl::StatusOr<v1::CreateTaskRequest> ParseCreateTaskRequest(
    std::string_view json);
absl::StatusOr<v1::UpdateTaskRequest> ParseUpdateTaskRequest(
    std::string_view json);
absl::StatusOr<v1::RespondToTaskRequest> ParseRespondToTaskRequest(
    std::string_view json);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_REQUEST_CODEC_H_
