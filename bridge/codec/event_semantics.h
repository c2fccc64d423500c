// What a task event means for the conversation: whether it ends the agent's
// turn, and which approval request it raises. Pure functions of the event.
#ifndef NEOBRIDGE_BRIDGE_CODEC_EVENT_SEMANTICS_H_
#define NEOBRIDGE_BRIDGE_CODEC_EVENT_SEMANTICS_H_

#include <string>

#include "neobridge/v1/event.pb.h"
#include "neobridge/v1/task.pb.h"

namespace neobridge::codec {

// True when `event` ends the agent's turn, after which the agent waits for
// user input. That is an `agentResponse` whose body is
//  - an `assistant_message` with `is_final` and no tool call that an
//    external executor runs (`execution_mode` `cli` or `worker`: that
//    executor resumes the turn with a tool_result; a call naming no mode runs
//    where the task's default says, here taken to be the upstream default,
//    cloud), or
//  - a `user_approval_request`, a `cancelled` or an `error`.
// Every other event (user input, progress, warnings, unknown types) does
// not end the turn.
bool EndsTurn(const v1::TaskEvent& event);

// As above, with the task's tool execution mode `task_default` applying to
// tool calls that name no mode: with TOOL_EXECUTION_MODE_CLI (or WORKER) they
// run there too. TOOL_EXECUTION_MODE_UNSPECIFIED means the upstream default,
// cloud.
bool EndsTurn(const v1::TaskEvent& event, v1::ToolExecutionMode task_default);

// The id of the approval request `event` raises (the `id` of a
// `user_approval_request`, which a `UserConfirmation.approval_request_id`
// must answer), or "" for any other event.
std::string ApprovalRequestId(const v1::TaskEvent& event);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_EVENT_SEMANTICS_H_
