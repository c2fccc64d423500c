#include "bridge/codec/json_value.h"

#include <cmath>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace neobridge::codec {
namespace {

using nlohmann::json;

// 2^53: the largest magnitude up to which every integer is a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

// A link of a JSON path, built on the stack while converting and rendered
// only when an error needs it.
struct PathLink {
  const PathLink* parent = nullptr;
  std::string_view root;  // only for the first link
  std::string_view key;   // member name, for member links
  std::size_t index = 0;  // for index links
  bool is_index = false;
};

PathLink RootLink(std::string_view root) {
  PathLink link;
  link.root = root;
  return link;
}

PathLink MemberLink(const PathLink& parent, std::string_view key) {
  PathLink link;
  link.parent = &parent;
  link.key = key;
  return link;
}

PathLink IndexLink(const PathLink& parent, std::size_t index) {
  PathLink link;
  link.parent = &parent;
  link.index = index;
  link.is_index = true;
  return link;
}

std::string RenderPath(const PathLink& link) {
  if (link.parent == nullptr) return std::string(link.root);
  std::string parent = RenderPath(*link.parent);
  return link.is_index ? IndexPath(parent, link.index)
                       : MemberPath(parent, link.key);
}

absl::Status ConvertValue(const json& in, const PathLink& path, int depth,
                          google::protobuf::Value* out);

absl::Status ConvertObject(const json& in, const PathLink& path, int depth,
                           google::protobuf::Struct* out) {
  if (depth > kMaxJsonValueDepth) {
    return PathError(
        RenderPath(path),
        absl::StrCat("nested deeper than ", kMaxJsonValueDepth, " levels"));
  }
  auto& fields = *out->mutable_fields();
  for (auto it = in.begin(); it != in.end(); ++it) {
    const PathLink link = MemberLink(path, it.key());
    if (absl::Status s =
            ConvertValue(it.value(), link, depth, &fields[it.key()]);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ConvertValue(const json& in, const PathLink& path, int depth,
                          google::protobuf::Value* out) {
  switch (in.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return absl::OkStatus();
    case json::value_t::boolean:
      out->set_bool_value(in.get<bool>());
      return absl::OkStatus();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out->set_number_value(in.get<double>());
      return absl::OkStatus();
    case json::value_t::string:
      out->set_string_value(in.get_ref<const std::string&>());
      return absl::OkStatus();
    case json::value_t::binary:
      // Never produced by the text parser; keep the shape, not the bytes.
      out->set_null_value(google::protobuf::NULL_VALUE);
      return absl::OkStatus();
    case json::value_t::array: {
      if (depth + 1 > kMaxJsonValueDepth) {
        return PathError(
            RenderPath(path),
            absl::StrCat("nested deeper than ", kMaxJsonValueDepth, " levels"));
      }
      google::protobuf::ListValue* list = out->mutable_list_value();
      for (std::size_t i = 0; i < in.size(); ++i) {
        const PathLink link = IndexLink(path, i);
        if (absl::Status s =
                ConvertValue(in[i], link, depth + 1, list->add_values());
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    case json::value_t::object:
      return ConvertObject(in, path, depth + 1, out->mutable_struct_value());
  }
  return absl::OkStatus();
}

std::string_view StripExceptionId(std::string_view what) {
  // nlohmann messages start with "[json.exception.parse_error.101] ".
  if (!what.empty() && what.front() == '[') {
    std::size_t end = what.find("] ");
    if (end != std::string_view::npos) return what.substr(end + 2);
  }
  return what;
}

}  // namespace

absl::StatusOr<json> ParseJson(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON: ", std::string(StripExceptionId(e.what()))));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while parsing JSON");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
}

absl::StatusOr<json> ParseJsonObject(std::string_view text) {
  absl::StatusOr<json> parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) {
    return PathError("", absl::StrCat("expected a JSON object, got ",
                                      std::string(JsonTypeName(*parsed))));
  }
  return parsed;
}

std::string DumpJson(const json& json) {
  return json.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string_view JsonTypeName(const json& json) {
  switch (json.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::binary:
      return "binary";
  }
  return "unknown";
}

std::string MemberPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path;
  path.reserve(parent.size() + 1 + key.size());
  path.append(parent).append(".").append(key);
  return path;
}

std::string IndexPath(std::string_view parent, std::size_t index) {
  return absl::StrCat(std::string(parent), "[", index, "]");
}

std::string MapEntryPath(std::string_view parent, std::string_view key) {
  return absl::StrCat(std::string(parent), "[\"",
                      absl::CEscape(std::string(key)), "\"]");
}

absl::Status PathError(std::string_view path, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.empty() ? std::string("top level") : std::string(path),
                   ": ", std::string(problem)));
}

absl::StatusOr<google::protobuf::Value> JsonToValue(const json& json,
                                                    std::string_view path) {
  google::protobuf::Value value;
  const PathLink root = RootLink(path);
  if (absl::Status s = ConvertValue(json, root, 0, &value); !s.ok()) return s;
  return value;
}

absl::StatusOr<google::protobuf::Struct> JsonToStruct(const json& json,
                                                      std::string_view path) {
  if (!json.is_object()) {
    return PathError(path, absl::StrCat("expected an object, got ",
                                        std::string(JsonTypeName(json))));
  }
  google::protobuf::Struct value;
  const PathLink root = RootLink(path);
  if (absl::Status s = ConvertObject(json, root, 1, &value); !s.ok()) return s;
  return value;
}

json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      double number = value.number_value();
      if (!std::isfinite(number)) return nullptr;
      if (std::trunc(number) == number &&
          std::fabs(number) <= kMaxExactInteger) {
        return static_cast<std::int64_t>(number);
      }
      return number;
    }
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      json list = json::array();
      for (const google::protobuf::Value& item : value.list_value().values()) {
        list.push_back(ValueToJson(item));
      }
      return list;
    }
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      return nullptr;
  }
  return nullptr;
}

json StructToJson(const google::protobuf::Struct& value) {
  json object = json::object();
  for (const auto& [key, member] : value.fields()) {
    object[key] = ValueToJson(member);
  }
  return object;
}

void MergeMember(json& parent, const std::string& key, json typed) {
  auto it = parent.find(key);
  if (it != parent.end() && it->is_object() && typed.is_object()) {
    for (auto member = typed.begin(); member != typed.end(); ++member) {
      (*it)[member.key()] = std::move(member.value());
    }
    return;
  }
  parent[key] = std::move(typed);
}

}  // namespace neobridge::codec
