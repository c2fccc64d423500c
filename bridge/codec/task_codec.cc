#include "bridge/codec/task_codec.h"

#include <string>
#include <utility>

#include "bridge/codec/enum_names.h"
#include "bridge/codec/json_value.h"
#include "bridge/codec/object_reader.h"
#include "bridge/codec/timestamp.h"

namespace neobridge::codec {
namespace {

using nlohmann::json;

// Members shared by a repository entity and a pull request's `repo`.
void ReadRepository(ObjectReader& reader, v1::RepositoryEntity* out) {
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.String("org")) out->set_org(*std::move(v));
  if (auto v = reader.String("forge")) out->set_forge(*std::move(v));
  if (auto v = reader.String("host")) out->set_host(*std::move(v));
}

void WriteRepository(const v1::RepositoryEntity& repo, json& out) {
  out["name"] = repo.name();
  out["org"] = repo.org();
  if (repo.has_forge()) out["forge"] = repo.forge();
  if (repo.has_host()) out["host"] = repo.host();
}

// A timestamp member in which Go's zero time means "never" (unset).
std::optional<google::protobuf::Timestamp> TimeOrNever(ObjectReader& reader,
                                                       std::string_view key) {
  std::optional<google::protobuf::Timestamp> value = reader.Time(key);
  if (value.has_value() && IsGoZeroTime(*value)) return std::nullopt;
  return value;
}

}  // namespace

absl::Status UserInfoFromJson(const json& in, std::string_view path,
                              v1::UserInfo* out) {
  ObjectReader reader(in, std::string(path));
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.String("githubLogin")) {
    out->set_github_login(*std::move(v));
  }
  if (auto v = reader.String("avatarUrl")) out->set_avatar_url(*std::move(v));
  if (auto v = reader.String("email")) out->set_email(*std::move(v));
  return reader.FinishInto(out);
}

json UserInfoToJson(const v1::UserInfo& user) {
  json out = StructToJson(user.unknown_fields());
  out["name"] = user.name();
  out["githubLogin"] = user.github_login();
  out["avatarUrl"] = user.avatar_url();
  if (user.has_email()) out["email"] = user.email();
  return out;
}

absl::Status EntityFromJson(const json& in, std::string_view path,
                            v1::Entity* out) {
  ObjectReader reader(in, std::string(path));
  std::string type = reader.String("type").value_or("");
  if (type == "stack") {
    v1::StackEntity* stack = out->mutable_stack();
    if (auto v = reader.String("name")) stack->set_name(*std::move(v));
    if (auto v = reader.String("project")) stack->set_project(*std::move(v));
  } else if (type == "repository") {
    ReadRepository(reader, out->mutable_repository());
  } else if (type == "pull_request") {
    v1::PullRequestEntity* pr = out->mutable_pull_request();
    if (auto v = reader.Int32("number")) pr->set_number(*v);
    if (auto v = reader.Bool("merged")) pr->set_merged(*v);
    reader.Object(
        "repo", [&](const nlohmann::json& repo, const std::string& repo_path) {
          ObjectReader repo_reader(repo, repo_path);
          ReadRepository(repo_reader, pr->mutable_repo());
          google::protobuf::Struct unknown;
          absl::Status status = repo_reader.Finish(&unknown);
          if (status.ok()) reader.Stash("repo", std::move(unknown));
          return status;
        });
  } else if (type == "policy_issue") {
    v1::PolicyIssueEntity* issue = out->mutable_policy_issue();
    if (auto v = reader.String("id")) issue->set_id(*std::move(v));
    if (auto v = reader.String("name")) issue->set_name(*std::move(v));
  }
  out->set_type(std::move(type));
  return reader.FinishInto(out);
}

json EntityToJson(const v1::Entity& entity) {
  json out = StructToJson(entity.unknown_fields());
  switch (entity.kind_case()) {
    case v1::Entity::kStack:
      out["type"] = "stack";
      out["name"] = entity.stack().name();
      out["project"] = entity.stack().project();
      break;
    case v1::Entity::kRepository:
      out["type"] = "repository";
      WriteRepository(entity.repository(), out);
      break;
    case v1::Entity::kPullRequest: {
      const v1::PullRequestEntity& pr = entity.pull_request();
      out["type"] = "pull_request";
      out["number"] = pr.number();
      out["merged"] = pr.merged();
      if (pr.has_repo()) {
        json repo = json::object();
        WriteRepository(pr.repo(), repo);
        MergeMember(out, "repo", std::move(repo));
      }
      break;
    }
    case v1::Entity::kPolicyIssue:
      out["type"] = "policy_issue";
      out["id"] = entity.policy_issue().id();
      if (entity.policy_issue().has_name()) {
        out["name"] = entity.policy_issue().name();
      }
      break;
    case v1::Entity::KIND_NOT_SET:
      if (!entity.type().empty()) out["type"] = entity.type();
      break;
  }
  return out;
}

absl::Status EntityDiffFromJson(const json& in, std::string_view path,
                                v1::EntityDiff* out,
                                google::protobuf::Struct* unknown) {
  ObjectReader reader(in, std::string(path));
  reader.ObjectArray(
      "add", [&](const nlohmann::json& item, const std::string& item_path) {
        return EntityFromJson(item, item_path, out->add_add());
      });
  reader.ObjectArray(
      "remove", [&](const nlohmann::json& item, const std::string& item_path) {
        return EntityFromJson(item, item_path, out->add_remove());
      });
  return reader.Finish(unknown);
}

json EntityDiffToJson(const v1::EntityDiff& diff) {
  json out = json::object();
  if (!diff.add().empty()) {
    json& add = out["add"] = json::array();
    for (const v1::Entity& entity : diff.add()) {
      add.push_back(EntityToJson(entity));
    }
  }
  if (!diff.remove().empty()) {
    json& remove = out["remove"] = json::array();
    for (const v1::Entity& entity : diff.remove()) {
      remove.push_back(EntityToJson(entity));
    }
  }
  return out;
}

absl::Status TaskFromJson(const json& in, std::string_view path,
                          v1::Task* out) {
  ObjectReader reader(in, std::string(path));
  if (auto v = reader.String("id")) out->set_id(*std::move(v));
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.Enum("status", kTaskStatusNames)) out->set_status(*v);
  if (auto v = reader.Time("createdAt")) {
    *out->mutable_created_at() = *std::move(v);
  }
  if (auto v = reader.Enum("approvalMode", kApprovalModeNames)) {
    out->set_approval_mode(*v);
  }
  reader.ObjectArray("entities", [&](const nlohmann::json& item,
                                     const std::string& item_path) {
    return EntityFromJson(item, item_path, out->add_entities());
  });
  if (auto v = reader.Bool("planMode")) out->set_plan_mode(*v);
  if (auto v = reader.Bool("isShared")) out->set_is_shared(*v);
  if (auto v = TimeOrNever(reader, "sharedAt")) {
    *out->mutable_shared_at() = *std::move(v);
  }
  reader.Object("createdBy", [&](const nlohmann::json& user,
                                 const std::string& user_path) {
    return UserInfoFromJson(user, user_path, out->mutable_created_by());
  });
  if (auto v = reader.Enum("permissionMode", kPermissionModeNames)) {
    out->set_permission_mode(*v);
  }
  if (auto v = reader.Enum("runtimePhase", kRuntimePhaseNames)) {
    out->set_runtime_phase(*v);
  }
  if (auto v = reader.Int32("contextUsedTokens")) {
    out->set_context_used_tokens(*v);
  }
  if (auto v = reader.Int32("contextWindowTokens")) {
    out->set_context_window_tokens(*v);
  }
  if (auto v = reader.Enum("toolExecutionMode", kToolExecutionModeNames)) {
    out->set_tool_execution_mode(*v);
  }
  if (auto v = reader.Enum("taskType", kTaskTypeNames)) out->set_task_type(*v);
  if (auto v = reader.Int64("tokensUsed")) out->set_tokens_used(*v);
  if (auto v = reader.Enum("asyncTriggerType", kAsyncTriggerTypeNames)) {
    out->set_async_trigger_type(*v);
  }
  if (auto v = reader.Int32("contextCompactionThresholdPercent")) {
    out->set_context_compaction_threshold_percent(*v);
  }
  if (auto v = TimeOrNever(reader, "lastHeartbeat")) {
    *out->mutable_last_heartbeat() = *std::move(v);
  }
  if (auto v = reader.String("role")) out->set_role(*std::move(v));
  if (auto v = reader.Enum("source", kTaskSourceNames)) out->set_source(*v);
  if (auto v = reader.String("sourceAutomationID")) {
    out->set_source_automation_id(*std::move(v));
  }
  if (auto v = reader.Enum("vcsProvider", kVcsProviderNames)) {
    out->set_vcs_provider(*v);
  }
  return reader.FinishInto(out);
}

json TaskToJson(const v1::Task& task) {
  json out = StructToJson(task.unknown_fields());
  out["id"] = task.id();
  out["name"] = task.name();
  PutEnum(out, "status", kTaskStatusNames, task.status());
  if (task.has_created_at())
    out["createdAt"] = FormatRfc3339(task.created_at());
  PutEnum(out, "approvalMode", kApprovalModeNames, task.approval_mode());
  json& entities = out["entities"] = json::array();
  for (const v1::Entity& entity : task.entities()) {
    entities.push_back(EntityToJson(entity));
  }
  out["planMode"] = task.plan_mode();
  out["isShared"] = task.is_shared();
  if (task.has_shared_at()) out["sharedAt"] = FormatRfc3339(task.shared_at());
  if (task.has_created_by())
    out["createdBy"] = UserInfoToJson(task.created_by());
  PutEnum(out, "permissionMode", kPermissionModeNames, task.permission_mode());
  PutEnum(out, "runtimePhase", kRuntimePhaseNames, task.runtime_phase());
  if (task.has_context_used_tokens()) {
    out["contextUsedTokens"] = task.context_used_tokens();
  }
  if (task.has_context_window_tokens()) {
    out["contextWindowTokens"] = task.context_window_tokens();
  }
  PutEnum(out, "toolExecutionMode", kToolExecutionModeNames,
          task.tool_execution_mode());
  PutEnum(out, "taskType", kTaskTypeNames, task.task_type());
  out["tokensUsed"] = task.tokens_used();
  PutEnum(out, "asyncTriggerType", kAsyncTriggerTypeNames,
          task.async_trigger_type());
  if (task.has_context_compaction_threshold_percent()) {
    out["contextCompactionThresholdPercent"] =
        task.context_compaction_threshold_percent();
  }
  if (task.has_last_heartbeat()) {
    out["lastHeartbeat"] = FormatRfc3339(task.last_heartbeat());
  }
  if (task.has_role()) out["role"] = task.role();
  PutEnum(out, "source", kTaskSourceNames, task.source());
  if (task.has_source_automation_id()) {
    out["sourceAutomationID"] = task.source_automation_id();
  }
  PutEnum(out, "vcsProvider", kVcsProviderNames, task.vcs_provider());
  return out;
}

absl::StatusOr<v1::Task> ParseTask(std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::Task task;
  if (absl::Status s = TaskFromJson(*parsed, "", &task); !s.ok()) return s;
  return task;
}

absl::StatusOr<v1::ListTasksResponse> ParseListTasksResponse(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::ListTasksResponse response;
  ObjectReader reader(*parsed, "");
  reader.ObjectArray(
      "tasks", [&](const json& item, const std::string& item_path) {
        return TaskFromJson(item, item_path, response.add_tasks());
      });
  if (auto v = reader.String("continuationToken")) {
    response.set_next_page_token(*std::move(v));
  }
  if (absl::Status s = reader.FinishInto(&response); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::CreateTaskResponse> ParseCreateTaskResponse(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::CreateTaskResponse response;
  ObjectReader reader(*parsed, "");
  if (auto v = reader.String("taskId")) response.set_task_id(*std::move(v));
  if (absl::Status s = reader.FinishInto(&response); !s.ok()) return s;
  return response;
}

std::string SerializeTask(const v1::Task& task) {
  return DumpJson(TaskToJson(task));
}

std::string SerializeListTasksResponse(const v1::ListTasksResponse& response) {
  json out = StructToJson(response.unknown_fields());
  json& tasks = out["tasks"] = json::array();
  for (const v1::Task& task : response.tasks()) {
    tasks.push_back(TaskToJson(task));
  }
  if (!response.next_page_token().empty()) {
    out["continuationToken"] = response.next_page_token();
  }
  return DumpJson(out);
}

std::string SerializeCreateTaskResponse(
    const v1::CreateTaskResponse& response) {
  json out = StructToJson(response.unknown_fields());
  out["taskId"] = response.task_id();
  return DumpJson(out);
}

}  // namespace neobridge::codec
