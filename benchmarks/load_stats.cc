#include "benchmarks/load_stats.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace neobridge::bench {
namespace {

// Values below 2^kExactBits are exact; above, each power of two has
// kSubBuckets buckets.
constexpr int kExactBits = 7;
constexpr int kSubBuckets = 64;
constexpr int64_t kMaxValue = (int64_t{1} << 40) - 1;

std::string Micros(int64_t nanos) {
  return absl::StrFormat("%.1f", static_cast<double>(nanos) / 1000.0);
}

}  // namespace

LatencyHistogram::LatencyHistogram() {
  for (std::atomic<int64_t>& count : counts_) count.store(0);
}

int LatencyHistogram::BucketOf(int64_t nanos) {
  const uint64_t v =
      static_cast<uint64_t>(std::clamp<int64_t>(nanos, 0, kMaxValue));
  if (v < (uint64_t{1} << kExactBits)) return static_cast<int>(v);
  // v has bit_width(v) >= 8 bits; keep its top 7 bits (64..127).
  const int shift = std::bit_width(v) - kExactBits;
  return shift * kSubBuckets + static_cast<int>(v >> shift);
}

int64_t LatencyHistogram::BucketLow(int bucket) {
  if (bucket < (1 << kExactBits)) return bucket;
  const int shift = bucket / kSubBuckets - 1;
  const int64_t mantissa = bucket % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

int64_t LatencyHistogram::BucketHigh(int bucket) {
  if (bucket < (1 << kExactBits)) return bucket;
  const int shift = bucket / kSubBuckets - 1;
  const int64_t mantissa = bucket % kSubBuckets + kSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t nanos) {
  nanos = std::clamp<int64_t>(nanos, 0, kMaxValue);
  counts_[BucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(nanos, std::memory_order_relaxed);
  int64_t seen = min_.load(std::memory_order_relaxed);
  while (nanos < seen && !min_.compare_exchange_weak(seen, nanos)) {
  }
  seen = max_.load(std::memory_order_relaxed);
  while (nanos > seen && !max_.compare_exchange_weak(seen, nanos)) {
  }
}

int64_t LatencyHistogram::count() const { return count_.load(); }

int64_t LatencyHistogram::min() const { return count() == 0 ? 0 : min_.load(); }

int64_t LatencyHistogram::max() const { return max_.load(); }

double LatencyHistogram::mean() const {
  const int64_t n = count();
  return n == 0 ? 0.0 : static_cast<double>(sum_.load()) / n;
}

int64_t LatencyHistogram::Quantile(double q) const {
  const int64_t n = count();
  if (n == 0) return 0;
  const int64_t rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * n)), 1, n);
  if (rank == n) return max();  // The extremes are known exactly.
  if (rank == 1) return min();
  int64_t seen = 0;
  for (int bucket = 0; bucket < kBuckets; ++bucket) {
    seen += counts_[bucket].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const int64_t middle = (BucketLow(bucket) + BucketHigh(bucket)) / 2;
      return std::clamp(middle, min(), max());
    }
  }
  return max();
}

std::string SummaryJson(const LoadSummary& s) {
  std::string errors =
      absl::StrJoin(s.errors, ",", [](std::string* out, const auto& entry) {
        absl::StrAppend(out, "\"", entry.first, "\":", entry.second);
      });
  std::string latency = "{}";
  if (s.latency != nullptr) {
    const LatencyHistogram& h = *s.latency;
    latency = absl::StrCat(
        "{\"p50\":", Micros(h.Quantile(0.50)),
        ",\"p90\":", Micros(h.Quantile(0.90)),
        ",\"p99\":", Micros(h.Quantile(0.99)),
        ",\"p999\":", Micros(h.Quantile(0.999)), ",\"max\":", Micros(h.max()),
        ",\"mean\":", absl::StrFormat("%.1f", h.mean() / 1000.0), "}");
  }
  return absl::StrCat(
      "{\"tool\":\"", s.tool, "\",\"target\":\"", s.target, "\",\"method\":\"",
      s.method, "\",\"mode\":\"", s.open_loop ? "fixed" : "saturation",
      "\",\"offered_rps\":", absl::StrFormat("%g", s.offered_rps),
      ",\"concurrency\":", s.concurrency, ",\"connections\":", s.connections,
      ",\"warmup_s\":", absl::StrFormat("%g", s.warmup_s),
      ",\"window_s\":", absl::StrFormat("%.3f", s.window_s),
      ",\"sent\":", s.sent, ",\"ok\":", s.ok, ",\"errors\":{", errors,
      "},\"all_ok\":", s.all_ok,
      ",\"throughput_rps\":", absl::StrFormat("%.1f", s.throughput_rps),
      ",\"latency_us\":", latency,
      ",\"max_send_lag_us\":", Micros(s.max_send_lag_ns),
      ",\"late_sends\":", s.late_sends,
      ",\"client_cpu_s\":", absl::StrFormat("%.2f", s.client_cpu_s), "}");
}

double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void TightenTimerSlack() { prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

}  // namespace neobridge::bench
