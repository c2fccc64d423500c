// Timer: runs callbacks at points in time, so that waiting (e.g. before a
// retry) costs an entry in a queue rather than a blocked thread. One
// implementation (TimerQueue); tests substitute a manual clock.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_TIMER_H_
#define NEOBRIDGE_BRIDGE_CLIENT_TIMER_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace neobridge::client {

// Thread-safe: every method may be called from any thread, including from
// inside a task.
class Timer {
 public:
  // Identifies one scheduled task. Never 0; never reused by an instance.
  using TaskId = uint64_t;
  using Task = absl::AnyInvocable<void() &&>;

  virtual ~Timer() = default;

  // The timer's clock; tasks are due when Now() reaches their time.
  virtual absl::Time Now() const = 0;

  // Runs `task` once, at or after `when` (a time already past means as soon
  // as possible), on the timer's own thread: never inline, never while the
  // timer holds a lock. Tasks due at the same time run in scheduling order.
  virtual TaskId Schedule(absl::Time when, Task task) = 0;

  // Prevents task `id` from running. True if it was still waiting (it is
  // then destroyed unrun); false if it has run, is running, or is unknown.
  // Never waits for a running task.
  virtual bool Cancel(TaskId id) = 0;
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_TIMER_H_
