#include "emulator/admin_handler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class AdminHandlerTest : public ::testing::Test {
 protected:
  HttpResponse Call(HttpMethod method, std::string path,
                    std::string body = "") {
    HttpRequest request;
    request.method = method;
    request.path = std::move(path);
    request.body = std::move(body);
    return handler_.Handle(request);
  }

  FaultState faults_;
  AdminHandler handler_{&faults_};
};

TEST(IsAdminPathTest, OnlyTheAdminTree) {
  EXPECT_TRUE(IsAdminPath("/_emulator"));
  EXPECT_TRUE(IsAdminPath("/_emulator/faults"));
  EXPECT_TRUE(IsAdminPath("/_emulator/other"));
  EXPECT_FALSE(IsAdminPath("/_emulatorx"));
  EXPECT_FALSE(IsAdminPath("/api/preview/agents/acme/tasks"));
  EXPECT_FALSE(IsAdminPath("/"));
}

TEST_F(AdminHandlerTest, GetPutGetDelete) {
  HttpResponse empty = Call(HttpMethod::kGet, "/_emulator/faults");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(Json::parse(empty.body), Json::object());

  HttpResponse put = Call(HttpMethod::kPut, "/_emulator/faults",
                          R"({"stream": {"chunkBytes": 4, "times": 2},
                              "fail": {"status": 503}})");
  EXPECT_EQ(put.status, 200) << put.body;
  const Json expected = Json::parse(
      R"({"stream": {"chunkBytes": 4, "times": 2},
          "fail": {"status": 503, "times": 1, "scope": "streamOpens"}})");
  EXPECT_EQ(Json::parse(put.body), expected);
  EXPECT_EQ(faults_.Get().stream->chunk_bytes, 4);

  faults_.TakeStreamFaults();  // The GET shows what is left.
  HttpResponse get = Call(HttpMethod::kGet, "/_emulator/faults");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(Json::parse(get.body)["stream"]["times"], 1);

  HttpResponse cleared = Call(HttpMethod::kDelete, "/_emulator/faults");
  EXPECT_EQ(cleared.status, 204);
  EXPECT_EQ(cleared.body, "");
  EXPECT_EQ(faults_.Get(), FaultPlan{});
}

TEST_F(AdminHandlerTest, InvalidPlanIs400AndKeepsThePlanInForce) {
  faults_.Set({.latency = absl::Milliseconds(10)});
  HttpResponse response = Call(HttpMethod::kPut, "/_emulator/faults",
                               R"({"stream": {"chunkBytes": 0}})");
  EXPECT_EQ(response.status, 400);
  const Json body = Json::parse(response.body);
  EXPECT_EQ(body["code"], 400);
  EXPECT_EQ(body["message"],
            "invalid fault plan: stream.chunkBytes must be an integer between "
            "1 and 65536");
  EXPECT_EQ(faults_.Get().latency, absl::Milliseconds(10));

  EXPECT_THAT(Json::parse(Call(HttpMethod::kPut, "/_emulator/faults", "").body)
                  .value("message", ""),
              HasSubstr("invalid fault plan: fault plan is not valid JSON"));
}

TEST_F(AdminHandlerTest, UnknownPathIs404AndOtherMethods405) {
  HttpResponse missing = Call(HttpMethod::kGet, "/_emulator/stats");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(Json::parse(missing.body).value("message", ""),
              HasSubstr("no such endpoint: GET /_emulator/stats"));

  HttpResponse post = Call(HttpMethod::kPost, "/_emulator/faults", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.headers,
              ::testing::Contains(std::pair<std::string, std::string>(
                  "Allow", "GET, PUT, DELETE")));
  EXPECT_THAT(Json::parse(post.body).value("message", ""),
              HasSubstr("method POST is not allowed on /_emulator/faults"));
}

}  // namespace
}  // namespace neo_emulator
