#include "bridge/codec/object_reader.h"

#include <string>

#include "absl/status/status.h"
#include "bridge/codec/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::neobridge::codec::testing::Json;
using ::neobridge::codec::testing::ProtoEquals;
using ::neobridge::codec::testing::TextProto;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(ObjectReaderTest, AbsentAndNullYieldNothingWithoutError) {
  const nlohmann::json object = Json(R"({"n":null})");
  ObjectReader reader(object, "x");
  EXPECT_EQ(reader.String("n"), std::nullopt);
  EXPECT_EQ(reader.String("absent"), std::nullopt);
  EXPECT_EQ(reader.Bool("n"), std::nullopt);
  EXPECT_EQ(reader.Int32("n"), std::nullopt);
  EXPECT_EQ(reader.Int64("n"), std::nullopt);
  EXPECT_EQ(reader.Time("n"), std::nullopt);
  EXPECT_EQ(reader.Struct("n"), std::nullopt);
  EXPECT_EQ(reader.Enum("n", kTaskStatusNames), std::nullopt);
  EXPECT_FALSE(
      reader.Object("n", [](const nlohmann::json&, const std::string&) {
        ADD_FAILURE() << "decode called for null";
        return absl::OkStatus();
      }));
  google::protobuf::Struct unknown;
  EXPECT_TRUE(reader.Finish(&unknown).ok());
  // A null member that was read is modeled: not kept as unknown.
  EXPECT_TRUE(unknown.fields().empty());
}

TEST(ObjectReaderTest, ValueKeepsNull) {
  const nlohmann::json object = Json(R"({"n":null})");
  ObjectReader reader(object, "");
  std::optional<google::protobuf::Value> value = reader.Value("n");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(reader.Value("absent"), std::nullopt);
}

TEST(ObjectReaderTest, TypedReads) {
  const nlohmann::json object = Json(R"({
    "s": "text", "b": true, "i": -7, "big": 4000000000, "f": 2.0,
    "t": "2025-01-02T03:04:05Z", "e": "idle", "o": {"k": 1},
    "l": ["a", "b"], "m": {"x": "1", "y": null}})");
  ObjectReader reader(object, "");
  EXPECT_THAT(reader.String("s"), Optional(std::string("text")));
  EXPECT_THAT(reader.Bool("b"), Optional(true));
  EXPECT_THAT(reader.Int32("i"), Optional(-7));
  EXPECT_THAT(reader.Int64("big"), Optional(4000000000));
  EXPECT_THAT(reader.Int32("f"), Optional(2));
  std::optional<google::protobuf::Timestamp> t = reader.Time("t");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->seconds(), 1735787045);
  EXPECT_THAT(reader.Enum("e", kTaskStatusNames),
              Optional(v1::TASK_STATUS_IDLE));
  std::optional<google::protobuf::Struct> o = reader.Struct("o");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->fields().at("k").number_value(), 1);
  google::protobuf::RepeatedPtrField<std::string> list;
  EXPECT_TRUE(reader.StringList("l", &list));
  EXPECT_THAT(list, ElementsAre("a", "b"));
  google::protobuf::Map<std::string, std::string> map;
  EXPECT_TRUE(reader.StringMap("m", &map));
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.at("x"), "1");
  google::protobuf::Struct unknown;
  ASSERT_TRUE(reader.Finish(&unknown).ok());
  EXPECT_TRUE(unknown.fields().empty());
}

TEST(ObjectReaderTest, UnreadMembersAndUnknownEnumStringsBecomeUnknown) {
  const nlohmann::json object =
      Json(R"({"status":"paused","known":"k","extra":[1,{"a":null}]})");
  ObjectReader reader(object, "");
  EXPECT_EQ(reader.Enum("status", kTaskStatusNames), std::nullopt);
  EXPECT_TRUE(reader.ok());
  EXPECT_THAT(reader.String("known"), Optional(std::string("k")));
  google::protobuf::Struct unknown;
  ASSERT_TRUE(reader.Finish(&unknown).ok());
  EXPECT_TRUE(ProtoEquals(TextProto<google::protobuf::Struct>(R"pb(
                            fields {
                              key: "status"
                              value { string_value: "paused" }
                            }
                            fields {
                              key: "extra"
                              value {
                                list_value {
                                  values { number_value: 1 }
                                  values {
                                    struct_value {
                                      fields {
                                        key: "a"
                                        value { null_value: NULL_VALUE }
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          )pb"),
                          unknown));
}

TEST(ObjectReaderTest, StashesLandUnderTheirKey) {
  const nlohmann::json object = Json(R"({"repo":{"name":"n","stars":3}})");
  ObjectReader reader(object, "");
  EXPECT_TRUE(reader.Object(
      "repo", [&](const nlohmann::json& repo, const std::string& path) {
        ObjectReader inner(repo, path);
        EXPECT_THAT(inner.String("name"), Optional(std::string("n")));
        google::protobuf::Struct extra;
        absl::Status status = inner.Finish(&extra);
        reader.Stash("repo", std::move(extra));
        return status;
      }));
  google::protobuf::Struct unknown;
  ASSERT_TRUE(reader.Finish(&unknown).ok());
  EXPECT_EQ(unknown.fields()
                .at("repo")
                .struct_value()
                .fields()
                .at("stars")
                .number_value(),
            3);
}

TEST(ObjectReaderTest, FirstErrorWins) {
  const nlohmann::json object = Json(R"({"a":1,"b":2,"c":"ok"})");
  ObjectReader reader(object, "root");
  EXPECT_EQ(reader.String("a"), std::nullopt);
  EXPECT_EQ(reader.String("b"), std::nullopt);
  // After an error every read yields nothing.
  EXPECT_EQ(reader.String("c"), std::nullopt);
  google::protobuf::Struct unknown;
  absl::Status status = reader.Finish(&unknown);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "root.a: expected a string, got number");
  EXPECT_TRUE(unknown.fields().empty());
}

TEST(ObjectReaderTest, DecodeErrorsPropagate) {
  const nlohmann::json object = Json(R"({"items":[{},{}]})");
  ObjectReader reader(object, "");
  int calls = 0;
  EXPECT_FALSE(reader.ObjectArray(
      "items", [&](const nlohmann::json&, const std::string& path) {
        ++calls;
        return absl::InvalidArgumentError(path + ": bad");
      }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(reader.Finish(nullptr).message(), "items[0]: bad");
}

TEST(ObjectReaderTest, NonObjectFailsAtOnce) {
  const nlohmann::json array = Json("[1]");
  ObjectReader reader(array, "events[0]");
  EXPECT_EQ(reader.String("id"), std::nullopt);
  EXPECT_EQ(reader.Finish(nullptr).message(),
            "events[0]: expected an object, got array");
}

TEST(ObjectReaderTest, FinishWithoutSinkDropsUnknown) {
  const nlohmann::json object = Json(R"({"x":1})");
  ObjectReader reader(object, "");
  EXPECT_TRUE(reader.Finish(nullptr).ok());
}

}  // namespace
}  // namespace neobridge::codec
