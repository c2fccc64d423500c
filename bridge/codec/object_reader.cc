#include "bridge/codec/object_reader.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bridge/codec/json_value.h"
#include "bridge/codec/timestamp.h"

namespace neobridge::codec {
namespace {

using nlohmann::json;

enum class IntegerCheck { kOk, kNotNumber, kNotIntegral, kOutOfRange };

// Reads `value` as an integer within [min, max].
IntegerCheck ReadInteger(const json& value, std::int64_t min, std::int64_t max,
                         std::int64_t* out) {
  if (value.is_number_unsigned()) {
    const std::uint64_t v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(max)) return IntegerCheck::kOutOfRange;
    *out = static_cast<std::int64_t>(v);
    return IntegerCheck::kOk;
  }
  if (value.is_number_integer()) {
    const std::int64_t v = value.get<std::int64_t>();
    if (v < min || v > max) return IntegerCheck::kOutOfRange;
    *out = v;
    return IntegerCheck::kOk;
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (!std::isfinite(v) || std::trunc(v) != v) {
      return IntegerCheck::kNotIntegral;
    }
    // 2^63 is exact as a double; every double below it converts safely.
    if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) {
      return IntegerCheck::kOutOfRange;
    }
    const std::int64_t integer = static_cast<std::int64_t>(v);
    if (integer < min || integer > max) return IntegerCheck::kOutOfRange;
    *out = integer;
    return IntegerCheck::kOk;
  }
  return IntegerCheck::kNotNumber;
}

}  // namespace

ObjectReader::ObjectReader(const json& object, std::string path)
    : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) {
    status_ =
        PathError(path_, absl::StrCat("expected an object, got ",
                                      std::string(JsonTypeName(object_))));
  }
}

void ObjectReader::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

const json* ObjectReader::Find(std::string_view key) const {
  if (!status_.ok()) return nullptr;
  auto it = object_.find(std::string(key));
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

void ObjectReader::MarkModeled(std::string_view key) {
  modeled_.insert(std::string(key));
}

void ObjectReader::TypeError(std::string_view key, std::string_view expected,
                             const json& got) {
  Fail(PathError(MemberPath(path_, key),
                 absl::StrCat("expected ", std::string(expected), ", got ",
                              std::string(JsonTypeName(got)))));
}

const json* ObjectReader::Take(std::string_view key) {
  if (!status_.ok()) return nullptr;
  if (object_.find(std::string(key)) == object_.end()) return nullptr;
  MarkModeled(key);
  return Find(key);
}

const std::string* ObjectReader::PeekString(std::string_view key) {
  if (!status_.ok()) return nullptr;
  auto it = object_.find(std::string(key));
  if (it == object_.end()) return nullptr;
  if (it->is_null()) {
    MarkModeled(key);
    return nullptr;
  }
  if (!it->is_string()) {
    TypeError(key, "a string", *it);
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

std::optional<std::string> ObjectReader::String(std::string_view key) {
  const std::string* text = PeekString(key);
  if (text == nullptr) return std::nullopt;
  MarkModeled(key);
  return *text;
}

std::optional<bool> ObjectReader::Bool(std::string_view key) {
  const json* value = Take(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    TypeError(key, "a boolean", *value);
    return std::nullopt;
  }
  return value->get<bool>();
}

namespace {

// Shared body of Int32 and Int64.
std::optional<std::int64_t> ReadIntegerMember(ObjectReader& reader,
                                              std::string_view key,
                                              std::string_view type_name,
                                              std::int64_t min,
                                              std::int64_t max) {
  const json* value = reader.Take(key);
  if (value == nullptr) return std::nullopt;
  std::int64_t out = 0;
  const std::string path = MemberPath(reader.path(), key);
  switch (ReadInteger(*value, min, max, &out)) {
    case IntegerCheck::kOk:
      return out;
    case IntegerCheck::kNotNumber:
      reader.Fail(PathError(
          path, absl::StrCat("expected ", std::string(type_name), ", got ",
                             std::string(JsonTypeName(*value)))));
      return std::nullopt;
    case IntegerCheck::kNotIntegral:
      reader.Fail(
          PathError(path, absl::StrCat("expected ", std::string(type_name),
                                       ", got ", DumpJson(*value))));
      return std::nullopt;
    case IntegerCheck::kOutOfRange:
      reader.Fail(PathError(
          path, absl::StrCat("expected ", std::string(type_name), ", got ",
                             DumpJson(*value), " (out of range)")));
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int32_t> ObjectReader::Int32(std::string_view key) {
  std::optional<std::int64_t> value =
      ReadIntegerMember(*this, key, "an int32", INT32_MIN, INT32_MAX);
  if (!value.has_value()) return std::nullopt;
  return static_cast<std::int32_t>(*value);
}

std::optional<std::int64_t> ObjectReader::Int64(std::string_view key) {
  return ReadIntegerMember(*this, key, "an int64", INT64_MIN, INT64_MAX);
}

std::optional<google::protobuf::Timestamp> ObjectReader::Time(
    std::string_view key) {
  const json* value = Take(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    TypeError(key, "an RFC 3339 timestamp string", *value);
    return std::nullopt;
  }
  absl::StatusOr<google::protobuf::Timestamp> timestamp =
      ParseRfc3339(value->get_ref<const std::string&>());
  if (!timestamp.ok()) {
    Fail(PathError(MemberPath(path_, key),
                   std::string(timestamp.status().message())));
    return std::nullopt;
  }
  return *std::move(timestamp);
}

std::optional<google::protobuf::Struct> ObjectReader::Struct(
    std::string_view key) {
  const json* value = Take(key);
  if (value == nullptr) return std::nullopt;
  absl::StatusOr<google::protobuf::Struct> out =
      JsonToStruct(*value, MemberPath(path_, key));
  if (!out.ok()) {
    Fail(out.status());
    return std::nullopt;
  }
  return *std::move(out);
}

std::optional<google::protobuf::Value> ObjectReader::Value(
    std::string_view key) {
  if (!status_.ok()) return std::nullopt;
  auto it = object_.find(std::string(key));
  if (it == object_.end()) return std::nullopt;
  MarkModeled(key);
  absl::StatusOr<google::protobuf::Value> out =
      JsonToValue(*it, MemberPath(path_, key));
  if (!out.ok()) {
    Fail(out.status());
    return std::nullopt;
  }
  return *std::move(out);
}

bool ObjectReader::StringList(
    std::string_view key,
    google::protobuf::RepeatedPtrField<std::string>* out) {
  const json* value = Take(key);
  if (value == nullptr) return false;
  if (!value->is_array()) {
    TypeError(key, "an array", *value);
    return false;
  }
  const std::string path = MemberPath(path_, key);
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string()) {
      Fail(PathError(IndexPath(path, i),
                     absl::StrCat("expected a string, got ",
                                  std::string(JsonTypeName(item)))));
      return false;
    }
    out->Add(std::string(item.get_ref<const std::string&>()));
  }
  return true;
}

bool ObjectReader::StringMap(
    std::string_view key,
    google::protobuf::Map<std::string, std::string>* out) {
  const json* value = Take(key);
  if (value == nullptr) return false;
  if (!value->is_object()) {
    TypeError(key, "an object", *value);
    return false;
  }
  const std::string path = MemberPath(path_, key);
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (it->is_null()) continue;
    if (!it->is_string()) {
      Fail(PathError(MapEntryPath(path, it.key()),
                     absl::StrCat("expected a string, got ",
                                  std::string(JsonTypeName(*it)))));
      return false;
    }
    (*out)[it.key()] = it->get_ref<const std::string&>();
  }
  return true;
}

bool ObjectReader::Object(std::string_view key, DecodeFn decode) {
  const json* value = Take(key);
  if (value == nullptr) return false;
  if (!value->is_object()) {
    TypeError(key, "an object", *value);
    return false;
  }
  Fail(decode(*value, MemberPath(path_, key)));
  return status_.ok();
}

bool ObjectReader::ObjectArray(std::string_view key, DecodeFn decode) {
  const json* value = Take(key);
  if (value == nullptr) return false;
  if (!value->is_array()) {
    TypeError(key, "an array", *value);
    return false;
  }
  const std::string path = MemberPath(path_, key);
  for (std::size_t i = 0; i < value->size() && status_.ok(); ++i) {
    const json& item = (*value)[i];
    const std::string item_path = IndexPath(path, i);
    if (!item.is_object()) {
      Fail(PathError(item_path, absl::StrCat("expected an object, got ",
                                             std::string(JsonTypeName(item)))));
      break;
    }
    Fail(decode(item, item_path));
  }
  return status_.ok();
}

bool ObjectReader::ObjectMap(std::string_view key, DecodeEntryFn decode) {
  const json* value = Take(key);
  if (value == nullptr) return false;
  if (!value->is_object()) {
    TypeError(key, "an object", *value);
    return false;
  }
  const std::string path = MemberPath(path_, key);
  for (auto it = value->begin(); it != value->end() && status_.ok(); ++it) {
    if (it->is_null()) continue;
    const std::string entry_path = MapEntryPath(path, it.key());
    if (!it->is_object()) {
      Fail(PathError(entry_path, absl::StrCat("expected an object, got ",
                                              std::string(JsonTypeName(*it)))));
      break;
    }
    Fail(decode(it.key(), *it, entry_path));
  }
  return status_.ok();
}

void ObjectReader::Stash(std::string_view key,
                         google::protobuf::Struct members) {
  if (members.fields().empty()) return;
  stashes_.emplace_back(std::string(key), std::move(members));
}

absl::Status ObjectReader::Finish(google::protobuf::Struct* unknown) {
  if (!status_.ok() || unknown == nullptr) return status_;
  auto& fields = *unknown->mutable_fields();
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (modeled_.contains(it.key())) continue;
    absl::StatusOr<google::protobuf::Value> value =
        JsonToValue(*it, MemberPath(path_, it.key()));
    if (!value.ok()) {
      status_ = value.status();
      return status_;
    }
    fields[it.key()] = *std::move(value);
  }
  for (auto& [key, members] : stashes_) {
    *fields[key].mutable_struct_value() = std::move(members);
  }
  stashes_.clear();
  return absl::OkStatus();
}

}  // namespace neobridge::codec
