#include "emulator/scheduler.h"

#include <event2/event.h>

#include <algorithm>
#include <utility>

namespace neo_emulator {

struct LibeventScheduler::Timer {
  LibeventScheduler* owner = nullptr;
  TimerId id = 0;
  event* ev = nullptr;
  std::function<void()> callback;

  ~Timer() {
    if (ev != nullptr) event_free(ev);
  }
};

LibeventScheduler::LibeventScheduler(event_base* base) : base_(base) {}

LibeventScheduler::~LibeventScheduler() { timers_.clear(); }

Scheduler::TimerId LibeventScheduler::ScheduleAfter(
    absl::Duration delay, std::function<void()> callback) {
  auto timer = std::make_unique<Timer>();
  timer->owner = this;
  timer->id = next_id_++;
  timer->callback = std::move(callback);
  timer->ev = evtimer_new(base_, &LibeventScheduler::OnTimer, timer.get());
  const timeval tv = absl::ToTimeval(std::max(delay, absl::ZeroDuration()));
  evtimer_add(timer->ev, &tv);
  const TimerId id = timer->id;
  timers_.emplace(id, std::move(timer));
  return id;
}

void LibeventScheduler::Cancel(TimerId id) { timers_.erase(id); }

void LibeventScheduler::OnTimer(int /*fd*/, short /*what*/, void* arg) {
  auto* timer = static_cast<Timer*>(arg);
  LibeventScheduler* owner = timer->owner;
  auto node = owner->timers_.extract(timer->id);
  if (node.empty()) return;
  // Keep the timer alive while its callback runs; it may reschedule.
  std::unique_ptr<Timer> self = std::move(node.mapped());
  self->callback();
}

}  // namespace neo_emulator
