#include "emulator/stream_stats.h"

namespace neo_emulator {

void StreamStats::Opened(absl::string_view task_id) {
  absl::MutexLock lock(&mutex_);
  ++counts_.open;
  ++counts_.opened_total;
  ++counts_.open_by_task[task_id];
}

void StreamStats::Closed(absl::string_view task_id) {
  absl::MutexLock lock(&mutex_);
  auto it = counts_.open_by_task.find(task_id);
  if (it == counts_.open_by_task.end()) return;
  --counts_.open;
  if (--it->second == 0) counts_.open_by_task.erase(it);
}

void StreamStats::ClosedAll() {
  absl::MutexLock lock(&mutex_);
  counts_.open = 0;
  counts_.open_by_task.clear();
}

size_t StreamStats::open() const {
  absl::MutexLock lock(&mutex_);
  return counts_.open;
}

size_t StreamStats::open(absl::string_view task_id) const {
  absl::MutexLock lock(&mutex_);
  auto it = counts_.open_by_task.find(task_id);
  return it == counts_.open_by_task.end() ? 0 : it->second;
}

size_t StreamStats::opened_total() const {
  absl::MutexLock lock(&mutex_);
  return counts_.opened_total;
}

StreamCounts StreamStats::Snapshot() const {
  absl::MutexLock lock(&mutex_);
  return counts_;
}

nlohmann::json StreamCountsToJson(const StreamCounts& counts) {
  nlohmann::json by_task = nlohmann::json::object();
  for (const auto& [task_id, count] : counts.open_by_task) {
    by_task[task_id] = count;
  }
  return {{"open_streams", counts.open},
          {"streams_opened_total", counts.opened_total},
          {"open_streams_by_task", std::move(by_task)}};
}

}  // namespace neo_emulator
