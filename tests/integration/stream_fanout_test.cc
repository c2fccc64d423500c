// Integration tests of StreamTaskEvents fan-out: neo-bridge in front of
// neo-emulator over loopback. Calls that watch one task with one credential
// share one upstream event stream (counted at the emulator); a late joiner
// gets the history, then live events, exactly once and in order; other
// credentials never share; the upstream stream closes after the last caller.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bridge/server/bridge_server.h"
#include "emulator/emulator.h"
#include "emulator/test_http_client.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/support/bridge_and_emulator.h"
#include "tests/support/stream_reader.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;
using ::neobridge::test_support::StreamReader;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kAlice[] = "pul-emulator-alice";
// In the same org as alice, but tasks are visible to their creator only.
constexpr char kBob[] = "pul-emulator-bob";

std::vector<std::string> Ids(const std::vector<v1::TaskEvent>& events) {
  std::vector<std::string> ids;
  for (const v1::TaskEvent& event : events) ids.push_back(event.id());
  return ids;
}

void ExpectUniqueIds(const std::vector<v1::TaskEvent>& events) {
  std::set<std::string> seen;
  for (const v1::TaskEvent& event : events) {
    EXPECT_FALSE(event.id().empty());
    EXPECT_TRUE(seen.insert(event.id()).second) << "duplicate " << event.id();
  }
}

class StreamFanoutTest : public ::testing::Test {
 protected:
  void SetUp() override { StartBridge(absl::Milliseconds(300)); }

  void StartBridge(absl::Duration linger, size_t queue_capacity = 64,
                   size_t max_lag = 1024) {
    bridge_.reset();
    emulator_.reset();
    neo_emulator::EmulatorOptions emulator_options;
    emulator_options.agent_step_delay = absl::Milliseconds(10);
    auto started = test_support::StartBridgeAndEmulator(
        emulator_options, [&](server::ServerOptions& options) {
          options.stream.heartbeat_interval = absl::Seconds(5);
          options.stream.backoff.initial = absl::Milliseconds(10);
          options.stream.backoff.max = absl::Milliseconds(100);
          options.stream.linger = linger;
          options.stream.queue_capacity = queue_capacity;
          options.stream.max_lag = max_lag;
        });
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = std::move(started->emulator);
    bridge_ = std::move(started->bridge);
    stub_ = std::move(started->stub);
  }

  std::string CreateTask(const std::string& prompt) {
    grpc::ClientContext context;
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content(prompt);
    v1::CreateTaskResponse response;
    grpc::Status status = stub_->CreateTask(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.task_id();
  }

  void SendMessage(const std::string& task_id, const std::string& text) {
    grpc::ClientContext context;
    v1::RespondToTaskRequest request;
    request.set_task_id(task_id);
    request.mutable_event()->mutable_user_message()->set_content(text);
    v1::RespondToTaskResponse response;
    grpc::Status status = stub_->RespondToTask(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // A call with the service token, or with `token` as its own.
  std::unique_ptr<StreamReader> Stream(const std::string& task_id,
                                       const std::string& last_event_id = "",
                                       const std::string& token = "") {
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    request.set_last_event_id(last_event_id);
    return std::make_unique<StreamReader>(*stub_, request, kWait,
                                          /*start_reading=*/true, token);
  }

  // Waits until the emulator holds exactly `n` open event streams.
  bool WaitForUpstreamStreams(size_t n, absl::Duration timeout = kWait) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (emulator_->open_stream_count() == n) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return emulator_->open_stream_count() == n;
  }

  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<server::BridgeServer> bridge_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(StreamFanoutTest, CallersOfOneTaskAndCredentialShareOneUpstreamStream) {
  const std::string id = CreateTask("Summarize the stack");
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (int i = 0; i < 25; ++i) streams.push_back(Stream(id));
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForTurnEnds(1));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
  EXPECT_EQ(bridge_->shared_upstream_streams(), 1u);

  SendMessage(id, "And the prod stack?");
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForTurnEnds(2));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
  const std::vector<std::string> expected = Ids(streams.front()->events());
  EXPECT_GT(expected.size(), 6u);
  for (auto& stream : streams) {
    EXPECT_EQ(Ids(stream->events()), expected);
    ExpectUniqueIds(stream->events());
  }
}

TEST_F(StreamFanoutTest, ALateJoinerGetsTheHistoryThenLiveEventsExactlyOnce) {
  const std::string id = CreateTask("Summarize the stack");
  auto first = Stream(id);
  ASSERT_TRUE(first->WaitForTurnEnds(1));
  const std::vector<std::string> history = Ids(first->events());
  ASSERT_EQ(history.size(), 6u);

  auto late = Stream(id);
  ASSERT_TRUE(late->WaitForTurnEnds(1));
  EXPECT_EQ(Ids(late->events()), history);
  EXPECT_EQ(emulator_->open_stream_count(), 1u) << "the late joiner re-read";

  // A joiner that resumes after an event it saw shares the stream too.
  auto resumed = Stream(id, history[2]);
  ASSERT_TRUE(resumed->WaitForEvents(3));

  SendMessage(id, "And the prod stack?");
  ASSERT_TRUE(first->WaitForTurnEnds(2));
  ASSERT_TRUE(late->WaitForTurnEnds(2));
  ASSERT_TRUE(resumed->WaitForTurnEnds(1));
  const std::vector<std::string> all = Ids(first->events());
  ASSERT_GT(all.size(), history.size());
  EXPECT_EQ(Ids(late->events()), all);
  ExpectUniqueIds(late->events());
  ASSERT_TRUE(resumed->WaitForEvents(all.size() - 3));
  EXPECT_EQ(Ids(resumed->events()),
            std::vector<std::string>(all.begin() + 3, all.end()));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
}

TEST_F(StreamFanoutTest, CallersWithDifferentCredentialsNeverShare) {
  const std::string id = CreateTask("Summarize the stack");  // Alice's.
  auto by_alice = Stream(id, "", kAlice);
  ASSERT_TRUE(by_alice->WaitForTurnEnds(1)) << by_alice->status_text();
  // The service token is alice's too: the same credential shares.
  auto by_service = Stream(id);
  ASSERT_TRUE(by_service->WaitForTurnEnds(1));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
  // Bob may not see alice's task: served from her stream he would get its
  // events; with his own request he gets the upstream's answer to him.
  auto by_bob = Stream(id, "", kBob);
  grpc::Status status = by_bob->WaitForEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  EXPECT_TRUE(by_bob->events().empty());
  // Alice's stream is not disturbed.
  SendMessage(id, "And the prod stack?");
  ASSERT_TRUE(by_alice->WaitForTurnEnds(2));
  ASSERT_TRUE(by_service->WaitForTurnEnds(2));
  EXPECT_EQ(Ids(by_service->events()), Ids(by_alice->events()));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
}

TEST_F(StreamFanoutTest, TheUpstreamStreamClosesShortlyAfterTheLastCaller) {
  const std::string id = CreateTask("Summarize the stack");
  auto a = Stream(id);
  auto b = Stream(id);
  ASSERT_TRUE(a->WaitForTurnEnds(1));
  ASSERT_TRUE(b->WaitForTurnEnds(1));
  a->Cancel();
  EXPECT_EQ(a->WaitForEnd().error_code(), grpc::StatusCode::CANCELLED);
  // One caller left: the stream stays for the other.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(emulator_->open_stream_count(), 1u);

  b->Cancel();
  EXPECT_EQ(b->WaitForEnd().error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time left_at = absl::Now();
  ASSERT_TRUE(WaitForUpstreamStreams(0, absl::Seconds(5)));
  // The linger (300 ms) plus a little.
  EXPECT_LT(absl::Now() - left_at, absl::Seconds(2));
  EXPECT_EQ(bridge_->shared_upstream_streams(), 0u);
}

TEST_F(StreamFanoutTest, ACallerBackWithinTheLingerSharesTheStreamAgain) {
  StartBridge(absl::Seconds(30));
  const std::string id = CreateTask("Summarize the stack");
  std::vector<std::string> seen;
  {
    auto first = Stream(id);
    ASSERT_TRUE(first->WaitForTurnEnds(1));
    seen = Ids(first->events());
  }
  ASSERT_TRUE(WaitForUpstreamStreams(1));
  // Resuming from its last event: nothing repeated, no new upstream stream.
  auto back = Stream(id, seen.back());
  SendMessage(id, "And the prod stack?");
  ASSERT_TRUE(back->WaitForTurnEnds(1));
  ASSERT_FALSE(back->events().empty());
  EXPECT_EQ(back->events().front().user_input().user_message().content(),
            "And the prod stack?");
  ExpectUniqueIds(back->events());
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
}

TEST_F(StreamFanoutTest, AJoinerFromBeforeTheSharedStartGetsItsOwnStream) {
  const std::string id = CreateTask("Summarize the stack");
  std::vector<std::string> all;
  {
    auto first = Stream(id);
    ASSERT_TRUE(first->WaitForTurnEnds(1));
    all = Ids(first->events());
  }
  ASSERT_TRUE(WaitForUpstreamStreams(0));
  // The shared stream now starts after event 3; a caller that wants the
  // whole history cannot be served from it.
  auto resumed = Stream(id, all[3]);
  ASSERT_TRUE(resumed->WaitForEvents(all.size() - 4));
  auto whole = Stream(id);
  ASSERT_TRUE(whole->WaitForTurnEnds(1));
  EXPECT_EQ(Ids(whole->events()), all);
  EXPECT_EQ(Ids(resumed->events()),
            std::vector<std::string>(all.begin() + 4, all.end()));
  EXPECT_EQ(emulator_->open_stream_count(), 2u);
}

TEST_F(StreamFanoutTest, ASlowCallerIsEndedWhileTheOthersGetEverything) {
  // A lag bound well above what a reading caller falls behind in a burst,
  // well below what the slow caller's flow-control window holds back.
  StartBridge(absl::Milliseconds(300), /*queue_capacity=*/8, /*max_lag=*/512);
  const std::string id = CreateTask("Summarize the stack");
  // The slow caller does not read, on a channel whose flow-control window
  // stays small (no BDP probing), so the bridge cannot write ahead for it.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto slow_stub = v1::AgentTasksService::NewStub(grpc::CreateCustomChannel(
      bridge_->address(), grpc::InsecureChannelCredentials(), args));
  v1::StreamTaskEventsRequest request;
  request.set_task_id(id);
  StreamReader slow(*slow_stub, request, kWait, /*start_reading=*/false);
  ASSERT_TRUE(WaitForUpstreamStreams(1));
  auto fast = Stream(id);
  ASSERT_TRUE(fast->WaitForTurnEnds(1));
  const size_t history = fast->events().size();

  // 3,000 events at 5,000/s from the emulator's firehose.
  neo_emulator::testing::TestHttpClient admin(emulator_->base_url());
  auto started =
      admin.Request("PUT", "/_emulator/firehose", "",
                    absl::StrCat(R"({"task_id": ")", id,
                                 R"(", "rate": 5000, "count": 3000})"),
                    {"Content-Type: application/json"});
  ASSERT_EQ(started.status, 200) << started.body;
  ASSERT_TRUE(fast->WaitForEvents(history + 3000)) << fast->status_text();
  ExpectUniqueIds(fast->events());
  EXPECT_EQ(emulator_->open_stream_count(), 1u);

  slow.StartReading();
  grpc::Status status = slow.WaitForEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("fell too far behind"));
  const std::vector<std::string> got = slow.ids();
  const std::vector<std::string> all = Ids(fast->events());
  ASSERT_LT(got.size(), all.size());
  EXPECT_EQ(got,
            std::vector<std::string>(all.begin(), all.begin() + got.size()));
  // The fast caller goes on.
  EXPECT_EQ(fast->status_text(), "open");
}

TEST_F(StreamFanoutTest,
       SharedCallersSurviveUpstreamDropsWithoutLossOrRepeats) {
  const std::string id = CreateTask("Summarize the stack");
  ASSERT_TRUE(emulator_
                  ->SetFaultsFromJson(
                      R"({"stream": {"dropAfterEvents": 2, "times": 20}})")
                  .ok());
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (int i = 0; i < 5; ++i) streams.push_back(Stream(id));
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForTurnEnds(1));
  SendMessage(id, "And the prod stack?");
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForTurnEnds(2));
  const std::vector<std::string> expected = Ids(streams.front()->events());
  for (auto& stream : streams) {
    EXPECT_EQ(Ids(stream->events()), expected);
    ExpectUniqueIds(stream->events());
  }
  EXPECT_LE(emulator_->open_stream_count(), 1u);
}

}  // namespace
}  // namespace neobridge
