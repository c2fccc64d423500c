// Parsing and validation of request bodies and query parameters. Pure
// functions: every failure is InvalidArgument with the exact message the
// emulator returns in its 400 body.
#ifndef NEO_EMULATOR_REQUEST_PARSING_H_
#define NEO_EMULATOR_REQUEST_PARSING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

// CreateAgentTaskRequest. Absent and null fields are nullopt.
struct CreateTaskRequest {
  std::string prompt;       // message.content, non-empty after trimming.
  nlohmann::json message;   // As sent, with "type" and "timestamp" filled.
  nlohmann::json entities;  // message.entity_diff.add (array, validated).
  std::optional<std::string> approval_mode;
  std::optional<std::string> permission_mode;
  std::optional<std::string> tool_execution_mode;
  std::optional<std::string> source;
  std::optional<std::string> role;
  std::optional<bool> plan_mode;
  std::optional<nlohmann::json> enabled_integrations;  // [] kept distinct.
  std::optional<nlohmann::json> cli_integrations;
};

// `now` fills message.timestamp when the client omitted it.
absl::StatusOr<CreateTaskRequest> ParseCreateTaskRequest(absl::string_view body,
                                                         absl::Time now);

// UpdateTaskRequest: absent or null = no change. `name` is trimmed and
// 1..255 characters.
struct UpdateTaskRequest {
  std::optional<std::string> name;
  std::optional<bool> is_shared;
  std::optional<std::string> approval_mode;
  std::optional<std::string> permission_mode;
};
absl::StatusOr<UpdateTaskRequest> ParseUpdateTaskRequest(
    absl::string_view body);

enum class UserEventType {
  kUserMessage,
  kUserConfirmation,
  kUserCancel,
  kExecToolCall,
  kToolResult,
};

struct ToolResult {
  std::string tool_call_id;
  std::string name;
  bool is_error = false;
};

// The `event` of a RespondToTask body, validated by type.
struct UserEvent {
  UserEventType type = UserEventType::kUserMessage;
  nlohmann::json body;  // As sent, with "timestamp" filled.
  // user_message
  std::string content;
  nlohmann::json entity_diff;  // null when absent.
  // user_confirmation
  std::string approval_request_id;
  bool ok = false;
  std::string instructions;
  // exec_tool_call
  std::string tool_call_id;
  std::string tool_name;
  // tool_result
  std::vector<ToolResult> tool_results;
};
absl::StatusOr<UserEvent> ParseRespondRequest(absl::string_view body,
                                              absl::Time now);

// CancelAgentTaskRequest: OK only for {"force": true}.
absl::Status ParseCancelRequest(absl::string_view body);

// pageSize query value: absent/empty -> 100; otherwise an integer 1..1000.
absl::StatusOr<int> ParsePageSize(std::optional<absl::string_view> value);

// Validates an AgentEntityDiff ({add?: [AgentEntity], remove?: [..]}).
// Errors start with "invalid entities: ".
absl::Status ValidateEntityDiff(const nlohmann::json& diff);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_REQUEST_PARSING_H_
