// The upstream JSON strings of every neobridge.v1 enum, in one place.
//
// Each table lists the known values with their exact upstream spelling
// (`read-only`, `code-review`, `azure_devops`, …). `*_UNSPECIFIED` has no
// entry: it means "absent", so it is never encoded, and a string missing from
// a table decodes to `*_UNSPECIFIED` (the codecs then keep the original
// member in `unknown_fields`).
#ifndef NEOBRIDGE_BRIDGE_CODEC_ENUM_NAMES_H_
#define NEOBRIDGE_BRIDGE_CODEC_ENUM_NAMES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "neobridge/v1/agent_tasks_service.pb.h"
#include "neobridge/v1/event.pb.h"
#include "neobridge/v1/task.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {

// One enum value and its upstream JSON string.
template <typename E>
struct EnumName {
  std::string_view json;
  E value;
};

// The value named `json`, or nullopt when the table does not list it.
template <typename E, std::size_t N>
std::optional<E> EnumFromJson(const EnumName<E> (&names)[N],
                              std::string_view json) {
  for (const EnumName<E>& name : names) {
    if (name.json == json) return name.value;
  }
  return std::nullopt;
}

// The JSON string of `value`, or nullopt for `*_UNSPECIFIED` and for numeric
// values this version does not know (both are omitted when encoding).
template <typename E, std::size_t N>
std::optional<std::string_view> EnumToJson(const EnumName<E> (&names)[N],
                                           E value) {
  for (const EnumName<E>& name : names) {
    if (name.value == value) return name.json;
  }
  return std::nullopt;
}

// Sets `object[key]` to the JSON string of `value`, or leaves `object`
// unchanged when EnumToJson gives nothing. `object` must be an object.
template <typename E, std::size_t N>
void PutEnum(nlohmann::json& object, const char* key,
             const EnumName<E> (&names)[N], E value) {
  if (std::optional<std::string_view> name = EnumToJson(names, value)) {
    object[key] = std::string(*name);
  }
}

inline constexpr EnumName<v1::TaskStatus> kTaskStatusNames[] = {
    {"running", v1::TASK_STATUS_RUNNING},
    {"idle", v1::TASK_STATUS_IDLE},
};

inline constexpr EnumName<v1::ApprovalMode> kApprovalModeNames[] = {
    {"manual", v1::APPROVAL_MODE_MANUAL},
    {"auto", v1::APPROVAL_MODE_AUTO},
    {"balanced", v1::APPROVAL_MODE_BALANCED},
};

inline constexpr EnumName<v1::PermissionMode> kPermissionModeNames[] = {
    {"default", v1::PERMISSION_MODE_DEFAULT},
    {"read-only", v1::PERMISSION_MODE_READ_ONLY},
};

inline constexpr EnumName<v1::RuntimePhase> kRuntimePhaseNames[] = {
    {"booting", v1::RUNTIME_PHASE_BOOTING},
    {"ready", v1::RUNTIME_PHASE_READY},
    {"running", v1::RUNTIME_PHASE_RUNNING},
};

inline constexpr EnumName<v1::ToolExecutionMode> kToolExecutionModeNames[] = {
    {"cloud", v1::TOOL_EXECUTION_MODE_CLOUD},
    {"cli", v1::TOOL_EXECUTION_MODE_CLI},
    {"worker", v1::TOOL_EXECUTION_MODE_WORKER},
};

inline constexpr EnumName<v1::TaskType> kTaskTypeNames[] = {
    {"sync", v1::TASK_TYPE_SYNC},
    {"async", v1::TASK_TYPE_ASYNC},
};

inline constexpr EnumName<v1::AsyncTriggerType> kAsyncTriggerTypeNames[] = {
    {"scheduled", v1::ASYNC_TRIGGER_TYPE_SCHEDULED},
    {"external_signal", v1::ASYNC_TRIGGER_TYPE_EXTERNAL_SIGNAL},
};

inline constexpr EnumName<v1::TaskSource> kTaskSourceNames[] = {
    {"api", v1::TASK_SOURCE_API},
    {"console", v1::TASK_SOURCE_CONSOLE},
    {"cli", v1::TASK_SOURCE_CLI},
    {"slack", v1::TASK_SOURCE_SLACK},
    {"schedule", v1::TASK_SOURCE_SCHEDULE},
    {"github", v1::TASK_SOURCE_GITHUB},
    {"code-review", v1::TASK_SOURCE_CODE_REVIEW},
};

inline constexpr EnumName<v1::VcsProvider> kVcsProviderNames[] = {
    {"github", v1::VCS_PROVIDER_GITHUB},
    {"gitlab", v1::VCS_PROVIDER_GITLAB},
    {"bitbucket", v1::VCS_PROVIDER_BITBUCKET},
    {"azure_devops", v1::VCS_PROVIDER_AZURE_DEVOPS},
    {"custom", v1::VCS_PROVIDER_CUSTOM},
    {"github_enterprise", v1::VCS_PROVIDER_GITHUB_ENTERPRISE},
};

inline constexpr EnumName<v1::ApprovalType> kApprovalTypeNames[] = {
    {"general", v1::APPROVAL_TYPE_GENERAL},
    {"tool_permission", v1::APPROVAL_TYPE_TOOL_PERMISSION},
    {"plan_exit", v1::APPROVAL_TYPE_PLAN_EXIT},
};

inline constexpr EnumName<v1::ApprovalSource> kApprovalSourceNames[] = {
    {"agent", v1::APPROVAL_SOURCE_AGENT},
    {"system", v1::APPROVAL_SOURCE_SYSTEM},
    {"hybrid", v1::APPROVAL_SOURCE_HYBRID},
};

inline constexpr EnumName<v1::ApprovalSensitivity> kApprovalSensitivityNames[] =
    {
        {"sensitive", v1::APPROVAL_SENSITIVITY_SENSITIVE},
        {"regular", v1::APPROVAL_SENSITIVITY_REGULAR},
};

inline constexpr EnumName<v1::CompressionStatus> kCompressionStatusNames[] = {
    {"compressing", v1::COMPRESSION_STATUS_COMPRESSING},
    {"compressed", v1::COMPRESSION_STATUS_COMPRESSED},
    {"failed", v1::COMPRESSION_STATUS_FAILED},
    {"skipped", v1::COMPRESSION_STATUS_SKIPPED},
};

// ListTasks query parameters (`sortBy`, `sortDirection`).
inline constexpr EnumName<v1::TaskSortField> kTaskSortFieldNames[] = {
    {"lastEvent", v1::TASK_SORT_FIELD_LAST_EVENT},
    {"created", v1::TASK_SORT_FIELD_CREATED},
    {"status", v1::TASK_SORT_FIELD_STATUS},
    {"name", v1::TASK_SORT_FIELD_NAME},
    {"tokensUsed", v1::TASK_SORT_FIELD_TOKENS_USED},
};

inline constexpr EnumName<v1::SortDirection> kSortDirectionNames[] = {
    {"asc", v1::SORT_DIRECTION_ASC},
    {"desc", v1::SORT_DIRECTION_DESC},
};

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_ENUM_NAMES_H_
