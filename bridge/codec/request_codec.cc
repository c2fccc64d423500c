#include "bridge/codec/request_codec.h"

#include <string>
#include <utility>

#include "bridge/codec/enum_names.h"
#include "bridge/codec/event_codec.h"
#include "bridge/codec/json_value.h"
#include "bridge/codec/object_reader.h"
#include "bridge/codec/timestamp.h"

namespace neobridge::codec {

using nlohmann::json;

std::string SerializeCreateTaskRequest(const v1::CreateTaskRequest& request,
                                       absl::Time now) {
  json out = json::object();
  if (request.has_message()) {
    json message = UserEventToJson(request.message());
    if (!request.message().has_timestamp()) {
      message["timestamp"] = FormatRfc3339(ToProtoTimestamp(now));
    }
    out["message"] = std::move(message);
  }
  PutEnum(out, "approvalMode", kApprovalModeNames, request.approval_mode());
  if (request.has_plan_mode()) out["planMode"] = request.plan_mode();
  PutEnum(out, "permissionMode", kPermissionModeNames,
          request.permission_mode());
  PutEnum(out, "toolExecutionMode", kToolExecutionModeNames,
          request.tool_execution_mode());
  PutEnum(out, "source", kTaskSourceNames, request.source());
  if (request.has_enabled_integrations()) {
    json& list = out["enabledIntegrations"] = json::array();
    for (const v1::IntegrationRef& ref :
         request.enabled_integrations().integrations()) {
      list.push_back(json{{"id", ref.id()}});
    }
  }
  if (request.has_cli_integrations()) {
    json& list = out["cliIntegrations"] = json::array();
    for (const v1::CliIntegrationRef& ref :
         request.cli_integrations().integrations()) {
      list.push_back(
          json{{"catalogId", ref.catalog_id()}, {"name", ref.name()}});
    }
  }
  if (request.has_role()) out["role"] = request.role();
  return DumpJson(out);
}

std::string SerializeUpdateTaskRequest(const v1::UpdateTaskRequest& request) {
  json out = json::object();
  if (request.has_name()) out["name"] = request.name();
  if (request.has_is_shared()) out["isShared"] = request.is_shared();
  PutEnum(out, "approvalMode", kApprovalModeNames, request.approval_mode());
  PutEnum(out, "permissionMode", kPermissionModeNames,
          request.permission_mode());
  return DumpJson(out);
}

std::string SerializeRespondToTaskRequest(
    const v1::RespondToTaskRequest& request) {
  json out = json::object();
  if (request.has_event()) out["event"] = UserEventToJson(request.event());
  return DumpJson(out);
}

std::string SerializeCancelTaskRequest() { return R"({"force":true})"; }

absl::StatusOr<v1::CreateTaskRequest> ParseCreateTaskRequest(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::CreateTaskRequest request;
  ObjectReader reader(*parsed, "");
  reader.Object("message", [&](const json& message, const std::string& path) {
    return UserEventFromJson(message, path, request.mutable_message());
  });
  if (auto v = reader.Enum("approvalMode", kApprovalModeNames)) {
    request.set_approval_mode(*v);
  }
  if (auto v = reader.Bool("planMode")) request.set_plan_mode(*v);
  if (auto v = reader.Enum("permissionMode", kPermissionModeNames)) {
    request.set_permission_mode(*v);
  }
  if (auto v = reader.Enum("toolExecutionMode", kToolExecutionModeNames)) {
    request.set_tool_execution_mode(*v);
  }
  if (auto v = reader.Enum("source", kTaskSourceNames)) request.set_source(*v);
  v1::IntegrationSelection enabled;
  if (reader.ObjectArray("enabledIntegrations",
                         [&](const json& item, const std::string& path) {
                           ObjectReader ref(item, path);
                           v1::IntegrationRef* out = enabled.add_integrations();
                           if (auto v = ref.String("id"))
                             out->set_id(*std::move(v));
                           return ref.Finish(nullptr);
                         })) {
    *request.mutable_enabled_integrations() = std::move(enabled);
  }
  v1::CliIntegrationSelection cli;
  if (reader.ObjectArray("cliIntegrations",
                         [&](const json& item, const std::string& path) {
                           ObjectReader ref(item, path);
                           v1::CliIntegrationRef* out = cli.add_integrations();
                           if (auto v = ref.String("catalogId")) {
                             out->set_catalog_id(*std::move(v));
                           }
                           if (auto v = ref.String("name"))
                             out->set_name(*std::move(v));
                           return ref.Finish(nullptr);
                         })) {
    *request.mutable_cli_integrations() = std::move(cli);
  }
  if (auto v = reader.String("role")) request.set_role(*std::move(v));
  if (absl::Status s = reader.Finish(nullptr); !s.ok()) return s;
  return request;
}

absl::StatusOr<v1::UpdateTaskRequest> ParseUpdateTaskRequest(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::UpdateTaskRequest request;
  ObjectReader reader(*parsed, "");
  if (auto v = reader.String("name")) request.set_name(*std::move(v));
  if (auto v = reader.Bool("isShared")) request.set_is_shared(*v);
  if (auto v = reader.Enum("approvalMode", kApprovalModeNames)) {
    request.set_approval_mode(*v);
  }
  if (auto v = reader.Enum("permissionMode", kPermissionModeNames)) {
    request.set_permission_mode(*v);
  }
  if (absl::Status s = reader.Finish(nullptr); !s.ok()) return s;
  return request;
}

absl::StatusOr<v1::RespondToTaskRequest> ParseRespondToTaskRequest(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::RespondToTaskRequest request;
  ObjectReader reader(*parsed, "");
  reader.Object("event", [&](const json& event, const std::string& path) {
    return UserEventFromJson(event, path, request.mutable_event());
  });
  if (absl::Status s = reader.Finish(nullptr); !s.ok()) return s;
  return request;
}

}  // namespace neobridge::codec
