#include "emulator/router.h"

#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

TEST(RouterTest, MatchesEveryEndpoint) {
  struct Case {
    const char* path;
    Route route;
    const char* org;
    const char* task;
  };
  for (const Case& c : {
           Case{"/api/preview/agents/acme/tasks", Route::kTasks, "acme", ""},
           Case{"/api/preview/agents/acme/tasks/t1", Route::kTask, "acme",
                "t1"},
           Case{"/api/preview/agents/acme/tasks/t1/cancel", Route::kTaskCancel,
                "acme", "t1"},
           Case{"/api/preview/agents/acme/tasks/t1/events", Route::kTaskEvents,
                "acme", "t1"},
           Case{"/api/preview/agents/acme/tasks/t1/events/stream",
                Route::kTaskEventStream, "acme", "t1"},
           Case{"/api/preview/agents/my%20org/tasks/a%2Fb", Route::kTask,
                "my org", "a/b"},
       }) {
    std::optional<RouteMatch> match = MatchRoute(c.path);
    ASSERT_TRUE(match.has_value()) << c.path;
    EXPECT_EQ(match->route, c.route) << c.path;
    EXPECT_EQ(match->org, c.org);
    EXPECT_EQ(match->task_id, c.task);
  }
}

TEST(RouterTest, RejectsOtherPaths) {
  for (const char* path :
       {"", "/", "/api/preview/agents", "/api/preview/agents/",
        "/api/preview/agents/acme", "/api/preview/agents/acme/tasks/",
        "/api/preview/agents//tasks", "/api/preview/agents/acme/task",
        "/api/preview/agents/acme/tasks/t1/",
        "/api/preview/agents/acme/tasks/t1/x",
        "/api/preview/agents/acme/tasks/t1/events/x",
        "/api/preview/agents/acme/tasks/t1/events/stream/x",
        "/api/preview/agents/acme/tasks/%zz", "/api/v1/agents/acme/tasks"}) {
    EXPECT_FALSE(MatchRoute(path).has_value()) << path;
  }
}

TEST(RouterTest, AllowHeaders) {
  EXPECT_EQ(AllowHeader(Route::kTasks), "GET, POST");
  EXPECT_EQ(AllowHeader(Route::kTask), "GET, PATCH, POST");
  EXPECT_EQ(AllowHeader(Route::kTaskCancel), "POST");
  EXPECT_EQ(AllowHeader(Route::kTaskEvents), "GET");
  EXPECT_EQ(AllowHeader(Route::kTaskEventStream), "GET");
}

TEST(RouterTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2f"), "a b/");
  EXPECT_EQ(PercentDecode("plain"), "plain");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%2").has_value());
  EXPECT_FALSE(PercentDecode("%g0").has_value());
}

}  // namespace
}  // namespace neo_emulator
