// relay_load: measures how fast and how late a task's events reach clients
// through a relay. It opens --streams event streams on one task, starts
// neo-emulator's firehose on that task (PUT /_emulator/firehose: --rate
// events per second for --duration, each stamped with the emulator's send
// time), and records, for every event every stream receives, the time from
// the emulator's send to the client's receipt. Prints one JSON line.
//
// Two protocols, the same measurement:
//   --protocol=grpc  StreamTaskEvents through neo-bridge (--target), one
//                    gRPC callback reactor per stream (no thread per stream);
//   --protocol=sse   GET /api/preview/agents/{org}/tasks/{id}/events/stream
//                    over HTTP/1.1 (--target = neo-emulator itself, or nginx
//                    in front of it), all streams on one epoll thread.
// --emulator is always neo-emulator itself: it creates the task, runs the
// firehose and answers /_emulator/stats, which tells how many upstream
// streams the task has while the firehose runs (for fan-out: N callers of
// one task and one credential should share one).
//
// Checks, per stream: every firehose event arrives exactly once and in
// order (duplicates, skipped), and all --rate × --duration of them arrive.
// --watch names processes (neo-bridge, nginx, the emulator) whose CPU time
// over the firehose window is reported.
//
// Exit code: 0 when every stream opened and received every event exactly
// once in order, 1 otherwise, 2 for bad flags or setup failures.
#include <grpcpp/grpcpp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmarks/dashed_flags.h"
#include "benchmarks/firehose_probe.h"
#include "benchmarks/load_stats.h"
#include "benchmarks/loopback_http.h"
#include "benchmarks/sse_reader.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, protocol, "grpc",
          "grpc: StreamTaskEvents through neo-bridge; sse: the REST event "
          "stream over HTTP/1.1 (neo-emulator, or a proxy in front of it)");
ABSL_FLAG(std::string, target, "",
          "HOST:PORT to stream from: neo-bridge (grpc, plaintext) or "
          "neo-emulator / nginx (sse)");
ABSL_FLAG(std::string, emulator, "",
          "neo-emulator HOST:PORT (task creation, firehose, stats); empty = "
          "--target with --protocol=sse");
ABSL_FLAG(std::string, org, "acme", "organization of the task");
ABSL_FLAG(std::string, token, "pul-emulator-alice",
          "the credential of every stream: `authorization: Bearer` (grpc) or "
          "`Authorization: token` (sse); also creates the task");
ABSL_FLAG(std::string, task_id, "",
          "stream this task; empty = create a new one on the emulator");
ABSL_FLAG(int, streams, 1, "concurrent streams on the task (callers)");
ABSL_FLAG(int, channels, 8,
          "grpc: channels (HTTP/2 connections) the streams are spread over");
ABSL_FLAG(int64_t, rate, 20000, "firehose events per second");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5),
          "how long the firehose runs: it sends rate × duration events");
ABSL_FLAG(absl::Duration, warmup, absl::Milliseconds(500),
          "events sent in this first part of the firehose are checked but "
          "not counted in the latency figures");
ABSL_FLAG(absl::Duration, open_timeout, absl::Seconds(30),
          "bound on opening every stream");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(15),
          "after the firehose's last event is due, how long the streams may "
          "take to receive everything");
ABSL_FLAG(std::string, watch, "",
          "processes whose CPU time over the firehose window to report, "
          "NAME=PID[+PID...][,NAME=PID...], e.g. bridge=123,nginx=45+46+47");

namespace {

namespace v1 = ::neobridge::v1;
namespace bench = ::neobridge::bench;
using Json = nlohmann::ordered_json;

struct Options {
  std::string protocol;
  std::string target;
  std::string emulator;
  std::string org;
  std::string token;
  std::string task_id;
  int streams = 1;
  int channels = 8;
  int64_t rate = 0;
  absl::Duration duration;
  absl::Duration warmup;
  absl::Duration open_timeout;
  absl::Duration drain_timeout;
  std::string watch;
};

// What every stream shares: the firehose's numbering and the latency
// histogram.
struct RunShared {
  // Set before the firehose starts; constant while streams read.
  int64_t first_seq = 1;
  int64_t last_seq = 0;
  // Events from this sequence number on count in the latency figures.
  int64_t measure_from = 1;
  bench::LatencyHistogram latency;
  // The worst latency of the events sent in each kSlot of the firehose
  // (warm-up included), from `start_ns` (CLOCK_REALTIME, just before the
  // firehose starts): shows when a backlog built up and drained.
  static constexpr int64_t kSlotNs = 250'000'000;
  static constexpr int kSlots = 120;
  int64_t start_ns = 0;
  std::array<std::atomic<int64_t>, kSlots> worst_by_slot{};

  void RecordWorst(int64_t sent_ns, int64_t latency_ns) {
    const int64_t slot =
        std::clamp<int64_t>((sent_ns - start_ns) / kSlotNs, 0, kSlots - 1);
    std::atomic<int64_t>& worst = worst_by_slot[slot];
    int64_t seen = worst.load(std::memory_order_relaxed);
    while (latency_ns > seen &&
           !worst.compare_exchange_weak(seen, latency_ns,
                                        std::memory_order_relaxed)) {
    }
  }
};

// One stream's view of the firehose. OnEvent/OnHeartbeat run on the
// stream's thread (one at a time); the atomics are read by the main thread
// while it runs; the rest once the stream is over.
class StreamTally {
 public:
  explicit StreamTally(RunShared& shared)
      : shared_(shared), check_(shared.first_seq) {}

  // `text`: an event's content (grpc) or data line (sse), received at
  // `received_ns` (CLOCK_REALTIME).
  void OnEvent(absl::string_view text, int64_t received_ns) {
    std::optional<bench::FirehoseStamp> stamp = bench::FindFirehoseStamp(text);
    if (!stamp) {
      ++other_events_;
      return;
    }
    if (stamp->seq < shared_.first_seq) {
      ++stale_;  // An earlier firehose's event from the task's history.
      return;
    }
    if (check_.Add(stamp->seq) == bench::SequenceCheck::Verdict::kDuplicate) {
      return;
    }
    if (first_ns_ == 0) first_ns_ = received_ns;
    last_ns_ = received_ns;
    if (stamp->seq >= shared_.measure_from) {
      shared_.latency.Record(received_ns - stamp->sent_ns);
    }
    shared_.RecordWorst(stamp->sent_ns, received_ns - stamp->sent_ns);
    received_.store(check_.received(), std::memory_order_relaxed);
    if (stamp->seq >= shared_.last_seq) complete_.store(true);
  }
  void OnHeartbeat() { ++heartbeats_; }

  int64_t received() const { return received_.load(); }
  bool complete() const { return complete_.load(); }
  const bench::SequenceCheck& check() const { return check_; }
  int64_t heartbeats() const { return heartbeats_; }
  int64_t other_events() const { return other_events_; }
  int64_t stale() const { return stale_; }
  // Received firehose events per second between this stream's first and
  // last one; 0 with fewer than two.
  double events_per_s() const {
    if (check_.received() < 2 || last_ns_ <= first_ns_) return 0;
    return static_cast<double>(check_.received() - 1) * 1e9 /
           static_cast<double>(last_ns_ - first_ns_);
  }

 private:
  RunShared& shared_;
  bench::SequenceCheck check_;
  std::atomic<int64_t> received_{0};
  std::atomic<bool> complete_{false};
  int64_t heartbeats_ = 0;
  int64_t other_events_ = 0;
  int64_t stale_ = 0;
  int64_t first_ns_ = 0;
  int64_t last_ns_ = 0;
};

// The streams of one run, whatever the protocol. Start opens them; the
// main thread then polls; Stop ends them and returns once none reads.
class StreamSet {
 public:
  virtual ~StreamSet() = default;
  virtual void Start() = 0;
  // Streams whose first message (grpc) or 200 head (sse) arrived.
  virtual int opened() const = 0;
  // Streams that ended (or failed) before Stop.
  virtual int ended() const = 0;
  virtual void Stop() = 0;
  // Valid after Stop: the tallies, and a few failure reasons by count.
  virtual std::vector<const StreamTally*> tallies() const = 0;
  virtual std::map<std::string, int64_t> failures() const = 0;
};

// --- grpc -------------------------------------------------------------------

class GrpcStream final
    : public grpc::ClientReadReactor<v1::StreamTaskEventsResponse> {
 public:
  GrpcStream(RunShared& shared, std::atomic<int>& opened,
             std::atomic<int>& done)
      : tally_(shared), opened_(opened), done_count_(done) {}

  void Start(v1::AgentTasksService::Stub& stub, const Options& options,
             absl::Duration deadline) {
    request_.set_org(options.org);
    request_.set_task_id(options.task_id);
    if (!options.token.empty()) {
      context_.AddMetadata("authorization",
                           absl::StrCat("Bearer ", options.token));
    }
    context_.set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoNanoseconds(deadline));
    stub.async()->StreamTaskEvents(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void Cancel() {
    cancelled_.store(true);
    context_.TryCancel();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows.
    const int64_t now = bench::RealtimeNanos();
    if (!got_first_) {
      got_first_ = true;
      opened_.fetch_add(1);
    }
    if (response_.has_heartbeat()) {
      tally_.OnHeartbeat();
    } else if (response_.has_event()) {
      const v1::TaskEvent& event = response_.event();
      tally_.OnEvent(event.has_agent_response() &&
                             event.agent_response().has_assistant_message()
                         ? event.agent_response().assistant_message().content()
                         : "",
                     now);
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    ended_early_ = !cancelled_.load();
    done_ = true;
    done_count_.fetch_add(1);
  }

  bool done() const {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  // Set once done: a failure reason, or "" for a stream the client ended.
  std::string failure() const {
    absl::MutexLock lock(&mu_);
    if (ended_early_) {
      return absl::StrCat("ended before the client cancelled: code ",
                          status_.error_code(), ": ", status_.error_message());
    }
    if (status_.error_code() != grpc::StatusCode::CANCELLED) {
      return absl::StrCat("code ", status_.error_code(), ": ",
                          status_.error_message());
    }
    return "";
  }
  const StreamTally& tally() const { return tally_; }

 private:
  StreamTally tally_;
  std::atomic<int>& opened_;
  std::atomic<int>& done_count_;
  grpc::ClientContext context_;
  v1::StreamTaskEventsRequest request_;
  v1::StreamTaskEventsResponse response_;
  bool got_first_ = false;  // Reactions only.
  std::atomic<bool> cancelled_{false};
  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_early_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class GrpcStreamSet final : public StreamSet {
 public:
  GrpcStreamSet(const Options& options, RunShared& shared)
      : options_(options), shared_(shared) {}

  ~GrpcStreamSet() override {
    if (!drained_) {
      // Reactors gRPC still references must outlive the process' exit.
      for (auto& stream : streams_) {
        if (!stream->done()) (void)stream.release();
      }
    }
  }

  void Start() override {
    for (int i = 0; i < options_.channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("neobridge.relay_load.channel", i);
      stubs_.push_back(v1::AgentTasksService::NewStub(grpc::CreateCustomChannel(
          options_.target, grpc::InsecureChannelCredentials(), args)));
    }
    const absl::Duration deadline = options_.open_timeout + options_.duration +
                                    options_.drain_timeout + absl::Minutes(1);
    for (int i = 0; i < options_.streams; ++i) {
      streams_.push_back(std::make_unique<GrpcStream>(shared_, opened_, done_));
      streams_.back()->Start(*stubs_[i % stubs_.size()], options_, deadline);
    }
  }
  int opened() const override { return opened_.load(); }
  int ended() const override { return done_.load(); }
  void Stop() override {
    for (auto& stream : streams_) stream->Cancel();
    const absl::Time limit = absl::Now() + absl::Seconds(30);
    while (done_.load() < static_cast<int>(streams_.size()) &&
           absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    drained_ = done_.load() == static_cast<int>(streams_.size());
  }
  std::vector<const StreamTally*> tallies() const override {
    std::vector<const StreamTally*> out;
    for (const auto& stream : streams_) out.push_back(&stream->tally());
    return out;
  }
  std::map<std::string, int64_t> failures() const override {
    std::map<std::string, int64_t> out;
    for (const auto& stream : streams_) {
      std::string failure =
          stream->done() ? stream->failure() : "did not finish after cancel";
      if (!failure.empty()) ++out[failure];
    }
    return out;
  }

 private:
  const Options& options_;
  RunShared& shared_;
  std::vector<std::unique_ptr<v1::AgentTasksService::Stub>> stubs_;
  std::vector<std::unique_ptr<GrpcStream>> streams_;
  std::atomic<int> opened_{0};
  std::atomic<int> done_{0};
  bool drained_ = false;
};

// --- sse --------------------------------------------------------------------

// One HTTP/1.1 event stream, driven by SseStreamSet's epoll thread.
struct SseConnection {
  SseConnection(RunShared& shared, std::string request)
      : tally(shared),
        request(std::move(request)),
        reader(
            [this](absl::string_view data) {
              tally.OnEvent(data, received_ns);
            },
            [this](absl::string_view /*comment*/) { tally.OnHeartbeat(); }) {}

  StreamTally tally;
  std::string request;
  size_t request_sent = 0;
  bench::SseResponseReader reader;
  int fd = -1;
  bool opened = false;
  bool closed = false;
  std::string failure;
  // When the bytes being fed arrived (CLOCK_REALTIME).
  int64_t received_ns = 0;
};

class SseStreamSet final : public StreamSet {
 public:
  SseStreamSet(const Options& options, RunShared& shared)
      : options_(options), shared_(shared) {}
  ~SseStreamSet() override { Stop(); }

  void Start() override {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    const std::string request = absl::StrCat(
        "GET /api/preview/agents/", options_.org, "/tasks/", options_.task_id,
        "/events/stream HTTP/1.1\r\nHost: ", options_.target,
        "\r\nAuthorization: token ", options_.token,
        "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"
        "User-Agent: relay_load\r\n\r\n");
    for (int i = 0; i < options_.streams; ++i) {
      auto connection = std::make_unique<SseConnection>(shared_, request);
      absl::StatusOr<int> fd =
          bench::ConnectTcp(options_.target, /*nonblocking=*/true);
      if (!fd.ok()) {
        connection->failure = std::string(fd.status().message());
        connection->closed = true;
        ended_.fetch_add(1);
      } else {
        connection->fd = *fd;
        epoll_event ev{.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP,
                       .data = {.ptr = connection.get()}};
        epoll_ctl(epoll_, EPOLL_CTL_ADD, *fd, &ev);
      }
      connections_.push_back(std::move(connection));
    }
    thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  }
  int opened() const override { return opened_.load(); }
  int ended() const override { return ended_.load(); }
  void Stop() override {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    for (auto& connection : connections_) {
      if (connection->fd >= 0) close(connection->fd);
      connection->fd = -1;
    }
    if (epoll_ >= 0) close(epoll_);
    epoll_ = -1;
  }
  std::vector<const StreamTally*> tallies() const override {
    std::vector<const StreamTally*> out;
    for (const auto& connection : connections_) {
      out.push_back(&connection->tally);
    }
    return out;
  }
  std::map<std::string, int64_t> failures() const override {
    std::map<std::string, int64_t> out;
    for (const auto& connection : connections_) {
      if (!connection->failure.empty()) ++out[connection->failure];
    }
    return out;
  }

 private:
  void Loop(std::stop_token stop) {
    std::vector<epoll_event> events(256);
    std::vector<char> buffer(256 * 1024);
    while (!stop.stop_requested()) {
      const int n = epoll_wait(epoll_, events.data(),
                               static_cast<int>(events.size()), 20);
      for (int i = 0; i < n; ++i) {
        auto* connection = static_cast<SseConnection*>(events[i].data.ptr);
        if (connection->closed) continue;
        if (events[i].events & EPOLLOUT) Send(*connection);
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
          Receive(*connection, buffer);
        }
      }
    }
  }

  void Send(SseConnection& connection) {
    while (connection.request_sent < connection.request.size()) {
      const ssize_t n = send(
          connection.fd, connection.request.data() + connection.request_sent,
          connection.request.size() - connection.request_sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        Fail(connection, absl::StrCat("send: ", std::strerror(errno)));
        return;
      }
      connection.request_sent += static_cast<size_t>(n);
    }
    // Sent: only reading from now on.
    epoll_event ev{.events = EPOLLIN | EPOLLRDHUP,
                   .data = {.ptr = &connection}};
    epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &ev);
  }

  void Receive(SseConnection& connection, std::vector<char>& buffer) {
    while (!connection.closed) {
      const ssize_t n = recv(connection.fd, buffer.data(), buffer.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        Fail(connection, absl::StrCat("recv: ", std::strerror(errno)));
        return;
      }
      if (n == 0) {
        Fail(connection, connection.reader.ended()
                             ? "the server ended the stream"
                             : "the connection closed mid-stream");
        return;
      }
      connection.received_ns = bench::RealtimeNanos();
      absl::Status status = connection.reader.Feed(
          absl::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!connection.opened && connection.reader.status() == 200) {
        connection.opened = true;
        opened_.fetch_add(1);
      }
      if (!status.ok()) {
        Fail(connection, std::string(status.message()));
        return;
      }
    }
  }

  void Fail(SseConnection& connection, std::string why) {
    connection.failure = std::move(why);
    connection.closed = true;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.fd, nullptr);
    ended_.fetch_add(1);
  }

  const Options& options_;
  RunShared& shared_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<SseConnection>> connections_;
  std::atomic<int> opened_{0};
  std::atomic<int> ended_{0};
  std::jthread thread_;
};

// --- the emulator and watched processes -----------------------------------

std::vector<std::pair<std::string, std::string>> AuthHeader(
    const Options& options) {
  return {{"Authorization", absl::StrCat("token ", options.token)}};
}

absl::StatusOr<Json> EmulatorJson(const Options& options,
                                  absl::string_view method,
                                  absl::string_view path,
                                  absl::string_view body, int expected) {
  absl::StatusOr<bench::HttpReply> reply = bench::HttpCall(
      options.emulator, method, path, body, AuthHeader(options));
  if (!reply.ok()) return reply.status();
  if (reply->status != expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        method, " ", path, " answered ", reply->status, ": ", reply->body));
  }
  Json parsed = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat(method, " ", path, " answered no JSON: ", reply->body));
  }
  return parsed;
}

// Open event streams of `task_id` at the emulator, or -1 when unknown.
int64_t UpstreamStreams(const Options& options) {
  absl::StatusOr<Json> stats =
      EmulatorJson(options, "GET", "/_emulator/stats", "", 200);
  if (!stats.ok()) return -1;
  return (*stats)["open_streams_by_task"].value(options.task_id, int64_t{0});
}

// NAME=PID[+PID...] groups; CPU ticks (user + system) of each group.
struct Watched {
  std::string name;
  std::vector<int> pids;
};

absl::StatusOr<std::vector<Watched>> ParseWatch(absl::string_view text) {
  std::vector<Watched> out;
  for (absl::string_view group : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(group, '=');
    if (parts.size() != 2 || parts[0].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--watch: expected NAME=PID[+PID...], got '", group, "'"));
    }
    Watched watched{.name = std::string(parts[0])};
    for (absl::string_view pid_text :
         absl::StrSplit(parts[1], '+', absl::SkipEmpty())) {
      int pid = 0;
      if (!absl::SimpleAtoi(pid_text, &pid) || pid <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--watch: bad pid '", pid_text, "' in '", group, "'"));
      }
      watched.pids.push_back(pid);
    }
    out.push_back(std::move(watched));
  }
  return out;
}

// User + system CPU ticks of `pid` (all its threads, living and dead); 0
// once it is gone.
int64_t CpuTicks(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces: state is field 3;
  // utime and stime are fields 14 and 15.
  const size_t paren = stat.rfind(") ");
  if (paren == std::string::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return utime + stime;
}

std::vector<int64_t> SampleCpu(const std::vector<Watched>& watched) {
  std::vector<int64_t> out;
  for (const Watched& group : watched) {
    int64_t ticks = 0;
    for (int pid : group.pids) ticks += CpuTicks(pid);
    out.push_back(ticks);
  }
  return out;
}

double Micros(int64_t nanos) {
  return std::round(static_cast<double>(nanos) / 100.0) / 10.0;
}

double Round(double value, double unit) {
  return std::round(value / unit) * unit;
}

int Run(Options options) {
  absl::StatusOr<std::vector<Watched>> watched = ParseWatch(options.watch);
  if (!watched.ok()) {
    std::fprintf(stderr, "relay_load: %s\n",
                 std::string(watched.status().message()).c_str());
    return 2;
  }
  auto fail_setup = [](const absl::Status& status) {
    std::fprintf(stderr, "relay_load: %s\n",
                 std::string(status.message()).c_str());
    return 2;
  };

  // The task, and where the firehose's numbering starts on it.
  if (options.task_id.empty()) {
    absl::StatusOr<Json> created = EmulatorJson(
        options, "POST",
        absl::StrCat("/api/preview/agents/", options.org, "/tasks"),
        R"({"message":{"content":"relay load probe"}})", 201);
    if (!created.ok()) return fail_setup(created.status());
    options.task_id = created->value("taskId", "");
  }
  absl::StatusOr<Json> previous =
      EmulatorJson(options, "GET", "/_emulator/firehose", "", 200);
  if (!previous.ok()) return fail_setup(previous.status());
  RunShared shared;
  for (const Json& firehose : (*previous)["firehoses"]) {
    if (firehose.value("task_id", "") == options.task_id) {
      shared.first_seq = firehose.value("first_seq", int64_t{1}) +
                         firehose.value("emitted", int64_t{0});
    }
  }
  const int64_t count = std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(
             options.rate * absl::ToDoubleSeconds(options.duration))));
  const int64_t warmup_events = static_cast<int64_t>(
      std::llround(options.rate * absl::ToDoubleSeconds(options.warmup)));
  shared.last_seq = shared.first_seq + count - 1;
  shared.measure_from = shared.first_seq + std::min(warmup_events, count - 1);

  // Open every stream.
  std::unique_ptr<StreamSet> streams;
  if (options.protocol == "grpc") {
    streams = std::make_unique<GrpcStreamSet>(options, shared);
  } else {
    streams = std::make_unique<SseStreamSet>(options, shared);
  }
  const absl::Time open_start = absl::Now();
  streams->Start();
  while (streams->opened() + streams->ended() < options.streams &&
         absl::Now() - open_start < options.open_timeout) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Duration open_time = absl::Now() - open_start;
  const int opened = streams->opened();
  std::fprintf(
      stderr, "relay_load: %d/%d %s streams open after %s on task %s\n", opened,
      options.streams, options.protocol.c_str(),
      absl::FormatDuration(absl::Trunc(open_time, absl::Milliseconds(1)))
          .c_str(),
      options.task_id.c_str());
  const int64_t upstream_before = UpstreamStreams(options);
  absl::SleepFor(absl::Milliseconds(200));  // The history goes by.

  // The firehose, and the window it takes the streams to receive it.
  const double client_cpu_before = bench::ProcessCpuSeconds();
  const std::vector<int64_t> cpu_before = SampleCpu(*watched);
  const absl::Time window_start = absl::Now();
  shared.start_ns = bench::RealtimeNanos();
  bool firehose_started = false;
  if (opened == options.streams) {
    absl::StatusOr<Json> started =
        EmulatorJson(options, "PUT", "/_emulator/firehose",
                     Json{{"task_id", options.task_id},
                          {"rate", options.rate},
                          {"count", count}}
                         .dump(),
                     200);
    if (!started.ok()) return fail_setup(started.status());
    if (started->value("first_seq", int64_t{0}) != shared.first_seq) {
      return fail_setup(absl::InternalError(
          absl::StrCat("the firehose started at seq ",
                       started->value("first_seq", int64_t{0}), ", expected ",
                       shared.first_seq)));
    }
    firehose_started = true;
  }
  const std::vector<const StreamTally*> live = streams->tallies();
  auto all_complete = [&] {
    for (const StreamTally* tally : live) {
      if (!tally->complete()) return false;
    }
    return true;
  };
  const absl::Time give_up =
      window_start + options.duration + options.drain_timeout;
  const absl::Time mid = window_start + options.duration / 2;
  int64_t upstream_mid = -1;
  bool complete = false;
  while (firehose_started) {
    if (all_complete()) {
      complete = true;
      break;
    }
    if (streams->ended() > 0 || absl::Now() >= give_up) break;
    if (upstream_mid < 0 && absl::Now() >= mid) {
      upstream_mid = UpstreamStreams(options);
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  const absl::Time window_end = absl::Now();
  const std::vector<int64_t> cpu_after = SampleCpu(*watched);
  const double client_cpu = bench::ProcessCpuSeconds() - client_cpu_before;
  if (upstream_mid < 0) upstream_mid = UpstreamStreams(options);
  const int64_t upstream_end = UpstreamStreams(options);
  absl::StatusOr<Json> firehoses =
      EmulatorJson(options, "GET", "/_emulator/firehose", "", 200);
  Json emulator_side = Json::object();
  if (firehoses.ok()) {
    for (const Json& firehose : (*firehoses)["firehoses"]) {
      if (firehose.value("task_id", "") == options.task_id) {
        emulator_side = firehose;
      }
    }
  }
  const int ended_early = streams->ended();
  streams->Stop();

  // The summary.
  int64_t delivered = 0, duplicates = 0, skipped = 0, heartbeats = 0, other = 0,
          stale = 0, incomplete = 0;
  double rate_sum = 0, rate_min = -1;
  for (const StreamTally* tally : streams->tallies()) {
    delivered += tally->check().received();
    duplicates += tally->check().duplicates();
    skipped += tally->check().skipped();
    heartbeats += tally->heartbeats();
    other += tally->other_events();
    stale += tally->stale();
    if (tally->check().received() < count) ++incomplete;
    rate_sum += tally->events_per_s();
    rate_min = rate_min < 0 ? tally->events_per_s()
                            : std::min(rate_min, tally->events_per_s());
  }
  const double window_s = absl::ToDoubleSeconds(window_end - window_start);
  const long ticks_per_s = sysconf(_SC_CLK_TCK);
  Json cpu = Json::object();
  for (size_t i = 0; i < watched->size(); ++i) {
    cpu[(*watched)[i].name] = Round(
        static_cast<double>(cpu_after[i] - cpu_before[i]) / ticks_per_s, 0.01);
  }
  Json failures = Json::object();
  for (const auto& [reason, n] : streams->failures()) failures[reason] = n;
  const bench::LatencyHistogram& latency = shared.latency;
  Json worst = Json::array();
  int last_slot = -1;
  for (int i = 0; i < RunShared::kSlots; ++i) {
    if (shared.worst_by_slot[i].load() > 0) last_slot = i;
  }
  for (int i = 0; i <= last_slot; ++i) {
    worst.push_back(Round(shared.worst_by_slot[i].load() / 1e6, 0.01));
  }
  Json summary = {
      {"tool", "relay_load"},
      {"protocol", options.protocol},
      {"target", options.target},
      {"task_id", options.task_id},
      {"streams", options.streams},
      {"streams_opened", opened},
      {"open_ms", absl::ToInt64Milliseconds(open_time)},
      {"rate", options.rate},
      {"count", count},
      {"first_seq", shared.first_seq},
      {"warmup_events", shared.measure_from - shared.first_seq},
      {"complete", complete},
      {"window_s", Round(window_s, 0.001)},
      {"delivered", delivered},
      {"expected", count * options.streams},
      {"deliveries_per_s", Round(window_s > 0 ? delivered / window_s : 0, 1)},
      {"events_per_s",
       Round(options.streams > 0 ? rate_sum / options.streams : 0, 1)},
      {"events_per_s_min", Round(std::max(rate_min, 0.0), 1)},
      {"incomplete_streams", incomplete},
      {"duplicates", duplicates},
      {"skipped", skipped},
      {"stale_events", stale},
      {"other_events", other},
      {"heartbeats", heartbeats},
      {"latency_us",
       {{"count", latency.count()},
        {"p50", Micros(latency.Quantile(0.5))},
        {"p90", Micros(latency.Quantile(0.9))},
        {"p99", Micros(latency.Quantile(0.99))},
        {"p999", Micros(latency.Quantile(0.999))},
        {"max", Micros(latency.max())},
        {"mean", Round(latency.mean() / 1000.0, 0.1)}}},
      {"latency_worst_ms_per_250ms", worst},
      {"emulator_firehose", emulator_side},
      {"upstream_streams_before", upstream_before},
      {"upstream_streams_mid", upstream_mid},
      {"upstream_streams_end", upstream_end},
      {"cpu_s", cpu},
      {"client_cpu_s", Round(client_cpu, 0.01)},
      {"streams_ended_early", ended_early},
      {"failures", failures},
  };
  std::printf("%s\n", summary.dump().c_str());
  std::fflush(stdout);
  for (const auto& [reason, n] : streams->failures()) {
    std::fprintf(stderr, "relay_load: %lld stream(s): %s\n",
                 static_cast<long long>(n), reason.c_str());
  }
  const bool ok = opened == options.streams && complete && duplicates == 0 &&
                  skipped == 0 && ended_early == 0;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures event relay latency and throughput with neo-emulator's "
      "firehose and prints a JSON summary.\nUsage: relay_load "
      "--protocol=grpc|sse --target=HOST:PORT [--emulator=HOST:PORT] "
      "[--streams=1] [--rate=20000] [--duration=5s] [--watch=bridge=PID]");
  // Flags are spelled with dashes (--task-id); absl spells them with
  // underscores.
  neobridge::bench::ParseDashedCommandLine(argc, argv);
  bench::TightenTimerSlack();
  Options options{
      .protocol = absl::GetFlag(FLAGS_protocol),
      .target = absl::GetFlag(FLAGS_target),
      .emulator = absl::GetFlag(FLAGS_emulator),
      .org = absl::GetFlag(FLAGS_org),
      .token = absl::GetFlag(FLAGS_token),
      .task_id = absl::GetFlag(FLAGS_task_id),
      .streams = absl::GetFlag(FLAGS_streams),
      .channels = absl::GetFlag(FLAGS_channels),
      .rate = absl::GetFlag(FLAGS_rate),
      .duration = absl::GetFlag(FLAGS_duration),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .open_timeout = absl::GetFlag(FLAGS_open_timeout),
      .drain_timeout = absl::GetFlag(FLAGS_drain_timeout),
      .watch = absl::GetFlag(FLAGS_watch),
  };
  if (options.emulator.empty() && options.protocol == "sse") {
    options.emulator = options.target;
  }
  if ((options.protocol != "grpc" && options.protocol != "sse") ||
      options.target.empty() || options.emulator.empty() ||
      options.streams < 1 || options.channels < 1 || options.rate < 1 ||
      options.rate > 1000000 || options.duration <= absl::ZeroDuration() ||
      options.warmup < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "relay_load: need --protocol=grpc|sse, --target, --emulator "
                 "(or --protocol=sse), --streams and --channels >= 1, --rate "
                 "in 1..1000000, a positive --duration and a non-negative "
                 "--warmup\n");
    return 2;
  }
  return Run(std::move(options));
}
