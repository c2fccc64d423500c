// The faults suite: the real neo-bridge binary talks to an in-process
// neo-emulator through FaultProxy. The proxy breaks the network (latency,
// bandwidth, slices, resets mid-response, stalls without FIN, upstream
// restarts); the emulator's knobs break the API (429 with Retry-After, 5xx
// bursts, malformed, truncated and oversized bodies). For each fault the
// caller gets an exact status, streams resume with every event exactly once,
// and the bridge neither crashes nor leaks file descriptors or memory over
// repeated rounds.
#include <dirent.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "tests/faults/fault_proxy.h"
#include "tests/support/child_process.h"
#include "tests/support/rpc_status.h"
#include "tests/support/stream_reader.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;

using ::neobridge::faults::Direction;
using ::neobridge::faults::FaultProxy;
using ::neobridge::test_support::ChildProcess;
using ::neobridge::test_support::ErrorReason;
using ::neobridge::test_support::ListeningLogField;
using ::neobridge::test_support::StreamReader;

constexpr absl::Duration kWait = absl::Seconds(20);

// Under AddressSanitizer (tests/sanitizers/run.sh asan builds the bridge
// binary with it too) freed memory sits in ASan's quarantine, so resident
// memory says nothing about leaks; LSan checks the bridge for those when it
// exits instead.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRssIsMeaningful = false;
#else
constexpr bool kRssIsMeaningful = true;
#endif
#else
constexpr bool kRssIsMeaningful = true;
#endif
constexpr grpc::StatusCode kOk = grpc::StatusCode::OK;

// The pid of this process's child running `name` (ChildProcess keeps its
// own private); -1 when there is none.
int OpenFds(pid_t pid) {
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count;
}

// VmRSS in KiB; -1 when unreadable.
int64_t RssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kib = 0;
    return absl::SimpleAtoi(rest, &kib) ? kib : -1;
  }
  return -1;
}

// Waits for `condition` to hold, polling; false when it did not by
// `timeout`.
bool WaitUntil(const std::function<bool()>& condition,
               absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message(),
                      " reason=", ErrorReason(status));
}

// Emulator, proxy and bridge process, started fresh for each test.
class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = neo_emulator::Emulator::Start(EmulatorOptions(0));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto proxy = FaultProxy::Start({.upstream_port = emulator_->port()});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);

    auto child = ChildProcess::Start(
        {.argv = {NEO_BRIDGE_BINARY, "--listen=127.0.0.1:0",
                  "--metrics-listen=off",
                  absl::StrCat("--upstream-url=http://127.0.0.1:",
                               proxy_->port()),
                  "--default-org=acme", "--stream-idle-timeout=600ms",
                  "--stream-linger=0s", "--upstream-probe-interval=1h",
                  "--connect-timeout=1s", "--request-timeout=2s",
                  "--shutdown-drain-window=100ms", "--shutdown-timeout=5s"},
         .env = {"PULUMI_ACCESS_TOKEN=pul-emulator-alice",
                 "NEO_BRIDGE_SERVICE_TOKEN_POLICY=open"}});
    ASSERT_TRUE(child.ok()) << child.status();
    bridge_ = *std::move(child);
    ASSERT_TRUE(bridge_->WaitForStderr("\"msg\":\"listening\"", kWait))
        << bridge_->Stderr();
    stub_ = v1::AgentTasksService::NewStub(
        grpc::CreateChannel(ListeningLogField(*bridge_, "address"),
                            grpc::InsecureChannelCredentials()));
    pid_ = bridge_->pid();
  }

  void TearDown() override {
    if (bridge_ == nullptr) return;
    // No crash: still running after every fault, and a clean exit.
    EXPECT_FALSE(bridge_->WaitForExit(absl::ZeroDuration()).has_value())
        << bridge_->Stderr();
    bridge_->Signal(SIGTERM);
    EXPECT_EQ(bridge_->WaitForExit(kWait), 0) << bridge_->Stderr();
  }

  static neo_emulator::EmulatorOptions EmulatorOptions(int port) {
    return {.port = port,
            .agent_step_delay = absl::Milliseconds(2),
            // Frequent heartbeats: only a real stall silences a stream for
            // the bridge's idle timeout.
            .heartbeat_interval = absl::Milliseconds(100)};
  }

  // Back to a clean network and a clean emulator.
  void ClearFaults() {
    proxy_->Clear();
    emulator_->ClearFaults();
  }

  void SetEmulatorFaults(const std::string& json) {
    absl::Status status = emulator_->SetFaultsFromJson(json);
    ASSERT_TRUE(status.ok()) << status;
  }

  static std::string TaskPath(const std::string& id) {
    return absl::StrCat("/api/preview/agents/acme/tasks/", id);
  }

  grpc::Status GetTask(const std::string& id,
                       absl::Duration deadline = absl::InfiniteDuration()) {
    grpc::ClientContext context;
    if (deadline != absl::InfiniteDuration()) {
      context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    }
    v1::GetTaskRequest request;
    request.set_task_id(id);
    v1::GetTaskResponse response;
    grpc::Status status = stub_->GetTask(&context, request, &response);
    if (status.ok()) {
      EXPECT_EQ(response.task().id(), id);
    }
    return status;
  }

  grpc::Status CreateTask(std::string* id) {
    grpc::ClientContext context;
    v1::CreateTaskRequest request;
    request.mutable_message()->mutable_user_message()->set_content("Go");
    v1::CreateTaskResponse response;
    grpc::Status status = stub_->CreateTask(&context, request, &response);
    if (id != nullptr) *id = response.task_id();
    return status;
  }

  grpc::Status Respond(const std::string& id, const std::string& text) {
    grpc::ClientContext context;
    v1::RespondToTaskRequest request;
    request.set_task_id(id);
    request.mutable_event()->mutable_user_message()->set_content(text);
    v1::RespondToTaskResponse response;
    return stub_->RespondToTask(&context, request, &response);
  }

  // The task's events as the emulator holds them, listed through a clean
  // network; turn ends counted into `turns`.
  std::vector<std::string> ListedIds(const std::string& id,
                                     int* turns = nullptr) {
    v1::ListTaskEventsRequest request;
    request.set_task_id(id);
    request.set_page_size(1000);
    grpc::ClientContext context;
    v1::ListTaskEventsResponse response;
    grpc::Status status = stub_->ListTaskEvents(&context, request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::vector<std::string> ids;
    int ended = 0;
    for (const auto& event : response.events()) {
      ids.push_back(event.id());
      ended += event.ends_turn() ? 1 : 0;
    }
    if (turns != nullptr) *turns = ended;
    return ids;
  }

  void WaitForTurns(const std::string& id, int turns) {
    int ended = 0;
    EXPECT_TRUE(WaitUntil([&] {
      ListedIds(id, &ended);
      return ended >= turns;
    })) << ended
        << " of " << turns << " turns";
  }

  // A finished task with `turns` turns (6 + 5 per further turn events).
  std::string TaskWithTurns(int turns) {
    std::string id;
    grpc::Status created = CreateTask(&id);
    EXPECT_TRUE(created.ok()) << Describe(created);
    WaitForTurns(id, 1);
    for (int turn = 2; turn <= turns; ++turn) {
      grpc::Status responded = Respond(id, absl::StrCat("Turn ", turn));
      EXPECT_TRUE(responded.ok()) << Describe(responded);
      WaitForTurns(id, turn);
    }
    return id;
  }

  // Expects the open stream to have delivered exactly `expected`, in order.
  static void ExpectExactly(StreamReader& reader,
                            const std::vector<std::string>& expected) {
    EXPECT_TRUE(reader.WaitForEvents(expected.size())) << reader.status_text();
    const std::vector<std::string> ids = reader.ids();
    EXPECT_EQ(ids, expected) << reader.status_text();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  }

  // Streams the task (set up by the caller's faults) and expects every
  // event the emulator holds exactly once.
  void ExpectStreamExactlyOnce(const std::string& id,
                               const std::vector<std::string>& expected) {
    v1::StreamTaskEventsRequest request;
    request.set_task_id(id);
    StreamReader reader(*stub_, request, kWait);
    ExpectExactly(reader, expected);
  }

  static void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                           const std::string& reason = "") {
    EXPECT_EQ(status.error_code(), code) << Describe(status);
    if (!reason.empty()) {
      EXPECT_EQ(ErrorReason(status), reason);
    }
  }

  // The scenarios: each creates its tasks, breaks something, asserts what
  // the caller gets. Public so tests can name them by member pointer.
 public:
  // ---- Network faults (FaultProxy) ----

  void Latency() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    proxy_->SetLatency(Direction::kDownstream, absl::Milliseconds(400));
    ExpectStatus(GetTask(id, absl::Milliseconds(150)),
                 grpc::StatusCode::DEADLINE_EXCEEDED);
    proxy_->SetLatency(Direction::kDownstream, absl::Milliseconds(20));
    proxy_->SetLatency(Direction::kUpstream, absl::Milliseconds(20));
    ExpectStatus(GetTask(id), kOk);
    ExpectStreamExactlyOnce(id, expected);
  }

  void Bandwidth() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    proxy_->SetBandwidth(Direction::kDownstream, 32 << 10);
    proxy_->SetBandwidth(Direction::kUpstream, 8 << 10);
    ExpectStatus(GetTask(id), kOk);
    ExpectStreamExactlyOnce(id, expected);
    // A response that cannot arrive in time at 100 bytes per second.
    proxy_->SetBandwidth(Direction::kDownstream, 100);
    ExpectStatus(GetTask(id, absl::Milliseconds(300)),
                 grpc::StatusCode::DEADLINE_EXCEEDED);
  }

  void Slicing() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    proxy_->SetSlicing(Direction::kDownstream, 16, absl::Milliseconds(1));
    proxy_->SetSlicing(Direction::kUpstream, 5, absl::Milliseconds(1));
    ExpectStatus(GetTask(id), kOk);
    ExpectStreamExactlyOnce(id, expected);
  }

  void ResetMidResponse() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    const auto resets = [&] { return proxy_->stats().resets; };
    // One reset: the GET is sent again and succeeds.
    int64_t before = resets();
    proxy_->ResetAfter(60, 1);
    ExpectStatus(GetTask(id), kOk);
    EXPECT_EQ(resets(), before + 1);
    // Every attempt reset: UNAVAILABLE once the retries are spent.
    before = resets();
    proxy_->ResetAfter(60, 1000);
    ExpectStatus(GetTask(id), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_UNREACHABLE");
    // The bridge's 4 attempts; curl itself sends a request again once when
    // a reused connection dies before any answer.
    EXPECT_GE(resets(), before + 4);
    // A POST is not retried: it may have arrived.
    proxy_->ResetAfter(30, 1);
    ExpectStatus(CreateTask(nullptr), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_UNREACHABLE");
    // A stream reset after its head and a few events resumes where it was.
    before = resets();
    proxy_->ResetAfter(1500, 1);
    ExpectStreamExactlyOnce(id, expected);
    EXPECT_EQ(resets(), before + 1);
  }

  void StallWithoutFin() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    // Nothing comes back and nothing closes: the caller's deadline ends it.
    proxy_->StallAfter(0, 1);
    ExpectStatus(GetTask(id, absl::Milliseconds(500)),
                 grpc::StatusCode::DEADLINE_EXCEEDED);
    ExpectStatus(GetTask(id), kOk);
    // Without a caller deadline, --request-timeout bounds the wait.
    proxy_->StallAfter(0, 1);
    ExpectStatus(GetTask(id), grpc::StatusCode::DEADLINE_EXCEEDED,
                 "UPSTREAM_TIMEOUT");
    // A stream stalled after a few events is reopened after the idle
    // timeout and resumes where it was.
    proxy_->StallAfter(1500, 1);
    ExpectStreamExactlyOnce(id, expected);
  }

  void UpstreamRestart() {
    const std::string id = TaskWithTurns(1);
    std::vector<std::string> expected = ListedIds(id);
    v1::StreamTaskEventsRequest request;
    request.set_task_id(id);
    StreamReader reader(*stub_, request, kWait);
    ASSERT_TRUE(reader.WaitForEvents(expected.size())) << reader.status_text();
    // Down: the stream's connection is reset, unary calls fail once their
    // retries are spent, and the stream's reconnects are refused.
    proxy_->SetDown(true);
    ExpectStatus(GetTask(id), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_UNREACHABLE");
    const int64_t refused = proxy_->stats().refused;
    ASSERT_TRUE(WaitUntil([&] { return proxy_->stats().refused > refused; }));
    // Up again: the stream resumes, and events of a new turn arrive once.
    proxy_->SetDown(false);
    grpc::Status responded = Respond(id, "after the restart");
    ASSERT_TRUE(responded.ok()) << Describe(responded);
    WaitForTurns(id, 2);
    expected = ListedIds(id);
    ExpectExactly(reader, expected);
  }

  // The emulator process itself stops and starts again on the same port,
  // forgetting every task.
  void EmulatorRestart() {
    const std::string id = TaskWithTurns(1);
    const std::vector<std::string> expected = ListedIds(id);
    v1::StreamTaskEventsRequest request;
    request.set_task_id(id);
    StreamReader reader(*stub_, request, kWait);
    ASSERT_TRUE(reader.WaitForEvents(expected.size())) << reader.status_text();
    const int port = emulator_->port();
    // A stopping emulator ends its streams cleanly (the terminating chunk):
    // the upstream said the stream is over, so the caller's ends with OK,
    // every event delivered once.
    emulator_.reset();
    ExpectStatus(reader.WaitForEnd(), kOk);
    EXPECT_EQ(reader.ids(), expected);
    // Nothing listens behind the proxy: connections are refused.
    ExpectStatus(GetTask(id), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_UNREACHABLE");
    auto restarted = neo_emulator::Emulator::Start(EmulatorOptions(port));
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    emulator_ = *std::move(restarted);
    // The task is gone: reading it, or resuming its stream, is NOT_FOUND.
    ExpectStatus(GetTask(id), grpc::StatusCode::NOT_FOUND,
                 "UPSTREAM_NOT_FOUND");
    request.set_last_event_id(expected.back());
    StreamReader resumed(*stub_, request, kWait);
    ExpectStatus(resumed.WaitForEnd(), grpc::StatusCode::NOT_FOUND,
                 "UPSTREAM_NOT_FOUND");
    TaskWithTurns(1);  // New tasks work as usual.
  }

  // ---- API faults (emulator knobs) ----

  void RateLimited() {
    const std::string id = TaskWithTurns(1);
    const std::string path = TaskPath(id);
    // Retry-After is honoured: the GET is sent again after it.
    SetEmulatorFaults(absl::StrCat(
        R"({"fail": {"status": 429, "retryAfterSeconds": 1, "times": 1, )",
        R"("scope": "requests", "method": "GET", "path": ")", path, R"("}})"));
    const absl::Time start = absl::Now();
    ExpectStatus(GetTask(id), kOk);
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(950));
    // A Retry-After beyond the caller's deadline: no waiting, the 429.
    SetEmulatorFaults(absl::StrCat(
        R"({"fail": {"status": 429, "retryAfterSeconds": 5, "times": 100, )",
        R"("scope": "requests", "method": "GET", "path": ")", path, R"("}})"));
    const absl::Time second = absl::Now();
    ExpectStatus(GetTask(id, absl::Seconds(2)),
                 grpc::StatusCode::RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED");
    EXPECT_LT(absl::Now() - second, absl::Seconds(1));
    // POSTs are never retried.
    SetEmulatorFaults(
        R"({"fail": {"status": 429, "times": 1, "scope": "requests",
                     "method": "POST"}})");
    ExpectStatus(CreateTask(nullptr), grpc::StatusCode::RESOURCE_EXHAUSTED,
                 "UPSTREAM_RATE_LIMITED");
  }

  void ServerErrorBursts() {
    const std::string id = TaskWithTurns(2);
    const std::vector<std::string> expected = ListedIds(id);
    const std::string path = TaskPath(id);
    auto fail = [&](int status, int times) {
      SetEmulatorFaults(absl::StrCat(
          R"({"fail": {"status": )", status, R"(, "times": )", times,
          R"(, "scope": "requests", "method": "GET",)"
          R"( "path": ")",
          path, R"("}})"));
    };
    fail(503, 2);  // A burst shorter than the retries: absorbed.
    ExpectStatus(GetTask(id), kOk);
    fail(500, 1);  // The server meant it: not retried.
    ExpectStatus(GetTask(id), grpc::StatusCode::INTERNAL,
                 "UPSTREAM_SERVER_ERROR");
    fail(502, 100);
    ExpectStatus(GetTask(id), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_SERVER_ERROR");
    fail(504, 100);
    ExpectStatus(GetTask(id), grpc::StatusCode::DEADLINE_EXCEEDED,
                 "UPSTREAM_TIMEOUT");
    // A stream's first open answered 503 is reported, not retried.
    ClearFaults();
    SetEmulatorFaults(R"({"fail": {"status": 503, "times": 1}})");
    {
      v1::StreamTaskEventsRequest request;
      request.set_task_id(id);
      StreamReader reader(*stub_, request, kWait);
      ExpectStatus(reader.WaitForEnd(), grpc::StatusCode::UNAVAILABLE,
                   "UPSTREAM_SERVER_ERROR");
    }
    // A reopen after a drop that meets a 503 is retried: every event once.
    SetEmulatorFaults(R"({"stream": {"dropAfterEvents": 4, "times": 1}})");
    v1::StreamTaskEventsRequest request;
    request.set_task_id(id);
    StreamReader reader(*stub_, request, kWait);
    ASSERT_TRUE(reader.WaitForEvents(4)) << reader.status_text();
    // The reconnect waits for its backoff (about 1 s): time enough.
    SetEmulatorFaults(R"({"fail": {"status": 503, "times": 1}})");
    ExpectExactly(reader, expected);
    EXPECT_FALSE(emulator_->faults().fail.has_value());  // It was met.
  }

  void MalformedJsonBody() {
    const std::string id = TaskWithTurns(1);
    SetEmulatorFaults(absl::StrCat(
        R"({"body": {"kind": "malformedJson", "method": "GET", "path": ")",
        TaskPath(id), R"("}})"));
    ExpectStatus(GetTask(id), grpc::StatusCode::INTERNAL,
                 "UPSTREAM_MALFORMED_RESPONSE");
    ExpectStatus(GetTask(id), kOk);
  }

  void TruncatedBody() {
    const std::string id = TaskWithTurns(1);
    auto truncate = [&](int times) {
      SetEmulatorFaults(absl::StrCat(
          R"({"body": {"kind": "truncated", "method": "GET", "times": )", times,
          R"(, "path": ")", TaskPath(id), R"("}})"));
    };
    truncate(1);  // Retried: the connection broke before the answer was in.
    ExpectStatus(GetTask(id), kOk);
    truncate(100);
    ExpectStatus(GetTask(id), grpc::StatusCode::UNAVAILABLE,
                 "UPSTREAM_UNREACHABLE");
  }

  void OversizedBody() {
    const std::string id = TaskWithTurns(1);
    // One byte over the bridge's 16 MiB cap on upstream responses.
    SetEmulatorFaults(absl::StrCat(
        R"({"body": {"kind": "oversized", "method": "GET", "path": ")",
        TaskPath(id), R"("}})"));
    ExpectStatus(GetTask(id), grpc::StatusCode::RESOURCE_EXHAUSTED,
                 "UPSTREAM_MALFORMED_RESPONSE");
    ExpectStatus(GetTask(id), kOk);
  }

  // Runs one scenario and clears every fault after it.
 protected:
  void Run(void (FaultsTest::*scenario)()) {
    (this->*scenario)();
    ClearFaults();
  }

  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<ChildProcess> bridge_;
  std::unique_ptr<v1::AgentTasksService::Stub> stub_;
  pid_t pid_ = -1;
};

TEST_F(FaultsTest, Latency) { Run(&FaultsTest::Latency); }
TEST_F(FaultsTest, Bandwidth) { Run(&FaultsTest::Bandwidth); }
TEST_F(FaultsTest, Slicing) { Run(&FaultsTest::Slicing); }
TEST_F(FaultsTest, ResetMidResponse) { Run(&FaultsTest::ResetMidResponse); }
TEST_F(FaultsTest, StallWithoutFin) { Run(&FaultsTest::StallWithoutFin); }
// A stream whose first open stalls before the response head: no idle
// timeout applies yet; --request-timeout (2 s here) bounds the wait for the
// head, well before the caller's own deadline.
TEST_F(FaultsTest, StreamOpenStalledBeforeItsHead) {
  const std::string id = TaskWithTurns(1);
  proxy_->StallAfter(0, 1);
  v1::StreamTaskEventsRequest request;
  request.set_task_id(id);
  const absl::Time start = absl::Now();
  StreamReader reader(*stub_, request, absl::Seconds(40));
  ExpectStatus(reader.WaitForEnd(), grpc::StatusCode::DEADLINE_EXCEEDED,
               "UPSTREAM_TIMEOUT");
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_TRUE(reader.ids().empty());
  ClearFaults();
}

TEST_F(FaultsTest, UpstreamRestart) { Run(&FaultsTest::UpstreamRestart); }
TEST_F(FaultsTest, EmulatorRestart) { Run(&FaultsTest::EmulatorRestart); }
TEST_F(FaultsTest, RateLimited) { Run(&FaultsTest::RateLimited); }
TEST_F(FaultsTest, ServerErrorBursts) { Run(&FaultsTest::ServerErrorBursts); }
TEST_F(FaultsTest, MalformedJsonBody) { Run(&FaultsTest::MalformedJsonBody); }
TEST_F(FaultsTest, TruncatedBody) { Run(&FaultsTest::TruncatedBody); }
TEST_F(FaultsTest, OversizedBody) { Run(&FaultsTest::OversizedBody); }

// Every fault again and again against one bridge process: after a warm-up
// round (pools, caches and allocator arenas fill), open file descriptors go
// back to the warm-up level and memory stops growing.
TEST_F(FaultsTest, RepeatedRoundsLeakNoFdsOrMemory) {
  constexpr int kRounds = 3;
  // Idle pooled upstream connections come and go with the faults.
  constexpr int kFdTolerance = 4;
  constexpr int64_t kRssGrowthKib = 8 << 10;
  const std::vector<void (FaultsTest::*)()> scenarios = {
      &FaultsTest::Latency,           &FaultsTest::Bandwidth,
      &FaultsTest::Slicing,           &FaultsTest::ResetMidResponse,
      &FaultsTest::StallWithoutFin,   &FaultsTest::UpstreamRestart,
      &FaultsTest::EmulatorRestart,   &FaultsTest::RateLimited,
      &FaultsTest::ServerErrorBursts, &FaultsTest::MalformedJsonBody,
      &FaultsTest::TruncatedBody,     &FaultsTest::OversizedBody};
  int warm_fds = 0;
  int64_t warm_rss = 0;
  for (int round = 0; round <= kRounds; ++round) {
    for (auto scenario : scenarios) {
      Run(scenario);
      if (HasFailure()) return;
    }
    // The round's streams are over once the emulator has none open.
    ASSERT_TRUE(WaitUntil([&] { return emulator_->open_stream_count() == 0; }));
    if (round == 0) {
      warm_fds = OpenFds(pid_);
      warm_rss = RssKib(pid_);
      ASSERT_GT(warm_fds, 0);
      ASSERT_GT(warm_rss, 0);
      continue;
    }
    int fds = 0;
    EXPECT_TRUE(WaitUntil(
        [&] {
          fds = OpenFds(pid_);
          return fds <= warm_fds + kFdTolerance;
        },
        absl::Seconds(5)))
        << "round " << round << ": " << fds << " fds, " << warm_fds
        << " after warm-up";
    const int64_t rss = RssKib(pid_);
    if (kRssIsMeaningful) {
      EXPECT_LT(rss - warm_rss, kRssGrowthKib)
          << "round " << round << ": VmRSS " << rss << " KiB, " << warm_rss
          << " KiB after warm-up";
    }
    std::cerr << "round " << round << ": fds " << fds << " (warm-up "
              << warm_fds << "), VmRSS " << rss << " KiB (warm-up " << warm_rss
              << " KiB)\n";
  }
}

}  // namespace
}  // namespace neobridge
