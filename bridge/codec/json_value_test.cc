#include "bridge/codec/json_value.h"

#include <cmath>
#include <limits>
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
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseJsonTest, ValidAndInvalid) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(R"({"a":[1,"b"]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"][1], "b");

  parsed = ParseJson("[1,");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              StartsWith("invalid JSON: "));
  EXPECT_THAT(parsed.status().message(), HasSubstr("line 1"));
  // The library's exception id is not part of the message.
  EXPECT_THAT(parsed.status().message(),
              ::testing::Not(HasSubstr("json.exception")));

  parsed = ParseJson("");
  EXPECT_FALSE(parsed.ok());
  parsed = ParseJson("{} {}");
  EXPECT_FALSE(parsed.ok());
}

TEST(ParseJsonObjectTest, RequiresAnObject) {
  EXPECT_TRUE(ParseJsonObject("{}").ok());
  for (const char* text : {"[]", "1", "\"s\"", "null", "true"}) {
    absl::StatusOr<nlohmann::json> parsed = ParseJsonObject(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()),
                StartsWith("top level: expected a JSON object, got "));
  }
}

TEST(JsonToValueTest, EveryJsonType) {
  absl::StatusOr<google::protobuf::Value> value =
      JsonToValue(Json(R"({"n":null,"b":false,"i":-3,"u":7,"f":1.25,"s":"x",
               "l":[1,[2]],"o":{"k":{}}})"),
                  "");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_TRUE(
      ProtoEquals(TextProto<google::protobuf::Value>(R"pb(
                    struct_value {
                      fields {
                        key: "n"
                        value { null_value: NULL_VALUE }
                      }
                      fields {
                        key: "b"
                        value { bool_value: false }
                      }
                      fields {
                        key: "i"
                        value { number_value: -3 }
                      }
                      fields {
                        key: "u"
                        value { number_value: 7 }
                      }
                      fields {
                        key: "f"
                        value { number_value: 1.25 }
                      }
                      fields {
                        key: "s"
                        value { string_value: "x" }
                      }
                      fields {
                        key: "l"
                        value {
                          list_value {
                            values { number_value: 1 }
                            values { list_value { values { number_value: 2 } } }
                          }
                        }
                      }
                      fields {
                        key: "o"
                        value {
                          struct_value {
                            fields {
                              key: "k"
                              value { struct_value {} }
                            }
                          }
                        }
                      }
                    }
                  )pb"),
                  *value));
}

TEST(ValueToJsonTest, IntegralDoublesBecomeIntegers) {
  google::protobuf::Value value;
  value.set_number_value(1);
  EXPECT_EQ(DumpJson(ValueToJson(value)), "1");
  value.set_number_value(-42);
  EXPECT_EQ(DumpJson(ValueToJson(value)), "-42");
  value.set_number_value(9007199254740992.0);  // 2^53
  EXPECT_EQ(DumpJson(ValueToJson(value)), "9007199254740992");
  value.set_number_value(1.5);
  EXPECT_EQ(DumpJson(ValueToJson(value)), "1.5");
  value.set_number_value(18014398509481984.0);  // 2^54 stays a double
  EXPECT_TRUE(ValueToJson(value).is_number_float());
  value.set_number_value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(ValueToJson(value).is_null());
  value.set_number_value(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(ValueToJson(value).is_null());
  EXPECT_TRUE(ValueToJson(google::protobuf::Value()).is_null());
}

TEST(ValueToJsonTest, StructRoundTripsIntegersAsIntegers) {
  const nlohmann::json original = Json(R"({"n":1,"m":[0,-1,2.5],"s":{"t":3}})");
  absl::StatusOr<google::protobuf::Struct> value = JsonToStruct(original, "");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(DumpJson(StructToJson(*value)), DumpJson(original));
  EXPECT_EQ(DumpJson(StructToJson(*value)),
            R"({"m":[0,-1,2.5],"n":1,"s":{"t":3}})");
}

TEST(JsonToStructTest, RejectsNonObjectsWithThePath) {
  absl::StatusOr<google::protobuf::Struct> value =
      JsonToStruct(Json("[1]"), "eventBody.args");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().message(),
            "eventBody.args: expected an object, got array");
}

TEST(JsonToValueTest, DepthLimit) {
  std::string ok_text = "0";
  for (int i = 0; i < kMaxJsonValueDepth; ++i) ok_text = "[" + ok_text + "]";
  EXPECT_TRUE(JsonToValue(Json(ok_text), "v").ok());

  const std::string deep_text = "[" + ok_text + "]";
  absl::StatusOr<google::protobuf::Value> value =
      JsonToValue(Json(deep_text), "v");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  std::string path = "v";
  for (int i = 0; i < kMaxJsonValueDepth; ++i) path += "[0]";
  EXPECT_EQ(value.status().message(), path + ": nested deeper than 32 levels");

  // Very deep input neither crashes nor overflows the stack.
  std::string very_deep(100000, '[');
  very_deep += std::string(100000, ']');
  absl::StatusOr<nlohmann::json> parsed = ParseJson(very_deep);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(JsonToValue(*parsed, "").ok());
}

TEST(DumpJsonTest, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json value = std::string(
      "a\xff"
      "b");
  EXPECT_EQ(DumpJson(value),
            "\"a\xEF\xBF\xBD"
            "b\"");
}

TEST(PathTest, Shapes) {
  EXPECT_EQ(MemberPath("", "tasks"), "tasks");
  EXPECT_EQ(MemberPath("tasks[2]", "createdAt"), "tasks[2].createdAt");
  EXPECT_EQ(IndexPath("tasks", 2), "tasks[2]");
  EXPECT_EQ(IndexPath("", 0), "[0]");
  EXPECT_EQ(MapEntryPath("token_usage", "m\"1"), R"(token_usage["m\"1"])");
  EXPECT_EQ(PathError("", "boom").message(), "top level: boom");
  EXPECT_EQ(PathError("a.b", "boom").message(), "a.b: boom");
  EXPECT_EQ(PathError("a.b", "boom").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MergeMemberTest, TypedMembersWinInsideObjects) {
  nlohmann::json parent =
      Json(R"({"repo":{"type":"repository","name":"old"}})");
  MergeMember(parent, "repo", Json(R"({"name":"new","org":"o"})"));
  EXPECT_EQ(parent,
            Json(R"({"repo":{"type":"repository","name":"new","org":"o"}})"));

  // A non-object on either side is simply replaced.
  parent = Json(R"({"repo":5})");
  MergeMember(parent, "repo", Json(R"({"name":"n"})"));
  EXPECT_EQ(parent, Json(R"({"repo":{"name":"n"}})"));
  MergeMember(parent, "x", Json("[1]"));
  EXPECT_EQ(parent["x"], Json("[1]"));
}

}  // namespace
}  // namespace neobridge::codec
