#include "emulator/page_token.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

constexpr int kVersion = 1;

absl::Status InvalidToken() {
  return absl::InvalidArgumentError("invalid continuationToken");
}

std::string Encode(const Json& payload) {
  return absl::WebSafeBase64Escape(payload.dump());
}

absl::StatusOr<Json> Decode(absl::string_view token, absl::string_view kind) {
  std::string raw;
  if (token.empty() || !absl::WebSafeBase64Unescape(token, &raw)) {
    return InvalidToken();
  }
  Json payload = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded() || !payload.is_object()) return InvalidToken();
  auto version = payload.find("v");
  auto type = payload.find("k");
  if (version == payload.end() || !version->is_number_integer() ||
      version->get<int>() != kVersion || type == payload.end() ||
      !type->is_string() || type->get_ref<const std::string&>() != kind) {
    return InvalidToken();
  }
  return payload;
}

bool GetString(const Json& payload, const char* field, std::string* out) {
  auto it = payload.find(field);
  if (it == payload.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool GetUnsigned(const Json& payload, const char* field, uint64_t* out) {
  auto it = payload.find(field);
  if (it == payload.end() || !it->is_number_unsigned()) {
    // nlohmann parses non-negative integers as unsigned.
    return false;
  }
  *out = it->get<uint64_t>();
  return true;
}

}  // namespace

std::string EncodeTaskCursor(const TaskCursor& cursor) {
  Json payload = {
      {"v", kVersion},
      {"k", "tasks"},
      {"o", cursor.org},
      {"s", SortFieldName(cursor.sort_by)},
      {"d", SortDirectionName(cursor.direction)},
      {"y", cursor.task_type},
      {"h", cursor.horizon},
      {"q", cursor.last.seq},
  };
  if (const auto* number = std::get_if<int64_t>(&cursor.last.value)) {
    payload["n"] = *number;
  } else {
    payload["t"] = std::get<std::string>(cursor.last.value);
  }
  return Encode(payload);
}

absl::StatusOr<TaskCursor> DecodeTaskCursor(absl::string_view token) {
  absl::StatusOr<Json> payload = Decode(token, "tasks");
  if (!payload.ok()) return payload.status();
  TaskCursor cursor;
  std::string sort_by;
  std::string direction;
  if (!GetString(*payload, "o", &cursor.org) ||
      !GetString(*payload, "s", &sort_by) ||
      !GetString(*payload, "d", &direction) ||
      !GetString(*payload, "y", &cursor.task_type) ||
      !GetUnsigned(*payload, "h", &cursor.horizon) ||
      !GetUnsigned(*payload, "q", &cursor.last.seq)) {
    return InvalidToken();
  }
  std::optional<SortField> field = ParseSortField(sort_by);
  std::optional<SortDirection> dir = ParseSortDirection(direction);
  if (!field || !dir) return InvalidToken();
  cursor.sort_by = *field;
  cursor.direction = *dir;
  const bool string_key = cursor.sort_by == SortField::kName;
  if (string_key) {
    std::string text;
    if (!GetString(*payload, "t", &text)) return InvalidToken();
    cursor.last.value = std::move(text);
  } else {
    auto it = payload->find("n");
    if (it == payload->end() || !it->is_number_integer()) return InvalidToken();
    cursor.last.value = it->get<int64_t>();
  }
  return cursor;
}

std::string EncodeEventCursor(const EventCursor& cursor) {
  return Encode(Json{{"v", kVersion},
                     {"k", "events"},
                     {"i", cursor.task_id},
                     {"n", cursor.next_index}});
}

absl::StatusOr<EventCursor> DecodeEventCursor(absl::string_view token) {
  absl::StatusOr<Json> payload = Decode(token, "events");
  if (!payload.ok()) return payload.status();
  EventCursor cursor;
  if (!GetString(*payload, "i", &cursor.task_id) ||
      !GetUnsigned(*payload, "n", &cursor.next_index)) {
    return InvalidToken();
  }
  return cursor;
}

}  // namespace neo_emulator
