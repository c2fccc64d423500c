// http_load: drives the REST calls behind GetTask or ListTasks (GET
// /api/preview/agents/{org}/tasks/{id}, GET …/tasks?pageSize=N) over
// HTTP/1.1 keep-alive, straight at neo-emulator or at a proxy in front of
// it, and prints one JSON summary line on stdout shaped like unary_load's
// (see load_stats.h). It sends the headers neo-bridge sends upstream
// (`Authorization: token <--token>`, the same Accept), so the server does
// the same work per request.
//
// One thread, epoll, a fixed pool of keep-alive connections with at most one
// request each (no pipelining). Two modes:
//  - fixed rate (--rate=N): open loop. Request i is due at start + i/N; it
//    goes out on the first free connection of --connections, waiting in a
//    queue while all are busy. Its latency runs from its due time, so time
//    spent queued counts (no coordinated omission). A queued request whose
//    --timeout has passed before it could be sent fails as "timeout".
//  - saturation (--rate=0): closed loop, --concurrency connections each
//    sending its next request as soon as the previous answer is complete.
//
// A response counts as ok when its status is 200. Failures are counted by
// reason: "http_<status>", "timeout", "connect", "io" (reset, or closed
// mid-response), "parse". A connection that fails or that the server closes
// is replaced with a new one (a blocking connect: loopback only).
//
// Exit code: 0 when every counted request got a 200, 1 when some did not,
// 2 for bad flags or when the target cannot be reached.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "benchmarks/dashed_flags.h"
#include "benchmarks/http_response_parser.h"
#include "benchmarks/load_stats.h"

ABSL_FLAG(std::string, target, "127.0.0.1:8080",
          "HTTP server address, HOST:PORT (an IPv4 literal)");
ABSL_FLAG(std::string, method, "GetTask",
          "which REST call: GetTask (GET …/tasks/{id}) or ListTasks (GET "
          "…/tasks?pageSize=N)");
ABSL_FLAG(double, rate, 1000,
          "requests per second on a fixed schedule (open loop); 0 = "
          "saturation (closed loop on --concurrency connections)");
ABSL_FLAG(int, concurrency, 32,
          "connections, each with one request in flight, in saturation mode");
ABSL_FLAG(int, connections, 16,
          "keep-alive connections in fixed-rate mode; a request waits for a "
          "free one");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "how long to issue counted requests, after the warm-up");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "requests issued during this first period are not counted");
ABSL_FLAG(std::vector<std::string>, task_ids, {},
          "comma-separated task ids that GetTask cycles through (required "
          "for GetTask)");
ABSL_FLAG(int, page_size, 10, "ListTasks page size (pageSize)");
ABSL_FLAG(std::string, org, "acme", "organization in the request path");
ABSL_FLAG(std::string, token, "",
          "sent as `Authorization: token <token>`, as neo-bridge sends it");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "bound on each request, from its due time (open loop) or its send "
          "(closed loop)");

namespace {

using ::neobridge::bench::HttpResponseParser;
using ::neobridge::bench::LatencyHistogram;
using ::neobridge::bench::LoadSummary;
using Clock = std::chrono::steady_clock;

// The Accept header neo-bridge sends upstream (bridge/client).
constexpr char kAccept[] = "application/vnd.pulumi+8";
constexpr auto kLateSend = std::chrono::milliseconds(1);
constexpr size_t kReadBuffer = 64 * 1024;
// epoll_wait's longest sleep, so that timeouts are noticed without a timer.
constexpr int kPollMillis = 20;
// The timerfd's epoll tag; connections use their index.
constexpr uint64_t kTimerTag = ~uint64_t{0};

struct LoadOptions {
  std::string host;
  int port = 0;
  std::string method;
  double rate = 0;
  int concurrency = 0;
  int connections = 0;
  absl::Duration duration;
  absl::Duration warmup;
  std::vector<std::string> task_ids;
  int page_size = 0;
  std::string org;
  std::string token;
  absl::Duration timeout;
};

// The wire form of every distinct request, cycled through in order.
std::vector<std::string> BuildRequests(const LoadOptions& options) {
  const std::string tasks_path =
      absl::StrCat("/api/preview/agents/", options.org, "/tasks");
  std::vector<std::string> paths;
  if (options.method == "GetTask") {
    for (const std::string& id : options.task_ids) {
      paths.push_back(absl::StrCat(tasks_path, "/", id));
    }
  } else {
    paths.push_back(absl::StrCat(tasks_path, "?pageSize=", options.page_size));
  }
  std::vector<std::string> requests;
  for (const std::string& path : paths) {
    requests.push_back(absl::StrCat(
        "GET ", path, " HTTP/1.1\r\nHost: ", options.host, ":", options.port,
        "\r\n",
        options.token.empty()
            ? ""
            : absl::StrCat("Authorization: token ", options.token, "\r\n"),
        "Accept: ", kAccept, "\r\nUser-Agent: neo-bridge-http-load\r\n\r\n"));
  }
  return requests;
}

// A blocking connect to the target, then non-blocking with TCP_NODELAY; -1
// on failure.
int Connect(const LoadOptions& options) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr) != 1) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// A request on its way: due (or send) time and whether it counts.
struct Request {
  uint64_t n = 0;
  Clock::time_point start;
  bool counted = false;
};

// One keep-alive connection with at most one request in flight.
struct Connection {
  int fd = -1;
  bool busy = false;
  Request request;
  std::string out;  // Bytes of the request not yet written.
  bool want_write = false;
  HttpResponseParser parser;
};

class Load {
 public:
  Load(const LoadOptions& options, std::vector<std::string> requests)
      : options_(options),
        requests_(std::move(requests)),
        open_loop_(options.rate > 0),
        pool_size_(open_loop_ ? options.connections : options.concurrency),
        connections_(static_cast<size_t>(pool_size_)),
        timeout_(absl::ToChronoNanoseconds(options.timeout)) {}

  ~Load() {
    for (Connection& c : connections_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (timer_fd_ >= 0) close(timer_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  // Opens the pool; false (with a message) when the target is unreachable.
  bool Open() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epoll_fd_ < 0 || timer_fd_ < 0) {
      std::fprintf(stderr, "http_load: epoll/timerfd: %s\n",
                   std::strerror(errno));
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerTag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
    for (size_t i = 0; i < connections_.size(); ++i) {
      if (!Reconnect(i)) {
        std::fprintf(stderr, "http_load: cannot connect to %s:%d: %s\n",
                     options_.host.c_str(), options_.port,
                     std::strerror(errno));
        return false;
      }
    }
    return true;
  }

  // Runs the load to the end and returns its summary (which points at this
  // object's histogram).
  LoadSummary Run() {
    if (open_loop_) neobridge::bench::TightenTimerSlack();
    const double cpu_before = neobridge::bench::ProcessCpuSeconds();
    start_ = Clock::now();
    count_from_ = start_ + absl::ToChronoNanoseconds(options_.warmup);
    end_ = count_from_ + absl::ToChronoNanoseconds(options_.duration);
    const double interval_ns = open_loop_ ? 1e9 / options_.rate : 0;

    std::vector<epoll_event> events(connections_.size() + 1);
    while (true) {
      const Clock::time_point now = Clock::now();
      // Due requests join the queue (open loop).
      Clock::time_point next_due = Clock::time_point::max();
      if (open_loop_) {
        while (true) {
          const Clock::time_point due =
              start_ +
              std::chrono::nanoseconds(static_cast<int64_t>(
                  std::llround(static_cast<double>(next_n_) * interval_ns)));
          if (due >= end_) break;
          if (due > now) {
            next_due = due;
            break;
          }
          queue_.push_back(Request{
              .n = next_n_++, .start = due, .counted = due >= count_from_});
          if (queue_.back().counted) {
            ++sent_;
            // The generator's own lag. Waiting for a free connection after
            // this is the target's doing and shows only in the latency.
            const auto lag = now - due;
            max_lag_ns_ = std::max<int64_t>(
                max_lag_ns_,
                std::chrono::duration_cast<std::chrono::nanoseconds>(lag)
                    .count());
            if (lag > kLateSend) ++late_sends_;
          }
        }
        ExpireQueued(now);
      }
      Dispatch();
      ExpireInFlight(Clock::now());
      if (Finished(now)) break;

      int wait_ms = kPollMillis;
      if (next_due != Clock::time_point::max()) {
        itimerspec spec{};
        const auto since_epoch = next_due.time_since_epoch();
        spec.it_value.tv_sec = static_cast<time_t>(
            std::chrono::duration_cast<std::chrono::seconds>(since_epoch)
                .count());
        spec.it_value.tv_nsec = static_cast<long>(
            (since_epoch - std::chrono::seconds(spec.it_value.tv_sec)).count());
        timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
      }
      const int n = epoll_wait(epoll_fd_, events.data(),
                               static_cast<int>(events.size()), wait_ms);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kTimerTag) {
          uint64_t expirations = 0;
          (void)!read(timer_fd_, &expirations, sizeof(expirations));
          continue;
        }
        const size_t index = static_cast<size_t>(events[i].data.u64);
        if (events[i].events & EPOLLOUT) Write(index);
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Read(index);
      }
    }

    const Clock::time_point window_end = std::max(end_, last_counted_end_);
    const double window_s =
        std::chrono::duration<double>(window_end - count_from_).count();
    return LoadSummary{
        .tool = "http_load",
        .target = absl::StrCat(options_.host, ":", options_.port),
        .method = options_.method,
        .open_loop = open_loop_,
        .offered_rps = options_.rate,
        .concurrency = open_loop_ ? 0 : options_.concurrency,
        .connections = pool_size_,
        .warmup_s = absl::ToDoubleSeconds(options_.warmup),
        .window_s = window_s,
        .sent = sent_,
        .ok = ok_,
        .errors = errors_,
        .all_ok = all_ok_,
        .throughput_rps = window_s > 0 ? ok_ / window_s : 0,
        .latency = &latency_,
        .max_send_lag_ns = max_lag_ns_,
        .late_sends = late_sends_,
        .client_cpu_s = neobridge::bench::ProcessCpuSeconds() - cpu_before,
    };
  }

 private:
  bool Finished(Clock::time_point now) const {
    if (open_loop_) {
      const Clock::time_point due =
          start_ + std::chrono::nanoseconds(static_cast<int64_t>(std::llround(
                       static_cast<double>(next_n_) * 1e9 / options_.rate)));
      if (due < end_ || !queue_.empty()) return false;
    } else if (now < end_) {
      return false;
    }
    return std::none_of(connections_.begin(), connections_.end(),
                        [](const Connection& c) { return c.busy; });
  }

  // Gives free connections work: the queue's head (open loop) or a new
  // request (closed loop, until the end).
  void Dispatch() {
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& c = connections_[i];
      if (c.busy || c.fd < 0) continue;
      Request request;
      const Clock::time_point now = Clock::now();
      if (open_loop_) {
        if (queue_.empty()) return;
        request = queue_.front();
        queue_.pop_front();
      } else {
        if (now >= end_) return;
        request = Request{
            .n = next_n_++, .start = now, .counted = now >= count_from_};
        if (request.counted) ++sent_;
      }
      c.busy = true;
      c.request = request;
      c.out = requests_[request.n % requests_.size()];
      c.parser.Reset();
      Write(i);
    }
  }

  void Write(size_t index) {
    Connection& c = connections_[index];
    while (!c.out.empty()) {
      const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WatchWrites(index, true);
        return;
      }
      Fail(index, "io");
      return;
    }
    WatchWrites(index, false);
  }

  void Read(size_t index) {
    Connection& c = connections_[index];
    char buffer[kReadBuffer];
    while (c.fd >= 0) {
      const ssize_t n = recv(c.fd, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        // Closed (or reset): ends a close-delimited body, fails anything
        // else in flight; an idle connection is simply replaced.
        if (!c.busy) {
          Replace(index);
          return;
        }
        bool done = false;
        if (n == 0 && c.parser.Close(&done).ok() && done) {
          Complete(index, /*reuse=*/false);
        } else {
          Fail(index, "io");
        }
        return;
      }
      if (!c.busy) {
        Fail(index, "parse");  // Bytes nobody asked for.
        return;
      }
      size_t used = 0;
      bool done = false;
      if (!c.parser.Feed(absl::string_view(buffer, n), &used, &done).ok()) {
        Fail(index, "parse");
        return;
      }
      if (done) {
        if (used != static_cast<size_t>(n)) {
          Fail(index, "parse");  // Data after the response.
          return;
        }
        Complete(index, c.parser.head().keep_alive);
        return;
      }
    }
  }

  void Complete(size_t index, bool reuse) {
    Connection& c = connections_[index];
    const int status = c.parser.head().status;
    if (status == 200) ++all_ok_;
    if (c.request.counted) {
      const Clock::time_point now = Clock::now();
      last_counted_end_ = std::max(last_counted_end_, now);
      if (status == 200) {
        ++ok_;
        latency_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            now - c.request.start)
                            .count());
      } else {
        ++errors_[absl::StrCat("http_", status)];
      }
    }
    c.busy = false;
    if (!reuse) Replace(index);
  }

  void Fail(size_t index, const char* reason) {
    Connection& c = connections_[index];
    if (c.busy && c.request.counted) {
      ++errors_[reason];
      last_counted_end_ = std::max(last_counted_end_, Clock::now());
    }
    c.busy = false;
    Replace(index);
  }

  // Counts requests still queued past their timeout as failed.
  void ExpireQueued(Clock::time_point now) {
    while (!queue_.empty() && now - queue_.front().start > timeout_) {
      if (queue_.front().counted) {
        ++errors_["timeout"];
        last_counted_end_ = std::max(last_counted_end_, now);
      }
      queue_.pop_front();
    }
  }

  // Fails requests in flight past their timeout, dropping their connection.
  void ExpireInFlight(Clock::time_point now) {
    for (size_t i = 0; i < connections_.size(); ++i) {
      if (connections_[i].busy &&
          now - connections_[i].request.start > timeout_) {
        Fail(i, "timeout");
      }
    }
  }

  // Closes connection `index` (if open) and opens a new one in its place.
  void Replace(size_t index) {
    if (!Reconnect(index)) {
      if (++connect_failures_ <= 3) {
        std::fprintf(stderr, "http_load: reconnect failed: %s\n",
                     std::strerror(errno));
      }
    }
  }

  bool Reconnect(size_t index) {
    Connection& c = connections_[index];
    if (c.fd >= 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c = Connection();
    c.fd = Connect(options_);
    if (c.fd < 0) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  void WatchWrites(size_t index, bool on) {
    Connection& c = connections_[index];
    if (c.fd < 0 || c.want_write == on) return;
    c.want_write = on;
    epoll_event ev{};
    ev.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  const LoadOptions& options_;
  const std::vector<std::string> requests_;
  const bool open_loop_;
  const int pool_size_;
  std::vector<Connection> connections_;
  const std::chrono::nanoseconds timeout_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;

  Clock::time_point start_, count_from_, end_;
  Clock::time_point last_counted_end_;
  uint64_t next_n_ = 0;
  std::deque<Request> queue_;  // Due, waiting for a free connection.
  int64_t sent_ = 0;
  int64_t ok_ = 0;
  int64_t all_ok_ = 0;
  std::map<std::string, int64_t> errors_;
  LatencyHistogram latency_;
  int64_t max_lag_ns_ = 0;
  int64_t late_sends_ = 0;
  int64_t connect_failures_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives the REST calls behind GetTask or ListTasks over HTTP/1.1 "
      "keep-alive at a fixed rate or at saturation and prints a JSON "
      "summary.\nUsage: http_load --target=127.0.0.1:PORT --method=GetTask "
      "--task-ids=ID,... --org=ORG --token=TOKEN [--rate=1000 "
      "[--connections=16] | --rate=0 --concurrency=32] [--duration=10s] "
      "[--warmup=1s]");
  neobridge::bench::ParseDashedCommandLine(argc, argv);

  LoadOptions options{
      .method = absl::GetFlag(FLAGS_method),
      .rate = absl::GetFlag(FLAGS_rate),
      .concurrency = absl::GetFlag(FLAGS_concurrency),
      .connections = absl::GetFlag(FLAGS_connections),
      .duration = absl::GetFlag(FLAGS_duration),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .task_ids = absl::GetFlag(FLAGS_task_ids),
      .page_size = absl::GetFlag(FLAGS_page_size),
      .org = absl::GetFlag(FLAGS_org),
      .token = absl::GetFlag(FLAGS_token),
      .timeout = absl::GetFlag(FLAGS_timeout),
  };
  const std::string target = absl::GetFlag(FLAGS_target);
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(target).substr(colon + 1),
                        &options.port) ||
      options.port <= 0 || options.port > 65535) {
    std::fprintf(stderr,
                 "http_load: --target must be IPV4:PORT, e.g. "
                 "127.0.0.1:8080 (got '%s')\n",
                 target.c_str());
    return 2;
  }
  options.host = target.substr(0, colon);
  if (options.method != "GetTask" && options.method != "ListTasks") {
    std::fprintf(stderr,
                 "http_load: --method must be GetTask or ListTasks (got "
                 "'%s')\n",
                 options.method.c_str());
    return 2;
  }
  if (options.method == "GetTask" && options.task_ids.empty()) {
    std::fprintf(stderr, "http_load: GetTask needs --task-ids\n");
    return 2;
  }
  if (options.org.empty() || options.rate < 0 || options.concurrency < 1 ||
      options.connections < 1 || options.duration <= absl::ZeroDuration() ||
      options.warmup < absl::ZeroDuration() ||
      options.timeout <= absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "http_load: --org must be set; --rate must not be negative; "
                 "--concurrency and --connections must be at least 1; "
                 "--duration and --timeout positive; --warmup not "
                 "negative\n");
    return 2;
  }

  Load load(options, BuildRequests(options));
  if (!load.Open()) return 2;
  const LoadSummary summary = load.Run();
  std::printf("%s\n", neobridge::bench::SummaryJson(summary).c_str());
  std::fflush(stdout);
  return summary.ok == summary.sent ? 0 : 1;
}
