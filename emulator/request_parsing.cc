#include "emulator/request_parsing.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "emulator/time_format.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

constexpr std::array<absl::string_view, 3> kApprovalModes = {"manual", "auto",
                                                             "balanced"};
constexpr std::array<absl::string_view, 2> kPermissionModes = {"default",
                                                               "read-only"};
constexpr std::array<absl::string_view, 3> kToolExecutionModes = {
    "cloud", "cli", "worker"};
constexpr std::array<absl::string_view, 7> kSources = {
    "api", "console", "cli", "slack", "schedule", "github", "code-review"};
constexpr std::array<absl::string_view, 5> kUserEventTypes = {
    "user_message", "user_confirmation", "user_cancel", "exec_tool_call",
    "tool_result"};
constexpr size_t kMaxNameLength = 255;

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

// Parses a request body that must be a JSON object. An empty body is {}.
absl::StatusOr<Json> ParseObject(absl::string_view body) {
  if (absl::StripAsciiWhitespace(body).empty()) return Json::object();
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Invalid("request body is not valid JSON");
  }
  if (!parsed.is_object()) {
    return Invalid("request body must be a JSON object");
  }
  return parsed;
}

// The member or nullptr when absent or JSON null.
const Json* Member(const Json& object, absl::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

template <size_t N>
absl::StatusOr<std::optional<std::string>> OptionalEnum(
    const Json& object, absl::string_view field,
    const std::array<absl::string_view, N>& allowed) {
  const Json* value = Member(object, field);
  if (value == nullptr) return std::optional<std::string>();
  const std::string allowed_list = absl::StrJoin(allowed, ", ");
  if (!value->is_string()) {
    return Invalid(
        absl::StrCat(field, " must be a string, one of: ", allowed_list));
  }
  const std::string& text = value->get_ref<const std::string&>();
  for (absl::string_view candidate : allowed) {
    if (candidate == text) return std::optional<std::string>(text);
  }
  return Invalid(absl::StrCat("invalid ", field, " '", text,
                              "': allowed values are ", allowed_list));
}

absl::StatusOr<std::optional<bool>> OptionalBool(const Json& object,
                                                 absl::string_view field) {
  const Json* value = Member(object, field);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_boolean()) {
    return Invalid(absl::StrCat(field, " must be a boolean"));
  }
  return std::optional<bool>(value->get<bool>());
}

absl::StatusOr<std::optional<std::string>> OptionalString(
    const Json& object, absl::string_view field, absl::string_view path) {
  const Json* value = Member(object, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) {
    return Invalid(absl::StrCat(path, field, " must be a string"));
  }
  return std::optional<std::string>(value->get<std::string>());
}

absl::StatusOr<std::string> RequiredString(const Json& object,
                                           absl::string_view field,
                                           absl::string_view path) {
  const Json* value = Member(object, field);
  if (value == nullptr || !value->is_string() ||
      value->get_ref<const std::string&>().empty()) {
    return Invalid(
        absl::StrCat(path, field, " is required and must be a string"));
  }
  return value->get<std::string>();
}

bool IsString(const Json& object, absl::string_view field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string();
}

bool IsOptionalString(const Json& object, absl::string_view field) {
  auto it = object.find(field);
  return it == object.end() || it->is_null() || it->is_string();
}

// Returns "" when `entity` is a valid AgentEntity, else the reason.
std::string EntityProblem(const Json& entity, bool nested_repository) {
  if (!entity.is_object()) return "must be an object";
  std::string type;
  if (auto it = entity.find("type"); it != entity.end() && it->is_string()) {
    type = it->get<std::string>();
  } else if (nested_repository && (it == entity.end() || it->is_null())) {
    type = "repository";
  } else {
    return "type is required (allowed: stack, repository, pull_request, "
           "policy_issue)";
  }
  if (nested_repository && type != "repository") {
    return "repo must be a repository";
  }
  if (type == "stack") {
    if (!IsString(entity, "name") || !IsString(entity, "project")) {
      return "stack requires string fields name and project";
    }
    return "";
  }
  if (type == "repository") {
    if (!IsString(entity, "name") || !IsString(entity, "org") ||
        !IsOptionalString(entity, "forge") ||
        !IsOptionalString(entity, "host")) {
      return "repository requires string fields name and org (forge and host "
             "are optional strings)";
    }
    return "";
  }
  if (type == "pull_request") {
    auto number = entity.find("number");
    auto merged = entity.find("merged");
    auto repo = entity.find("repo");
    if (number == entity.end() || !number->is_number_integer() ||
        merged == entity.end() || !merged->is_boolean() ||
        repo == entity.end()) {
      return "pull_request requires number (integer), merged (boolean) and "
             "repo (repository)";
    }
    std::string repo_problem = EntityProblem(*repo, /*nested_repository=*/true);
    if (!repo_problem.empty()) return absl::StrCat("repo: ", repo_problem);
    return "";
  }
  if (type == "policy_issue") {
    if (!IsString(entity, "id") || !IsOptionalString(entity, "name")) {
      return "policy_issue requires string field id (name is an optional "
             "string)";
    }
    return "";
  }
  return absl::StrCat("unknown entity type '", type,
                      "' (allowed: stack, repository, pull_request, "
                      "policy_issue)");
}

absl::Status ValidatePageContext(const Json& context, absl::string_view path) {
  if (!context.is_object()) {
    return Invalid(absl::StrCat(path, "pageContext must be an object"));
  }
  if (!IsOptionalString(context, "path") ||
      !IsOptionalString(context, "kind")) {
    return Invalid(absl::StrCat(path,
                                "pageContext.path and pageContext.kind must be "
                                "strings"));
  }
  if (const Json* params = Member(context, "params")) {
    bool ok = params->is_object();
    if (ok) {
      for (const auto& [key, value] : params->items()) {
        if (!value.is_string()) ok = false;
      }
    }
    if (!ok) {
      return Invalid(absl::StrCat(
          path, "pageContext.params must be an object of strings"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCommands(const Json& commands, absl::string_view path) {
  bool ok = commands.is_object();
  if (ok) {
    for (const auto& [key, value] : commands.items()) {
      if (!value.is_object()) ok = false;
    }
  }
  if (!ok) {
    return Invalid(absl::StrCat(
        path, "commands must be an object mapping names to slash commands"));
  }
  return absl::OkStatus();
}

// Fills "timestamp" when absent/null; rejects a non-RFC 3339 one.
absl::Status FillTimestamp(Json& event, absl::string_view path,
                           absl::Time now) {
  const Json* timestamp = Member(event, "timestamp");
  if (timestamp == nullptr) {
    event["timestamp"] = FormatTimestamp(now);
    return absl::OkStatus();
  }
  if (!timestamp->is_string() ||
      !ParseTimestamp(timestamp->get_ref<const std::string&>()).ok()) {
    return Invalid(
        absl::StrCat(path, "timestamp must be an RFC 3339 date-time string"));
  }
  return absl::OkStatus();
}

// Shared by CreateTasks.message and RespondToTask user_message events.
absl::Status ValidateUserMessage(Json& message, absl::string_view path,
                                 absl::Time now, std::string* content) {
  const Json* text = Member(message, "content");
  if (text == nullptr || !text->is_string() ||
      absl::StripAsciiWhitespace(text->get_ref<const std::string&>()).empty()) {
    return Invalid("prompt is required");
  }
  *content = text->get<std::string>();
  if (const Json* diff = Member(message, "entity_diff")) {
    if (absl::Status status = ValidateEntityDiff(*diff); !status.ok()) {
      return status;
    }
  }
  if (const Json* commands = Member(message, "commands")) {
    if (absl::Status status = ValidateCommands(*commands, path); !status.ok()) {
      return status;
    }
  }
  if (const Json* context = Member(message, "pageContext")) {
    if (absl::Status status = ValidatePageContext(*context, path);
        !status.ok()) {
      return status;
    }
  }
  return FillTimestamp(message, path, now);
}

absl::StatusOr<std::optional<Json>> OptionalRefList(
    const Json& object, absl::string_view field,
    std::initializer_list<absl::string_view> required_strings) {
  const Json* value = Member(object, field);
  if (value == nullptr) return std::optional<Json>();
  const std::string shape =
      absl::StrCat(field, " must be an array of objects with string fields ",
                   absl::StrJoin(required_strings, " and "));
  if (!value->is_array()) return Invalid(shape);
  for (const Json& item : *value) {
    if (!item.is_object()) return Invalid(shape);
    for (absl::string_view name : required_strings) {
      auto it = item.find(name);
      if (it == item.end() || !it->is_string() ||
          it->get_ref<const std::string&>().empty()) {
        return Invalid(shape);
      }
    }
  }
  return std::optional<Json>(*value);
}

}  // namespace

absl::Status ValidateEntityDiff(const Json& diff) {
  if (!diff.is_object()) {
    return Invalid("invalid entities: entity_diff must be an object");
  }
  for (const char* list : {"add", "remove"}) {
    const Json* entities = Member(diff, list);
    if (entities == nullptr) continue;
    if (!entities->is_array()) {
      return Invalid(absl::StrCat("invalid entities: entity_diff.", list,
                                  " must be an array"));
    }
    for (size_t i = 0; i < entities->size(); ++i) {
      std::string problem =
          EntityProblem((*entities)[i], /*nested_repository=*/false);
      if (!problem.empty()) {
        return Invalid(absl::StrCat("invalid entities: entity_diff.", list, "[",
                                    i, "]: ", problem));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CreateTaskRequest> ParseCreateTaskRequest(absl::string_view body,
                                                         absl::Time now) {
  absl::StatusOr<Json> root = ParseObject(body);
  if (!root.ok()) return root.status();
  CreateTaskRequest request;

  const Json* message = Member(*root, "message");
  if (message == nullptr) return Invalid("prompt is required");
  if (!message->is_object()) return Invalid("message must be an object");
  request.message = *message;
  if (const Json* type = Member(request.message, "type")) {
    if (!type->is_string() ||
        type->get_ref<const std::string&>() != "user_message") {
      return Invalid("message.type must be user_message");
    }
  }
  request.message["type"] = "user_message";
  if (absl::Status status = ValidateUserMessage(request.message, "message.",
                                                now, &request.prompt);
      !status.ok()) {
    return status;
  }
  request.entities = Json::array();
  if (const Json* diff = Member(request.message, "entity_diff")) {
    if (const Json* add = Member(*diff, "add")) request.entities = *add;
  }

  auto approval = OptionalEnum(*root, "approvalMode", kApprovalModes);
  if (!approval.ok()) return approval.status();
  request.approval_mode = *approval;
  auto permission = OptionalEnum(*root, "permissionMode", kPermissionModes);
  if (!permission.ok()) return permission.status();
  request.permission_mode = *permission;
  auto execution =
      OptionalEnum(*root, "toolExecutionMode", kToolExecutionModes);
  if (!execution.ok()) return execution.status();
  request.tool_execution_mode = *execution;
  auto source = OptionalEnum(*root, "source", kSources);
  if (!source.ok()) return source.status();
  request.source = *source;
  auto plan = OptionalBool(*root, "planMode");
  if (!plan.ok()) return plan.status();
  request.plan_mode = *plan;
  auto role = OptionalString(*root, "role", "");
  if (!role.ok()) return role.status();
  request.role = *role;
  auto enabled = OptionalRefList(*root, "enabledIntegrations", {"id"});
  if (!enabled.ok()) return enabled.status();
  request.enabled_integrations = *enabled;
  auto cli = OptionalRefList(*root, "cliIntegrations", {"catalogId", "name"});
  if (!cli.ok()) return cli.status();
  request.cli_integrations = *cli;
  return request;
}

absl::StatusOr<UpdateTaskRequest> ParseUpdateTaskRequest(
    absl::string_view body) {
  absl::StatusOr<Json> root = ParseObject(body);
  if (!root.ok()) return root.status();
  UpdateTaskRequest request;
  if (const Json* name = Member(*root, "name")) {
    if (!name->is_string()) return Invalid("name must be a string");
    std::string trimmed(
        absl::StripAsciiWhitespace(name->get_ref<const std::string&>()));
    size_t chars = 0;
    for (char c : trimmed) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
    }
    if (chars == 0 || chars > kMaxNameLength) {
      return Invalid(
          "name must be between 1 and 255 characters after trimming "
          "whitespace");
    }
    request.name = std::move(trimmed);
  }
  auto shared = OptionalBool(*root, "isShared");
  if (!shared.ok()) return shared.status();
  request.is_shared = *shared;
  auto approval = OptionalEnum(*root, "approvalMode", kApprovalModes);
  if (!approval.ok()) return approval.status();
  request.approval_mode = *approval;
  auto permission = OptionalEnum(*root, "permissionMode", kPermissionModes);
  if (!permission.ok()) return permission.status();
  request.permission_mode = *permission;
  return request;
}

absl::StatusOr<UserEvent> ParseRespondRequest(absl::string_view body,
                                              absl::Time now) {
  absl::StatusOr<Json> root = ParseObject(body);
  if (!root.ok()) return root.status();
  const Json* event_json = Member(*root, "event");
  if (event_json == nullptr) return Invalid("event field is required");
  if (!event_json->is_object()) return Invalid("event must be an object");

  UserEvent event;
  event.body = *event_json;
  const Json* type = Member(event.body, "type");
  if (type == nullptr || !type->is_string()) {
    return Invalid(absl::StrCat("event.type is required: allowed values are ",
                                absl::StrJoin(kUserEventTypes, ", ")));
  }
  const std::string type_name = type->get<std::string>();
  const absl::string_view path = "event.";
  if (type_name == "user_message") {
    event.type = UserEventType::kUserMessage;
    if (absl::Status status =
            ValidateUserMessage(event.body, path, now, &event.content);
        !status.ok()) {
      return status;
    }
    if (const Json* diff = Member(event.body, "entity_diff")) {
      event.entity_diff = *diff;
    }
    return event;
  }
  if (type_name == "user_confirmation") {
    event.type = UserEventType::kUserConfirmation;
    auto id = RequiredString(event.body, "approval_request_id", path);
    if (!id.ok()) return id.status();
    event.approval_request_id = *std::move(id);
    const Json* ok = Member(event.body, "ok");
    if (ok == nullptr || !ok->is_boolean()) {
      return Invalid("event.ok is required and must be a boolean");
    }
    event.ok = ok->get<bool>();
    auto instructions = OptionalString(event.body, "instructions", path);
    if (!instructions.ok()) return instructions.status();
    event.instructions = instructions->value_or("");
  } else if (type_name == "user_cancel") {
    event.type = UserEventType::kUserCancel;
  } else if (type_name == "exec_tool_call") {
    event.type = UserEventType::kExecToolCall;
    auto id = RequiredString(event.body, "tool_call_id", path);
    if (!id.ok()) return id.status();
    auto name = RequiredString(event.body, "name", path);
    if (!name.ok()) return name.status();
    event.tool_call_id = *std::move(id);
    event.tool_name = *std::move(name);
  } else if (type_name == "tool_result") {
    event.type = UserEventType::kToolResult;
    const Json* results = Member(event.body, "tool_results");
    if (results == nullptr || !results->is_array() || results->empty()) {
      return Invalid(
          "event.tool_results is required and must be a non-empty "
          "array");
    }
    for (size_t i = 0; i < results->size(); ++i) {
      const Json& item = (*results)[i];
      const std::string item_path =
          absl::StrCat("event.tool_results[", i, "].");
      if (!item.is_object()) {
        return Invalid(
            absl::StrCat("event.tool_results[", i, "] must be an object"));
      }
      ToolResult result;
      auto id = RequiredString(item, "tool_call_id", item_path);
      if (!id.ok()) return id.status();
      auto name = RequiredString(item, "name", item_path);
      if (!name.ok()) return name.status();
      if (item.find("content") == item.end()) {
        return Invalid(absl::StrCat(item_path, "content is required"));
      }
      auto is_error = OptionalBool(item, "is_error");
      if (!is_error.ok()) {
        return Invalid(absl::StrCat(item_path, "is_error must be a boolean"));
      }
      result.tool_call_id = *std::move(id);
      result.name = *std::move(name);
      result.is_error = is_error->value_or(false);
      event.tool_results.push_back(std::move(result));
    }
  } else {
    return Invalid(absl::StrCat("unknown event type '", type_name,
                                "': allowed values are ",
                                absl::StrJoin(kUserEventTypes, ", ")));
  }
  if (const Json* diff = Member(event.body, "entity_diff")) {
    if (absl::Status status = ValidateEntityDiff(*diff); !status.ok()) {
      return status;
    }
  }
  if (const Json* context = Member(event.body, "pageContext")) {
    if (absl::Status status = ValidatePageContext(*context, path);
        !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = FillTimestamp(event.body, path, now);
      !status.ok()) {
    return status;
  }
  return event;
}

absl::Status ParseCancelRequest(absl::string_view body) {
  absl::StatusOr<Json> root = ParseObject(body);
  if (!root.ok()) return root.status();
  const Json* force = Member(*root, "force");
  if (force == nullptr || !force->is_boolean() || !force->get<bool>()) {
    return Invalid(
        "force must be true (graceful cancel not yet supported via this "
        "endpoint)");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParsePageSize(std::optional<absl::string_view> value) {
  constexpr int kDefaultPageSize = 100;
  if (!value.has_value() || value->empty()) return kDefaultPageSize;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed) || parsed < 1 || parsed > 1000) {
    return Invalid("pageSize must be between 1 and 1000");
  }
  return static_cast<int>(parsed);
}

}  // namespace neo_emulator
