// Test-only Scheduler with a manual clock: timers run when the test says so.
#ifndef NEO_EMULATOR_FAKE_SCHEDULER_H_
#define NEO_EMULATOR_FAKE_SCHEDULER_H_

#include <functional>
#include <map>
#include <utility>

#include "absl/time/time.h"
#include "emulator/scheduler.h"

namespace neo_emulator::testing {

class FakeScheduler final : public Scheduler {
 public:
  TimerId ScheduleAfter(absl::Duration delay,
                        std::function<void()> callback) override {
    const TimerId id = next_id_++;
    timers_.emplace(id, Timer{now_ + delay, std::move(callback)});
    return id;
  }
  void Cancel(TimerId id) override { timers_.erase(id); }

  // Advances the clock to the earliest timer and runs it; false if none.
  bool RunNext() {
    if (timers_.empty()) return false;
    auto next = timers_.begin();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.due < next->second.due) next = it;
    }
    now_ = std::max(now_, next->second.due);
    std::function<void()> callback = std::move(next->second.callback);
    timers_.erase(next);
    callback();
    return true;
  }
  // Runs timers until none are left (bounded); returns how many ran.
  int RunAll(int limit = 1000) {
    int ran = 0;
    while (ran < limit && RunNext()) ++ran;
    return ran;
  }
  size_t pending() const { return timers_.size(); }
  absl::Time now() const { return now_; }
  void Advance(absl::Duration by) { now_ += by; }

 private:
  struct Timer {
    absl::Time due;
    std::function<void()> callback;
  };
  TimerId next_id_ = 1;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01.
  std::map<TimerId, Timer> timers_;
};

}  // namespace neo_emulator::testing

#endif  // NEO_EMULATOR_FAKE_SCHEDULER_H_
