#include "emulator/api_handler.h"

#include "emulator/fake_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::FakeScheduler;
using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST(HttpStatusFromStatusTest, MapsDomainErrors) {
  EXPECT_EQ(HttpStatusFromStatus(absl::OkStatus()), 200);
  EXPECT_EQ(HttpStatusFromStatus(absl::InvalidArgumentError("")), 400);
  EXPECT_EQ(HttpStatusFromStatus(absl::UnauthenticatedError("")), 401);
  EXPECT_EQ(HttpStatusFromStatus(absl::PermissionDeniedError("")), 403);
  EXPECT_EQ(HttpStatusFromStatus(absl::NotFoundError("")), 404);
  EXPECT_EQ(HttpStatusFromStatus(absl::FailedPreconditionError("")), 409);
  EXPECT_EQ(HttpStatusFromStatus(absl::AbortedError("")), 409);
  EXPECT_EQ(HttpStatusFromStatus(absl::InternalError("")), 500);
  EXPECT_EQ(HttpStatusFromStatus(absl::UnknownError("")), 500);
}

class ApiHandlerTest : public ::testing::Test {
 protected:
  ApiHandlerTest()
      : users_(DefaultUsers()),
        service_(TaskService::Options{}, &scheduler_,
                 [this] { return scheduler_.now(); }),
        handler_(&users_, &service_, [this] { return scheduler_.now(); }) {}

  HttpResponse Call(HttpMethod method, std::string path,
                    std::string token = "pul-emulator-alice",
                    std::string body = "") {
    HttpRequest request;
    request.method = method;
    request.path = std::move(path);
    if (!token.empty()) {
      request.headers.emplace_back("authorization", "token " + token);
    }
    request.body = std::move(body);
    return handler_.Handle(request);
  }

  static int Code(const HttpResponse& response) {
    return Json::parse(response.body)["code"];
  }

  FakeScheduler scheduler_;
  UserDirectory users_;
  TaskService service_;
  ApiHandler handler_;
};

TEST_F(ApiHandlerTest, ChecksRouteThenMethodThenAuthThenMembershipThenBody) {
  EXPECT_EQ(Call(HttpMethod::kGet, "/x", "").status, 404);
  EXPECT_EQ(
      Call(HttpMethod::kDelete, "/api/preview/agents/acme/tasks", "").status,
      405);
  EXPECT_EQ(
      Call(HttpMethod::kPost, "/api/preview/agents/acme/tasks", "", "not json")
          .status,
      401);
  EXPECT_EQ(Call(HttpMethod::kPost, "/api/preview/agents/globex/tasks",
                 "pul-emulator-alice", "not json")
                .status,
            403);
  EXPECT_EQ(Call(HttpMethod::kPost, "/api/preview/agents/acme/tasks",
                 "pul-emulator-alice", "not json")
                .status,
            400);
}

TEST_F(ApiHandlerTest, ErrorBodiesCarryTheStatusCode) {
  for (const HttpResponse& response :
       {Call(HttpMethod::kGet, "/x"),
        Call(HttpMethod::kPut, "/api/preview/agents/acme/tasks"),
        Call(HttpMethod::kGet, "/api/preview/agents/acme/tasks", "bad"),
        Call(HttpMethod::kGet, "/api/preview/agents/acme/tasks/nope")}) {
    EXPECT_EQ(Code(response), response.status);
    ASSERT_FALSE(response.headers.empty());
    EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{
                                       "Content-Type", "application/json"}));
  }
}

TEST_F(ApiHandlerTest, StreamRequestsBecomeStreamTargets) {
  HttpResponse created =
      Call(HttpMethod::kPost, "/api/preview/agents/acme/tasks",
           "pul-emulator-alice", R"({"message":{"content":"x"}})");
  ASSERT_EQ(created.status, 201);
  const std::string id = Json::parse(created.body)["taskId"];
  HttpRequest request;
  request.method = HttpMethod::kGet;
  request.path = "/api/preview/agents/acme/tasks/" + id + "/events/stream";
  request.headers = {{"Authorization", "token pul-emulator-alice"},
                     {"last-event-id", "abc"}};
  HttpResponse response = handler_.Handle(request);
  ASSERT_TRUE(response.stream.has_value());
  EXPECT_EQ(response.stream->task_id, id);
  EXPECT_EQ(response.stream->org, "acme");
  EXPECT_EQ(response.stream->last_event_id, "abc");
  EXPECT_EQ(response.stream->user->login, "alice");

  request.headers = {{"Authorization", "token pul-emulator-bob"}};
  HttpResponse hidden = handler_.Handle(request);
  EXPECT_FALSE(hidden.stream.has_value());
  EXPECT_EQ(hidden.status, 404);
}

TEST_F(ApiHandlerTest, ListSplicesSerializedEvents) {
  HttpResponse created =
      Call(HttpMethod::kPost, "/api/preview/agents/acme/tasks",
           "pul-emulator-alice", R"({"message":{"content":"x \"quoted\""}})");
  const std::string id = Json::parse(created.body)["taskId"];
  scheduler_.RunAll();
  HttpRequest request;
  request.method = HttpMethod::kGet;
  request.path = "/api/preview/agents/acme/tasks/" + id + "/events";
  request.headers = {{"Authorization", "token pul-emulator-alice"}};
  request.query = {{"pageSize", "2"}};
  HttpResponse response = handler_.Handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = Json::parse(response.body);
  EXPECT_EQ(body["events"].size(), 2u);
  EXPECT_EQ(body["events"][0]["eventBody"]["content"], "x \"quoted\"");
  EXPECT_TRUE(body["continuationToken"].is_string());
}

TEST(ReasonPhraseTest, KnownCodes) {
  EXPECT_EQ(ReasonPhrase(201), "Created");
  EXPECT_EQ(ReasonPhrase(202), "Accepted");
  EXPECT_EQ(ReasonPhrase(204), "No Content");
  EXPECT_EQ(ReasonPhrase(409), "Conflict");
}

}  // namespace
}  // namespace neo_emulator
