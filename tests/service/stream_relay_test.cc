// Service tests of the StreamTaskEvents relay: AgentTasksService on an
// in-process gRPC server, RestNeoClient over a FakeHttpTransport whose
// streams the test drives byte by byte: drops, replays, pauses, errors.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/service/agent_tasks_service.h"
#include "bridge/upstream/fake_http_transport.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/support/stream_reader.h"

namespace neobridge::service {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using upstream::FakeHttpTransport;
using upstream::HttpTransport;

constexpr absl::Duration kWait = absl::Seconds(10);

// One SSE frame carrying a console event with id `id`.
std::string Frame(const std::string& id) {
  return absl::StrCat(
      "id: ", id, "\ndata: {\"id\":\"", id,
      "\",\"isSynthetic\":false,\"type\":\"agentResponse\",\"eventBody\":{"
      "\"type\":\"warning\",\"timestamp\":\"2026-01-01T00:00:00Z\","
      "\"message\":\"m\"}}\n\n");
}

using Reader = ::neobridge::test_support::StreamReader;

class StreamRelayTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(stream::StreamOptions stream_options) {
    if (server_ != nullptr) server_->Shutdown();
    stream_options.backoff.initial = absl::Milliseconds(1);
    stream_options.backoff.max = absl::Milliseconds(5);
    if (stream_options.retry_budget == absl::Minutes(5)) {
      stream_options.retry_budget = absl::Seconds(5);
    }
    // The upstream transfer ends with its last caller.
    stream_options.linger = absl::ZeroDuration();
    client_ = std::make_unique<client::RestNeoClient>(
        transport_,
        client::RestNeoClientOptions{.base_url = "http://neo.test"});
    tokens_ = std::make_unique<ServiceTokenSource>("pul-service", "");
    service_ = std::make_unique<AgentTasksService>(
        *client_, tokens_.get(),
        AgentTasksServiceOptions{.default_org = "acme",
                                 .stream = stream_options});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    // A fixed receive window (no BDP probing, which may grow it to many
    // megabytes on a busy machine), so a caller that does not read is slow
    // for a known number of bytes.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
    stub_ = v1::AgentTasksService::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                  grpc::InsecureChannelCredentials(), args));
  }

  void TearDown() override { server_->Shutdown(); }

  v1::StreamTaskEventsRequest Request(const std::string& last_event_id = "") {
    v1::StreamTaskEventsRequest request;
    request.set_task_id("t-1");
    request.set_last_event_id(last_event_id);
    return request;
  }

  // The id of the `n`th (1-based) upstream stream request, once made.
  HttpTransport::RequestId NthStream(size_t n) {
    EXPECT_TRUE(transport_.WaitForRequests(n, kWait));
    auto requests = transport_.requests();
    return requests.size() >= n ? requests[n - 1].id : 0;
  }

  std::optional<std::string> LastEventIdHeader(size_t n) {
    auto requests = transport_.requests();
    if (requests.size() < n) return std::nullopt;
    for (const auto& [name, value] : requests[n - 1].request.headers) {
      if (name == "Last-Event-ID") return value;
    }
    return std::nullopt;
  }

  FakeHttpTransport transport_;
  std::unique_ptr<client::RestNeoClient> client_;
  std::unique_ptr<ServiceTokenSource> tokens_;
  std::unique_ptr<AgentTasksService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
};

TEST_F(StreamRelayTest, OpensTheSseRouteWithTheRightHeaders) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId id = NthStream(1);
  upstream::HttpRequest sent = transport_.requests()[0].request;
  EXPECT_TRUE(transport_.requests()[0].stream);
  EXPECT_EQ(sent.url,
            "http://neo.test/api/preview/agents/acme/tasks/t-1/events/stream");
  EXPECT_THAT(sent.headers, Contains(Pair("Accept", "text/event-stream")));
  EXPECT_THAT(sent.headers, Contains(Pair("Cache-Control", "no-cache")));
  EXPECT_THAT(sent.headers,
              Contains(Pair("Authorization", "token pul-service")));
  EXPECT_EQ(LastEventIdHeader(1), std::nullopt) << "never an empty header";
  transport_.StreamPush(id, Frame("e1"));
  transport_.StreamEnd(id);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_THAT(reader.ids(), ElementsAre("e1"));
}

TEST_F(StreamRelayTest, TheCallerCanResumeAfterAnEventId) {
  Reader reader(*stub_, Request("e7"));
  NthStream(1);
  EXPECT_EQ(LastEventIdHeader(1), "e7");
}

TEST_F(StreamRelayTest, ReconnectsAfterADropWithoutLossOrDuplicates) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId first = NthStream(1);
  transport_.StreamPush(first, Frame("e1") + Frame("e2"));
  ASSERT_TRUE(reader.WaitForEvents(2));
  transport_.StreamEnd(first, absl::UnavailableError("connection reset"));

  HttpTransport::RequestId second = NthStream(2);
  EXPECT_EQ(LastEventIdHeader(2), "e2");
  // The upstream replays e2 (and e1) anyway: they must not reach the caller
  // twice.
  transport_.StreamPush(second, Frame("e1") + Frame("e2") + Frame("e3"));
  transport_.StreamEnd(second);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_THAT(reader.ids(), ElementsAre("e1", "e2", "e3"));
}

TEST_F(StreamRelayTest, AReplayOfRecentEventsIsDroppedWithBoundedMemory) {
  stream::StreamOptions options;
  options.history_events = 16;
  options.max_lag = 16;
  options.queue_capacity = 16;
  Start(options);
  Reader reader(*stub_, Request());
  HttpTransport::RequestId first = NthStream(1);
  std::string frames;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    frames += Frame(absl::StrCat("e", i));
    expected.push_back(absl::StrCat("e", i));
  }
  transport_.StreamPush(first, frames);
  ASSERT_TRUE(reader.WaitForEvents(100));
  transport_.StreamEnd(first, absl::UnavailableError("reset"));
  HttpTransport::RequestId second = NthStream(2);
  EXPECT_EQ(LastEventIdHeader(2), "e99");
  // The upstream repeats the last 16 events (the window), then goes on.
  std::string replay;
  for (int i = 84; i < 100; ++i) replay += Frame(absl::StrCat("e", i));
  transport_.StreamPush(second, replay + Frame("e100"));
  expected.push_back("e100");
  transport_.StreamEnd(second);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_EQ(reader.ids(), expected);
}

TEST_F(StreamRelayTest, AnEndInTheMiddleOfAnEventIsADrop) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId first = NthStream(1);
  const std::string frame = Frame("e2");
  transport_.StreamPush(first, Frame("e1") + frame.substr(0, 20));
  transport_.StreamEnd(first);  // A clean EOF, but mid-event.
  HttpTransport::RequestId second = NthStream(2);
  EXPECT_EQ(LastEventIdHeader(2), "e1");
  transport_.StreamPush(second, frame);
  transport_.StreamEnd(second);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_THAT(reader.ids(), ElementsAre("e1", "e2"));
}

TEST_F(StreamRelayTest, ManyDropsLoseNothing) {
  Reader reader(*stub_, Request());
  std::vector<std::string> expected;
  for (int drop = 0; drop < 50; ++drop) {
    HttpTransport::RequestId id = NthStream(drop + 1);
    // Replay the previous event, then a new one, then drop.
    if (drop > 0) transport_.StreamPush(id, Frame(absl::StrCat("e", drop - 1)));
    transport_.StreamPush(id, Frame(absl::StrCat("e", drop)));
    expected.push_back(absl::StrCat("e", drop));
    ASSERT_TRUE(reader.WaitForEvents(expected.size()));
    transport_.StreamEnd(id, absl::UnavailableError("reset"));
  }
  HttpTransport::RequestId last = NthStream(51);
  transport_.StreamEnd(last);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_EQ(reader.ids(), expected);
}

TEST_F(StreamRelayTest, ASlowCallerPausesTheUpstream) {
  stream::StreamOptions options;
  options.queue_capacity = 4;
  Start(options);
  Reader reader(*stub_, Request(), kWait, /*start_reading=*/false);
  HttpTransport::RequestId id = NthStream(1);
  std::vector<std::string> expected;
  // More than gRPC's flow-control window plus the queue can hold.
  const std::string padding(16 * 1024, 'x');
  for (int i = 0; i < 200; ++i) {
    const std::string event_id = absl::StrCat("e", i);
    expected.push_back(event_id);
    transport_.StreamPush(
        id, absl::StrCat("id: ", event_id, "\ndata: {\"id\":\"", event_id,
                         "\",\"type\":\"agentResponse\",\"eventBody\":{"
                         "\"type\":\"warning\",\"message\":\"",
                         padding, "\"}}\n\n"));
  }
  EXPECT_TRUE(transport_.WaitForPaused(id, kWait))
      << "the relay never paused its upstream transfer";
  reader.StartReading();
  ASSERT_TRUE(reader.WaitForEvents(expected.size()));
  transport_.StreamEnd(id);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_EQ(reader.ids(), expected);
}

TEST_F(StreamRelayTest, CallersOfOneTaskShareOneUpstreamRequest) {
  Reader first(*stub_, Request());
  HttpTransport::RequestId id = NthStream(1);
  transport_.StreamPush(id, Frame("e1"));
  ASSERT_TRUE(first.WaitForEvents(1));
  Reader second(*stub_, Request());
  Reader third(*stub_, Request());
  transport_.StreamPush(id, Frame("e2") + Frame("e3"));
  for (Reader* reader : {&first, &second, &third}) {
    ASSERT_TRUE(reader->WaitForEvents(3));
  }
  transport_.StreamEnd(id);
  for (Reader* reader : {&first, &second, &third}) {
    EXPECT_TRUE(reader->WaitForEnd().ok());
    EXPECT_THAT(reader->ids(), ElementsAre("e1", "e2", "e3"));
  }
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(StreamRelayTest, ASlowCallerIsEndedWithoutSlowingTheOthers) {
  stream::StreamOptions options;
  options.queue_capacity = 4;
  options.max_lag = 16;
  Start(options);
  // The slow caller comes first, so it is attached once the upstream
  // request is made.
  Reader slow(*stub_, Request(), kWait, /*start_reading=*/false);
  HttpTransport::RequestId id = NthStream(1);
  Reader fast(*stub_, Request());
  transport_.StreamPush(id, Frame("e0"));
  ASSERT_TRUE(fast.WaitForEvents(1));
  std::vector<std::string> expected = {"e0"};
  // More than gRPC's flow-control window holds for the slow caller.
  const std::string padding(16 * 1024, 'x');
  for (int i = 1; i <= 200; ++i) {
    const std::string event_id = absl::StrCat("e", i);
    expected.push_back(event_id);
    transport_.StreamPush(
        id, absl::StrCat("id: ", event_id, "\ndata: {\"id\":\"", event_id,
                         "\",\"type\":\"agentResponse\",\"eventBody\":{"
                         "\"type\":\"warning\",\"message\":\"",
                         padding, "\"}}\n\n"));
  }
  // The fast caller gets everything and the end while the slow one reads
  // nothing.
  ASSERT_TRUE(fast.WaitForEvents(expected.size()));
  transport_.StreamEnd(id);
  EXPECT_TRUE(fast.WaitForEnd().ok());
  EXPECT_EQ(fast.ids(), expected);

  slow.StartReading();
  grpc::Status status = slow.WaitForEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("fell too far behind"));
  const std::vector<std::string> got = slow.ids();
  ASSERT_LT(got.size(), expected.size());
  EXPECT_EQ(got, std::vector<std::string>(expected.begin(),
                                          expected.begin() + got.size()));
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("last_event_id \"", got.back(), "\"")));
}

TEST_F(StreamRelayTest, AFailedFirstOpenIsReportedNotRetried) {
  {
    Reader reader(*stub_, Request());
    HttpTransport::RequestId id = NthStream(1);
    transport_.StreamStart(id, 404);
    transport_.StreamPush(id, R"({"code":404,"message":"task not found"})");
    transport_.StreamEnd(id);
    grpc::Status status = reader.WaitForEnd();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("task not found"));
  }
  {
    Reader reader(*stub_, Request());
    HttpTransport::RequestId id = NthStream(2);
    transport_.StreamEnd(id, absl::UnavailableError("connection refused"));
    EXPECT_EQ(reader.WaitForEnd().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(StreamRelayTest, TransientErrorsOnReconnectAreRetried) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId first = NthStream(1);
  transport_.StreamPush(first, Frame("e1"));
  ASSERT_TRUE(reader.WaitForEvents(1));
  transport_.StreamEnd(first, absl::UnavailableError("reset"));
  HttpTransport::RequestId second = NthStream(2);
  transport_.StreamStart(second, 503);
  transport_.StreamEnd(second);
  HttpTransport::RequestId third = NthStream(3);
  transport_.StreamStart(third, 404);
  transport_.StreamEnd(third);
  EXPECT_EQ(reader.WaitForEnd().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(reader.ids(), ElementsAre("e1"));
}

TEST_F(StreamRelayTest, GivesUpWhenTheRetryBudgetIsSpent) {
  stream::StreamOptions options;
  options.retry_budget = absl::Milliseconds(300);
  Start(options);
  Reader reader(*stub_, Request());
  HttpTransport::RequestId first = NthStream(1);
  transport_.StreamPush(first, Frame("e1"));
  ASSERT_TRUE(reader.WaitForEvents(1));
  // From now on every reconnect fails at once.
  for (size_t n = 1;; ++n) {
    HttpTransport::RequestId id = NthStream(n);
    transport_.StreamEnd(id, absl::UnavailableError("reset"));
    if (!transport_.WaitForRequests(n + 1, absl::Seconds(2))) break;
    ASSERT_LT(n, 10000u);
  }
  grpc::Status status = reader.WaitForEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("resume with last_event_id"));
}

TEST_F(StreamRelayTest, MalformedFramesAreSkipped) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId id = NthStream(1);
  transport_.StreamPush(
      id, Frame("e1") + "id: bad\ndata: {not json\n\n" + Frame("e2"));
  transport_.StreamEnd(id);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_THAT(reader.ids(), ElementsAre("e1", "e2"));
}

TEST_F(StreamRelayTest, UnknownEventTypesAreRelayed) {
  Reader reader(*stub_, Request());
  HttpTransport::RequestId id = NthStream(1);
  transport_.StreamPush(
      id,
      "id: n1\ndata: {\"id\":\"n1\",\"type\":\"triggerInput\","
      "\"eventBody\":{\"x\":1}}\n\n");
  transport_.StreamEnd(id);
  EXPECT_TRUE(reader.WaitForEnd().ok());
  EXPECT_THAT(reader.ids(), ElementsAre("n1"));
}

TEST_F(StreamRelayTest, CancelAbortsTheUpstreamTransfer) {
  auto reader = std::make_unique<Reader>(*stub_, Request());
  HttpTransport::RequestId id = NthStream(1);
  transport_.StreamPush(id, Frame("e1"));
  ASSERT_TRUE(reader->WaitForEvents(1));
  reader.reset();  // Cancels the call.
  EXPECT_TRUE(transport_.WaitForCancelled(id, kWait));
  EXPECT_THAT(transport_.cancelled(), Contains(id));
  EXPECT_EQ(transport_.requests().size(), 1u);
}

}  // namespace
}  // namespace neobridge::service
