// Integration: StreamTaskEvents through a real neo-bridge in front of a real
// neo-emulator, both in-process on loopback with ephemeral ports.
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
using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(20);

std::string Kind(const v1::TaskEvent& event) {
  if (event.has_agent_response()) {
    return absl::StrCat(event.type(), "/", event.agent_response().type());
  }
  if (event.has_user_input()) {
    return absl::StrCat(event.type(), "/", event.user_input().type());
  }
  return event.type();
}

using ::neobridge::test_support::StreamReader;

class StreamEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    neo_emulator::EmulatorOptions emulator_options;
    emulator_options.agent_step_delay = absl::Milliseconds(10);
    auto started = test_support::StartBridgeAndEmulator(
        emulator_options, [](server::ServerOptions& options) {
          options.stream.heartbeat_interval = absl::Milliseconds(200);
          options.stream.backoff.initial = absl::Milliseconds(10);
          options.stream.backoff.max = absl::Milliseconds(100);
          // A task's upstream stream closes with its last caller (fan-out
          // and the linger are stream_fanout_test's subject).
          options.stream.linger = absl::ZeroDuration();
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

  void Respond(const std::string& task_id, v1::UserEvent event) {
    grpc::ClientContext context;
    v1::RespondToTaskRequest request;
    request.set_task_id(task_id);
    *request.mutable_event() = std::move(event);
    v1::RespondToTaskResponse response;
    grpc::Status status = stub_->RespondToTask(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::unique_ptr<StreamReader> Stream(const std::string& task_id,
                                       const std::string& last_event_id = "") {
    v1::StreamTaskEventsRequest request;
    request.set_task_id(task_id);
    request.set_last_event_id(last_event_id);
    return std::make_unique<StreamReader>(*stub_, request);
  }

  // Waits until the emulator holds exactly `n` open event streams.
  bool WaitForOpenStreams(size_t n, absl::Duration timeout) {
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

void ExpectUniqueIds(const std::vector<v1::TaskEvent>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    EXPECT_FALSE(e.id().empty());
    EXPECT_TRUE(ids.insert(e.id()).second) << "duplicate " << e.id();
  }
}

TEST_F(StreamEventsTest, AWholeConversation) {
  const std::string id = CreateTask("Apply the fix after my approval");
  auto stream = Stream(id);
  ASSERT_TRUE(stream->WaitForTurnEnds(1));
  std::vector<v1::TaskEvent> events = stream->events();
  const v1::TaskEvent ask = events.back();
  ASSERT_EQ(Kind(ask), "agentResponse/user_approval_request");
  ASSERT_FALSE(ask.approval_request_id().empty());

  v1::UserEvent confirmation;
  confirmation.mutable_user_confirmation()->set_approval_request_id(
      ask.approval_request_id());
  confirmation.mutable_user_confirmation()->set_ok(true);
  Respond(id, confirmation);

  ASSERT_TRUE(stream->WaitForTurnEnds(2));
  events = stream->events();
  std::vector<std::string> kinds;
  for (const auto& e : events) kinds.push_back(Kind(e));
  EXPECT_THAT(
      kinds,
      ElementsAre(
          "userInput/user_message", "agentResponse/set_task_name",
          "agentResponse/assistant_message", "agentResponse/exec_tool_call",
          "agentResponse/tool_response", "agentResponse/user_approval_request",
          "userInput/user_confirmation", "agentResponse/assistant_message"));
  EXPECT_TRUE(events.back().agent_response().assistant_message().is_final());
  ExpectUniqueIds(events);
}

TEST_F(StreamEventsTest, ALateJoinerGetsTheHistoryThenLiveEvents) {
  const std::string id = CreateTask("Summarize the stack");
  {
    // Wait for the first turn to end (through a first stream).
    auto first = Stream(id);
    ASSERT_TRUE(first->WaitForTurnEnds(1));
  }
  auto late = Stream(id);
  ASSERT_TRUE(late->WaitForTurnEnds(1));
  const size_t history = late->events().size();
  EXPECT_EQ(history, 6u);

  v1::UserEvent message;
  message.mutable_user_message()->set_content("And the prod stack?");
  Respond(id, message);
  ASSERT_TRUE(late->WaitForTurnEnds(2));
  std::vector<v1::TaskEvent> events = late->events();
  EXPECT_GT(events.size(), history);
  EXPECT_EQ(Kind(events[history]), "userInput/user_message");
  ExpectUniqueIds(events);
}

TEST_F(StreamEventsTest, ResumesAfterAGivenEventId) {
  const std::string id = CreateTask("Summarize the stack");
  std::vector<v1::TaskEvent> all;
  {
    auto first = Stream(id);
    ASSERT_TRUE(first->WaitForTurnEnds(1));
    all = first->events();
  }
  ASSERT_GE(all.size(), 4u);
  auto resumed = Stream(id, all[2].id());
  ASSERT_TRUE(resumed->WaitForTurnEnds(1));
  std::vector<v1::TaskEvent> events = resumed->events();
  ASSERT_EQ(events.size(), all.size() - 3);
  EXPECT_EQ(events.front().id(), all[3].id());
}

TEST_F(StreamEventsTest, UnknownTaskIsNotFound) {
  auto stream = Stream("no-such-task");
  grpc::Status status = stream->WaitForEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(
      status.error_message(),
      ::testing::HasSubstr("StreamTaskEvents: Neo API returned HTTP 404"));
}

TEST_F(StreamEventsTest, InvalidRequestsAreRefused) {
  v1::StreamTaskEventsRequest request;  // No task id.
  StreamReader stream(*stub_, request);
  EXPECT_EQ(stream.WaitForEnd().error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamEventsTest, HeartbeatsFlowWhileIdle) {
  const std::string id = CreateTask("Summarize the stack");
  auto stream = Stream(id);
  ASSERT_TRUE(stream->WaitForTurnEnds(1));
  EXPECT_TRUE(stream->WaitForHeartbeats(2));
}

TEST_F(StreamEventsTest, ACancelClosesTheUpstreamConnectionPromptly) {
  const std::string id = CreateTask("Summarize the stack");
  auto stream = Stream(id);
  ASSERT_TRUE(stream->WaitForTurnEnds(1));
  ASSERT_TRUE(WaitForOpenStreams(1, kWait));
  const absl::Time cancelled_at = absl::Now();
  stream->Cancel();
  EXPECT_EQ(stream->WaitForEnd().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitForOpenStreams(0, absl::Seconds(1)))
      << "the emulator still holds " << emulator_->open_stream_count()
      << " streams";
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
}

TEST_F(StreamEventsTest, ManyConcurrentStreamsEachSeeEveryEvent) {
  const std::string id = CreateTask("Summarize the stack");
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (int i = 0; i < 20; ++i) streams.push_back(Stream(id));
  for (auto& stream : streams) {
    ASSERT_TRUE(stream->WaitForTurnEnds(1));
    EXPECT_EQ(stream->events().size(), 6u);
    ExpectUniqueIds(stream->events());
  }
}

}  // namespace
}  // namespace neobridge
