#include "bridge/codec/event_semantics.h"

namespace neobridge::codec {

bool EndsTurn(const v1::TaskEvent& event) {
  return EndsTurn(event, v1::TOOL_EXECUTION_MODE_UNSPECIFIED);
}

bool EndsTurn(const v1::TaskEvent& event, v1::ToolExecutionMode task_default) {
  if (!event.has_agent_response()) return false;
  const v1::BackendEvent& body = event.agent_response();
  switch (body.body_case()) {
    case v1::BackendEvent::kAssistantMessage: {
      const v1::AssistantMessage& message = body.assistant_message();
      if (!message.is_final()) return false;
      for (const v1::ToolCall& call : message.tool_calls()) {
        const v1::ToolExecutionMode mode =
            call.execution_mode() == v1::TOOL_EXECUTION_MODE_UNSPECIFIED
                ? task_default
                : call.execution_mode();
        // An external executor (the CLI, or a worker the service launches)
        // runs the call and resumes the turn with a tool_result.
        if (mode == v1::TOOL_EXECUTION_MODE_CLI ||
            mode == v1::TOOL_EXECUTION_MODE_WORKER) {
          return false;
        }
      }
      return true;
    }
    case v1::BackendEvent::kUserApprovalRequest:
    case v1::BackendEvent::kCancelled:
    case v1::BackendEvent::kError:
      return true;
    default:
      return false;
  }
}

std::string ApprovalRequestId(const v1::TaskEvent& event) {
  if (event.has_agent_response() &&
      event.agent_response().has_user_approval_request()) {
    return event.agent_response().user_approval_request().id();
  }
  return "";
}

}  // namespace neobridge::codec
