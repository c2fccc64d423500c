// stream_load: holds many concurrent StreamTaskEvents calls open through
// neo-bridge, drives traffic into their tasks, checks what every stream
// receives, and prints one JSON summary line on stdout.
//
// Every stream is a gRPC callback-API reactor: the client runs no thread per
// stream. Streams are spread round-robin over --tasks tasks and --channels
// channels (each channel its own HTTP/2 connection). Every
// --respond-interval each task gets a RespondToTask user_message (a task whose
// turn still runs answers ABORTED; it is retried on the next tick), so the
// emulator's scripted agent emits events that fan out to every stream of the
// task.
//
// Checks, per stream: event ids never repeat (duplicates), every stream of a
// task sees the same ids in the same order (order_violations), and once the
// traffic stops every stream has caught up with its task (incomplete_streams).
// A stream that ends before the client cancels it counts as failed.
//
// Churn (--stream-lifetime > 0, for soak runs): each stream is cancelled once
// it has lived that long and a new one opens on its task in its place; the
// replacements of odd-numbered streams resume after the last event their
// predecessor received (`last_event_id`), the others replay the history. A
// stream that ends on its own is replaced too (a second later), and each such
// end is logged on stderr as `stream_load: early end unix_ms=… code=… task=…:
// message`, so that a harness can match it with what it did at that time.
//
// Exit code: 0 when every stream opened and nothing failed or was wrong,
// 1 otherwise, 2 for bad flags or setup failures.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmarks/dashed_flags.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "neo-bridge address, HOST:PORT (plaintext)");
ABSL_FLAG(int, streams, 1000, "concurrent StreamTaskEvents calls to hold");
ABSL_FLAG(int, tasks, 10,
          "tasks to create with CreateTask when --task-ids is empty");
ABSL_FLAG(std::vector<std::string>, task_ids, {},
          "comma-separated ids of existing tasks to stream (wins over "
          "--tasks)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(60),
          "how long to hold the streams once they are open, e.g. 60s");
ABSL_FLAG(absl::Duration, respond_interval, absl::Milliseconds(500),
          "send each task a user_message this often; 0 = no traffic");
ABSL_FLAG(absl::Duration, open_timeout, absl::Seconds(30),
          "bound on waiting for every stream's first message");
ABSL_FLAG(int, quiet_tasks, 0,
          "of the tasks, this many (the last ones) get no traffic, so their "
          "streams carry only history and heartbeats");
ABSL_FLAG(int, channels, 8,
          "gRPC channels (HTTP/2 connections) to spread the streams over");
ABSL_FLAG(std::string, org, "", "org of every request; empty = the bridge's");
ABSL_FLAG(std::string, token, "",
          "sent as `authorization: Bearer <token>`; empty = the bridge's "
          "service token");
ABSL_FLAG(absl::Duration, stream_lifetime, absl::ZeroDuration(),
          "0 = hold every stream for --duration; else replace each stream "
          "after this long (odd-numbered ones resume after their last "
          "event), and replace streams that end on their own");

namespace {

namespace v1 = ::neobridge::v1;
using Clock = std::chrono::steady_clock;

constexpr char kPrompt[] = "stream load probe: check the dev stack";
// Per-call bound on CreateTask and RespondToTask.
constexpr absl::Duration kUnaryDeadline = absl::Seconds(30);
// After the traffic stops: how long every stream may take to catch up, and
// how long its task must stay unchanged to count as settled.
constexpr absl::Duration kSettleTimeout = absl::Seconds(10);
constexpr absl::Duration kSettleQuiet = absl::Seconds(1);
// Bound on waiting for cancelled streams to finish.
constexpr absl::Duration kDrainTimeout = absl::Seconds(30);
// Churn: a stream that ended on its own is replaced this much later, the
// main loop checks the streams this often, and a finished stream is freed
// this long after it was seen done (its OnDone has returned by then).
constexpr absl::Duration kReplaceDelay = absl::Seconds(1);
constexpr absl::Duration kChurnTick = absl::Milliseconds(100);
constexpr absl::Duration kRetireDelay = absl::Seconds(1);
constexpr absl::Duration kProgressInterval = absl::Seconds(10);

struct LoadOptions {
  std::string target;
  int streams = 0;
  int tasks = 0;
  std::vector<std::string> task_ids;
  absl::Duration duration;
  absl::Duration respond_interval;
  absl::Duration open_timeout;
  int quiet_tasks = 0;
  int channels = 0;
  std::string org;
  std::string token;
  absl::Duration stream_lifetime;
};

std::chrono::system_clock::time_point DeadlineIn(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoNanoseconds(d);
}

// The canonical name of a gRPC code ("RESOURCE_EXHAUSTED"); gRPC and absl
// number the codes alike.
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// A JSON object of status-name counts, e.g. {"CANCELLED":1000}.
std::string CountsJson(const std::map<std::string, int64_t>& counts) {
  return absl::StrCat("{",
                      absl::StrJoin(counts, ",",
                                    [](std::string* out, const auto& entry) {
                                      absl::StrAppend(out, "\"", entry.first,
                                                      "\":", entry.second);
                                    }),
                      "}");
}

// The line `key:   value` of /proc/self/status, as a number; -1 if absent.
int64_t ProcStatusField(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    value.erase(std::remove_if(value.begin(), value.end(),
                               [](char c) { return c < '0' || c > '9'; }),
                value.end());
    int64_t number = -1;
    return absl::SimpleAtoi(value, &number) ? number : -1;
  }
  return -1;
}

void AddCredentials(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

// The order in which a task's events arrive: the first stream to see an id
// fixes its position; every other stream of the task must see the same ids
// in the same positions. Thread-safe.
class TaskLedger {
 public:
  enum class Verdict { kInOrder, kDuplicate, kOutOfOrder };

  explicit TaskLedger(std::string task_id) : task_id_(std::move(task_id)) {}

  const std::string& task_id() const { return task_id_; }

  // Checks `id` as the event at position `*next` of one stream and advances
  // `*next` past it when it fits (or past the position it has, when the
  // stream skipped events).
  Verdict Check(const std::string& id, size_t* next) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = positions_.try_emplace(id, positions_.size());
    if (inserted) {
      // An id this stream should not see yet: it missed or reordered some.
      if (it->second != *next) return Verdict::kOutOfOrder;
      ++*next;
      return Verdict::kInOrder;
    }
    if (it->second == *next) {
      ++*next;
      return Verdict::kInOrder;
    }
    if (it->second < *next) return Verdict::kDuplicate;
    *next = it->second + 1;  // Skipped some.
    return Verdict::kOutOfOrder;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return positions_.size();
  }

  // The position just after `id`, where a stream resuming after it starts;
  // 0 if the id is unknown.
  size_t PositionAfter(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = positions_.find(id);
    return it == positions_.end() ? 0 : it->second + 1;
  }

 private:
  const std::string task_id_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> positions_ ABSL_GUARDED_BY(mu_);
};

// Process-wide counts that the main thread watches while streams run.
struct LiveCounters {
  std::atomic<int64_t> opened{0};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> events{0};
};

// One StreamTaskEvents call. Owned by the main thread, which destroys it
// only after OnDone has run. Reactions run on gRPC's callback threads, one
// at a time per stream.
class EventStream final
    : public grpc::ClientReadReactor<v1::StreamTaskEventsResponse> {
 public:
  // With a non-empty `resume_after` the stream asks for the events after
  // that id only (and is checked from the position after it).
  EventStream(TaskLedger& ledger, LiveCounters& live,
              std::string resume_after = "")
      : ledger_(ledger),
        live_(live),
        resume_after_(std::move(resume_after)),
        next_(resume_after_.empty() ? 0
                                    : ledger_.PositionAfter(resume_after_)) {}

  // Starts the call; `safety_deadline` only guards against a hung run.
  void Start(v1::AgentTasksService::Stub& stub, const LoadOptions& options,
             absl::Duration safety_deadline) {
    request_.set_org(options.org);
    request_.set_task_id(ledger_.task_id());
    if (!resume_after_.empty()) request_.set_last_event_id(resume_after_);
    AddCredentials(context_, options.token);
    context_.set_deadline(DeadlineIn(safety_deadline));
    stub.async()->StreamTaskEvents(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  // Cancels the call; OnDone follows (at once if it already ended).
  void Cancel() {
    cancel_requested_.store(true);
    context_.TryCancel();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The call ended; OnDone follows.
    if (!got_first_.exchange(true)) live_.opened.fetch_add(1);
    if (response_.has_heartbeat()) {
      ++heartbeats_;
    } else if (response_.has_event()) {
      ++events_;
      last_event_id_ = response_.event().id();
      live_.events.fetch_add(1, std::memory_order_relaxed);
      size_t next = next_.load(std::memory_order_relaxed);
      switch (ledger_.Check(response_.event().id(), &next)) {
        case TaskLedger::Verdict::kInOrder:
          break;
        case TaskLedger::Verdict::kDuplicate:
          ++duplicates_;
          break;
        case TaskLedger::Verdict::kOutOfOrder:
          ++order_violations_;
          break;
      }
      next_.store(next, std::memory_order_release);
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    ended_before_cancel_ = !cancel_requested_.load();
    ended_at_ = absl::Now();
    done_ = true;
    live_.done.fetch_add(1);
  }

  // Position this stream has reached in its task's ledger.
  size_t position() const { return next_.load(std::memory_order_acquire); }
  TaskLedger& ledger() const { return ledger_; }

  // Valid once done() holds.
  bool done() const {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  grpc::StatusCode code() const {
    absl::MutexLock lock(&mu_);
    return status_.error_code();
  }
  std::string message() const {
    absl::MutexLock lock(&mu_);
    return status_.error_message();
  }
  bool ended_before_cancel() const {
    absl::MutexLock lock(&mu_);
    return ended_before_cancel_;
  }
  absl::Time ended_at() const {
    absl::MutexLock lock(&mu_);
    return ended_at_;
  }
  bool cancel_requested() const { return cancel_requested_.load(); }
  bool resumed() const { return !resume_after_.empty(); }
  // The id of the last event received; valid once done() holds.
  const std::string& last_event_id() const { return last_event_id_; }
  bool opened() const { return got_first_.load(); }
  int64_t events() const { return events_; }
  int64_t heartbeats() const { return heartbeats_; }
  int64_t duplicates() const { return duplicates_; }
  int64_t order_violations() const { return order_violations_; }

 private:
  TaskLedger& ledger_;
  LiveCounters& live_;
  const std::string resume_after_;
  grpc::ClientContext context_;
  v1::StreamTaskEventsRequest request_;
  v1::StreamTaskEventsResponse response_;
  std::atomic<bool> got_first_{false};
  std::atomic<bool> cancel_requested_{false};
  std::atomic<size_t> next_;
  // Written by reactions only, read by the main thread after OnDone.
  std::string last_event_id_;
  int64_t events_ = 0;
  int64_t heartbeats_ = 0;
  int64_t duplicates_ = 0;
  int64_t order_violations_ = 0;

  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_before_cancel_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time ended_at_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

// The totals over finished streams. Main thread only.
struct StreamTally {
  int64_t opened = 0, failed = 0, events = 0, heartbeats = 0, duplicates = 0,
          order_violations = 0, resumed = 0;
  std::map<std::string, int64_t> status_counts;
  std::map<std::string, int64_t> failure_samples;

  // Adds a stream whose OnDone has run.
  void Add(const EventStream& stream) {
    opened += stream.opened() ? 1 : 0;
    resumed += stream.resumed() ? 1 : 0;
    events += stream.events();
    heartbeats += stream.heartbeats();
    duplicates += stream.duplicates();
    order_violations += stream.order_violations();
    ++status_counts[CodeName(stream.code())];
    const bool failure = stream.ended_before_cancel() ||
                         stream.code() != grpc::StatusCode::CANCELLED;
    if (failure) {
      ++failed;
      if (failure_samples.size() < 5) {
        ++failure_samples[absl::StrCat(CodeName(stream.code()), ": ",
                                       stream.message())];
      }
    }
  }
};

// Churn (--stream-lifetime): replaces streams as they reach their lifetime
// or end on their own. Main thread only; `streams` holds the current stream
// of each slot.
class Churner {
 public:
  Churner(const LoadOptions& options,
          std::vector<std::unique_ptr<v1::AgentTasksService::Stub>>& stubs,
          std::vector<std::unique_ptr<EventStream>>& streams,
          LiveCounters& live, StreamTally& tally,
          absl::Duration safety_deadline)
      : options_(options),
        stubs_(stubs),
        streams_(streams),
        live_(live),
        tally_(tally),
        safety_deadline_(safety_deadline) {
    // The first lifetimes are staggered, so the slots do not churn at once.
    const absl::Time now = absl::Now();
    for (size_t i = 0; i < streams_.size(); ++i) {
      cancel_at_.push_back(now + options_.stream_lifetime *
                                     static_cast<double>(i + 1) /
                                     static_cast<double>(streams_.size()));
      replace_at_.push_back(absl::InfiniteFuture());
    }
  }

  // One pass over the slots at `now`.
  void Tick(absl::Time now) {
    for (size_t i = 0; i < streams_.size(); ++i) {
      EventStream& stream = *streams_[i];
      if (!stream.done()) {
        if (now >= cancel_at_[i] && !stream.cancel_requested()) {
          stream.Cancel();
        }
        continue;
      }
      if (replace_at_[i] == absl::InfiniteFuture()) {
        replace_at_[i] =
            stream.ended_before_cancel() ? now + kReplaceDelay : now;
        if (stream.ended_before_cancel()) LogEarlyEnd(stream);
      }
      if (now < replace_at_[i]) continue;
      Replace(i, now);
    }
    while (!retired_.empty() && now - retired_.front().first >= kRetireDelay) {
      retired_.erase(retired_.begin());
    }
  }

  // Logs the early ends that Tick has not seen (after the hold).
  void LogUnreported() {
    for (size_t i = 0; i < streams_.size(); ++i) {
      const EventStream& stream = *streams_[i];
      if (replace_at_[i] == absl::InfiniteFuture() && stream.done() &&
          stream.ended_before_cancel()) {
        LogEarlyEnd(stream);
      }
    }
  }

  int64_t started() const { return started_; }

 private:
  static void LogEarlyEnd(const EventStream& stream) {
    std::fprintf(stderr,
                 "stream_load: early end unix_ms=%lld code=%s task=%s: %s\n",
                 static_cast<long long>(absl::ToUnixMillis(stream.ended_at())),
                 CodeName(stream.code()).c_str(),
                 stream.ledger().task_id().c_str(), stream.message().c_str());
  }

  void Replace(size_t slot, absl::Time now) {
    std::unique_ptr<EventStream>& current = streams_[slot];
    tally_.Add(*current);
    std::string resume_after =
        slot % 2 == 1 ? current->last_event_id() : std::string();
    TaskLedger& ledger = current->ledger();
    retired_.emplace_back(now, std::move(current));
    current =
        std::make_unique<EventStream>(ledger, live_, std::move(resume_after));
    current->Start(
        *stubs_[(slot + static_cast<size_t>(started_)) % stubs_.size()],
        options_, safety_deadline_);
    ++started_;
    cancel_at_[slot] = now + options_.stream_lifetime;
    replace_at_[slot] = absl::InfiniteFuture();
  }

  const LoadOptions& options_;
  std::vector<std::unique_ptr<v1::AgentTasksService::Stub>>& stubs_;
  std::vector<std::unique_ptr<EventStream>>& streams_;
  LiveCounters& live_;
  StreamTally& tally_;
  const absl::Duration safety_deadline_;
  std::vector<absl::Time> cancel_at_;
  std::vector<absl::Time> replace_at_;
  // Finished streams, freed kRetireDelay after they were replaced.
  std::vector<std::pair<absl::Time, std::unique_ptr<EventStream>>> retired_;
  int64_t started_ = 0;  // Replacements started.
};

// Sends each driven task a user_message every tick, at most one call per
// task in flight. Callbacks run on gRPC's callback threads.
class Responder {
 public:
  // Drives the first `driven` of `ledgers`.
  Responder(v1::AgentTasksService::Stub& stub, const LoadOptions& options,
            const std::vector<std::unique_ptr<TaskLedger>>& ledgers,
            size_t driven)
      : stub_(stub), options_(options), in_flight_(driven) {
    for (size_t i = 0; i < driven && i < ledgers.size(); ++i) {
      task_ids_.push_back(ledgers[i]->task_id());
    }
  }

  // One tick: a RespondToTask to every driven task without one in flight.
  void Tick() {
    for (size_t i = 0; i < task_ids_.size(); ++i) {
      {
        absl::MutexLock lock(&mu_);
        if (in_flight_[i]) {
          ++skipped_;
          continue;
        }
        in_flight_[i] = true;
        ++outstanding_;
      }
      Send(i);
    }
  }

  // Waits (bounded) until no call is in flight.
  void Drain(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return outstanding_ == 0;
    };
    mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
  }

  std::string Json() const {
    absl::MutexLock lock(&mu_);
    return absl::StrCat("{\"sent\":", sent_, ",\"accepted\":", accepted_,
                        ",\"aborted\":", aborted_, ",\"skipped\":", skipped_,
                        ",\"errors\":", CountsJson(errors_), "}");
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::RespondToTaskRequest request;
    v1::RespondToTaskResponse response;
  };

  void Send(size_t task) {
    auto call = std::make_shared<Call>();
    call->request.set_org(options_.org);
    call->request.set_task_id(task_ids_[task]);
    call->request.mutable_event()->mutable_user_message()->set_content(kPrompt);
    AddCredentials(call->context, options_.token);
    call->context.set_deadline(DeadlineIn(kUnaryDeadline));
    {
      absl::MutexLock lock(&mu_);
      ++sent_;
    }
    stub_.async()->RespondToTask(
        &call->context, &call->request, &call->response,
        [this, task, call](grpc::Status status) {
          absl::MutexLock lock(&mu_);
          if (status.ok()) {
            ++accepted_;
          } else if (status.error_code() == grpc::StatusCode::ABORTED) {
            ++aborted_;  // A turn still runs: the next tick tries again.
          } else {
            ++errors_[CodeName(status.error_code())];
          }
          in_flight_[task] = false;
          --outstanding_;
        });
  }

  v1::AgentTasksService::Stub& stub_;
  const LoadOptions& options_;
  std::vector<std::string> task_ids_;

  mutable absl::Mutex mu_;
  std::vector<bool> in_flight_ ABSL_GUARDED_BY(mu_);
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t aborted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
};

// Channel number `index`: a local subchannel pool and a distinct argument
// keep each channel on its own HTTP/2 connection, so no single connection
// carries every stream (servers and proxies may cap concurrent streams per
// connection; neo-bridge's gRPC server does not by default).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("neobridge.stream_load.channel", index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

// Creates `count` tasks; their ids, or an error message.
absl::StatusOr<std::vector<std::string>> CreateTasks(
    v1::AgentTasksService::Stub& stub, const LoadOptions& options, int count) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    grpc::ClientContext context;
    AddCredentials(context, options.token);
    context.set_deadline(DeadlineIn(kUnaryDeadline));
    v1::CreateTaskRequest request;
    request.set_org(options.org);
    request.mutable_message()->mutable_user_message()->set_content(kPrompt);
    v1::CreateTaskResponse response;
    grpc::Status status = stub.CreateTask(&context, request, &response);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("CreateTask failed: ", CodeName(status.error_code()),
                       ": ", status.error_message()));
    }
    ids.push_back(response.task_id());
  }
  return ids;
}

// Waits up to `timeout` until `predicate()` holds, polling.
template <typename Predicate>
bool PollUntil(Predicate predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!predicate()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

int Run(const LoadOptions& options) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::AgentTasksService::Stub>> stubs;
  for (int i = 0; i < options.channels; ++i) {
    channels.push_back(MakeChannel(options.target, i));
    if (!channels.back()->WaitForConnected(DeadlineIn(absl::Seconds(10)))) {
      std::fprintf(stderr, "stream_load: cannot connect to %s\n",
                   options.target.c_str());
      return 2;
    }
    stubs.push_back(v1::AgentTasksService::NewStub(channels.back()));
  }

  std::vector<std::string> task_ids = options.task_ids;
  if (task_ids.empty()) {
    absl::StatusOr<std::vector<std::string>> created =
        CreateTasks(*stubs[0], options, options.tasks);
    if (!created.ok()) {
      std::fprintf(stderr, "stream_load: %s\n",
                   std::string(created.status().message()).c_str());
      return 2;
    }
    task_ids = *std::move(created);
  }
  std::vector<std::unique_ptr<TaskLedger>> ledgers;
  for (const std::string& id : task_ids) {
    ledgers.push_back(std::make_unique<TaskLedger>(id));
  }

  // Open every stream at once.
  LiveCounters live;
  const absl::Duration safety_deadline = options.open_timeout +
                                         options.duration + kSettleTimeout +
                                         absl::Minutes(1);
  std::vector<std::unique_ptr<EventStream>> streams;
  const absl::Time start = absl::Now();
  for (int i = 0; i < options.streams; ++i) {
    streams.push_back(
        std::make_unique<EventStream>(*ledgers[i % ledgers.size()], live));
    streams.back()->Start(*stubs[i % stubs.size()], options, safety_deadline);
  }
  // Waits until each stream has its first message or has ended.
  const bool all_opened =
      PollUntil(
          [&] {
            return live.opened.load() + live.done.load() >=
                   static_cast<int64_t>(streams.size());
          },
          options.open_timeout) &&
      live.opened.load() == static_cast<int64_t>(streams.size());
  const absl::Duration open_time = absl::Now() - start;
  std::fprintf(stderr,
               "stream_load: %lld/%zu streams open after %s on %d channels "
               "over %zu tasks; holding for %s\n",
               static_cast<long long>(live.opened.load()), streams.size(),
               absl::FormatDuration(open_time).c_str(), options.channels,
               ledgers.size(), absl::FormatDuration(options.duration).c_str());

  // Hold, driving traffic.
  const size_t quiet =
      std::min(ledgers.size(), static_cast<size_t>(options.quiet_tasks));
  Responder responder(*stubs[0], options, ledgers, ledgers.size() - quiet);
  StreamTally tally;  // Streams replaced by churn, then all the others.
  std::optional<Churner> churner;
  if (options.stream_lifetime > absl::ZeroDuration()) {
    churner.emplace(options, stubs, streams, live, tally, safety_deadline);
  }
  const absl::Time hold_start = absl::Now();
  const absl::Time hold_end = hold_start + options.duration;
  const int64_t events_at_hold_start = live.events.load();
  const absl::Duration interval = options.respond_interval;
  absl::Time next_tick = hold_start;
  absl::Time next_progress = hold_start + kProgressInterval;
  int64_t peak_client_threads = ProcStatusField("Threads");
  for (absl::Time now = absl::Now(); now < hold_end; now = absl::Now()) {
    if (interval > absl::ZeroDuration() && now >= next_tick) {
      responder.Tick();
      next_tick = std::max(next_tick + interval, now);
    }
    if (churner) churner->Tick(now);
    peak_client_threads =
        std::max(peak_client_threads, ProcStatusField("Threads"));
    if (now >= next_progress) {
      std::fprintf(
          stderr, "stream_load: %s: %lld events received, %lld streams ended\n",
          absl::FormatDuration(absl::Trunc(now - hold_start, absl::Seconds(1)))
              .c_str(),
          static_cast<long long>(live.events.load()),
          static_cast<long long>(live.done.load()));
      next_progress += kProgressInterval;
    }
    absl::Time wake = std::min(hold_end, next_progress);
    if (interval > absl::ZeroDuration()) wake = std::min(wake, next_tick);
    if (churner) wake = std::min(wake, now + kChurnTick);
    absl::SleepFor(wake - absl::Now());
  }
  const absl::Duration hold_time = absl::Now() - hold_start;
  const int64_t events_in_hold = live.events.load() - events_at_hold_start;

  // Settle: the last turns finish, every stream catches up with its task.
  responder.Drain(kUnaryDeadline + absl::Seconds(5));
  const absl::Time settle_start = absl::Now();
  std::vector<size_t> last_sizes(ledgers.size(), 0);
  absl::Time quiet_since = absl::Now();
  int64_t incomplete = 0;
  while (true) {
    bool changed = false;
    for (size_t t = 0; t < ledgers.size(); ++t) {
      const size_t size = ledgers[t]->size();
      if (size != last_sizes[t]) changed = true;
      last_sizes[t] = size;
    }
    if (changed) quiet_since = absl::Now();
    incomplete = 0;
    for (const auto& stream : streams) {
      if (!stream->done() && stream->position() < stream->ledger().size()) {
        ++incomplete;
      }
    }
    if (incomplete == 0 && absl::Now() - quiet_since >= kSettleQuiet) break;
    if (absl::Now() - settle_start >= kSettleTimeout) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration settle_time = absl::Now() - settle_start;

  // Cancel every stream and wait for each to finish.
  const int64_t started =
      static_cast<int64_t>(streams.size()) + (churner ? churner->started() : 0);
  for (const auto& stream : streams) {
    stream->Cancel();
  }
  const bool drained =
      PollUntil([&] { return live.done.load() >= started; }, kDrainTimeout);
  if (churner) churner->LogUnreported();

  int64_t not_finished = 0;
  for (const auto& stream : streams) {
    if (!stream->done()) {
      ++not_finished;
      continue;
    }
    tally.Add(*stream);
  }
  const int64_t opened = tally.opened, failed = tally.failed,
                events = tally.events, heartbeats = tally.heartbeats,
                duplicates = tally.duplicates,
                order_violations = tally.order_violations;
  const std::map<std::string, int64_t>& status_counts = tally.status_counts;
  size_t task_events = 0;
  for (const auto& ledger : ledgers) task_events += ledger->size();
  for (const auto& [sample, count] : tally.failure_samples) {
    std::fprintf(stderr, "stream_load: %lld stream(s) ended with %s\n",
                 static_cast<long long>(count), sample.c_str());
  }

  const double hold_seconds = absl::ToDoubleSeconds(hold_time);
  std::printf(
      "%s\n",
      absl::StrCat(
          "{\"target\":\"", options.target,
          "\",\"channels\":", options.channels, ",\"tasks\":", ledgers.size(),
          ",\"quiet_tasks\":", quiet, ",\"streams\":", streams.size(),
          ",\"streams_opened\":", opened, ",\"open_all_ms\":",
          all_opened ? absl::ToInt64Milliseconds(open_time) : -1,
          ",\"streams_failed\":", failed + not_finished,
          ",\"streams_not_finished\":", not_finished,
          ",\"status_counts\":", CountsJson(status_counts),
          ",\"hold_s\":", absl::StrFormat("%.1f", hold_seconds),
          ",\"events_received\":", events, ",\"events_per_s\":",
          absl::StrFormat(
              "%.0f", hold_seconds > 0 ? events_in_hold / hold_seconds : 0.0),
          ",\"task_events\":", task_events, ",\"heartbeats\":", heartbeats,
          ",\"duplicates\":", duplicates, ",\"order_violations\":",
          order_violations, ",\"incomplete_streams\":", incomplete,
          ",\"settle_ms\":", absl::ToInt64Milliseconds(settle_time),
          ",\"responds\":", responder.Json(), ",\"client_threads_peak\":",
          peak_client_threads, ",\"client_rss_kb\":", ProcStatusField("VmRSS"),
          ",\"streams_started\":", started,
          ",\"streams_resumed\":", tally.resumed, "}")
          .c_str());
  std::fflush(stdout);

  const bool ok = all_opened && drained && failed == 0 && duplicates == 0 &&
                  order_violations == 0 && incomplete == 0 && opened == started;
  if (!drained) {
    // Reactors still referenced by gRPC must outlive the process' exit.
    for (auto& stream : streams) {
      if (!stream->done()) (void)stream.release();
    }
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Holds concurrent StreamTaskEvents calls open through neo-bridge and "
      "prints a JSON summary.\nUsage: stream_load --target=HOST:PORT "
      "[--streams=1000] [--tasks=10] [--duration=60s] "
      "[--respond-interval=500ms] [--quiet-tasks=0] [--channels=8] "
      "[--org=ORG] [--token=TOKEN] [--stream-lifetime=0]");
  // Flags are spelled with dashes (--respond-interval); absl spells them
  // with underscores.
  neobridge::bench::ParseDashedCommandLine(argc, argv);
  LoadOptions options{
      .target = absl::GetFlag(FLAGS_target),
      .streams = absl::GetFlag(FLAGS_streams),
      .tasks = absl::GetFlag(FLAGS_tasks),
      .task_ids = absl::GetFlag(FLAGS_task_ids),
      .duration = absl::GetFlag(FLAGS_duration),
      .respond_interval = absl::GetFlag(FLAGS_respond_interval),
      .open_timeout = absl::GetFlag(FLAGS_open_timeout),
      .quiet_tasks = absl::GetFlag(FLAGS_quiet_tasks),
      .channels = absl::GetFlag(FLAGS_channels),
      .org = absl::GetFlag(FLAGS_org),
      .token = absl::GetFlag(FLAGS_token),
      .stream_lifetime = absl::GetFlag(FLAGS_stream_lifetime),
  };
  if (options.streams < 1 || options.channels < 1 || options.quiet_tasks < 0 ||
      (options.task_ids.empty() && options.tasks < 1) ||
      options.duration < absl::ZeroDuration() ||
      options.respond_interval < absl::ZeroDuration() ||
      options.stream_lifetime < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "stream_load: --streams, --channels and --tasks must be at "
                 "least 1; --quiet-tasks, --duration, --respond-interval and "
                 "--stream-lifetime not negative\n");
    return 2;
  }
  return Run(options);
}
