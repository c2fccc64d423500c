#include "emulator/firehose.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "emulator/time_format.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

struct Int64Range {
  int64_t min;
  int64_t max;
};

constexpr Int64Range kRateRange = {1, 1000000};
constexpr Int64Range kCountRange = {1, 10000000};
// A firehose that fell behind sends at most this much of its schedule per
// tick.
constexpr absl::Duration kMaxCatchUp = absl::Milliseconds(10);

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

absl::Status RangeError(absl::string_view field, Int64Range range) {
  return Invalid(absl::StrCat(field, " must be an integer between ", range.min,
                              " and ", range.max));
}

absl::StatusOr<int64_t> RequiredInt(const Json& root, absl::string_view field,
                                    Int64Range range) {
  auto it = root.find(field);
  if (it == root.end()) return Invalid(absl::StrCat(field, " is required"));
  if (!it->is_number_integer()) return RangeError(field, range);
  const int64_t value = it->get<int64_t>();
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX}) {
    return RangeError(field, range);
  }
  if (value < range.min || value > range.max) return RangeError(field, range);
  return value;
}

absl::Status ValidateSpec(const FirehoseSpec& spec) {
  if (spec.task_id.empty()) return Invalid("task_id must not be empty");
  if (spec.rate < kRateRange.min || spec.rate > kRateRange.max) {
    return RangeError("rate", kRateRange);
  }
  if (spec.count < kCountRange.min || spec.count > kCountRange.max) {
    return RangeError("count", kCountRange);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FirehoseSpec> ParseFirehoseSpec(absl::string_view json_text) {
  const Json root = Json::parse(json_text.begin(), json_text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("firehose is not valid JSON");
  if (!root.is_object()) return Invalid("firehose must be a JSON object");
  for (const auto& [key, value] : root.items()) {
    if (key != "task_id" && key != "rate" && key != "count") {
      return Invalid(
          absl::StrCat("unknown field '", key,
                       "': allowed fields are task_id, rate, count"));
    }
  }
  FirehoseSpec spec;
  auto task_id = root.find("task_id");
  if (task_id == root.end()) return Invalid("task_id is required");
  if (!task_id->is_string() || task_id->get<std::string>().empty()) {
    return Invalid("task_id must be a non-empty string");
  }
  spec.task_id = task_id->get<std::string>();
  absl::StatusOr<int64_t> rate = RequiredInt(root, "rate", kRateRange);
  if (!rate.ok()) return rate.status();
  spec.rate = *rate;
  absl::StatusOr<int64_t> count = RequiredInt(root, "count", kCountRange);
  if (!count.ok()) return count.status();
  spec.count = *count;
  return spec;
}

Json FirehoseEventBody(int64_t seq, absl::Time sent) {
  return Json{{"type", "assistant_message"},
              {"content", absl::StrCat("firehose seq=", seq,
                                       " t=", absl::ToUnixNanos(sent))},
              {"is_final", false},
              {"token_usage", Json::object()},
              {"timestamp", FormatTimestamp(sent)}};
}

int64_t FirehoseDue(const FirehoseSpec& spec, absl::Duration elapsed) {
  if (elapsed <= absl::ZeroDuration()) return 0;
  // Exact in 64-bit integers: whole seconds and the rest apart (rate is at
  // most 1e6, so rest_ns × rate stays below 1e15).
  const int64_t seconds = absl::ToInt64Seconds(elapsed);
  if (seconds >= spec.count) return spec.count;  // rate >= 1.
  const int64_t rest_ns =
      absl::ToInt64Nanoseconds(elapsed - absl::Seconds(seconds));
  const int64_t due = seconds * spec.rate + rest_ns * spec.rate / 1000000000;
  return std::min(due, spec.count);
}

Json FirehoseProgressToJson(const FirehoseProgress& progress) {
  const absl::Duration elapsed = progress.last_sent - progress.started;
  double achieved = 0;
  if (progress.emitted >= 2 && elapsed > absl::ZeroDuration()) {
    achieved =
        static_cast<double>(progress.emitted) / absl::ToDoubleSeconds(elapsed);
  }
  return Json{{"task_id", progress.spec.task_id},
              {"rate", progress.spec.rate},
              {"count", progress.spec.count},
              {"first_seq", progress.first_seq},
              {"emitted", progress.emitted},
              {"running", progress.running},
              {"elapsed_ms", absl::ToInt64Milliseconds(elapsed)},
              {"achieved_rate", std::round(achieved)}};
}

Firehoses::Firehoses(TaskService* service, Scheduler* scheduler, Clock clock,
                     absl::Duration tick)
    : service_(service),
      scheduler_(scheduler),
      clock_(std::move(clock)),
      tick_(tick) {}

Firehoses::~Firehoses() { StopAll(); }

absl::StatusOr<FirehoseProgress> Firehoses::Start(FirehoseSpec spec) {
  if (absl::Status status = ValidateSpec(spec); !status.ok()) return status;
  if (service_->store().Find(spec.task_id) == nullptr) {
    return absl::NotFoundError(kTaskNotFound);
  }
  int64_t first_seq = 1;
  auto it = by_task_.find(spec.task_id);
  if (it != by_task_.end()) {
    const FirehoseProgress& previous = it->second->progress;
    if (previous.running) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a firehose is already running on task ", spec.task_id, " (",
          previous.emitted, " of ", previous.spec.count,
          " sent); wait for it or stop it with DELETE /_emulator/firehose"));
    }
    first_seq = previous.first_seq + previous.emitted;
    std::erase(start_order_, spec.task_id);
  }
  auto running = std::make_unique<Running>();
  const absl::Time now = clock_();
  running->progress = FirehoseProgress{.spec = spec,
                                       .first_seq = first_seq,
                                       .emitted = 0,
                                       .running = true,
                                       .started = now,
                                       .last_sent = now};
  Running& ref = *running;
  by_task_[spec.task_id] = std::move(running);
  start_order_.push_back(spec.task_id);
  ScheduleNext(ref);
  return ref.progress;
}

void Firehoses::StopAll() {
  for (auto& [task_id, running] : by_task_) {
    if (running->timer != 0) scheduler_->Cancel(running->timer);
    running->timer = 0;
    running->progress.running = false;
  }
}

std::vector<FirehoseProgress> Firehoses::List() const {
  std::vector<FirehoseProgress> out;
  for (const std::string& task_id : start_order_) {
    auto it = by_task_.find(task_id);
    if (it != by_task_.end()) out.push_back(it->second->progress);
  }
  return out;
}

void Firehoses::ScheduleNext(Running& running) {
  FirehoseProgress& progress = running.progress;
  // The next event is due at started + (emitted + 1) / rate; wake then, but
  // not sooner than one tick from now.
  // (emitted + 1) × 1e9 < 1e17: no overflow; rounded up so it is due then.
  const int64_t next_ns =
      ((progress.emitted + 1) * 1000000000 + progress.spec.rate - 1) /
      progress.spec.rate;
  const absl::Duration next_due =
      absl::Nanoseconds(next_ns) - (clock_() - progress.started);
  running.timer = scheduler_->ScheduleAfter(
      std::max(next_due, tick_),
      [this, task_id = progress.spec.task_id] { Tick(task_id); });
}

void Firehoses::Tick(const std::string& task_id) {
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return;
  Running& running = *it->second;
  running.timer = 0;
  FirehoseProgress& progress = running.progress;
  if (!progress.running) return;
  const int64_t due = FirehoseDue(progress.spec, clock_() - progress.started);
  const int64_t max_burst = std::max<int64_t>(
      1, FirehoseDue(FirehoseSpec{.rate = progress.spec.rate,
                                  .count = progress.spec.count},
                     kMaxCatchUp));
  const int64_t burst = std::min(due - progress.emitted, max_burst);
  for (int64_t i = 0; i < burst; ++i) {
    const absl::Time sent = clock_();
    const int64_t seq = progress.first_seq + progress.emitted;
    if (!service_->AppendAgentResponse(task_id, FirehoseEventBody(seq, sent))
             .ok()) {
      progress.running = false;  // Unreachable: tasks are never removed.
      return;
    }
    ++progress.emitted;
    progress.last_sent = sent;
  }
  if (progress.emitted >= progress.spec.count) {
    progress.running = false;
    return;
  }
  ScheduleNext(running);
}

}  // namespace neo_emulator
