// Timers for the scripted agent, behind an interface so the state machine
// can be tested with a manual clock.
#ifndef NEO_EMULATOR_SCHEDULER_H_
#define NEO_EMULATOR_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

struct event;
struct event_base;

namespace neo_emulator {

// One-shot timers. Callbacks run on the thread that drives the scheduler
// (the event-loop thread); ScheduleAfter and Cancel are called from that
// thread only.
class Scheduler {
 public:
  using TimerId = uint64_t;  // Never 0.

  virtual ~Scheduler() = default;
  // Runs `callback` once after `delay`. The callback may schedule or cancel
  // timers, including its own id (a no-op once it runs).
  virtual TimerId ScheduleAfter(absl::Duration delay,
                                std::function<void()> callback) = 0;
  // Cancels a pending timer; unknown or already-fired ids are ignored.
  virtual void Cancel(TimerId id) = 0;
};

// Scheduler on a libevent base. Must be created, used and destroyed on the
// base's loop thread (or before the loop starts / after it stops); the
// destructor cancels every pending timer.
class LibeventScheduler final : public Scheduler {
 public:
  explicit LibeventScheduler(event_base* base);
  ~LibeventScheduler() override;
  LibeventScheduler(const LibeventScheduler&) = delete;
  LibeventScheduler& operator=(const LibeventScheduler&) = delete;

  TimerId ScheduleAfter(absl::Duration delay,
                        std::function<void()> callback) override;
  void Cancel(TimerId id) override;

  size_t pending() const { return timers_.size(); }

 private:
  struct Timer;
  static void OnTimer(int fd, short what, void* arg);

  event_base* base_;
  TimerId next_id_ = 1;
  absl::flat_hash_map<TimerId, std::unique_ptr<Timer>> timers_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_SCHEDULER_H_
