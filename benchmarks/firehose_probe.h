// What a relay load client reads from neo-emulator's firehose events
// (PUT /_emulator/firehose, emulator/firehose.h): the sequence number and
// the emulator's send time carried in each event's content,
// "firehose seq=<n> t=<unix ns>", and the per-stream check that every
// event arrives once and in order.
#ifndef NEOBRIDGE_BENCHMARKS_FIREHOSE_PROBE_H_
#define NEOBRIDGE_BENCHMARKS_FIREHOSE_PROBE_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace neobridge::bench {

struct FirehoseStamp {
  int64_t seq = 0;
  // The emulator's CLOCK_REALTIME when it sent the event, in ns.
  int64_t sent_ns = 0;
};

// The stamp in `text`: an event's content, or the whole JSON of an SSE
// `data:` line (the first "firehose seq=" in it). nullopt when there is none
// or its numbers are malformed.
std::optional<FirehoseStamp> FindFirehoseStamp(absl::string_view text);

// CLOCK_REALTIME now, in ns: the clock the emulator stamps with.
int64_t RealtimeNanos();

// One stream's sequence numbers, expected to run first, first + 1, ... with
// nothing repeated or skipped. Not thread-safe: one per stream.
class SequenceCheck {
 public:
  // Verdict on one sequence number.
  enum class Verdict {
    kNext,       // The expected one.
    kAfterGap,   // Later than expected: the ones between were skipped.
    kDuplicate,  // At or below the highest seen (a repeat, or late).
  };

  explicit SequenceCheck(int64_t first = 1) : next_(first) {}

  Verdict Add(int64_t seq);

  // Distinct sequence numbers received in order (kNext or kAfterGap).
  int64_t received() const { return received_; }
  int64_t duplicates() const { return duplicates_; }
  // Sequence numbers skipped over (each gap counts its width).
  int64_t skipped() const { return skipped_; }
  // The sequence number expected next.
  int64_t next() const { return next_; }

 private:
  int64_t next_;
  int64_t received_ = 0;
  int64_t duplicates_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace neobridge::bench

#endif  // NEOBRIDGE_BENCHMARKS_FIREHOSE_PROBE_H_
