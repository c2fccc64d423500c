// The firehose: a test-only load source for relay benchmarks. It makes the
// emulator emit agent events on one task at a fixed rate, each stamped with
// the time it was sent, so a client can measure the latency of everything
// between the emulator and itself (a proxy, the bridge).
//
// Each event is an ordinary agentResponse `assistant_message` recorded in
// the task's history (so listings, replay and Last-Event-ID see it) and
// written to every open stream of the task:
//
//   {"type": "assistant_message", "content": "firehose seq=17 t=<ns>",
//    "is_final": false, "token_usage": {}, "timestamp": "<RFC 3339>"}
//
// `seq` counts the task's firehose events from 1, across firehoses, so a
// client can check for gaps and duplicates; `t` is the send time in
// nanoseconds since the Unix epoch (CLOCK_REALTIME), taken for each event
// just before it is serialized and written.
#ifndef NEO_EMULATOR_FIREHOSE_H_
#define NEO_EMULATOR_FIREHOSE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "emulator/scheduler.h"
#include "emulator/task_service.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

// What PUT /_emulator/firehose asks for.
struct FirehoseSpec {
  std::string task_id;
  // Events per second, 1..1000000.
  int64_t rate = 0;
  // Events in all, 1..10000000; the firehose stops after the last.
  int64_t count = 0;
};

// Parses {"task_id": "...", "rate": N, "count": N}; InvalidArgument naming
// the field (unknown fields, wrong types, out-of-range values).
absl::StatusOr<FirehoseSpec> ParseFirehoseSpec(absl::string_view json_text);

// The eventBody of firehose event `seq` sent at `sent`.
nlohmann::json FirehoseEventBody(int64_t seq, absl::Time sent);

// How many events of `spec` are due `elapsed` after its start:
// floor(elapsed × rate), at most `count`.
int64_t FirehoseDue(const FirehoseSpec& spec, absl::Duration elapsed);

// One firehose's progress, for GET /_emulator/firehose.
struct FirehoseProgress {
  FirehoseSpec spec;
  // Sequence number of its first event.
  int64_t first_seq = 1;
  int64_t emitted = 0;
  bool running = false;
  absl::Time started;
  // When its latest event was sent (`started` before the first).
  absl::Time last_sent;
};

// {"task_id", "rate", "count", "first_seq", "emitted", "running",
//  "elapsed_ms" (start to latest event), "achieved_rate" (events per second
//  over that time, 0 before two events)}.
nlohmann::json FirehoseProgressToJson(const FirehoseProgress& progress);

// The firehoses of one emulator, at most one running per task. Every tick
// (1 ms by default, longer when the rate leaves nothing due sooner) each
// firehose sends the events due by then, each stamped as it is sent; a
// firehose that fell behind catches up at most 10 ms worth of events per
// tick, so the loop keeps serving other connections.
//
// Thread: everything, including the scheduler's callbacks, runs on the
// event-loop thread. `service` and `scheduler` must outlive this.
class Firehoses {
 public:
  using Clock = std::function<absl::Time()>;

  // `clock` stamps the events and paces them (CLOCK_REALTIME in the
  // emulator).
  Firehoses(TaskService* service, Scheduler* scheduler, Clock clock,
            absl::Duration tick = absl::Milliseconds(1));
  // Cancels the running firehoses' timers.
  ~Firehoses();
  Firehoses(const Firehoses&) = delete;
  Firehoses& operator=(const Firehoses&) = delete;

  // Starts a firehose (InvalidArgument for an invalid spec, NotFound for an
  // unknown task, FailedPrecondition while one runs on the task). Its
  // first event is due 1/rate after now.
  absl::StatusOr<FirehoseProgress> Start(FirehoseSpec spec);
  // Stops every running firehose; they stay listed, not running.
  void StopAll();
  // Every firehose started, the latest per task, in start order.
  std::vector<FirehoseProgress> List() const;

 private:
  struct Running {
    FirehoseProgress progress;
    Scheduler::TimerId timer = 0;
  };

  void Tick(const std::string& task_id);
  void ScheduleNext(Running& running);

  TaskService* service_;
  Scheduler* scheduler_;
  Clock clock_;
  absl::Duration tick_;
  // By task id; the latest firehose of each task.
  absl::flat_hash_map<std::string, std::unique_ptr<Running>> by_task_;
  std::vector<std::string> start_order_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_FIREHOSE_H_
