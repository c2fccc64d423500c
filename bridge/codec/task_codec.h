// Upstream task JSON (AgentTask, UserInfo, AgentEntity*, AgentEntityDiff,
// ListAgentTasksResponse, CreateAgentTaskResponse) ⇄ neobridge.v1 messages.
//
// Decoding follows ObjectReader's rules (absent or null → unset; wrong JSON
// type → InvalidArgument naming the JSON path; unmodeled members and unknown
// enum strings → `unknown_fields`). Encoding emits the typed fields over the
// `unknown_fields` (a typed field wins over an unknown member of the same
// name), omits unset optional fields and `*_UNSPECIFIED` enums, and always
// emits the spec's required scalar and list members. No function here
// throws.
#ifndef NEOBRIDGE_BRIDGE_CODEC_TASK_CODEC_H_
#define NEOBRIDGE_BRIDGE_CODEC_TASK_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "neobridge/v1/agent_tasks_service.pb.h"
#include "neobridge/v1/task.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {

// The body of GetTask and UpdateTask (an AgentTask). `sharedAt` and
// `lastHeartbeat` equal to Go's zero time read as unset.
absl::StatusOr<v1::Task> ParseTask(std::string_view json);

// The body of ListTasks: `{"tasks":[…],"continuationToken":…}`. A null,
// absent or empty token all give an empty `next_page_token` (last page).
// Members of the list object itself other than these two are ignored.
absl::StatusOr<v1::ListTasksResponse> ParseListTasksResponse(
    std::string_view json);

// The body of CreateTask: `{"taskId":"…"}`. Other members are ignored.
absl::StatusOr<v1::CreateTaskResponse> ParseCreateTaskResponse(
    std::string_view json);

// JSON text of the same shapes (for tests, tools and round trips).
std::string SerializeTask(const v1::Task& task);
std::string SerializeListTasksResponse(const v1::ListTasksResponse& response);
std::string SerializeCreateTaskResponse(const v1::CreateTaskResponse& response);

// nlohmann-level codecs, shared with the other codecs. A `*FromJson`
// function decodes the JSON object `json`, whose JSON path is `path`, into
// `*out`, which should be empty; on error `*out` is partly filled.

absl::Status TaskFromJson(const nlohmann::json& json, std::string_view path,
                          v1::Task* out);
nlohmann::json TaskToJson(const v1::Task& task);

absl::Status UserInfoFromJson(const nlohmann::json& json, std::string_view path,
                              v1::UserInfo* out);
nlohmann::json UserInfoToJson(const v1::UserInfo& user);

// An entity of any kind. An unknown `type` leaves `kind` unset with the
// string in `type` and every other member in `unknown_fields`. A pull
// request's nested `repo` has no `unknown_fields` of its own: its unmodeled
// members (such as its `type`) are kept in the entity's
// `unknown_fields["repo"]` and merged back when encoding.
absl::Status EntityFromJson(const nlohmann::json& json, std::string_view path,
                            v1::Entity* out);
// With `kind` set the `type` member comes from the kind; with `kind` unset,
// from the `type` field (omitted if empty) plus `unknown_fields`, which lets
// callers send entity kinds this version does not model.
nlohmann::json EntityToJson(const v1::Entity& entity);

// EntityDiff has no `unknown_fields`: its own unmodeled members go to
// `*unknown` (which may be null to drop them), for the caller to stash in
// the enclosing message under the diff's member name.
absl::Status EntityDiffFromJson(const nlohmann::json& json,
                                std::string_view path, v1::EntityDiff* out,
                                google::protobuf::Struct* unknown);
// `add` and `remove` are emitted only when non-empty.
nlohmann::json EntityDiffToJson(const v1::EntityDiff& diff);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_TASK_CODEC_H_
