#include "emulator/admin_handler.h"

#include <string>

#include "emulator/fake_scheduler.h"
#include "emulator/request_parsing.h"
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

  // A task of alice's in org acme; its id.
  std::string CreateTask() {
    absl::StatusOr<CreateTaskRequest> request = ParseCreateTaskRequest(
        R"({"message": {"content": "hi"}})", scheduler_.now());
    EXPECT_TRUE(request.ok());
    absl::StatusOr<const Task*> task =
        service_.CreateTask(users_[0], "acme", *std::move(request));
    EXPECT_TRUE(task.ok()) << task.status();
    return (*task)->id;
  }

  FaultState faults_;
  StreamStats stats_;
  std::vector<User> users_ = DefaultUsers();
  testing::FakeScheduler scheduler_;
  TaskService service_{
      TaskService::Options{.agent_step_delay = absl::Hours(24)}, &scheduler_,
      [this] { return scheduler_.now(); }};
  Firehoses firehoses_{&service_, &scheduler_,
                       [this] { return scheduler_.now(); }};
  AdminHandler handler_{&faults_, &stats_, &firehoses_};
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

TEST_F(AdminHandlerTest, StatsCountOpenStreams) {
  stats_.Opened("task-1");
  stats_.Opened("task-1");
  stats_.Opened("task-2");
  stats_.Closed("task-2");
  HttpResponse response = Call(HttpMethod::kGet, "/_emulator/stats");
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers,
              ::testing::Contains(std::pair<std::string, std::string>(
                  "Content-Type", "application/json")));
  EXPECT_EQ(Json::parse(response.body),
            Json::parse(R"({"open_streams": 2, "streams_opened_total": 3,
                            "open_streams_by_task": {"task-1": 2}})"));

  HttpResponse put = Call(HttpMethod::kPut, "/_emulator/stats", "{}");
  EXPECT_EQ(put.status, 405);
  EXPECT_THAT(
      put.headers,
      ::testing::Contains(std::pair<std::string, std::string>("Allow", "GET")));
  EXPECT_THAT(Json::parse(put.body).value("message", ""),
              HasSubstr("method PUT is not allowed on /_emulator/stats"));
}

TEST_F(AdminHandlerTest, FirehoseStartListStop) {
  const std::string id = CreateTask();
  HttpResponse put =
      Call(HttpMethod::kPut, "/_emulator/firehose",
           absl::StrCat(R"({"task_id": ")", id, R"(", "rate": 1000,
                           "count": 5})"));
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Json::parse(put.body), (Json{{"task_id", id},
                                         {"rate", 1000},
                                         {"count", 5},
                                         {"first_seq", 1},
                                         {"emitted", 0},
                                         {"running", true},
                                         {"elapsed_ms", 0},
                                         {"achieved_rate", 0}}));

  HttpResponse busy = Call(
      HttpMethod::kPut, "/_emulator/firehose",
      absl::StrCat(R"({"task_id": ")", id, R"(", "rate": 1, "count": 1})"));
  EXPECT_EQ(busy.status, 409);
  EXPECT_THAT(Json::parse(busy.body).value("message", ""),
              HasSubstr("a firehose is already running on task"));

  scheduler_.RunNext();
  scheduler_.RunNext();
  HttpResponse get = Call(HttpMethod::kGet, "/_emulator/firehose");
  EXPECT_EQ(get.status, 200);
  const Json listed = Json::parse(get.body);
  ASSERT_EQ(listed["firehoses"].size(), 1u);
  EXPECT_EQ(listed["firehoses"][0]["emitted"], 2);
  EXPECT_EQ(listed["firehoses"][0]["running"], true);
  EXPECT_EQ(listed["firehoses"][0]["elapsed_ms"], 2);

  HttpResponse stopped = Call(HttpMethod::kDelete, "/_emulator/firehose");
  EXPECT_EQ(stopped.status, 204);
  EXPECT_EQ(stopped.body, "");
  EXPECT_EQ(Json::parse(Call(HttpMethod::kGet, "/_emulator/firehose")
                            .body)["firehoses"][0]["running"],
            false);
}

TEST_F(AdminHandlerTest, FirehoseErrors) {
  HttpResponse invalid =
      Call(HttpMethod::kPut, "/_emulator/firehose", R"({"task_id": "x"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(
      Json::parse(invalid.body),
      (Json{{"code", 400}, {"message", "invalid firehose: rate is required"}}));

  HttpResponse missing =
      Call(HttpMethod::kPut, "/_emulator/firehose",
           R"({"task_id": "missing", "rate": 1, "count": 1})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json::parse(missing.body),
            (Json{{"code", 404}, {"message", "task not found"}}));

  HttpResponse post = Call(HttpMethod::kPost, "/_emulator/firehose", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.headers,
              ::testing::Contains(std::pair<std::string, std::string>(
                  "Allow", "GET, PUT, DELETE")));
}

TEST_F(AdminHandlerTest, UnknownPathIs404AndOtherMethods405) {
  HttpResponse missing = Call(HttpMethod::kGet, "/_emulator/other");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(Json::parse(missing.body).value("message", ""),
              HasSubstr("no such endpoint: GET /_emulator/other (admin "
                        "endpoints: /_emulator/faults, /_emulator/stats, "
                        "/_emulator/firehose)"));

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
