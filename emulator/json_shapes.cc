#include "emulator/json_shapes.h"

#include "emulator/time_format.h"

namespace neo_emulator {

using Json = nlohmann::json;

Json TaskToJson(const Task& task) {
  Json out = {
      {"id", task.id},
      {"name", task.name},
      {"status", TaskStatusName(task.status)},
      {"createdAt", FormatTimestamp(task.created_at)},
      {"approvalMode", task.approval_mode},
      {"entities", task.entities},
      {"planMode", task.plan_mode},
      {"isShared", task.is_shared},
      {"createdBy",
       {{"name", task.creator_name},
        {"githubLogin", task.creator_login},
        {"avatarUrl", task.creator_avatar_url}}},
      {"permissionMode", task.permission_mode},
      {"contextUsedTokens", task.context_used_tokens},
      {"contextWindowTokens", task.context_window_tokens},
      {"contextCompactionThresholdPercent",
       task.context_compaction_threshold_percent},
      {"toolExecutionMode", task.tool_execution_mode},
      {"taskType", task.task_type},
      {"tokensUsed", task.tokens_used},
      {"source", task.source},
  };
  if (task.shared_at) out["sharedAt"] = FormatTimestamp(*task.shared_at);
  if (task.runtime_phase) out["runtimePhase"] = *task.runtime_phase;
  if (task.role) out["role"] = *task.role;
  if (task.last_heartbeat) {
    out["lastHeartbeat"] = FormatTimestamp(*task.last_heartbeat);
  }
  return out;
}

Json ConsoleEventToJson(absl::string_view id, bool is_synthetic,
                        absl::string_view type, const Json& body) {
  return Json{{"id", id},
              {"isSynthetic", is_synthetic},
              {"type", type},
              {"eventBody", body}};
}

Json ErrorToJson(int http_status, absl::string_view message) {
  return Json{{"code", http_status}, {"message", message}};
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    Json::error_handler_t::replace);
}

}  // namespace neo_emulator
