#include "emulator/fault_state.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

constexpr char kStreamPath[] =
    "/api/preview/agents/acme/tasks/t1/events/stream";
constexpr char kTasksPath[] = "/api/preview/agents/acme/tasks";

TEST(FaultStateTest, StartsCleanAndSetReplacesAndClearEmpties) {
  FaultState state;
  EXPECT_EQ(state.Get(), FaultPlan{});
  EXPECT_EQ(state.TakeStreamFaults(), std::nullopt);
  RequestDecision decision = state.DecideRequest(HttpMethod::kGet, kStreamPath);
  EXPECT_EQ(decision.latency, absl::ZeroDuration());
  EXPECT_EQ(decision.failure, std::nullopt);

  state.Set({.latency = absl::Milliseconds(5)});
  state.Set({.stream = StreamFaults{.chunk_bytes = 3}});
  EXPECT_EQ(state.Get(), FaultPlan{.stream = StreamFaults{.chunk_bytes = 3}});
  state.Clear();
  EXPECT_EQ(state.Get(), FaultPlan{});
}

TEST(FaultStateTest, FailureUsesUpItsTimesOnMatchingRequestsOnly) {
  FaultState state;
  state.Set({.latency = absl::Milliseconds(7),
             .fail = RequestFailure{.status = 429, .times = 2}});
  // Not a stream open: no failure, nothing used up, latency still applies.
  RequestDecision other = state.DecideRequest(HttpMethod::kGet, kTasksPath);
  EXPECT_EQ(other.latency, absl::Milliseconds(7));
  EXPECT_EQ(other.failure, std::nullopt);
  EXPECT_EQ(state.Get().fail->times, 2);

  for (int remaining : {1, 0}) {
    RequestDecision decision =
        state.DecideRequest(HttpMethod::kGet, kStreamPath);
    ASSERT_TRUE(decision.failure.has_value());
    EXPECT_EQ(decision.failure->status, 429);
    if (remaining > 0) {
      EXPECT_EQ(state.Get().fail->times, remaining);
    } else {
      EXPECT_EQ(state.Get().fail, std::nullopt);
    }
  }
  EXPECT_EQ(state.DecideRequest(HttpMethod::kGet, kStreamPath).failure,
            std::nullopt);
  EXPECT_EQ(state.Get().latency, absl::Milliseconds(7));
}

TEST(FaultStateTest, StreamFaultsWithTimesAreUsedUpWithoutTimesStay) {
  FaultState state;
  state.Set({.stream = StreamFaults{.drop_after_events = 2, .times = 2}});
  for (int i = 0; i < 2; ++i) {
    std::optional<StreamFaults> faults = state.TakeStreamFaults();
    ASSERT_TRUE(faults.has_value());
    EXPECT_EQ(faults->drop_after_events, 2);
  }
  EXPECT_EQ(state.TakeStreamFaults(), std::nullopt);
  EXPECT_EQ(state.Get(), FaultPlan{});

  state.Set({.stream = StreamFaults{.line_ending = LineEnding::kCr}});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(state.TakeStreamFaults().has_value());
  }
  EXPECT_TRUE(state.Get().stream.has_value());
}

TEST(FaultStateTest, ConcurrentTakersUseUpExactlyTheTimes) {
  FaultState state;
  state.Set({.stream = StreamFaults{.stall_after_events = 1, .times = 1000}});
  std::atomic<int> taken{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 400; ++i) {
          if (state.TakeStreamFaults()) ++taken;
          (void)state.Get();
        }
      });
    }
  }
  EXPECT_EQ(taken.load(), 1000);
  EXPECT_EQ(state.Get(), FaultPlan{});
}

TEST(FaultStateTest, BodyFaultsUseUpTheirTimesAndYieldToFailures) {
  FaultState state;
  state.Set({.fail = RequestFailure{.status = 503, .times = 1},
             .body = BodyFault{.kind = BodyFaultKind::kTruncated, .times = 2}});
  // A stream open: failed, the body fault is neither given nor used up.
  RequestDecision failed = state.DecideRequest(HttpMethod::kGet, kStreamPath);
  EXPECT_TRUE(failed.failure.has_value());
  EXPECT_EQ(failed.body, std::nullopt);
  EXPECT_EQ(state.Get().body->times, 2);
  // Streams never get a body fault.
  EXPECT_EQ(state.DecideRequest(HttpMethod::kGet, kStreamPath).body,
            std::nullopt);
  for (int remaining : {1, 0}) {
    RequestDecision decision =
        state.DecideRequest(HttpMethod::kGet, kTasksPath);
    ASSERT_TRUE(decision.body.has_value());
    EXPECT_EQ(decision.body->kind, BodyFaultKind::kTruncated);
    EXPECT_EQ(decision.failure, std::nullopt);
    if (remaining > 0) {
      EXPECT_EQ(state.Get().body->times, remaining);
    } else {
      EXPECT_EQ(state.Get().body, std::nullopt);
    }
  }
  EXPECT_EQ(state.DecideRequest(HttpMethod::kGet, kTasksPath).body,
            std::nullopt);
}

TEST(DecideRequestTest, PerRequestPlansUseNothingUp) {
  const FaultPlan plan{.latency = absl::Milliseconds(3),
                       .fail = RequestFailure{.status = 503, .times = 1}};
  for (int i = 0; i < 3; ++i) {
    RequestDecision decision =
        DecideRequest(plan, HttpMethod::kGet, kStreamPath);
    EXPECT_EQ(decision.latency, absl::Milliseconds(3));
    ASSERT_TRUE(decision.failure.has_value());
    EXPECT_EQ(decision.failure->status, 503);
  }
}

TEST(FailureResponseTest, StatusBodyAndRetryAfter) {
  HttpResponse too_many = FailureResponse({.status = 429});
  EXPECT_EQ(too_many.status, 429);
  EXPECT_THAT(too_many.headers,
              ::testing::Contains(
                  std::pair<std::string, std::string>("Retry-After", "1")));
  EXPECT_THAT(too_many.headers,
              ::testing::Contains(std::pair<std::string, std::string>(
                  "Content-Type", "application/json")));
  EXPECT_EQ(Json::parse(too_many.body), Json::parse(R"({"code": 429, "message":
                "neo-emulator injected fault: 429 Too Many Requests"})"));

  HttpResponse later =
      FailureResponse({.status = 429, .retry_after_seconds = 30});
  EXPECT_THAT(later.headers,
              ::testing::Contains(
                  std::pair<std::string, std::string>("Retry-After", "30")));

  for (int status : {500, 502, 503, 504}) {
    HttpResponse response = FailureResponse({.status = status});
    EXPECT_EQ(response.status, status);
    for (const auto& [name, value] : response.headers) {
      EXPECT_NE(name, "Retry-After") << status;
    }
    EXPECT_EQ(Json::parse(response.body)["code"], status);
  }
  HttpResponse unavailable = FailureResponse(
      {.status = 503, .retry_after_seconds = 2, .message = "maintenance"});
  EXPECT_THAT(unavailable.headers,
              ::testing::Contains(
                  std::pair<std::string, std::string>("Retry-After", "2")));
  EXPECT_EQ(Json::parse(unavailable.body)["message"], "maintenance");
  EXPECT_EQ(Json::parse(FailureResponse({.status = 502}).body)["message"],
            "neo-emulator injected fault: 502 Bad Gateway");
  EXPECT_EQ(Json::parse(FailureResponse({.status = 504}).body)["message"],
            "neo-emulator injected fault: 504 Gateway Timeout");
}

}  // namespace
}  // namespace neo_emulator
