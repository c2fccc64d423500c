#include "bridge/client/timer_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace neobridge::client {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);

// Records the order in which tasks ran, and their threads.
class Log {
 public:
  Timer::Task Add(int value) {
    return [this, value] {
      absl::MutexLock lock(&mu_);
      values_.push_back(value);
      threads_.push_back(std::this_thread::get_id());
    };
  }
  bool WaitForSize(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return values_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  std::vector<int> values() {
    absl::MutexLock lock(&mu_);
    return values_;
  }
  std::vector<std::thread::id> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> values_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

// Holds the timer's thread in a task until released, so that a test can
// schedule several tasks before any of them may run.
class Gate {
 public:
  explicit Gate(Timer& timer) {
    timer.Schedule(absl::InfinitePast(),
                   [this] { open_.WaitForNotificationWithTimeout(kWait); });
  }
  ~Gate() { Open(); }
  void Open() {
    if (!open_.HasBeenNotified()) open_.Notify();
  }

 private:
  absl::Notification open_;
};

TEST(TimerQueueTest, RunsTasksInTimeOrderOnItsOwnThread) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  Gate gate(timer);
  const absl::Time now = timer.Now();
  timer.Schedule(now + absl::Milliseconds(30), log.Add(3));
  timer.Schedule(now + absl::Milliseconds(10), log.Add(1));
  timer.Schedule(now + absl::Milliseconds(20), log.Add(2));
  gate.Open();
  ASSERT_TRUE(log.WaitForSize(3));
  EXPECT_EQ(log.values(), (std::vector<int>{1, 2, 3}));
  for (std::thread::id id : log.threads()) {
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST(TimerQueueTest, PastTimesRunAtOnceInSchedulingOrder) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  for (int i = 0; i < 5; ++i) timer.Schedule(absl::InfinitePast(), log.Add(i));
  ASSERT_TRUE(log.WaitForSize(5));
  EXPECT_EQ(log.values(), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(TimerQueueTest, NeverRunsEarly) {
  TimerQueue timer;
  absl::Notification ran;
  absl::Time ran_at;
  const absl::Time due = timer.Now() + absl::Milliseconds(100);
  timer.Schedule(due, [&] {
    ran_at = absl::Now();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_GE(ran_at, due);
}

TEST(TimerQueueTest, AnEarlierTaskWakesTheThread) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  timer.Schedule(timer.Now() + absl::Hours(1), log.Add(2));
  // Give the thread time to go to sleep until the far task.
  absl::SleepFor(absl::Milliseconds(20));
  const absl::Time start = absl::Now();
  timer.Schedule(timer.Now(), log.Add(1));
  ASSERT_TRUE(log.WaitForSize(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(log.values(), (std::vector<int>{1}));
}

TEST(TimerQueueTest, CancelPreventsTheRun) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  Gate gate(timer);
  const absl::Time due = timer.Now();
  const Timer::TaskId cancelled = timer.Schedule(due, log.Add(1));
  timer.Schedule(due, log.Add(2));
  EXPECT_TRUE(timer.Cancel(cancelled));
  EXPECT_FALSE(timer.Cancel(cancelled));  // already cancelled
  gate.Open();
  ASSERT_TRUE(log.WaitForSize(1));
  timer.Schedule(absl::InfinitePast(), log.Add(3));
  ASSERT_TRUE(log.WaitForSize(2));
  EXPECT_EQ(log.values(), (std::vector<int>{2, 3}));
}

TEST(TimerQueueTest, CancelAfterTheRunIsFalse) {
  TimerQueue timer;
  absl::Notification ran;
  const Timer::TaskId id =
      timer.Schedule(absl::InfinitePast(), [&] { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(timer.Cancel(id));
  EXPECT_FALSE(timer.Cancel(12345));  // unknown
}

TEST(TimerQueueTest, CancelDestroysTheTask) {
  TimerQueue timer;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  const Timer::TaskId id = timer.Schedule(timer.Now() + absl::Hours(1),
                                          [token = std::move(token)] {});
  EXPECT_FALSE(weak.expired());
  EXPECT_TRUE(timer.Cancel(id));
  EXPECT_TRUE(weak.expired());
}

TEST(TimerQueueTest, TasksMayScheduleAndCancel) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  const Timer::TaskId far =
      timer.Schedule(timer.Now() + absl::Hours(1), log.Add(99));
  timer.Schedule(absl::InfinitePast(), [&] {
    EXPECT_TRUE(timer.Cancel(far));
    timer.Schedule(absl::InfinitePast(), log.Add(1));
  });
  ASSERT_TRUE(log.WaitForSize(1));
  EXPECT_EQ(log.values(), (std::vector<int>{1}));
}

TEST(TimerQueueTest, DestructionRunsNothingFurtherAndWaitsForARunningTask) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  absl::Notification started;
  absl::Notification release;
  bool finished = false;
  bool later_ran = false;
  // Releases the running task while the timer is (most likely) being
  // destroyed; either way the destructor must wait for it.
  std::jthread releaser;
  {
    TimerQueue timer;
    timer.Schedule(absl::InfinitePast(), [&] {
      started.Notify();
      release.WaitForNotificationWithTimeout(kWait);
      finished = true;
    });
    timer.Schedule(
        timer.Now() + absl::Hours(1),
        [&later_ran, token = std::move(token)] { later_ran = true; });
    ASSERT_TRUE(started.WaitForNotificationWithTimeout(kWait));
    releaser = std::jthread([&] {
      absl::SleepFor(absl::Milliseconds(50));
      release.Notify();
    });
  }
  EXPECT_TRUE(finished);
  EXPECT_FALSE(later_ran);
  EXPECT_TRUE(weak.expired());  // the waiting task was destroyed unrun
}

TEST(TimerQueueTest, ManyTasksRunInTimeOrder) {
  Log log;  // outlives the timer: tasks write to it
  TimerQueue timer;
  Gate gate(timer);
  const absl::Time now = timer.Now();
  for (int i = 0; i < 1000; ++i) {
    timer.Schedule(now + absl::Microseconds(1000 - i), log.Add(1000 - i));
  }
  gate.Open();
  ASSERT_TRUE(log.WaitForSize(1000));
  const std::vector<int> values = log.values();
  for (size_t i = 1; i < values.size(); ++i) {
    ASSERT_LT(values[i - 1], values[i]);
  }
}

}  // namespace
}  // namespace neobridge::client
