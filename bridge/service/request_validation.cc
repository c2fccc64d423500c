#include "bridge/service/request_validation.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

using status::FieldViolation;
using Violations = std::vector<FieldViolation>;

// Quotes a caller-supplied value for an error message: escaped, and cut to a
// readable length.
std::string Quote(absl::string_view value) {
  constexpr size_t kMaxShown = 64;
  std::string shown(value.substr(0, kMaxShown));
  std::string out = absl::CHexEscape(shown);
  if (value.size() > kMaxShown) absl::StrAppend(&out, "...");
  return absl::StrCat("\"", out, "\"");
}

void CheckId(Violations& violations, absl::string_view field,
             absl::string_view value, absl::string_view when_empty) {
  if (value.empty()) {
    violations.push_back({std::string(field), std::string(when_empty)});
  } else if (!IsValidId(value)) {
    violations.push_back(
        {std::string(field),
         absl::StrCat("must be 1 to ", kMaxIdLength,
                      " characters out of letters, digits, '-', '_', '.' and "
                      "'~', and not \".\" or \"..\"; got ",
                      Quote(value))});
  }
}

void CheckOrg(Violations& violations, absl::string_view org) {
  CheckId(violations, "org", org,
          "is required: set it in the request, or start neo-bridge with "
          "--default-org");
}

void CheckTaskId(Violations& violations, absl::string_view task_id) {
  CheckId(violations, "task_id", task_id,
          "is required: the id of the task, as returned by CreateTask or "
          "ListTasks");
}

void CheckPaging(Violations& violations, int32_t page_size,
                 absl::string_view page_token) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    violations.push_back(
        {"page_size",
         absl::StrCat("must be between 0 and ", kMaxPageSize,
                      " (0 means the upstream default); got ", page_size)});
  }
  if (page_token.size() > kMaxTokenLength) {
    violations.push_back(
        {"page_token",
         absl::StrCat("must be at most ", kMaxTokenLength,
                      " bytes: pass the next_page_token of the previous "
                      "page unchanged")});
  }
}

template <typename EnumValidFn>
void CheckEnum(Violations& violations, absl::string_view field, int value,
               EnumValidFn is_valid) {
  if (!is_valid(value)) {
    violations.push_back(
        {std::string(field),
         absl::StrCat("unknown enum value ", value,
                      ": use one of the values defined in the proto")});
  }
}

// Number of characters (UTF-8 code points) in `text`.
size_t CharacterCount(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

void CheckEntities(Violations& violations, absl::string_view field,
                   const google::protobuf::RepeatedPtrField<v1::Entity>& list) {
  for (int i = 0; i < list.size(); ++i) {
    const v1::Entity& entity = list[i];
    if (entity.kind_case() == v1::Entity::KIND_NOT_SET &&
        entity.type().empty()) {
      violations.push_back(
          {absl::StrCat(field, "[", i, "]"),
           "set one of stack, repository, pull_request or policy_issue (or "
           "`type` and `unknown_fields` for a newer kind)"});
    }
  }
}

void CheckUserEventCommon(Violations& violations, absl::string_view field,
                          const v1::UserEvent& event) {
  if (event.has_entity_diff()) {
    CheckEntities(violations, absl::StrCat(field, ".entity_diff.add"),
                  event.entity_diff().add());
    CheckEntities(violations, absl::StrCat(field, ".entity_diff.remove"),
                  event.entity_diff().remove());
  }
}

absl::Status Result(Violations violations) {
  if (violations.empty()) return absl::OkStatus();
  return status::InvalidRequest(std::move(violations));
}

}  // namespace

std::string ResolveOrg(absl::string_view org, absl::string_view default_org) {
  return std::string(org.empty() ? default_org : org);
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || id == "." || id == "..") {
    return false;
  }
  for (unsigned char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' &&
        c != '~') {
      return false;
    }
  }
  return true;
}

absl::Status ValidateListTasks(const v1::ListTasksRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckPaging(violations, request.page_size(), request.page_token());
  CheckEnum(violations, "sort_by", request.sort_by(),
            v1::TaskSortField_IsValid);
  CheckEnum(violations, "sort_direction", request.sort_direction(),
            v1::SortDirection_IsValid);
  CheckEnum(violations, "task_type", request.task_type(), v1::TaskType_IsValid);
  return Result(std::move(violations));
}

absl::Status ValidateCreateTask(const v1::CreateTaskRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  if (!request.has_message() || !request.message().has_user_message()) {
    violations.push_back({"message.user_message",
                          "is required: the first message of the task, e.g. "
                          "{user_message: {content: \"…\"}}"});
  } else {
    if (request.message().user_message().content().empty()) {
      violations.push_back({"message.user_message.content",
                            "is required: the prompt must not be empty"});
    }
    CheckUserEventCommon(violations, "message", request.message());
  }
  CheckEnum(violations, "approval_mode", request.approval_mode(),
            v1::ApprovalMode_IsValid);
  CheckEnum(violations, "permission_mode", request.permission_mode(),
            v1::PermissionMode_IsValid);
  CheckEnum(violations, "tool_execution_mode", request.tool_execution_mode(),
            v1::ToolExecutionMode_IsValid);
  CheckEnum(violations, "source", request.source(), v1::TaskSource_IsValid);
  for (int i = 0; i < request.enabled_integrations().integrations_size(); ++i) {
    if (request.enabled_integrations().integrations(i).id().empty()) {
      violations.push_back(
          {absl::StrCat("enabled_integrations.integrations[", i, "].id"),
           "is required: a catalog integration id such as \"datadog\""});
    }
  }
  for (int i = 0; i < request.cli_integrations().integrations_size(); ++i) {
    const v1::CliIntegrationRef& ref =
        request.cli_integrations().integrations(i);
    if (ref.catalog_id().empty() || ref.name().empty()) {
      violations.push_back(
          {absl::StrCat("cli_integrations.integrations[", i, "]"),
           "catalog_id and name are both required"});
    }
  }
  return Result(std::move(violations));
}

absl::Status ValidateGetTask(const v1::GetTaskRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  return Result(std::move(violations));
}

absl::Status ValidateUpdateTask(const v1::UpdateTaskRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  if (request.has_name()) {
    const size_t length =
        CharacterCount(absl::StripAsciiWhitespace(request.name()));
    if (length < 1 || length > kMaxTaskNameLength) {
      violations.push_back(
          {"name", absl::StrCat("must be 1 to ", kMaxTaskNameLength,
                                " characters after trimming white space; got ",
                                length)});
    }
  }
  CheckEnum(violations, "approval_mode", request.approval_mode(),
            v1::ApprovalMode_IsValid);
  CheckEnum(violations, "permission_mode", request.permission_mode(),
            v1::PermissionMode_IsValid);
  return Result(std::move(violations));
}

absl::Status ValidateRespondToTask(const v1::RespondToTaskRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  const v1::UserEvent& event = request.event();
  if (!request.has_event() ||
      (event.body_case() == v1::UserEvent::BODY_NOT_SET &&
       event.type().empty())) {
    violations.push_back(
        {"event",
         "is required: set one of user_message, user_confirmation, "
         "user_cancel, exec_tool_call or tool_result"});
  } else {
    switch (event.body_case()) {
      case v1::UserEvent::kUserMessage:
        if (event.user_message().content().empty()) {
          violations.push_back({"event.user_message.content",
                                "is required: the message must not be empty"});
        }
        break;
      case v1::UserEvent::kUserConfirmation:
        if (event.user_confirmation().approval_request_id().empty()) {
          violations.push_back(
              {"event.user_confirmation.approval_request_id",
               "is required: the approval_request_id of the task event "
               "that asked for approval"});
        }
        break;
      case v1::UserEvent::kExecToolCall:
        if (event.exec_tool_call().tool_call_id().empty()) {
          violations.push_back(
              {"event.exec_tool_call.tool_call_id", "is required"});
        }
        break;
      default:
        break;
    }
    CheckUserEventCommon(violations, "event", event);
  }
  return Result(std::move(violations));
}

absl::Status ValidateCancelTask(const v1::CancelTaskRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  return Result(std::move(violations));
}

absl::Status ValidateListTaskEvents(const v1::ListTaskEventsRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  CheckPaging(violations, request.page_size(), request.page_token());
  return Result(std::move(violations));
}

absl::Status ValidateStreamTaskEvents(
    const v1::StreamTaskEventsRequest& request) {
  Violations violations;
  CheckOrg(violations, request.org());
  CheckTaskId(violations, request.task_id());
  const std::string& last_event_id = request.last_event_id();
  if (last_event_id.size() > kMaxTokenLength ||
      last_event_id.find_first_of(std::string("\r\n\0", 3)) !=
          std::string::npos) {
    violations.push_back(
        {"last_event_id",
         absl::StrCat("must be an event id (at most ", kMaxTokenLength,
                      " bytes, no CR, LF or NUL) from a previous event")});
  }
  return Result(std::move(violations));
}

}  // namespace neobridge::service
