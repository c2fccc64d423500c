#include "bridge/codec/error_body_codec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::testing::IsEmpty;

TEST(ParseErrorBodyTest, UpstreamErrorObject) {
  UpstreamError error = ParseErrorBody(R"({
    "code": 400, "message": "invalid entities",
    "documentationUrl": "https://www.pulumi.com/docs/",
    "errors": [
      {"resource": "entity", "attribute": "type", "errorType": "invalid",
       "customMessage": "unknown type \"x\""},
      {"resource": "entity", "errorType": "missing"},
      "not an object",
      {"errorType": "weird"}
    ]})");
  EXPECT_TRUE(error.structured);
  EXPECT_EQ(error.code, 400);
  EXPECT_EQ(error.documentation_url, "https://www.pulumi.com/docs/");
  ASSERT_EQ(error.errors.size(), 3u);
  EXPECT_EQ(error.errors[0].resource, "entity");
  EXPECT_EQ(error.errors[0].attribute, "type");
  EXPECT_EQ(error.errors[0].error_type, "invalid");
  EXPECT_EQ(error.errors[0].custom_message, "unknown type \"x\"");
  EXPECT_EQ(error.errors[1].attribute, "");
  EXPECT_EQ(error.errors[1].custom_message, "");
  EXPECT_EQ(error.message,
            "invalid entities (entity.type: unknown type \"x\"; entity: "
            "missing; weird)");
}

TEST(ParseErrorBodyTest, PlainMessage) {
  UpstreamError error =
      ParseErrorBody(R"({"code":409,"message":"request still ongoing"})");
  EXPECT_TRUE(error.structured);
  EXPECT_EQ(error.code, 409);
  EXPECT_EQ(error.message, "request still ongoing");
  EXPECT_THAT(error.errors, IsEmpty());
  EXPECT_EQ(error.documentation_url, "");
}

TEST(ParseErrorBodyTest, OddCodesAreIgnored) {
  EXPECT_EQ(ParseErrorBody(R"({"code":"400","message":"m"})").code, 0);
  EXPECT_EQ(ParseErrorBody(R"({"code":4.5,"message":"m"})").code, 0);
  EXPECT_EQ(ParseErrorBody(R"({"code":1e300,"message":"m"})").code, 0);
  EXPECT_EQ(ParseErrorBody(R"({"message":"m"})").code, 0);
}

TEST(ParseErrorBodyTest, NonJsonText) {
  UpstreamError error = ParseErrorBody(
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>\r\n");
  EXPECT_FALSE(error.structured);
  EXPECT_EQ(error.code, 0);
  EXPECT_EQ(error.message,
            "<html> <head><title>502 Bad Gateway</title></head> </html>");
  EXPECT_EQ(ParseErrorBody("  upstream connect error  \n").message,
            "upstream connect error");
}

TEST(ParseErrorBodyTest, EmptyBody) {
  for (const char* body : {"", "   \r\n"}) {
    UpstreamError error = ParseErrorBody(body);
    EXPECT_FALSE(error.structured);
    EXPECT_EQ(error.message, "");
  }
}

TEST(ParseErrorBodyTest, JsonThatIsNotTheUpstreamShape) {
  EXPECT_EQ(ParseErrorBody(R"("quota exceeded")").message, "quota exceeded");
  UpstreamError error = ParseErrorBody(R"({"error":"Bad Gateway"})");
  EXPECT_FALSE(error.structured);
  EXPECT_EQ(error.message, R"({"error":"Bad Gateway"})");
  EXPECT_EQ(ParseErrorBody("[1, 2]").message, "[1, 2]");
  EXPECT_EQ(ParseErrorBody(R"({"message": 5})").message, R"({"message": 5})");
  // An empty upstream message falls back to the body text.
  EXPECT_EQ(ParseErrorBody(R"({"code":500,"message":""})").message,
            R"({"code":500,"message":""})");
  // ... unless the field errors say something.
  EXPECT_EQ(ParseErrorBody(
                R"({"message":"","errors":[{"resource":"r","errorType":"t"}]})")
                .message,
            "r: t");
}

TEST(ParseErrorBodyTest, LongAndHostileTextIsBounded) {
  const std::string long_body(100000, 'e');
  UpstreamError error = ParseErrorBody(long_body);
  EXPECT_LE(error.message.size(), kMaxErrorMessageBytes);
  EXPECT_EQ(error.message.substr(error.message.size() - 3), "…");

  error = ParseErrorBody(std::string("bad\xff\x00text\nmore", 14));
  EXPECT_EQ(error.message, "bad\xEF\xBF\xBD text more");

  std::string many = R"({"message":"m","errors":[)";
  for (int i = 0; i < 100; ++i) {
    many += std::string(i ? "," : "") + R"({"resource":")" +
            std::string(1000, 'r') + R"(","errorType":"t"})";
  }
  many += "]}";
  error = ParseErrorBody(many);
  EXPECT_EQ(error.errors.size(), kMaxErrorDetails);
  EXPECT_LE(error.errors[0].resource.size(), kMaxErrorDetailBytes);
  EXPECT_LE(error.message.size(), kMaxErrorMessageBytes);
}

}  // namespace
}  // namespace neobridge::codec
