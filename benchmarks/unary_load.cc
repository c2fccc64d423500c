// unary_load: drives GetTask or ListTasks calls through neo-bridge and
// prints one JSON summary line on stdout (see load_stats.h for its fields).
//
// Two modes:
//  - fixed rate (--rate=N): open loop. Call i is due at start + i/N and is
//    issued then, whether or not earlier calls have completed; its latency
//    runs from that due time, so a stalled server cannot hide queued-up
//    delay (no coordinated omission).
//  - saturation (--rate=0): closed loop. --concurrency calls are always in
//    flight; each completion issues the next call at once.
//
// Calls use the gRPC callback API (stub->async()), spread round-robin over
// --channels channels, each its own HTTP/2 connection. Calls issued during
// --warmup are not counted. Each call carries `authorization: Bearer
// <--token>` and a --deadline.
//
// Exit code: 0 when every counted call succeeded, 1 when some failed, 2 for
// bad flags or when the target cannot be reached.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "benchmarks/dashed_flags.h"
#include "benchmarks/load_stats.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "neo-bridge address, HOST:PORT (plaintext)");
ABSL_FLAG(std::string, method, "GetTask", "GetTask or ListTasks");
ABSL_FLAG(double, rate, 1000,
          "calls per second on a fixed schedule (open loop); 0 = saturation "
          "(closed loop with --concurrency calls in flight)");
ABSL_FLAG(int, concurrency, 32, "calls in flight in saturation mode");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "how long to issue counted calls, after the warm-up");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "calls issued during this first period are not counted");
ABSL_FLAG(int, channels, 4,
          "gRPC channels (each its own HTTP/2 connection) to spread calls "
          "over");
ABSL_FLAG(std::vector<std::string>, task_ids, {},
          "comma-separated task ids that GetTask cycles through (required "
          "for GetTask)");
ABSL_FLAG(int, page_size, 10, "ListTasks page size");
ABSL_FLAG(std::string, org, "", "org of every request; empty = the bridge's");
ABSL_FLAG(std::string, token, "",
          "sent as `authorization: Bearer <token>`; empty = no metadata (the "
          "bridge's service token, when its policy allows)");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5), "deadline of each call");

namespace {

namespace v1 = ::neobridge::v1;
using ::neobridge::bench::LatencyHistogram;
using ::neobridge::bench::LoadSummary;
using Clock = std::chrono::steady_clock;

enum class Method { kGetTask, kListTasks };

struct LoadOptions {
  std::string target;
  Method method = Method::kGetTask;
  double rate = 0;
  int concurrency = 0;
  absl::Duration duration;
  absl::Duration warmup;
  int channels = 0;
  std::vector<std::string> task_ids;
  int page_size = 0;
  std::string org;
  std::string token;
  absl::Duration deadline;
};

// Sends later than this behind schedule count as late (the client, not the
// target, was the limit).
constexpr auto kLateSend = std::chrono::milliseconds(1);
// How long to wait for calls still in flight at the end, beyond a deadline.
constexpr absl::Duration kDrainSlack = absl::Seconds(5);

// The canonical name of a gRPC code ("RESOURCE_EXHAUSTED"); gRPC and absl
// number the codes alike.
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// Channel number `index`: a local subchannel pool and a distinct argument
// keep each channel on its own HTTP/2 connection.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("neobridge.unary_load.channel", index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

// What every call reports into. Thread-safe: completions arrive on gRPC's
// callback threads.
class Recorder {
 public:
  // Counts the start of a call.
  void Started(bool counted) {
    if (counted) sent_.fetch_add(1, std::memory_order_relaxed);
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }

  // Records the outcome of a call that started at `start` (its due time in
  // open loop, its send time in closed loop).
  void Finished(bool counted, Clock::time_point start,
                const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (status.ok()) all_ok_.fetch_add(1, std::memory_order_relaxed);
    if (!counted) return;
    if (status.ok()) {
      ok_.fetch_add(1, std::memory_order_relaxed);
      latency_.Record(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - start)
              .count());
    }
    absl::MutexLock lock(&mu_);
    if (!status.ok()) ++errors_[CodeName(status.error_code())];
    last_counted_end_ = std::max(last_counted_end_, now);
  }

  // Counts a call as no longer in flight: the last step of its completion,
  // after any call it chained (closed loop) has Started, so that Drain never
  // sees zero while a chain goes on.
  void Done() {
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }

  // Waits until no call is in flight; false on timeout.
  bool Drain(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return outstanding_ == 0;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
  }

  int64_t sent() const { return sent_.load(); }
  int64_t ok() const { return ok_.load(); }
  int64_t all_ok() const { return all_ok_.load(); }
  const LatencyHistogram& latency() const { return latency_; }
  std::map<std::string, int64_t> errors() const {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  Clock::time_point last_counted_end() const {
    absl::MutexLock lock(&mu_);
    return last_counted_end_;
  }

 private:
  std::atomic<int64_t> sent_{0};
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> all_ok_{0};
  LatencyHistogram latency_;
  mutable absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
  Clock::time_point last_counted_end_ ABSL_GUARDED_BY(mu_);
};

// Issues calls of the configured method. Thread-safe; the callbacks run on
// gRPC's callback threads and may issue the next call (closed loop).
class Caller {
 public:
  Caller(const LoadOptions& options,
         std::vector<std::unique_ptr<v1::AgentTasksService::Stub>>& stubs,
         Recorder& recorder)
      : options_(options), stubs_(stubs), recorder_(recorder) {}

  // Issues call number `n`, counted or not, timed from `start`; `then` runs
  // after the call ended and was recorded.
  template <typename Then>
  void Issue(uint64_t n, bool counted, Clock::time_point start, Then then) {
    v1::AgentTasksService::Stub& stub = *stubs_[n % stubs_.size()];
    recorder_.Started(counted);
    if (options_.method == Method::kGetTask) {
      auto* call = new Call<v1::GetTaskRequest, v1::GetTaskResponse>;
      call->request.set_org(options_.org);
      call->request.set_task_id(
          options_.task_ids[n % options_.task_ids.size()]);
      Start(call, counted, start, std::move(then), [&stub](auto* c, auto done) {
        stub.async()->GetTask(&c->context, &c->request, &c->response,
                              std::move(done));
      });
    } else {
      auto* call = new Call<v1::ListTasksRequest, v1::ListTasksResponse>;
      call->request.set_org(options_.org);
      call->request.set_page_size(options_.page_size);
      Start(call, counted, start, std::move(then), [&stub](auto* c, auto done) {
        stub.async()->ListTasks(&c->context, &c->request, &c->response,
                                std::move(done));
      });
    }
  }

 private:
  template <typename Request, typename Response>
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };

  // Sets up `call`'s context and hands it to `send`; the completion records
  // the outcome, deletes the call, runs `then` and only then counts the call
  // as done.
  template <typename CallT, typename Then, typename Send>
  void Start(CallT* call, bool counted, Clock::time_point start, Then then,
             Send send) {
    if (!options_.token.empty()) {
      call->context.AddMetadata("authorization",
                                absl::StrCat("Bearer ", options_.token));
    }
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(options_.deadline));
    send(call, [this, call, counted, start,
                then = std::move(then)](grpc::Status status) mutable {
      recorder_.Finished(counted, start, status);
      delete call;
      then();
      recorder_.Done();
    });
  }

  const LoadOptions& options_;
  std::vector<std::unique_ptr<v1::AgentTasksService::Stub>>& stubs_;
  Recorder& recorder_;
};

// Closed loop: `concurrency` chains of calls, each issuing its next call
// from the previous one's completion until `end`.
class ClosedLoop {
 public:
  ClosedLoop(Caller& caller, Clock::time_point count_from,
             Clock::time_point end)
      : caller_(caller), count_from_(count_from), end_(end) {}

  void Next() {
    const Clock::time_point now = Clock::now();
    if (now >= end_) return;
    caller_.Issue(n_.fetch_add(1, std::memory_order_relaxed),
                  now >= count_from_, now, [this] { Next(); });
  }

 private:
  Caller& caller_;
  const Clock::time_point count_from_;
  const Clock::time_point end_;
  std::atomic<uint64_t> n_{0};
};

int Run(const LoadOptions& options) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::AgentTasksService::Stub>> stubs;
  for (int i = 0; i < options.channels; ++i) {
    channels.push_back(MakeChannel(options.target, i));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(10))) {
      std::fprintf(stderr, "unary_load: cannot connect to %s\n",
                   options.target.c_str());
      return 2;
    }
    stubs.push_back(v1::AgentTasksService::NewStub(channels.back()));
  }

  Recorder recorder;
  Caller caller(options, stubs, recorder);
  const double cpu_before = neobridge::bench::ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  const Clock::time_point count_from =
      start + absl::ToChronoNanoseconds(options.warmup);
  const Clock::time_point end =
      count_from + absl::ToChronoNanoseconds(options.duration);

  int64_t max_lag_ns = 0;
  int64_t late_sends = 0;
  ClosedLoop loop(caller, count_from, end);  // Outlives every call chain.
  if (options.rate > 0) {
    neobridge::bench::TightenTimerSlack();
    const double interval_ns = 1e9 / options.rate;
    for (uint64_t n = 0;; ++n) {
      const Clock::time_point due =
          start + std::chrono::nanoseconds(
                      static_cast<int64_t>(std::llround(n * interval_ns)));
      if (due >= end) break;
      Clock::time_point now = Clock::now();
      if (due > now) {
        std::this_thread::sleep_until(due);
        now = Clock::now();
      }
      const auto lag = now - due;
      if (due >= count_from) {
        max_lag_ns = std::max<int64_t>(
            max_lag_ns,
            std::chrono::duration_cast<std::chrono::nanoseconds>(lag).count());
        if (lag > kLateSend) ++late_sends;
      }
      caller.Issue(n, due >= count_from, due, [] {});
    }
  } else {
    for (int i = 0; i < options.concurrency; ++i) loop.Next();
    std::this_thread::sleep_until(end);
  }
  if (!recorder.Drain(options.deadline + kDrainSlack)) {
    std::fprintf(stderr, "unary_load: calls still in flight at exit\n");
    std::fflush(stderr);
    std::_Exit(1);  // Calls still reference the caller; do not unwind.
  }

  const Clock::time_point window_end =
      std::max(end, recorder.last_counted_end());
  const double window_s =
      std::chrono::duration<double>(window_end - count_from).count();
  LoadSummary summary{
      .tool = "unary_load",
      .target = options.target,
      .method = options.method == Method::kGetTask ? "GetTask" : "ListTasks",
      .open_loop = options.rate > 0,
      .offered_rps = options.rate,
      .concurrency = options.rate > 0 ? 0 : options.concurrency,
      .connections = options.channels,
      .warmup_s = absl::ToDoubleSeconds(options.warmup),
      .window_s = window_s,
      .sent = recorder.sent(),
      .ok = recorder.ok(),
      .errors = recorder.errors(),
      .all_ok = recorder.all_ok(),
      .throughput_rps = window_s > 0 ? recorder.ok() / window_s : 0,
      .latency = &recorder.latency(),
      .max_send_lag_ns = max_lag_ns,
      .late_sends = late_sends,
      .client_cpu_s = neobridge::bench::ProcessCpuSeconds() - cpu_before,
  };
  std::printf("%s\n", neobridge::bench::SummaryJson(summary).c_str());
  std::fflush(stdout);
  return recorder.ok() == recorder.sent() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives GetTask or ListTasks calls through neo-bridge at a fixed rate "
      "or at saturation and prints a JSON summary.\nUsage: unary_load "
      "--target=HOST:PORT --method=GetTask --task-ids=ID,... [--rate=1000 | "
      "--rate=0 --concurrency=32] [--duration=10s] [--warmup=1s] "
      "[--channels=4] [--org=ORG] [--token=TOKEN]");
  // Flags are spelled with dashes (--task-ids); absl spells them with
  // underscores.
  neobridge::bench::ParseDashedCommandLine(argc, argv);
  const std::string method = absl::GetFlag(FLAGS_method);
  LoadOptions options{
      .target = absl::GetFlag(FLAGS_target),
      .method = method == "ListTasks" ? Method::kListTasks : Method::kGetTask,
      .rate = absl::GetFlag(FLAGS_rate),
      .concurrency = absl::GetFlag(FLAGS_concurrency),
      .duration = absl::GetFlag(FLAGS_duration),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .channels = absl::GetFlag(FLAGS_channels),
      .task_ids = absl::GetFlag(FLAGS_task_ids),
      .page_size = absl::GetFlag(FLAGS_page_size),
      .org = absl::GetFlag(FLAGS_org),
      .token = absl::GetFlag(FLAGS_token),
      .deadline = absl::GetFlag(FLAGS_deadline),
  };
  if (method != "GetTask" && method != "ListTasks") {
    std::fprintf(stderr,
                 "unary_load: --method must be GetTask or ListTasks (got "
                 "'%s')\n",
                 method.c_str());
    return 2;
  }
  if (options.method == Method::kGetTask && options.task_ids.empty()) {
    std::fprintf(stderr, "unary_load: GetTask needs --task-ids\n");
    return 2;
  }
  if (options.rate < 0 || options.concurrency < 1 || options.channels < 1 ||
      options.duration <= absl::ZeroDuration() ||
      options.warmup < absl::ZeroDuration() ||
      options.deadline <= absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "unary_load: --rate must not be negative; --concurrency and "
                 "--channels must be at least 1; --duration and --deadline "
                 "positive; --warmup not negative\n");
    return 2;
  }
  return Run(options);
}
