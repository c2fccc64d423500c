#include "bridge/client/timer_queue.h"

#include <utility>

#include "absl/time/clock.h"

namespace neobridge::client {

TimerQueue::TimerQueue() {
  thread_ = std::jthread([this] { Run(); });
}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.Signal();
  }
  thread_.join();
  // The tasks still in tasks_ are destroyed with it, unrun, on this thread.
}

absl::Time TimerQueue::Now() const { return absl::Now(); }

Timer::TaskId TimerQueue::Schedule(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  auto [it, inserted] = tasks_.emplace(Key(when, id), std::move(task));
  due_.emplace(id, when);
  // Only a new earliest task changes how long the thread should sleep.
  if (it == tasks_.begin()) wake_.Signal();
  return id;
}

bool TimerQueue::Cancel(TaskId id) {
  Task cancelled;  // destroyed after the lock is released
  {
    absl::MutexLock lock(&mu_);
    auto due = due_.find(id);
    if (due == due_.end()) return false;
    auto it = tasks_.find(Key(due->second, id));
    cancelled = std::move(it->second);
    tasks_.erase(it);
    due_.erase(due);
  }
  return true;
}

void TimerQueue::Run() {
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        if (tasks_.empty()) {
          wake_.Wait(&mu_);
          continue;
        }
        auto first = tasks_.begin();
        const absl::Time when = first->first.first;
        if (when > absl::Now()) {
          wake_.WaitWithDeadline(&mu_, when);
          continue;
        }
        task = std::move(first->second);
        due_.erase(first->first.second);
        tasks_.erase(first);
        break;
      }
    }
    std::move(task)();
  }
}

}  // namespace neobridge::client
