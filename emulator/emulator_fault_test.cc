// Contract tests of the fault knobs: the emulator in-process over loopback,
// driven by the libcurl test client, one test (at least) per knob, through
// the admin API, the C++ API and the X-Emulator-Fault header.
#include <curl/curl.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "emulator/emulator.h"
#include "emulator/sse_format.h"
#include "emulator/test_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::ParseSseFrames;
using ::neo_emulator::testing::SseFrame;
using ::neo_emulator::testing::TestHttpClient;
using ::neo_emulator::testing::TestResponse;
using ::neo_emulator::testing::TestSseClient;
using ::neo_emulator::testing::WaitUntil;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kAlice[] = "pul-emulator-alice";
constexpr char kTasks[] = "/api/preview/agents/acme/tasks";
constexpr char kFaults[] = "/_emulator/faults";
constexpr absl::Duration kWait = absl::Seconds(10);
// How long a stalled stream must stay silent; heartbeats come every 100 ms.
constexpr absl::Duration kSilence = absl::Milliseconds(400);

std::string TaskPath(const std::string& id) {
  return absl::StrCat(kTasks, "/", id);
}

std::string FaultHeader(absl::string_view json) {
  return absl::StrCat("X-Emulator-Fault: ", json);
}

std::vector<std::string> Ids(const std::vector<SseFrame>& frames) {
  std::vector<std::string> ids;
  for (const SseFrame& frame : frames) {
    if (!frame.id.empty()) ids.push_back(frame.id);
  }
  return ids;
}

// Frames with ids (events), ignoring heartbeats and malformed frames.
size_t EventCount(const std::vector<SseFrame>& frames) {
  return Ids(frames).size();
}

class EmulatorFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start(EmulatorOptions{.agent_step_delay = absl::Milliseconds(2),
                          .heartbeat_interval = absl::Milliseconds(100)});
  }

  void Start(EmulatorOptions options) {
    emulator_.reset();
    absl::StatusOr<std::unique_ptr<Emulator>> started =
        Emulator::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<TestHttpClient>(emulator_->base_url());
  }

  TestHttpClient& client() { return *client_; }

  // A task whose scripted turn is over, and its events.
  std::string CreateIdleTask(Json* events) {
    TestResponse created = client().Post(
        kTasks, kAlice,
        Json{{"message", {{"type", "user_message"}, {"content", "faults"}}}}
            .dump());
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id = created.Json().value("taskId", "");
    EXPECT_TRUE(WaitUntil(
        [&] {
          return client()
                     .Get(TaskPath(id), kAlice)
                     .Json()
                     .value("status", "") == "idle";
        },
        kWait));
    TestResponse listed = client().Get(
        absl::StrCat(TaskPath(id), "/events?pageSize=1000"), kAlice);
    EXPECT_EQ(listed.status, 200);
    *events = listed.Json()["events"];
    EXPECT_GE(events->size(), 5u);
    return id;
  }

  std::string StreamUrl(const std::string& id) {
    return absl::StrCat(client().base_url(), TaskPath(id), "/events/stream");
  }

  std::unique_ptr<TestSseClient> OpenStream(
      const std::string& id, std::vector<std::string> extra_headers = {}) {
    extra_headers.push_back(absl::StrCat("Authorization: token ", kAlice));
    return std::make_unique<TestSseClient>(StreamUrl(id),
                                           std::move(extra_headers));
  }

  TestResponse PutFaults(const std::string& json) {
    return client().Request("PUT", kFaults, "", json);
  }

  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<TestHttpClient> client_;
};

std::string EventFrame(const Json& event, LineEnding ending = LineEnding::kLf) {
  return FormatEventFrame(event["id"].get<std::string>(), event.dump(), ending);
}

// --- Admin API and C++ API ------------------------------------------------

TEST_F(EmulatorFaultTest, AdminApiPutsGetsAndDeletesThePlan) {
  TestResponse empty = client().Get(kFaults, "");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.Header("Content-Type"), "application/json");
  EXPECT_EQ(empty.Json(), Json::object());

  const Json plan = Json::parse(R"({
      "latencyMs": 5,
      "stream": {"dropAfterEvents": 2, "times": 3},
      "fail": {"status": 429, "times": 1, "scope": "streamOpens",
               "retryAfterSeconds": 2}})");
  TestResponse put = PutFaults(plan.dump());
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Json(), plan);
  EXPECT_EQ(client().Get(kFaults, "").Json(), plan);
  EXPECT_EQ(emulator_->faults().stream->drop_after_events, 2);

  TestResponse bad = PutFaults(R"({"stream": {"lineEnding": "lfcr"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["message"],
            "invalid fault plan: invalid stream.lineEnding 'lfcr': allowed "
            "values are lf, cr, crlf");
  EXPECT_EQ(client().Get(kFaults, "").Json(), plan);  // Unchanged.

  TestResponse deleted = client().Request("DELETE", kFaults, "");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(client().Get(kFaults, "").Json(), Json::object());
  EXPECT_EQ(emulator_->faults(), FaultPlan{});

  TestResponse post = client().Post(kFaults, "", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("Allow"), "GET, PUT, DELETE");
}

TEST_F(EmulatorFaultTest, CppApiSetsTheSamePlan) {
  ASSERT_TRUE(emulator_
                  ->SetFaults({.stream = StreamFaults{.chunk_bytes = 9,
                                                      .line_ending =
                                                          LineEnding::kCrLf}})
                  .ok());
  EXPECT_EQ(client().Get(kFaults, "").Json(),
            Json::parse(R"({"stream": {"chunkBytes": 9,
                                       "lineEnding": "crlf"}})"));

  absl::Status invalid =
      emulator_->SetFaults({.fail = RequestFailure{.status = 404}});
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.message(),
            "fail.status must be one of 429, 500, 502, 503, 504");
  EXPECT_EQ(emulator_->faults().stream->chunk_bytes, 9);  // Unchanged.

  ASSERT_TRUE(emulator_->SetFaultsFromJson(R"({"latencyMs": 7})").ok());
  EXPECT_EQ(emulator_->faults(), FaultPlan{.latency = absl::Milliseconds(7)});
  EXPECT_EQ(emulator_->SetFaultsFromJson(R"({"latencyMs": -7})").message(),
            "latencyMs must be an integer between 0 and 60000");

  emulator_->ClearFaults();
  EXPECT_EQ(client().Get(kFaults, "").Json(), Json::object());
}

TEST_F(EmulatorFaultTest, AdminRequestsBypassFaults) {
  ASSERT_TRUE(emulator_
                  ->SetFaultsFromJson(R"({"latencyMs": 60000,
                      "fail": {"status": 500, "scope": "requests"}})")
                  .ok());
  const absl::Time start = absl::Now();
  EXPECT_EQ(client().Get(kFaults, "").status, 200);
  EXPECT_EQ(client().Request("DELETE", kFaults, "").status, 204);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);
}

TEST_F(EmulatorFaultTest, NoAdminOptionTurnsOffEndpointAndHeader) {
  Start(EmulatorOptions{.agent_step_delay = absl::Milliseconds(2),
                        .admin_api = false});
  TestResponse admin = client().Get(kFaults, "");
  EXPECT_EQ(admin.status, 404);
  EXPECT_THAT(admin.Json().value("message", ""),
              HasSubstr("no such endpoint: GET /_emulator/faults"));
  EXPECT_EQ(client()
                .Request("GET", kTasks, kAlice, std::nullopt,
                         {FaultHeader(R"({"fail": {"status": 503,
                                                    "scope": "requests"}})")})
                .status,
            200);
  // The C++ API still works.
  ASSERT_TRUE(
      emulator_
          ->SetFaults({.fail = RequestFailure{.status = 503,
                                              .scope = FailScope::kRequests}})
          .ok());
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 503);
}

TEST_F(EmulatorFaultTest, InvalidFaultHeaderIs400NamingTheField) {
  TestResponse response =
      client().Request("GET", kTasks, kAlice, std::nullopt,
                       {FaultHeader(R"({"stream": {"chunkBytes": 0}})")});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["message"],
            "invalid X-Emulator-Fault header: stream.chunkBytes must be an "
            "integer between 1 and 65536");
}

// --- 1. Drop a stream after N events --------------------------------------

TEST_F(EmulatorFaultTest, DropAfterTwoEventsEndsWithATransportError) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"stream": {"dropAfterEvents": 2}})").status, 200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->status(), 200);
  // No terminating chunk: curl reports a partial transfer, not CURLE_OK.
  EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE);
  EXPECT_EQ(stream->raw(), EventFrame(events[0]) + EventFrame(events[1]));
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
}

TEST_F(EmulatorFaultTest, DropMidFrameWritesHalfOfTheNextFrame) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(
      PutFaults(R"({"stream": {"dropAfterEvents": 2, "dropMidFrame": true}})")
          .status,
      200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE);
  const std::string third = EventFrame(events[2]);
  EXPECT_EQ(stream->raw(), EventFrame(events[0]) + EventFrame(events[1]) +
                               third.substr(0, third.size() / 2));
  EXPECT_EQ(EventCount(ParseSseFrames(stream->raw())), 2u);
}

TEST_F(EmulatorFaultTest, DropAfterZeroEventsFromTheHeader) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream =
      OpenStream(id, {FaultHeader(R"({"stream": {"dropAfterEvents": 0}})")});
  ASSERT_TRUE(stream->WaitForEnd(kWait));
  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE);
  EXPECT_EQ(stream->raw(), "");
  // A header plan is for its own request only.
  EXPECT_EQ(emulator_->faults(), FaultPlan{});
  auto clean = OpenStream(id);
  EXPECT_TRUE(clean->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
}

TEST_F(EmulatorFaultTest, DropsTheNextKStreamsThenStreamsNormally) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_TRUE(emulator_
                  ->SetFaults({.stream = StreamFaults{.drop_after_events = 1,
                                                      .times = 3}})
                  .ok());
  for (int remaining : {2, 1, 0}) {
    auto stream = OpenStream(id);
    ASSERT_TRUE(stream->WaitForEnd(kWait));
    EXPECT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE);
    EXPECT_EQ(stream->raw(), EventFrame(events[0]));
    if (remaining > 0) {
      EXPECT_EQ(emulator_->faults().stream->times, remaining);
    } else {
      EXPECT_EQ(emulator_->faults().stream, std::nullopt);
    }
  }
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size() &&
               frames.back().comment == "heartbeat";
      },
      kWait));
  EXPECT_FALSE(stream->ended());
}

TEST_F(EmulatorFaultTest, HundredForcedDrops) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(
      PutFaults(R"({"stream": {"dropAfterEvents": 1, "times": 100}})").status,
      200);
  for (int i = 0; i < 100; ++i) {
    auto stream = OpenStream(id);
    ASSERT_TRUE(stream->WaitForEnd(kWait)) << i;
    ASSERT_EQ(stream->curl_result(), CURLE_PARTIAL_FILE) << i;
    ASSERT_EQ(stream->raw(), EventFrame(events[0])) << i;
  }
  EXPECT_EQ(client().Get(kFaults, "").Json(), Json::object());
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
}

// --- 2. Stall without closing ---------------------------------------------

TEST_F(EmulatorFaultTest, StallWritesNothingMoreButKeepsTheConnection) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"stream": {"stallAfterEvents": 2}})").status, 200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForFrames(
      [](const std::vector<SseFrame>& frames) { return frames.size() >= 2; },
      kWait));
  const std::string before = stream->raw();
  EXPECT_EQ(before, EventFrame(events[0]) + EventFrame(events[1]));
  // New live events and heartbeats (every 100 ms) must not arrive either.
  ASSERT_EQ(
      client()
          .Post(TaskPath(id), kAlice,
                Json{{"event", {{"type", "user_message"}, {"content", "more"}}}}
                    .dump())
          .status,
      202);
  EXPECT_FALSE(WaitUntil([&] { return stream->raw() != before; }, kSilence));
  EXPECT_FALSE(stream->ended());
  EXPECT_EQ(emulator_->open_stream_count(), 1u);
  // The client hanging up is still noticed.
  stream.reset();
  EXPECT_TRUE(
      WaitUntil([&] { return emulator_->open_stream_count() == 0; }, kWait));
}

// --- 3. Tiny chunks -------------------------------------------------------

TEST_F(EmulatorFaultTest, TinyChunksDeliverTheSamePayloadInPieces) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"stream": {"chunkBytes": 7}})").status, 200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
  std::string expected;
  for (const Json& event : events) expected += EventFrame(event);
  const std::string raw = stream->raw();
  ASSERT_GE(raw.size(), expected.size());
  EXPECT_EQ(raw.substr(0, expected.size()), expected);
  EXPECT_LE(stream->max_write_bytes(), 7u);
  EXPECT_GE(static_cast<size_t>(stream->write_count()), raw.size() / 7);
}

// --- 4. Line endings ------------------------------------------------------

TEST_F(EmulatorFaultTest, CrLfLineEndings) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"stream": {"lineEnding": "crlf"}})").status, 200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(WaitUntil(
      [&] { return absl::StrContains(stream->raw(), ": heartbeat\r\n\r\n"); },
      kWait));
  const std::string raw = stream->raw();
  EXPECT_TRUE(absl::StartsWith(
      raw,
      absl::StrCat("id: ", events[0]["id"].get<std::string>(), "\r\ndata: ")));
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') {
      ASSERT_TRUE(i > 0 && raw[i - 1] == '\r') << i;
    }
  }
  const std::vector<SseFrame> frames =
      ParseSseFrames(absl::StrReplaceAll(raw, {{"\r\n", "\n"}}));
  EXPECT_EQ(EventCount(frames), events.size());
}

TEST_F(EmulatorFaultTest, CrLineEndings) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream =
      OpenStream(id, {FaultHeader(R"({"stream": {"lineEnding": "cr"}})")});
  ASSERT_TRUE(WaitUntil(
      [&] { return absl::StrContains(stream->raw(), ": heartbeat\r\r"); },
      kWait));
  const std::string raw = stream->raw();
  EXPECT_EQ(raw.find('\n'), std::string::npos);
  EXPECT_TRUE(absl::StartsWith(raw, EventFrame(events[0], LineEnding::kCr)));
  const std::vector<SseFrame> frames =
      ParseSseFrames(absl::StrReplaceAll(raw, {{"\r", "\n"}}));
  EXPECT_EQ(EventCount(frames), events.size());
}

// --- 5. Added latency -----------------------------------------------------

// --- Unary body faults ----------------------------------------------------

TEST_F(EmulatorFaultTest, MalformedJsonBodyKeepsTheStatusOnce) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(
      PutFaults(absl::StrCat(R"({"body": {"kind": "malformedJson", "path": ")",
                             TaskPath(id), R"("}})"))
          .status,
      200);
  TestResponse bad = client().Get(TaskPath(id), kAlice);
  EXPECT_EQ(bad.status, 200);
  EXPECT_EQ(bad.Header("Content-Type"), "application/json");
  EXPECT_TRUE(bad.Json().is_discarded()) << bad.body;
  // Used up: the next answer is whole.
  EXPECT_EQ(client().Get(TaskPath(id), kAlice).Json().value("id", ""), id);
  EXPECT_EQ(client().Get(kFaults, "").Json(), Json::object());
}

TEST_F(EmulatorFaultTest, TruncatedBodyClosesBeforeTheAnnouncedLength) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(
      PutFaults(absl::StrCat(R"({"body": {"kind": "truncated", "times": 2, )",
                             R"("method": "GET", "path": ")", TaskPath(id),
                             R"("}})"))
          .status,
      200);
  for (int i = 0; i < 2; ++i) {
    TestResponse cut = client().Get(TaskPath(id), kAlice);
    EXPECT_EQ(cut.status, 0) << cut.body;
    EXPECT_THAT(cut.error, HasSubstr("Transferred a partial file")) << i;
  }
  // Other methods and paths, and then every request, are served whole.
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);
  EXPECT_EQ(client().Get(TaskPath(id), kAlice).status, 200);
}

TEST_F(EmulatorFaultTest, OversizedBodyIsPaddedJson) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto response = client().Request(
      "GET", TaskPath(id), kAlice, std::nullopt,
      {FaultHeader(R"({"body": {"kind": "oversized", "bytes": 100000}})")});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 100000u);
  EXPECT_EQ(response.Json().value("id", ""), id);
}

TEST_F(EmulatorFaultTest, LatencyDelaysUnaryResponsesAndStreamOpens) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"latencyMs": 300})").status, 200);
  absl::Time start = absl::Now();
  EXPECT_EQ(client().Get(TaskPath(id), kAlice).status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(295));

  start = absl::Now();
  auto stream = OpenStream(id);
  ASSERT_TRUE(WaitUntil([&] { return stream->status() == 200; }, kWait));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(295));
  EXPECT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
}

TEST_F(EmulatorFaultTest, LatencyNeverBlocksTheLoop) {
  std::atomic<bool> slow_done{false};
  TestResponse slow;
  absl::Duration slow_took;
  std::jthread slow_thread([&] {
    const absl::Time start = absl::Now();
    slow = client().Request("GET", kTasks, kAlice, std::nullopt,
                            {FaultHeader(R"({"latencyMs": 1500})")});
    slow_took = absl::Now() - start;
    slow_done = true;
  });
  // Other requests are served while the slow one waits on its timer.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);
  }
  EXPECT_FALSE(slow_done.load());
  slow_thread.join();
  EXPECT_EQ(slow.status, 200);
  // Allow for timer granularity.
  EXPECT_GE(slow_took, absl::Milliseconds(1495));
}

TEST_F(EmulatorFaultTest, ShutdownAnswersDelayedRequests) {
  std::atomic<bool> done{false};
  TestResponse response;
  std::jthread thread([&] {
    response = client().Request("GET", kTasks, kAlice, std::nullopt,
                                {FaultHeader(R"({"latencyMs": 60000})")});
    done = true;
  });
  // Bounded wait for the request to reach the loop; if it has not, it fails
  // to connect instead, which the assertions below also accept.
  EXPECT_FALSE(WaitUntil([&] { return done.load(); }, absl::Milliseconds(200)));
  const absl::Time start = absl::Now();
  emulator_.reset();
  thread.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  if (response.status != 0) {
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.Json()["message"], "neo-emulator is shutting down");
  }
}

// --- 6. Malformed frames --------------------------------------------------

TEST_F(EmulatorFaultTest, NotJsonFrameAfterTheFirstEvent) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(
      PutFaults(R"({"stream": {"malformed": {"afterEvents": 1}}})").status,
      200);
  auto stream = OpenStream(id);
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
  const std::string raw = stream->raw();
  EXPECT_TRUE(absl::StartsWith(raw, EventFrame(events[0]) +
                                        "data: this is not json\n\n" +
                                        EventFrame(events[1])));
  const std::vector<SseFrame> frames = ParseSseFrames(raw);
  EXPECT_EQ(frames[1].id, "");
  EXPECT_TRUE(Json::parse(frames[1].data, nullptr, false).is_discarded());
  EXPECT_EQ(Ids(frames).size(), events.size());
}

TEST_F(EmulatorFaultTest, TruncatedJsonFrameBeforeTheFirstEvent) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  auto stream = OpenStream(
      id,
      {FaultHeader(R"({"stream": {"malformed": {"kind": "truncatedJson"}}})")});
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
  const std::vector<SseFrame> frames = ParseSseFrames(stream->raw());
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[0].id, "");
  EXPECT_TRUE(absl::StartsWith(frames[0].data, "{\""));
  EXPECT_TRUE(Json::parse(frames[0].data, nullptr, false).is_discarded());
  EXPECT_EQ(frames[1].id, events[0]["id"]);
}

// --- 7. 429 / 5xx on open -------------------------------------------------

TEST_F(EmulatorFaultTest, TooManyRequestsOnTheNextTwoStreamOpens) {
  Json events;
  const std::string id = CreateIdleTask(&events);
  ASSERT_EQ(PutFaults(R"({"fail": {"status": 429, "times": 2,
                                   "retryAfterSeconds": 3}})")
                .status,
            200);
  const std::string stream_path = TaskPath(id) + "/events/stream";
  for (int i = 0; i < 2; ++i) {
    // Unary requests are outside the streamOpens scope and use nothing up.
    EXPECT_EQ(client().Get(TaskPath(id), kAlice).status, 200);
    TestResponse response = client().Get(stream_path, kAlice);
    EXPECT_EQ(response.status, 429) << i;
    EXPECT_EQ(response.Header("Retry-After"), "3");
    EXPECT_EQ(response.Header("Content-Type"), "application/json");
    EXPECT_TRUE(response.Header("X-Pulumi-Request-ID").has_value());
    EXPECT_EQ(response.Json(), Json::parse(R"({"code": 429, "message":
                  "neo-emulator injected fault: 429 Too Many Requests"})"));
  }
  auto stream = OpenStream(id);  // The third open is served.
  ASSERT_TRUE(stream->WaitForFrames(
      [&](const std::vector<SseFrame>& frames) {
        return EventCount(frames) == events.size();
      },
      kWait));
  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(emulator_->faults(), FaultPlan{});
}

TEST_F(EmulatorFaultTest, ServiceUnavailableForMatchingRequests) {
  ASSERT_EQ(PutFaults(R"({"fail": {"status": 503, "scope": "requests",
                                   "method": "POST",
                                   "path": "/api/preview/agents/*/tasks",
                                   "message": "try later"}})")
                .status,
            200);
  const std::string body = R"({"message": {"content": "x"}})";
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);  // Not a POST.
  TestResponse failed = client().Post(kTasks, kAlice, body);
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.Header("Retry-After"), std::nullopt);
  EXPECT_EQ(failed.Json(),
            Json::parse(R"({"code": 503, "message": "try later"})"));
  EXPECT_EQ(client().Post(kTasks, kAlice, body).status, 201);
}

TEST_F(EmulatorFaultTest, FiveHundredsFromTheHeaderOnEveryRequest) {
  for (int status : {500, 502, 503, 504}) {
    const std::string header = FaultHeader(absl::StrCat(
        R"({"fail": {"status": )", status, R"(, "scope": "requests"}})"));
    for (int i = 0; i < 2; ++i) {
      TestResponse response =
          client().Request("GET", kTasks, kAlice, std::nullopt, {header});
      EXPECT_EQ(response.status, status);
      EXPECT_EQ(response.Json()["code"], status);
    }
  }
  EXPECT_EQ(client().Get(kTasks, kAlice).status, 200);
}

}  // namespace
}  // namespace neo_emulator
