// What the unary load tools (unary_load, http_load) measure and the one JSON
// line each prints, so that their results read the same way: a latency
// histogram and the summary of a run.
#ifndef NEOBRIDGE_BENCHMARKS_LOAD_STATS_H_
#define NEOBRIDGE_BENCHMARKS_LOAD_STATS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

namespace neobridge::bench {

// A log-linear latency histogram in nanoseconds, like HdrHistogram with two
// significant digits: values below 128 ns are exact, larger ones fall in
// buckets 1/64 of their power of two wide, so a reported percentile is
// within 0.8 % of the true value. Values above 2^40 ns (about 18 minutes)
// are clamped. Record() is thread-safe and lock-free; the readers are meant
// for after the run, once no thread records any more.
class LatencyHistogram {
 public:
  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Records one value; negative values count as 0.
  void Record(int64_t nanos);

  int64_t count() const;
  // Exact smallest and largest recorded values; 0 when empty.
  int64_t min() const;
  int64_t max() const;
  double mean() const;
  // The value at quantile `q` in [0, 1]: the middle of the bucket holding
  // the ceil(q * count)-th smallest value, kept within [min, max]; the exact
  // min or max when that value is the smallest or the largest. 0 when empty.
  int64_t Quantile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static int BucketOf(int64_t nanos);
  static int64_t BucketLow(int bucket);
  static int64_t BucketHigh(int bucket);  // Inclusive.
  static constexpr int kBuckets = (40 - 7) * 64 + 128;

 private:
  std::array<std::atomic<int64_t>, kBuckets> counts_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_{0};
  std::atomic<int64_t> min_{INT64_MAX};
  std::atomic<int64_t> max_{0};
};

// The summary of one load run: what was offered and what came back.
struct LoadSummary {
  std::string tool;    // "unary_load" or "http_load".
  std::string target;  // HOST:PORT.
  std::string method;  // "GetTask" or "ListTasks".
  // Open loop: requests issued at `offered_rps` on a fixed schedule. Closed
  // loop ("saturation"): `concurrency` requests always in flight.
  bool open_loop = true;
  double offered_rps = 0;
  int concurrency = 0;
  int connections = 0;  // gRPC channels or HTTP connections.
  double warmup_s = 0;  // Requests issued in the warm-up are not counted.
  // The measured window: from the end of the warm-up until the last counted
  // request completed (at least the scheduled duration).
  double window_s = 0;
  // Counted requests: issued, answered with success (gRPC OK, HTTP 200),
  // and failed, by reason (a gRPC code name, "http_<status>", "timeout",
  // "connect", "io", "parse").
  int64_t sent = 0;
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;
  // Successful answers of every request, warm-up included: what the
  // server did for the CPU time it used during the whole run.
  int64_t all_ok = 0;
  // Successful answers of counted requests (ok) per second of the window.
  double throughput_rps = 0;
  // Latency of successful counted requests: open loop from the time the
  // schedule said to send (so a stalled target or a busy connection is not
  // hidden: no coordinated omission), closed loop from the actual send.
  const LatencyHistogram* latency = nullptr;
  // Open loop: how late the generator itself issued requests (http_load:
  // queued them; a wait for a free connection after that is the target's
  // doing and shows only in the latency), worst case, and how many were
  // more than 1 ms late (then the client, not the target, was the limit).
  int64_t max_send_lag_ns = 0;
  int64_t late_sends = 0;
  // The load tool's own CPU time (user + system) for the whole run.
  double client_cpu_s = 0;
};

// One JSON object on one line, e.g.
//   {"tool":"unary_load","target":"127.0.0.1:41123","method":"GetTask",
//    "mode":"fixed","offered_rps":1000,"concurrency":0,"connections":4,
//    "warmup_s":1,"window_s":5.001,"sent":5000,"ok":5000,"errors":{},
//    "all_ok":6000,"throughput_rps":999.8,"latency_us":{"p50":210.3,"p90":260.1,
//    "p99":410.9,"p999":900.2,"max":1210.7,"mean":221.4},
//    "max_send_lag_us":80.2,"late_sends":0,"client_cpu_s":0.91}
// "mode" is "fixed" (open loop) or "saturation" (closed loop).
std::string SummaryJson(const LoadSummary& summary);

// User + system CPU seconds this process has used so far.
double ProcessCpuSeconds();

// Makes this thread's timed sleeps wake within about a microsecond instead
// of the default 50 µs timer slack, so fixed-rate schedules stay on time.
void TightenTimerSlack();

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_LOAD_STATS_H_
