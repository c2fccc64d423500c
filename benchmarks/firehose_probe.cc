#include "benchmarks/firehose_probe.h"

#include <time.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace neobridge::bench {
namespace {

constexpr absl::string_view kSeqKey = "firehose seq=";
constexpr absl::string_view kTimeKey = " t=";

// The run of digits at the start of `text` as a number; nullopt when there
// is none or it does not fit.
std::optional<int64_t> LeadingNumber(absl::string_view text, size_t* length) {
  size_t end = 0;
  while (end < text.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) {
    ++end;
  }
  int64_t value = 0;
  if (end == 0 || !absl::SimpleAtoi(text.substr(0, end), &value)) {
    return std::nullopt;
  }
  *length = end;
  return value;
}

}  // namespace

std::optional<FirehoseStamp> FindFirehoseStamp(absl::string_view text) {
  const size_t at = text.find(kSeqKey);
  if (at == absl::string_view::npos) return std::nullopt;
  text.remove_prefix(at + kSeqKey.size());
  size_t length = 0;
  std::optional<int64_t> seq = LeadingNumber(text, &length);
  if (!seq) return std::nullopt;
  text.remove_prefix(length);
  if (!absl::ConsumePrefix(&text, kTimeKey)) return std::nullopt;
  std::optional<int64_t> sent = LeadingNumber(text, &length);
  if (!sent) return std::nullopt;
  return FirehoseStamp{.seq = *seq, .sent_ns = *sent};
}

int64_t RealtimeNanos() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

SequenceCheck::Verdict SequenceCheck::Add(int64_t seq) {
  if (seq < next_) {
    ++duplicates_;
    return Verdict::kDuplicate;
  }
  ++received_;
  const Verdict verdict = seq == next_ ? Verdict::kNext : Verdict::kAfterGap;
  skipped_ += seq - next_;
  next_ = seq + 1;
  return verdict;
}

}  // namespace neobridge::bench
