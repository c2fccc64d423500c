// Upstream event JSON (AgentConsoleEvent, AgentBackendEvent*, AgentUserEvent*
// and their parts, ListAgentTaskEventsResponse) ⇄ neobridge.v1 messages.
//
// Decoding follows ObjectReader's rules (absent or null → unset; wrong JSON
// type → InvalidArgument naming the JSON path, e.g.
// "events[3].eventBody.tool_calls[0].args: expected an object, got array";
// unmodeled members and unknown enum strings → `unknown_fields`). Backend and
// user event bodies are flattened into their event object, so an unmodeled
// member of, say, an assistant_message lands in `BackendEvent.unknown_fields`.
// Unknown types pass through: an unknown outer `type` leaves the body unset
// and keeps `eventBody` whole in `TaskEvent.unknown_fields["eventBody"]`; an
// unknown inner `type` leaves the body unset and keeps every other member in
// `unknown_fields`. Encoding is the inverse (typed fields win over
// `unknown_fields` members of the same name; unset optional fields and
// `*_UNSPECIFIED` enums are omitted; derived fields are never emitted). No
// function here throws.
#ifndef NEOBRIDGE_BRIDGE_CODEC_EVENT_CODEC_H_
#define NEOBRIDGE_BRIDGE_CODEC_EVENT_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neobridge/v1/agent_tasks_service.pb.h"
#include "neobridge/v1/event.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {

// One AgentConsoleEvent (e.g. one SSE frame's data). Also fills the derived
// `ends_turn` and `approval_request_id` (see event_semantics.h).
absl::StatusOr<v1::TaskEvent> ParseTaskEvent(std::string_view json);

// The body of ListTaskEvents: `{"events":[…],"continuationToken":…}`. A
// null, absent or empty token all give an empty `next_page_token`. Members
// of the list object itself other than these two are ignored.
absl::StatusOr<v1::ListTaskEventsResponse> ParseListTaskEventsResponse(
    std::string_view json);

// A bare AgentUserEvent or AgentBackendEvent object.
absl::StatusOr<v1::UserEvent> ParseUserEvent(std::string_view json);
absl::StatusOr<v1::BackendEvent> ParseBackendEvent(std::string_view json);

// JSON text of the same shapes (for tests, tools and round trips).
std::string SerializeTaskEvent(const v1::TaskEvent& event);
std::string SerializeListTaskEventsResponse(
    const v1::ListTaskEventsResponse& response);
std::string SerializeUserEvent(const v1::UserEvent& event);
std::string SerializeBackendEvent(const v1::BackendEvent& event);

// nlohmann-level codecs, shared with the request codec. `*FromJson` decodes
// the JSON object `json`, whose JSON path is `path`, into `*out`, which
// should be empty; on error `*out` is partly filled.

absl::Status TaskEventFromJson(const nlohmann::json& json,
                               std::string_view path, v1::TaskEvent* out);
// The outer `type` is "agentResponse"/"userInput" when the body is set, else
// the `type` field (omitted if empty).
nlohmann::json TaskEventToJson(const v1::TaskEvent& event);

absl::Status BackendEventFromJson(const nlohmann::json& json,
                                  std::string_view path, v1::BackendEvent* out);
// The inner `type` comes from the body when set, else from the `type` field
// (omitted if empty); `timestamp` is omitted when unset.
nlohmann::json BackendEventToJson(const v1::BackendEvent& event);

absl::Status UserEventFromJson(const nlohmann::json& json,
                               std::string_view path, v1::UserEvent* out);
// The `type` comes from the body when set, else from the `type` field
// (omitted if empty) plus `unknown_fields`, which lets callers send user
// event types this version does not model. `timestamp` is omitted when
// unset. The `entity_diff` object's own unmodeled members, kept in
// `unknown_fields["entity_diff"]` by the decoder, are merged back.
nlohmann::json UserEventToJson(const v1::UserEvent& event);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_EVENT_CODEC_H_
