// Integration under faults: a real neo-bridge in front of a real
// neo-emulator whose fault knobs drop, stall, slice and corrupt the event
// stream. The caller must still see every event exactly once, in order.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bridge/server/bridge_server.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/support/bridge_and_emulator.h"
#include "tests/support/stream_reader.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;

constexpr absl::Duration kWait = absl::Seconds(30);

using ::neobridge::test_support::StreamReader;

class StreamFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    neo_emulator::EmulatorOptions emulator_options;
    emulator_options.agent_step_delay = absl::Milliseconds(2);
    auto started = test_support::StartBridgeAndEmulator(
        emulator_options, [](server::ServerOptions& options) {
          options.stream.upstream_idle_timeout = absl::Milliseconds(300);
          options.stream.backoff.initial = absl::Milliseconds(1);
          options.stream.backoff.max = absl::Milliseconds(20);
        });
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = std::move(started->emulator);
    bridge_ = std::move(started->bridge);
    stub_ = std::move(started->stub);
  }

  // All event ids of the task, in order, from ListTaskEvents.
  std::vector<std::string> ListedIds(const std::string& task_id) {
    std::vector<std::string> ids;
    v1::ListTaskEventsRequest request;
    request.set_task_id(task_id);
    request.set_page_size(1000);
    grpc::ClientContext context;
    v1::ListTaskEventsResponse response;
    grpc::Status status = stub_->ListTaskEvents(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& e : response.events()) ids.push_back(e.id());
    return ids;
  }

  int TurnsEnded(const std::string& task_id) {
    v1::ListTaskEventsRequest request;
    request.set_task_id(task_id);
    request.set_page_size(1000);
    grpc::ClientContext context;
    v1::ListTaskEventsResponse response;
    if (!stub_->ListTaskEvents(&context, request, &response).ok()) return -1;
    int ended = 0;
    for (const auto& e : response.events()) ended += e.ends_turn() ? 1 : 0;
    return ended;
  }

  void WaitForTurns(const std::string& task_id, int turns) {
    const absl::Time deadline = absl::Now() + kWait;
    while (TurnsEnded(task_id) < turns && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_GE(TurnsEnded(task_id), turns);
  }

  // A task whose conversation holds `turns` finished turns.
  std::string TaskWithTurns(int turns) {
    grpc::ClientContext context;
    v1::CreateTaskRequest create;
    create.mutable_message()->mutable_user_message()->set_content("Go");
    v1::CreateTaskResponse created;
    EXPECT_TRUE(stub_->CreateTask(&context, create, &created).ok());
    const std::string id = created.task_id();
    WaitForTurns(id, 1);
    for (int turn = 2; turn <= turns; ++turn) {
      grpc::ClientContext respond_context;
      v1::RespondToTaskRequest respond;
      respond.set_task_id(id);
      respond.mutable_event()->mutable_user_message()->set_content(
          absl::StrCat("Turn ", turn));
      v1::RespondToTaskResponse responded;
      grpc::Status status =
          stub_->RespondToTask(&respond_context, respond, &responded);
      EXPECT_TRUE(status.ok()) << status.error_message();
      WaitForTurns(id, turn);
    }
    return id;
  }

  void SetFaults(const std::string& json) {
    absl::Status status = emulator_->SetFaultsFromJson(json);
    ASSERT_TRUE(status.ok()) << status;
  }

  // Streams the task and expects exactly its listed events, in order.
  void ExpectEveryEventOnce(const std::string& task_id) {
    const std::vector<std::string> expected = ListedIds(task_id);
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    StreamReader reader(*stub_, request, kWait);
    EXPECT_TRUE(reader.WaitForEvents(expected.size())) << reader.status_text();
    // Nothing more may arrive: the stream stays open with no new events.
    std::vector<std::string> ids = reader.ids();
    EXPECT_EQ(ids, expected) << reader.status_text();
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
  }

  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<server::BridgeServer> bridge_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(StreamFaultsTest, AHundredForcedDropsLoseAndRepeatNothing) {
  const std::string id = TaskWithTurns(22);  // 6 + 21 * 5 = 111 events.
  ASSERT_GT(ListedIds(id).size(), 100u);
  SetFaults(R"({"stream": {"dropAfterEvents": 1, "times": 100}})");
  ExpectEveryEventOnce(id);
  // Every one of the 100 drops happened.
  EXPECT_FALSE(emulator_->faults().stream.has_value());
}

TEST_F(StreamFaultsTest, DropsInTheMiddleOfAFrame) {
  const std::string id = TaskWithTurns(3);
  SetFaults(
      R"({"stream": {"dropAfterEvents": 2, "dropMidFrame": true, "times": 5}})");
  ExpectEveryEventOnce(id);
  EXPECT_FALSE(emulator_->faults().stream.has_value());
}

TEST_F(StreamFaultsTest, AStalledStreamIsReopenedAfterTheIdleTimeout) {
  const std::string id = TaskWithTurns(2);
  SetFaults(R"({"stream": {"stallAfterEvents": 3, "times": 1}})");
  const absl::Time start = absl::Now();
  ExpectEveryEventOnce(id);
  // Only the idle timeout (300 ms) ends a stalled stream; allow for timer
  // granularity.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
}

TEST_F(StreamFaultsTest, TinyChunksWithCrLineEndings) {
  const std::string id = TaskWithTurns(2);
  SetFaults(R"({"stream": {"chunkBytes": 3, "lineEnding": "cr"}})");
  ExpectEveryEventOnce(id);
}

TEST_F(StreamFaultsTest, OneByteChunksWithCrLfLineEndings) {
  const std::string id = TaskWithTurns(1);
  SetFaults(R"({"stream": {"chunkBytes": 1, "lineEnding": "crlf"}})");
  ExpectEveryEventOnce(id);
}

TEST_F(StreamFaultsTest, MalformedFramesAreSkipped) {
  const std::string id = TaskWithTurns(1);
  SetFaults(
      R"({"stream": {"malformed": {"afterEvents": 2, "kind": "truncatedJson"}}})");
  ExpectEveryEventOnce(id);
}

TEST_F(StreamFaultsTest, RateLimitOnOpenIsResourceExhausted) {
  const std::string id = TaskWithTurns(1);
  SetFaults(R"({"fail": {"status": 429, "retryAfterSeconds": 2}})");
  grpc::ClientContext context;
  v1::StreamTaskEventsRequest request;
  request.set_task_id(id);
  auto reader = stub_->StreamTaskEvents(&context, request);
  v1::StreamTaskEventsResponse item;
  EXPECT_FALSE(reader->Read(&item));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(StreamFaultsTest, UpstreamLatencyBeyondTheDeadlineIsDeadlineExceeded) {
  const std::string id = TaskWithTurns(1);
  SetFaults(R"({"latencyMs": 2000})");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(200));
  v1::GetTaskRequest request;
  request.set_task_id(id);
  v1::GetTaskResponse response;
  const absl::Time start = absl::Now();
  grpc::Status status = stub_->GetTask(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

}  // namespace
}  // namespace neobridge
