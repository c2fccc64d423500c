// Counts of the emulator's open event streams, in total and per task, for
// GET /_emulator/stats and Emulator::open_stream_count(): tests and
// benchmarks read how many upstream connections a client holds.
#ifndef NEO_EMULATOR_STREAM_STATS_H_
#define NEO_EMULATOR_STREAM_STATS_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

// One consistent reading of StreamStats.
struct StreamCounts {
  size_t open = 0;
  size_t opened_total = 0;
  // Open streams per task; tasks without one are absent.
  absl::flat_hash_map<std::string, size_t> open_by_task;
};

// Thread-safe: the HTTP server records opens and closes on the event-loop
// thread; the readers run on any thread.
class StreamStats {
 public:
  // A stream of `task_id` opened (after the 401/403/404 checks passed).
  void Opened(absl::string_view task_id);
  // A stream of `task_id` that Opened counted is gone. Unknown tasks are
  // ignored.
  void Closed(absl::string_view task_id);
  // Every open stream is gone (server shutdown). Keeps the total.
  void ClosedAll();

  // Streams open now.
  size_t open() const;
  // Streams of `task_id` open now (0 for an unknown task).
  size_t open(absl::string_view task_id) const;
  // Streams ever opened, closed ones included.
  size_t opened_total() const;
  // All of the above at one instant.
  StreamCounts Snapshot() const;

 private:
  mutable absl::Mutex mutex_;
  StreamCounts counts_ ABSL_GUARDED_BY(mutex_);
};

// {"open_streams": N, "streams_opened_total": M,
//  "open_streams_by_task": {"<task id>": n, ...}}: the body of
// GET /_emulator/stats.
nlohmann::json StreamCountsToJson(const StreamCounts& counts);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_STREAM_STATS_H_
