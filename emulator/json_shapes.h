// Response bodies exactly as the Neo REST API spells them: AgentTask in
// camelCase, AgentConsoleEvent {id, isSynthetic, type, eventBody}, error
// bodies {code, message}. Optional fields that are unset are omitted, never
// emitted as null.
#ifndef NEO_EMULATOR_JSON_SHAPES_H_
#define NEO_EMULATOR_JSON_SHAPES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "emulator/store.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

nlohmann::json TaskToJson(const Task& task);

// {"id", "isSynthetic", "type", "eventBody"}.
nlohmann::json ConsoleEventToJson(absl::string_view id, bool is_synthetic,
                                  absl::string_view type,
                                  const nlohmann::json& body);

// {"code": <status>, "message": <message>}.
nlohmann::json ErrorToJson(int http_status, absl::string_view message);

// One-line serialization; invalid UTF-8 is replaced, never thrown on.
std::string DumpJson(const nlohmann::json& value);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_JSON_SHAPES_H_
