// TimerQueue: the production Timer, one thread for any number of tasks.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_TIMER_QUEUE_H_
#define NEOBRIDGE_BRIDGE_CLIENT_TIMER_QUEUE_H_

#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/timer.h"

namespace neobridge::client {

// Runs tasks on one owned thread, in order of their time, on absl::Now()'s
// clock. Tasks must not block: they delay every task after them.
class TimerQueue final : public Timer {
 public:
  // Starts the thread.
  TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Runs nothing further: waits for a task that is running, joins the
  // thread, then destroys the tasks still waiting, unrun. Must not be called
  // from a task.
  ~TimerQueue() override;

  absl::Time Now() const override;
  TaskId Schedule(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;

 private:
  // Ordered by time, then by scheduling order.
  using Key = std::pair<absl::Time, TaskId>;

  void Run();  // the thread

  absl::Mutex mu_;
  absl::CondVar wake_;
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<Key, Task> tasks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TaskId, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_TIMER_QUEUE_H_
