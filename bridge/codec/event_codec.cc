#include "bridge/codec/event_codec.h"

#include <string>
#include <utility>

#include "bridge/codec/enum_names.h"
#include "bridge/codec/event_semantics.h"
#include "bridge/codec/json_value.h"
#include "bridge/codec/object_reader.h"
#include "bridge/codec/task_codec.h"
#include "bridge/codec/timestamp.h"

namespace neobridge::codec {
namespace {

using nlohmann::json;

// Outer (`AgentConsoleEvent.type`) discriminators.
constexpr char kAgentResponse[] = "agentResponse";
constexpr char kUserInput[] = "userInput";

// ---- Parts with their own unknown_fields ----------------------------------

absl::Status ToolCallFromJson(const json& in, const std::string& path,
                              v1::ToolCall* out) {
  ObjectReader reader(in, path);
  if (auto v = reader.String("id")) out->set_id(*std::move(v));
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.Struct("args")) *out->mutable_args() = *std::move(v);
  if (auto v = reader.Enum("execution_mode", kToolExecutionModeNames)) {
    out->set_execution_mode(*v);
  }
  return reader.FinishInto(out);
}

json ToolCallToJson(const v1::ToolCall& call) {
  json out = StructToJson(call.unknown_fields());
  out["id"] = call.id();
  out["name"] = call.name();
  if (call.has_args()) out["args"] = StructToJson(call.args());
  PutEnum(out, "execution_mode", kToolExecutionModeNames,
          call.execution_mode());
  return out;
}

absl::Status TokenUsageFromJson(const json& in, const std::string& path,
                                v1::TokenUsage* out) {
  ObjectReader reader(in, path);
  if (auto v = reader.Int32("input_tokens")) out->set_input_tokens(*v);
  if (auto v = reader.Int32("output_tokens")) out->set_output_tokens(*v);
  if (auto v = reader.Int32("cache_creation_input_tokens")) {
    out->set_cache_creation_input_tokens(*v);
  }
  if (auto v = reader.Int32("cache_read_input_tokens")) {
    out->set_cache_read_input_tokens(*v);
  }
  return reader.FinishInto(out);
}

json TokenUsageToJson(const v1::TokenUsage& usage) {
  json out = StructToJson(usage.unknown_fields());
  if (usage.has_input_tokens()) out["input_tokens"] = usage.input_tokens();
  if (usage.has_output_tokens()) out["output_tokens"] = usage.output_tokens();
  if (usage.has_cache_creation_input_tokens()) {
    out["cache_creation_input_tokens"] = usage.cache_creation_input_tokens();
  }
  if (usage.has_cache_read_input_tokens()) {
    out["cache_read_input_tokens"] = usage.cache_read_input_tokens();
  }
  return out;
}

json StringMapToJson(
    const google::protobuf::Map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

absl::Status ApprovalContextFromJson(const json& in, const std::string& path,
                                     v1::ApprovalContext* out) {
  ObjectReader reader(in, path);
  reader.StringMap("git_diff", out->mutable_git_diff());
  reader.StringMap("last_approval_diff", out->mutable_last_approval_diff());
  if (auto v = reader.String("plan_description")) {
    out->set_plan_description(*std::move(v));
  }
  if (auto v = reader.String("tool_call_id")) {
    out->set_tool_call_id(*std::move(v));
  }
  if (auto v = reader.String("tool_name")) out->set_tool_name(*std::move(v));
  return reader.FinishInto(out);
}

json ApprovalContextToJson(const v1::ApprovalContext& context) {
  json out = StructToJson(context.unknown_fields());
  if (!context.git_diff().empty()) {
    out["git_diff"] = StringMapToJson(context.git_diff());
  }
  if (!context.last_approval_diff().empty()) {
    out["last_approval_diff"] = StringMapToJson(context.last_approval_diff());
  }
  if (context.has_plan_description()) {
    out["plan_description"] = context.plan_description();
  }
  if (context.has_tool_call_id()) out["tool_call_id"] = context.tool_call_id();
  if (context.has_tool_name()) out["tool_name"] = context.tool_name();
  return out;
}

absl::Status SlashCommandFromJson(const json& in, const std::string& path,
                                  v1::SlashCommand* out) {
  ObjectReader reader(in, path);
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.String("prompt")) out->set_prompt(*std::move(v));
  if (auto v = reader.String("description")) {
    out->set_description(*std::move(v));
  }
  if (auto v = reader.Bool("builtIn")) out->set_built_in(*v);
  if (auto v = reader.String("tag")) out->set_tag(*std::move(v));
  if (auto v = reader.Time("modifiedAt")) {
    *out->mutable_modified_at() = *std::move(v);
  }
  return reader.FinishInto(out);
}

json SlashCommandToJson(const v1::SlashCommand& command) {
  json out = StructToJson(command.unknown_fields());
  out["name"] = command.name();
  out["prompt"] = command.prompt();
  out["description"] = command.description();
  out["builtIn"] = command.built_in();
  out["tag"] = command.tag();
  if (command.has_modified_at()) {
    out["modifiedAt"] = FormatRfc3339(command.modified_at());
  }
  return out;
}

absl::Status PageContextFromJson(const json& in, const std::string& path,
                                 v1::PageContext* out) {
  ObjectReader reader(in, path);
  if (auto v = reader.String("path")) out->set_path(*std::move(v));
  if (auto v = reader.String("kind")) out->set_kind(*std::move(v));
  reader.StringMap("params", out->mutable_params());
  return reader.FinishInto(out);
}

json PageContextToJson(const v1::PageContext& context) {
  json out = StructToJson(context.unknown_fields());
  if (context.has_path()) out["path"] = context.path();
  if (context.has_kind()) out["kind"] = context.kind();
  if (!context.params().empty()) {
    out["params"] = StringMapToJson(context.params());
  }
  return out;
}

absl::Status ToolResultItemFromJson(const json& in, const std::string& path,
                                    v1::ToolResultItem* out) {
  ObjectReader reader(in, path);
  if (auto v = reader.String("tool_call_id")) {
    out->set_tool_call_id(*std::move(v));
  }
  if (auto v = reader.String("name")) out->set_name(*std::move(v));
  if (auto v = reader.Value("content")) *out->mutable_content() = *std::move(v);
  if (auto v = reader.Bool("is_error")) out->set_is_error(*v);
  return reader.FinishInto(out);
}

json ToolResultItemToJson(const v1::ToolResultItem& item) {
  json out = StructToJson(item.unknown_fields());
  out["tool_call_id"] = item.tool_call_id();
  out["name"] = item.name();
  if (item.has_content()) out["content"] = ValueToJson(item.content());
  if (item.has_is_error()) out["is_error"] = item.is_error();
  return out;
}

// Reads `key` as an EntityDiff into `*out`, stashing the diff object's own
// unmodeled members in `reader` under `key`. Returns whether the member was
// present (non-null) and decoded.
bool ReadEntityDiff(ObjectReader& reader, const char* key,
                    v1::EntityDiff* out) {
  return reader.Object(key, [&](const json& diff, const std::string& path) {
    google::protobuf::Struct unknown;
    absl::Status status = EntityDiffFromJson(diff, path, out, &unknown);
    if (status.ok()) reader.Stash(key, std::move(unknown));
    return status;
  });
}

// ---- Backend event bodies, read from and written into the event object ---

void ReadAssistantMessage(ObjectReader& reader, v1::AssistantMessage* out) {
  if (auto v = reader.String("content")) out->set_content(*std::move(v));
  if (auto v = reader.Bool("is_final")) out->set_is_final(*v);
  reader.ObjectArray(
      "tool_calls", [&](const json& item, const std::string& path) {
        return ToolCallFromJson(item, path, out->add_tool_calls());
      });
  reader.ObjectMap("token_usage",
                   [&](const std::string& model, const json& usage,
                       const std::string& path) {
                     return TokenUsageFromJson(
                         usage, path, &(*out->mutable_token_usage())[model]);
                   });
  reader.StringList("thinking_signatures", out->mutable_thinking_signatures());
}

void WriteAssistantMessage(const v1::AssistantMessage& message, json& out) {
  out["content"] = message.content();
  out["is_final"] = message.is_final();
  if (!message.tool_calls().empty()) {
    json& calls = out["tool_calls"] = json::array();
    for (const v1::ToolCall& call : message.tool_calls()) {
      calls.push_back(ToolCallToJson(call));
    }
  }
  json& usage = out["token_usage"] = json::object();
  for (const auto& [model, tokens] : message.token_usage()) {
    usage[model] = TokenUsageToJson(tokens);
  }
  if (!message.thinking_signatures().empty()) {
    json& signatures = out["thinking_signatures"] = json::array();
    for (const std::string& signature : message.thinking_signatures()) {
      signatures.push_back(signature);
    }
  }
}

void ReadUserApprovalRequest(ObjectReader& reader,
                             v1::UserApprovalRequest* out) {
  if (auto v = reader.String("id")) out->set_id(*std::move(v));
  if (auto v = reader.Enum("approval_type", kApprovalTypeNames)) {
    out->set_approval_type(*v);
  }
  if (auto v = reader.String("message")) out->set_message(*std::move(v));
  if (auto v = reader.Enum("source", kApprovalSourceNames)) {
    out->set_source(*v);
  }
  reader.StringList("buttons", out->mutable_buttons());
  reader.Object("context", [&](const json& context, const std::string& path) {
    return ApprovalContextFromJson(context, path, out->mutable_context());
  });
  if (auto v = reader.Enum("sensitivity", kApprovalSensitivityNames)) {
    out->set_sensitivity(*v);
  }
}

void WriteUserApprovalRequest(const v1::UserApprovalRequest& request,
                              json& out) {
  out["id"] = request.id();
  PutEnum(out, "approval_type", kApprovalTypeNames, request.approval_type());
  out["message"] = request.message();
  PutEnum(out, "source", kApprovalSourceNames, request.source());
  if (!request.buttons().empty()) {
    json& buttons = out["buttons"] = json::array();
    for (const std::string& button : request.buttons()) {
      buttons.push_back(button);
    }
  }
  if (request.has_context()) {
    out["context"] = ApprovalContextToJson(request.context());
  }
  PutEnum(out, "sensitivity", kApprovalSensitivityNames, request.sensitivity());
}

void ReadContextCompression(ObjectReader& reader, v1::ContextCompression* out) {
  if (auto v = reader.Enum("status", kCompressionStatusNames)) {
    out->set_status(*v);
  }
  if (auto v = reader.String("message")) out->set_message(*std::move(v));
  if (auto v = reader.String("context_summary")) {
    out->set_context_summary(*std::move(v));
  }
  if (auto v = reader.Int32("tail_length")) out->set_tail_length(*v);
}

void WriteContextCompression(const v1::ContextCompression& compression,
                             json& out) {
  PutEnum(out, "status", kCompressionStatusNames, compression.status());
  if (compression.has_message()) out["message"] = compression.message();
  if (compression.has_context_summary()) {
    out["context_summary"] = compression.context_summary();
  }
  if (compression.has_tail_length()) {
    out["tail_length"] = compression.tail_length();
  }
}

// ---- User event bodies -----------------------------------------------------

void ReadUserMessage(ObjectReader& reader, v1::UserMessage* out) {
  if (auto v = reader.String("content")) out->set_content(*std::move(v));
  reader.ObjectMap("commands", [&](const std::string& name, const json& command,
                                   const std::string& path) {
    return SlashCommandFromJson(command, path,
                                &(*out->mutable_commands())[name]);
  });
}

void WriteUserMessage(const v1::UserMessage& message, json& out) {
  out["content"] = message.content();
  if (!message.commands().empty()) {
    json& commands = out["commands"] = json::object();
    for (const auto& [name, command] : message.commands()) {
      commands[name] = SlashCommandToJson(command);
    }
  }
}

}  // namespace

absl::Status BackendEventFromJson(const json& in, std::string_view path,
                                  v1::BackendEvent* out) {
  ObjectReader reader(in, std::string(path));
  if (auto v = reader.Time("timestamp")) {
    *out->mutable_timestamp() = *std::move(v);
  }
  std::string type = reader.String("type").value_or("");
  if (type == "assistant_message") {
    ReadAssistantMessage(reader, out->mutable_assistant_message());
  } else if (type == "user_approval_request") {
    ReadUserApprovalRequest(reader, out->mutable_user_approval_request());
  } else if (type == "exec_tool_call") {
    v1::ExecToolCall* call = out->mutable_exec_tool_call();
    if (auto v = reader.String("tool_call_id")) {
      call->set_tool_call_id(*std::move(v));
    }
    if (auto v = reader.String("name")) call->set_name(*std::move(v));
  } else if (type == "exec_tool_call_progress") {
    v1::ExecToolCallProgress* progress = out->mutable_exec_tool_call_progress();
    if (auto v = reader.String("tool_call_id")) {
      progress->set_tool_call_id(*std::move(v));
    }
    if (auto v = reader.String("status")) progress->set_status(*std::move(v));
    if (auto v = reader.Struct("metadata")) {
      *progress->mutable_metadata() = *std::move(v);
    }
  } else if (type == "tool_response") {
    v1::ToolResponse* response = out->mutable_tool_response();
    if (auto v = reader.String("tool_call_id")) {
      response->set_tool_call_id(*std::move(v));
    }
    if (auto v = reader.String("name")) response->set_name(*std::move(v));
    if (auto v = reader.Value("content")) {
      *response->mutable_content() = *std::move(v);
    }
    if (auto v = reader.Bool("is_error")) response->set_is_error(*v);
  } else if (type == "set_task_name") {
    v1::SetTaskName* rename = out->mutable_set_task_name();
    if (auto v = reader.String("name")) rename->set_name(*std::move(v));
  } else if (type == "change_entities") {
    v1::ChangeEntities* change = out->mutable_change_entities();
    v1::EntityDiff changes;
    if (ReadEntityDiff(reader, "changes", &changes)) {
      *change->mutable_changes() = std::move(changes);
    }
  } else if (type == "awaiting_approvals") {
    out->mutable_awaiting_approvals();
  } else if (type == "cancelled") {
    v1::Cancelled* cancelled = out->mutable_cancelled();
    if (auto v = reader.Bool("operation_was_running")) {
      cancelled->set_operation_was_running(*v);
    }
  } else if (type == "error") {
    v1::AgentError* error = out->mutable_error();
    if (auto v = reader.String("message")) error->set_message(*std::move(v));
  } else if (type == "warning") {
    v1::AgentWarning* warning = out->mutable_warning();
    if (auto v = reader.String("message")) warning->set_message(*std::move(v));
  } else if (type == "context_compression_event") {
    ReadContextCompression(reader, out->mutable_context_compression_event());
  } else if (type == "provide_pulumi_access_token") {
    v1::ProvidePulumiAccessToken* token =
        out->mutable_provide_pulumi_access_token();
    if (auto v = reader.String("encrypted_pulumi_access_token")) {
      token->set_encrypted_pulumi_access_token(*std::move(v));
    }
  }
  out->set_type(std::move(type));
  return reader.FinishInto(out);
}

json BackendEventToJson(const v1::BackendEvent& event) {
  json out = StructToJson(event.unknown_fields());
  if (event.has_timestamp()) {
    out["timestamp"] = FormatRfc3339(event.timestamp());
  }
  switch (event.body_case()) {
    case v1::BackendEvent::kAssistantMessage:
      out["type"] = "assistant_message";
      WriteAssistantMessage(event.assistant_message(), out);
      break;
    case v1::BackendEvent::kUserApprovalRequest:
      out["type"] = "user_approval_request";
      WriteUserApprovalRequest(event.user_approval_request(), out);
      break;
    case v1::BackendEvent::kExecToolCall:
      out["type"] = "exec_tool_call";
      out["tool_call_id"] = event.exec_tool_call().tool_call_id();
      out["name"] = event.exec_tool_call().name();
      break;
    case v1::BackendEvent::kExecToolCallProgress: {
      const v1::ExecToolCallProgress& progress =
          event.exec_tool_call_progress();
      out["type"] = "exec_tool_call_progress";
      out["tool_call_id"] = progress.tool_call_id();
      out["status"] = progress.status();
      if (progress.has_metadata()) {
        out["metadata"] = StructToJson(progress.metadata());
      }
      break;
    }
    case v1::BackendEvent::kToolResponse: {
      const v1::ToolResponse& response = event.tool_response();
      out["type"] = "tool_response";
      out["tool_call_id"] = response.tool_call_id();
      out["name"] = response.name();
      if (response.has_content()) {
        out["content"] = ValueToJson(response.content());
      }
      out["is_error"] = response.is_error();
      break;
    }
    case v1::BackendEvent::kSetTaskName:
      out["type"] = "set_task_name";
      out["name"] = event.set_task_name().name();
      break;
    case v1::BackendEvent::kChangeEntities:
      out["type"] = "change_entities";
      if (event.change_entities().has_changes()) {
        MergeMember(out, "changes",
                    EntityDiffToJson(event.change_entities().changes()));
      }
      break;
    case v1::BackendEvent::kAwaitingApprovals:
      out["type"] = "awaiting_approvals";
      break;
    case v1::BackendEvent::kCancelled:
      out["type"] = "cancelled";
      out["operation_was_running"] = event.cancelled().operation_was_running();
      break;
    case v1::BackendEvent::kError:
      out["type"] = "error";
      out["message"] = event.error().message();
      break;
    case v1::BackendEvent::kWarning:
      out["type"] = "warning";
      out["message"] = event.warning().message();
      break;
    case v1::BackendEvent::kContextCompressionEvent:
      out["type"] = "context_compression_event";
      WriteContextCompression(event.context_compression_event(), out);
      break;
    case v1::BackendEvent::kProvidePulumiAccessToken:
      out["type"] = "provide_pulumi_access_token";
      out["encrypted_pulumi_access_token"] =
          event.provide_pulumi_access_token().encrypted_pulumi_access_token();
      break;
    case v1::BackendEvent::BODY_NOT_SET:
      if (!event.type().empty()) out["type"] = event.type();
      break;
  }
  return out;
}

absl::Status UserEventFromJson(const json& in, std::string_view path,
                               v1::UserEvent* out) {
  ObjectReader reader(in, std::string(path));
  if (auto v = reader.Time("timestamp")) {
    *out->mutable_timestamp() = *std::move(v);
  }
  std::string type = reader.String("type").value_or("");
  if (v1::EntityDiff diff; ReadEntityDiff(reader, "entity_diff", &diff)) {
    *out->mutable_entity_diff() = std::move(diff);
  }
  reader.Object("pageContext",
                [&](const json& context, const std::string& context_path) {
                  return PageContextFromJson(context, context_path,
                                             out->mutable_page_context());
                });
  if (type == "user_message") {
    ReadUserMessage(reader, out->mutable_user_message());
  } else if (type == "user_confirmation") {
    v1::UserConfirmation* confirmation = out->mutable_user_confirmation();
    if (auto v = reader.String("approval_request_id")) {
      confirmation->set_approval_request_id(*std::move(v));
    }
    if (auto v = reader.Bool("ok")) confirmation->set_ok(*v);
    if (auto v = reader.String("instructions")) {
      confirmation->set_instructions(*std::move(v));
    }
  } else if (type == "user_cancel") {
    out->mutable_user_cancel();
  } else if (type == "exec_tool_call") {
    v1::UserExecToolCall* call = out->mutable_exec_tool_call();
    if (auto v = reader.String("tool_call_id")) {
      call->set_tool_call_id(*std::move(v));
    }
    if (auto v = reader.String("name")) call->set_name(*std::move(v));
  } else if (type == "tool_result") {
    v1::UserToolResult* result = out->mutable_tool_result();
    reader.ObjectArray("tool_results",
                       [&](const json& item, const std::string& item_path) {
                         return ToolResultItemFromJson(
                             item, item_path, result->add_tool_results());
                       });
  }
  out->set_type(std::move(type));
  return reader.FinishInto(out);
}

json UserEventToJson(const v1::UserEvent& event) {
  json out = StructToJson(event.unknown_fields());
  if (event.has_timestamp()) {
    out["timestamp"] = FormatRfc3339(event.timestamp());
  }
  if (event.has_entity_diff()) {
    MergeMember(out, "entity_diff", EntityDiffToJson(event.entity_diff()));
  }
  if (event.has_page_context()) {
    out["pageContext"] = PageContextToJson(event.page_context());
  }
  switch (event.body_case()) {
    case v1::UserEvent::kUserMessage:
      out["type"] = "user_message";
      WriteUserMessage(event.user_message(), out);
      break;
    case v1::UserEvent::kUserConfirmation: {
      const v1::UserConfirmation& confirmation = event.user_confirmation();
      out["type"] = "user_confirmation";
      out["approval_request_id"] = confirmation.approval_request_id();
      out["ok"] = confirmation.ok();
      if (confirmation.has_instructions()) {
        out["instructions"] = confirmation.instructions();
      }
      break;
    }
    case v1::UserEvent::kUserCancel:
      out["type"] = "user_cancel";
      break;
    case v1::UserEvent::kExecToolCall:
      out["type"] = "exec_tool_call";
      out["tool_call_id"] = event.exec_tool_call().tool_call_id();
      out["name"] = event.exec_tool_call().name();
      break;
    case v1::UserEvent::kToolResult: {
      out["type"] = "tool_result";
      json& results = out["tool_results"] = json::array();
      for (const v1::ToolResultItem& item :
           event.tool_result().tool_results()) {
        results.push_back(ToolResultItemToJson(item));
      }
      break;
    }
    case v1::UserEvent::BODY_NOT_SET:
      if (!event.type().empty()) out["type"] = event.type();
      break;
  }
  return out;
}

absl::Status TaskEventFromJson(const json& in, std::string_view path,
                               v1::TaskEvent* out) {
  ObjectReader reader(in, std::string(path));
  if (auto v = reader.String("id")) out->set_id(*std::move(v));
  if (auto v = reader.Bool("isSynthetic")) out->set_is_synthetic(*v);
  std::string type = reader.String("type").value_or("");
  if (type == kAgentResponse) {
    reader.Object("eventBody",
                  [&](const json& body, const std::string& body_path) {
                    return BackendEventFromJson(body, body_path,
                                                out->mutable_agent_response());
                  });
  } else if (type == kUserInput) {
    reader.Object(
        "eventBody", [&](const json& body, const std::string& body_path) {
          return UserEventFromJson(body, body_path, out->mutable_user_input());
        });
  }
  // Any other type leaves `eventBody` unread, so Finish keeps it whole.
  out->set_type(std::move(type));
  if (absl::Status s = reader.FinishInto(out); !s.ok()) {
    return s;
  }
  out->set_ends_turn(EndsTurn(*out));
  out->set_approval_request_id(ApprovalRequestId(*out));
  return absl::OkStatus();
}

json TaskEventToJson(const v1::TaskEvent& event) {
  json out = StructToJson(event.unknown_fields());
  out["id"] = event.id();
  out["isSynthetic"] = event.is_synthetic();
  switch (event.body_case()) {
    case v1::TaskEvent::kAgentResponse:
      out["type"] = kAgentResponse;
      out["eventBody"] = BackendEventToJson(event.agent_response());
      break;
    case v1::TaskEvent::kUserInput:
      out["type"] = kUserInput;
      out["eventBody"] = UserEventToJson(event.user_input());
      break;
    case v1::TaskEvent::BODY_NOT_SET:
      if (!event.type().empty()) out["type"] = event.type();
      break;
  }
  return out;
}

absl::StatusOr<v1::TaskEvent> ParseTaskEvent(std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::TaskEvent event;
  if (absl::Status s = TaskEventFromJson(*parsed, "", &event); !s.ok()) {
    return s;
  }
  return event;
}

absl::StatusOr<v1::ListTaskEventsResponse> ParseListTaskEventsResponse(
    std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::ListTaskEventsResponse response;
  ObjectReader reader(*parsed, "");
  reader.ObjectArray(
      "events", [&](const json& item, const std::string& item_path) {
        return TaskEventFromJson(item, item_path, response.add_events());
      });
  if (auto v = reader.String("continuationToken")) {
    response.set_next_page_token(*std::move(v));
  }
  if (absl::Status s = reader.FinishInto(&response); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::UserEvent> ParseUserEvent(std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::UserEvent event;
  if (absl::Status s = UserEventFromJson(*parsed, "", &event); !s.ok()) {
    return s;
  }
  return event;
}

absl::StatusOr<v1::BackendEvent> ParseBackendEvent(std::string_view text) {
  absl::StatusOr<json> parsed = ParseJsonObject(text);
  if (!parsed.ok()) return parsed.status();
  v1::BackendEvent event;
  if (absl::Status s = BackendEventFromJson(*parsed, "", &event); !s.ok()) {
    return s;
  }
  return event;
}

std::string SerializeTaskEvent(const v1::TaskEvent& event) {
  return DumpJson(TaskEventToJson(event));
}

std::string SerializeListTaskEventsResponse(
    const v1::ListTaskEventsResponse& response) {
  json out = StructToJson(response.unknown_fields());
  json& events = out["events"] = json::array();
  for (const v1::TaskEvent& event : response.events()) {
    events.push_back(TaskEventToJson(event));
  }
  if (!response.next_page_token().empty()) {
    out["continuationToken"] = response.next_page_token();
  }
  return DumpJson(out);
}

std::string SerializeUserEvent(const v1::UserEvent& event) {
  return DumpJson(UserEventToJson(event));
}

std::string SerializeBackendEvent(const v1::BackendEvent& event) {
  return DumpJson(BackendEventToJson(event));
}

}  // namespace neobridge::codec
