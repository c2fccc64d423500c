// ObjectReader: reads the members of one upstream JSON object into typed
// values with precise error paths, and collects the members nobody read into
// an `unknown_fields` Struct.
#ifndef NEOBRIDGE_BRIDGE_CODEC_OBJECT_READER_H_
#define NEOBRIDGE_BRIDGE_CODEC_OBJECT_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "bridge/codec/enum_names.h"
#include "google/protobuf/map.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::codec {

// Reads one JSON object. Decoding rules, shared by every codec:
//  - a member that is absent or null yields nothing (the field stays unset),
//    and no error: required-ness is the upstream's business;
//  - a member of the wrong JSON type records an InvalidArgument naming its
//    path, e.g. "tasks[2].createdAt: expected an RFC 3339 timestamp string,
//    got number";
//  - every member read, or present and null, counts as modeled; Finish()
//    copies every other member into `unknown_fields`, so nothing is lost.
//    An enum string the table does not list is deliberately left unread.
//
// The first error wins: after one, every read yields nothing and Finish()
// returns it. A reader is used by one thread; `object` must outlive it.
class ObjectReader {
 public:
  // Returns a decoded value for a member, or an error. The `path` argument
  // is the member's JSON path, for error messages.
  using DecodeFn = absl::FunctionRef<absl::Status(const nlohmann::json&,
                                                  const std::string&)>;
  // As DecodeFn, for one entry of a JSON object used as a map.
  using DecodeEntryFn = absl::FunctionRef<absl::Status(
      const std::string&, const nlohmann::json&, const std::string&)>;

  // `path` is the object's own JSON path ("" for the top level). A non-object
  // `object` records "expected an object, got <type>" at once.
  ObjectReader(const nlohmann::json& object, std::string path);

  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  const std::string& path() const { return path_; }
  // The first error recorded, or OK.
  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  // Records `status` unless an error is already recorded (or it is OK).
  void Fail(absl::Status status);

  // The member `key` if present and not null, else nullptr. Marks it modeled.
  const nlohmann::json* Take(std::string_view key);

  // Typed reads. Each returns nullopt when the member is absent or null, or
  // on error (recorded).
  std::optional<std::string> String(std::string_view key);
  std::optional<bool> Bool(std::string_view key);
  // Integers accept JSON numbers with an integral value in range.
  std::optional<std::int32_t> Int32(std::string_view key);
  std::optional<std::int64_t> Int64(std::string_view key);
  // An RFC 3339 string (see ParseRfc3339).
  std::optional<google::protobuf::Timestamp> Time(std::string_view key);
  // A JSON object, kept as a Struct.
  std::optional<google::protobuf::Struct> Struct(std::string_view key);
  // Any JSON value. Unlike the other reads, a null member yields a null
  // Value (for fields whose contract is "any JSON value").
  std::optional<google::protobuf::Value> Value(std::string_view key);

  // An enum string. A string `names` does not list yields nullopt and the
  // member is left unread, so Finish() keeps it in `unknown_fields`.
  template <typename E, std::size_t N>
  std::optional<E> Enum(std::string_view key, const EnumName<E> (&names)[N]) {
    const std::string* text = PeekString(key);
    if (text == nullptr) return std::nullopt;
    std::optional<E> value = EnumFromJson(names, *text);
    if (value.has_value()) MarkModeled(key);
    return value;
  }

  // An array of strings, appended to `out`. Returns whether the member was
  // present (non-null) and well-typed.
  bool StringList(std::string_view key,
                  google::protobuf::RepeatedPtrField<std::string>* out);
  // An object of strings, inserted into `out`; null entries are skipped.
  bool StringMap(std::string_view key,
                 google::protobuf::Map<std::string, std::string>* out);
  // An object member: calls `decode(member, path)`. Returns whether the
  // member was present (non-null) and an object.
  bool Object(std::string_view key, DecodeFn decode);
  // An array of objects: calls `decode(item, path)` for each item in order.
  // Returns whether the member was present (non-null) and an array.
  bool ObjectArray(std::string_view key, DecodeFn decode);
  // An object whose values are objects: calls `decode(name, value, path)`
  // for each entry; null entries are skipped.
  bool ObjectMap(std::string_view key, DecodeEntryFn decode);

  // Keeps `members`, the unmodeled members of the nested object at `key`
  // whose message has no `unknown_fields` of its own, so that Finish() puts
  // them into this object's `unknown_fields` under `key` (encoders merge
  // them back with MergeMember). Empty `members` are ignored.
  void Stash(std::string_view key, google::protobuf::Struct members);

  // Returns the first recorded error. If there is none and `unknown` is not
  // null, adds to it every member not modeled plus the stashes.
  absl::Status Finish(google::protobuf::Struct* unknown);

  // Finish() into `message->unknown_fields()`, which is left unset when
  // every member was modeled (so an empty Struct never appears).
  template <typename M>
  absl::Status FinishInto(M* message) {
    google::protobuf::Struct unknown;
    absl::Status status = Finish(&unknown);
    if (status.ok() && !unknown.fields().empty()) {
      *message->mutable_unknown_fields() = std::move(unknown);
    }
    return status;
  }

 private:
  // The member's string value if present and a string; nullptr when absent
  // or null (marked modeled) or of another type (error recorded).
  const std::string* PeekString(std::string_view key);
  void MarkModeled(std::string_view key);
  // The member if present and non-null, without marking it.
  const nlohmann::json* Find(std::string_view key) const;
  void TypeError(std::string_view key, std::string_view expected,
                 const nlohmann::json& got);

  const nlohmann::json& object_;
  std::string path_;
  absl::Status status_;
  absl::flat_hash_set<std::string> modeled_;
  std::vector<std::pair<std::string, google::protobuf::Struct>> stashes_;
};

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_OBJECT_READER_H_
