// JSON text ⇄ nlohmann::json without exceptions, free-form JSON ⇄
// google.protobuf.Struct/Value, and the JSON paths the codecs put in errors.
#ifndef NEOBRIDGE_BRIDGE_CODEC_JSON_VALUE_H_
#define NEOBRIDGE_BRIDGE_CODEC_JSON_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {

// Deepest nesting of arrays and objects accepted inside one free-form JSON
// value (tool arguments and results, progress metadata, unknown members).
// Each JSON level costs protobuf up to three message levels, and protobuf
// parsers refuse messages nested deeper than 100 by default, so deeper values
// would reach no client; rejecting them also bounds the codec's recursion.
inline constexpr int kMaxJsonValueDepth = 32;

// Parses JSON text. Never throws. Malformed text gives InvalidArgument
// "invalid JSON: <what the parser saw>".
absl::StatusOr<nlohmann::json> ParseJson(std::string_view text);

// ParseJson, then requires an object at the top level; anything else gives
// InvalidArgument "top level: expected a JSON object, got <type>".
absl::StatusOr<nlohmann::json> ParseJsonObject(std::string_view text);

// Compact JSON text. Never throws: bytes that are not UTF-8 inside strings
// are replaced by U+FFFD. Object members come out sorted by name.
std::string DumpJson(const nlohmann::json& json);

// The JSON type of `json` for error messages: "null", "boolean", "number",
// "string", "array" or "object".
std::string_view JsonTypeName(const nlohmann::json& json);

// JSON paths for error messages: "tasks[2].createdAt",
// `eventBody.token_usage["model"]`. The top level is the empty path.
std::string MemberPath(std::string_view parent, std::string_view key);
std::string IndexPath(std::string_view parent, std::size_t index);
std::string MapEntryPath(std::string_view parent, std::string_view key);

// InvalidArgument "<path>: <problem>", with "top level" for the empty path.
absl::Status PathError(std::string_view path, std::string_view problem);

// Any JSON value as a google.protobuf.Value. Numbers become doubles (integers
// beyond ±2^53 lose precision: a Struct limitation). Fails only on nesting
// deeper than kMaxJsonValueDepth, naming the path.
absl::StatusOr<google::protobuf::Value> JsonToValue(const nlohmann::json& json,
                                                    std::string_view path);

// A JSON object as a google.protobuf.Struct. Fails on a non-object (naming
// the path and the type) and on nesting deeper than kMaxJsonValueDepth.
absl::StatusOr<google::protobuf::Struct> JsonToStruct(
    const nlohmann::json& json, std::string_view path);

// A google.protobuf.Value as JSON. A number that is integral and within
// ±2^53 becomes a JSON integer, so `{"n":1}` round-trips as `1`; NaN,
// infinities and a Value with no kind set become null.
nlohmann::json ValueToJson(const google::protobuf::Value& value);

// A google.protobuf.Struct as a JSON object.
nlohmann::json StructToJson(const google::protobuf::Struct& value);

// Sets `parent[key] = typed`, except that when both the existing member and
// `typed` are objects, `typed`'s members are written over the existing
// object. Used to merge a nested object's unmodeled members (kept in the
// parent's `unknown_fields` under `key`) back under its typed members.
// `parent` must be an object.
void MergeMember(nlohmann::json& parent, const std::string& key,
                 nlohmann::json typed);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_JSON_VALUE_H_
