#include "emulator/firehose.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "emulator/fake_scheduler.h"
#include "emulator/request_parsing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::FakeScheduler;
using ::testing::ElementsAre;
using Json = nlohmann::json;

TEST(ParseFirehoseSpecTest, ReadsTheThreeFields) {
  absl::StatusOr<FirehoseSpec> spec = ParseFirehoseSpec(
      R"({"task_id": "t-1", "rate": 20000, "count": 200000})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->task_id, "t-1");
  EXPECT_EQ(spec->rate, 20000);
  EXPECT_EQ(spec->count, 200000);
}

TEST(ParseFirehoseSpecTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"", "firehose is not valid JSON"},
      {"[]", "firehose must be a JSON object"},
      {R"({"rate": 1, "count": 1})", "task_id is required"},
      {R"({"task_id": "", "rate": 1, "count": 1})",
       "task_id must be a non-empty string"},
      {R"({"task_id": 7, "rate": 1, "count": 1})",
       "task_id must be a non-empty string"},
      {R"({"task_id": "t", "count": 1})", "rate is required"},
      {R"({"task_id": "t", "rate": 0, "count": 1})",
       "rate must be an integer between 1 and 1000000"},
      {R"({"task_id": "t", "rate": 1000001, "count": 1})",
       "rate must be an integer between 1 and 1000000"},
      {R"({"task_id": "t", "rate": 1.5, "count": 1})",
       "rate must be an integer between 1 and 1000000"},
      {R"({"task_id": "t", "rate": "5", "count": 1})",
       "rate must be an integer between 1 and 1000000"},
      {R"({"task_id": "t", "rate": 1})", "count is required"},
      {R"({"task_id": "t", "rate": 1, "count": 0})",
       "count must be an integer between 1 and 10000000"},
      {R"({"task_id": "t", "rate": 1, "count": 18446744073709551615})",
       "count must be an integer between 1 and 10000000"},
      {R"({"task_id": "t", "rate": 1, "count": 1, "burst": 2})",
       "unknown field 'burst': allowed fields are task_id, rate, count"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FirehoseSpec> spec = ParseFirehoseSpec(c.json);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument)
        << c.json;
    EXPECT_EQ(spec.status().message(), c.message) << c.json;
  }
}

TEST(FirehoseDueTest, FloorOfElapsedTimesRateCappedAtCount) {
  const FirehoseSpec spec{.task_id = "t", .rate = 20000, .count = 100};
  EXPECT_EQ(FirehoseDue(spec, absl::ZeroDuration()), 0);
  EXPECT_EQ(FirehoseDue(spec, -absl::Seconds(1)), 0);
  EXPECT_EQ(FirehoseDue(spec, absl::Microseconds(49)), 0);
  EXPECT_EQ(FirehoseDue(spec, absl::Microseconds(50)), 1);
  EXPECT_EQ(FirehoseDue(spec, absl::Milliseconds(1)), 20);
  EXPECT_EQ(FirehoseDue(spec, absl::Milliseconds(5)), 100);
  EXPECT_EQ(FirehoseDue(spec, absl::Hours(1)), 100);
  const FirehoseSpec slow{.task_id = "t", .rate = 3, .count = 10};
  EXPECT_EQ(FirehoseDue(slow, absl::Nanoseconds(333333333)), 0);
  EXPECT_EQ(FirehoseDue(slow, absl::Nanoseconds(333333334)), 1);
  const FirehoseSpec big{.task_id = "t", .rate = 1000000, .count = 10000000};
  EXPECT_EQ(FirehoseDue(big, absl::Hours(24 * 365)), 10000000);
}

TEST(FirehoseEventBodyTest, AnAssistantMessageCarryingSeqAndSendTime) {
  const absl::Time sent =
      absl::FromUnixNanos(int64_t{1767225600} * 1000000000 + 123456789);
  EXPECT_EQ(FirehoseEventBody(17, sent),
            Json::parse(R"({"type": "assistant_message",
                            "content": "firehose seq=17 t=1767225600123456789",
                            "is_final": false, "token_usage": {},
                            "timestamp": "2026-01-01T00:00:00.123Z"})"));
}

TEST(FirehoseProgressToJsonTest, ReportsAchievedRate) {
  const absl::Time start = absl::FromUnixSeconds(1767225600);
  FirehoseProgress progress{
      .spec = {.task_id = "t", .rate = 1000, .count = 5000},
      .first_seq = 3,
      .emitted = 2000,
      .running = true,
      .started = start,
      .last_sent = start + absl::Milliseconds(2500)};
  EXPECT_EQ(FirehoseProgressToJson(progress),
            Json::parse(R"({"task_id": "t", "rate": 1000, "count": 5000,
                            "first_seq": 3, "emitted": 2000, "running": true,
                            "elapsed_ms": 2500, "achieved_rate": 800})"));
  progress.emitted = 0;
  progress.last_sent = start;
  EXPECT_EQ(FirehoseProgressToJson(progress)["achieved_rate"], 0);
}

class FirehosesTest : public ::testing::Test {
 protected:
  FirehosesTest()
      : users_(DefaultUsers()),
        // Agent steps far apart: only the firehose's timers run.
        service_(TaskService::Options{.seed = 1,
                                      .agent_step_delay = absl::Hours(24)},
                 &scheduler_, [this] { return scheduler_.now(); }),
        firehoses_(&service_, &scheduler_,
                   [this] { return scheduler_.now(); }) {}

  void SetUp() override {
    absl::StatusOr<CreateTaskRequest> request = ParseCreateTaskRequest(
        R"({"message": {"content": "relay target"}})", scheduler_.now());
    ASSERT_TRUE(request.ok());
    absl::StatusOr<const Task*> task =
        service_.CreateTask(users_[0], "acme", *std::move(request));
    ASSERT_TRUE(task.ok()) << task.status();
    task_id_ = (*task)->id;
    absl::StatusOr<TaskService::Subscription> subscription = service_.Subscribe(
        users_[0], "acme", task_id_, std::nullopt,
        [this](const ConsoleEvent& event) { watched_.push_back(event.id); });
    ASSERT_TRUE(subscription.ok());
  }

  // The firehose events of the task, in order.
  std::vector<const ConsoleEvent*> FirehoseEvents() {
    std::vector<const ConsoleEvent*> out;
    for (const ConsoleEvent& event : service_.store().Find(task_id_)->events) {
      if (absl::StartsWith(event.body.value("content", ""), "firehose ")) {
        out.push_back(&event);
      }
    }
    return out;
  }

  // Runs the earliest timer (a firehose tick); the firehose events it sent.
  std::vector<const ConsoleEvent*> Tick() {
    const size_t before = FirehoseEvents().size();
    EXPECT_TRUE(scheduler_.RunNext());
    std::vector<const ConsoleEvent*> all = FirehoseEvents();
    return std::vector<const ConsoleEvent*>(all.begin() + before, all.end());
  }

  std::vector<User> users_;
  FakeScheduler scheduler_;
  TaskService service_;
  Firehoses firehoses_;
  std::string task_id_;
  std::vector<std::string> watched_;
};

TEST_F(FirehosesTest, SendsTheEventsDueEachTickStampedWhenSent) {
  const absl::Time start = scheduler_.now();
  // The agent's first step is a day away; drop it so only ticks are queued.
  const size_t agent_timers = scheduler_.pending();
  absl::StatusOr<FirehoseProgress> started = firehoses_.Start(
      FirehoseSpec{.task_id = task_id_, .rate = 20000, .count = 50});
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->first_seq, 1);
  EXPECT_EQ(started->emitted, 0);
  EXPECT_TRUE(started->running);
  EXPECT_EQ(scheduler_.pending(), agent_timers + 1);

  // 20 events per 1 ms tick; the last tick sends the 10 left.
  std::vector<const ConsoleEvent*> first = Tick();
  EXPECT_EQ(scheduler_.now() - start, absl::Milliseconds(1));
  ASSERT_EQ(first.size(), 20u);
  for (size_t i = 0; i < first.size(); ++i) {
    const Json& body = first[i]->body;
    EXPECT_EQ(first[i]->type, "agentResponse");
    EXPECT_FALSE(first[i]->is_synthetic);
    EXPECT_EQ(body,
              FirehoseEventBody(static_cast<int64_t>(i) + 1, scheduler_.now()));
  }
  EXPECT_EQ(Tick().size(), 20u);
  std::vector<const ConsoleEvent*> last = Tick();
  EXPECT_EQ(last.size(), 10u);
  EXPECT_EQ(last.back()->body["content"],
            absl::StrCat("firehose seq=50 t=",
                         absl::ToUnixNanos(start + absl::Milliseconds(3))));
  // Done: no timer of its own left, reported as stopped.
  EXPECT_EQ(scheduler_.pending(), agent_timers);
  ASSERT_EQ(firehoses_.List().size(), 1u);
  EXPECT_EQ(firehoses_.List()[0].emitted, 50);
  EXPECT_FALSE(firehoses_.List()[0].running);
  EXPECT_EQ(firehoses_.List()[0].last_sent - start, absl::Milliseconds(3));

  // Ordinary task events: recorded and sent to the task's watchers.
  EXPECT_EQ(FirehoseEvents().size(), 50u);
  EXPECT_EQ(watched_.size(), 50u);
  EXPECT_EQ(watched_.front(), FirehoseEvents().front()->id);
  EXPECT_EQ(service_.store().Find(task_id_)->status, TaskStatus::kRunning);
}

TEST_F(FirehosesTest, SlowRatesWakeOnlyWhenTheNextEventIsDue) {
  const absl::Time start = scheduler_.now();
  ASSERT_TRUE(
      firehoses_.Start({.task_id = task_id_, .rate = 4, .count = 3}).ok());
  EXPECT_EQ(Tick().size(), 1u);
  EXPECT_EQ(scheduler_.now() - start, absl::Milliseconds(250));
  EXPECT_EQ(Tick().size(), 1u);
  EXPECT_EQ(scheduler_.now() - start, absl::Milliseconds(500));
  EXPECT_EQ(Tick().size(), 1u);
  EXPECT_EQ(scheduler_.now() - start, absl::Milliseconds(750));
  EXPECT_FALSE(firehoses_.List()[0].running);
}

TEST_F(FirehosesTest, ABehindFirehoseCatchesUpTenMillisecondsPerTick) {
  ASSERT_TRUE(
      firehoses_.Start({.task_id = task_id_, .rate = 1000, .count = 100}).ok());
  scheduler_.Advance(absl::Milliseconds(40));  // The loop was busy.
  EXPECT_EQ(Tick().size(), 10u);  // 40 due; 10 ms worth sent, then a tick.
  EXPECT_EQ(Tick().size(), 10u);  // 41 ms.
  EXPECT_EQ(Tick().size(), 10u);
  EXPECT_EQ(Tick().size(), 10u);
  EXPECT_EQ(Tick().size(), 4u);  // 44 ms: caught up.
  EXPECT_EQ(Tick().size(), 1u);
}

TEST_F(FirehosesTest, SequenceContinuesAcrossFirehosesOfATask) {
  ASSERT_TRUE(
      firehoses_.Start({.task_id = task_id_, .rate = 1000, .count = 2}).ok());
  absl::StatusOr<FirehoseProgress> busy =
      firehoses_.Start({.task_id = task_id_, .rate = 1000, .count = 2});
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(busy.status().message(),
            absl::StrCat("a firehose is already running on task ", task_id_,
                         " (0 of 2 sent); wait for it or stop it with DELETE "
                         "/_emulator/firehose"));
  Tick();
  Tick();
  absl::StatusOr<FirehoseProgress> second =
      firehoses_.Start({.task_id = task_id_, .rate = 1000, .count = 2});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->first_seq, 3);
  Tick();
  Tick();
  std::vector<std::string> contents;
  for (const ConsoleEvent* event : FirehoseEvents()) {
    std::string content = event->body["content"];
    contents.push_back(content.substr(0, content.find(" t=")));
  }
  EXPECT_THAT(contents, ElementsAre("firehose seq=1", "firehose seq=2",
                                    "firehose seq=3", "firehose seq=4"));
  EXPECT_EQ(firehoses_.List().size(), 1u);  // The latest per task.
}

TEST_F(FirehosesTest, UnknownTaskAndInvalidSpecAreRefused) {
  absl::StatusOr<FirehoseProgress> missing =
      firehoses_.Start({.task_id = "missing", .rate = 10, .count = 10});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), kTaskNotFound);
  absl::StatusOr<FirehoseProgress> invalid =
      firehoses_.Start({.task_id = task_id_, .rate = 0, .count = 10});
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.status().message(),
            "rate must be an integer between 1 and 1000000");
  EXPECT_TRUE(firehoses_.List().empty());
}

TEST_F(FirehosesTest, StopAllCancelsTheTimers) {
  const size_t agent_timers = scheduler_.pending();
  ASSERT_TRUE(
      firehoses_.Start({.task_id = task_id_, .rate = 1000, .count = 100}).ok());
  Tick();
  firehoses_.StopAll();
  EXPECT_EQ(scheduler_.pending(), agent_timers);
  ASSERT_EQ(firehoses_.List().size(), 1u);
  EXPECT_FALSE(firehoses_.List()[0].running);
  EXPECT_EQ(firehoses_.List()[0].emitted, 1);
}

}  // namespace
}  // namespace neo_emulator
