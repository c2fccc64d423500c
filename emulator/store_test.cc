#include "emulator/store.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kEpoch = absl::FromUnixSeconds(1767225600);

class StoreTest : public ::testing::Test {
 protected:
  Task& Add(const std::string& id, const std::string& creator = "alice",
            const std::string& org = "acme") {
    auto task = std::make_unique<Task>();
    task->id = id;
    task->org = org;
    task->name = id;
    task->creator_login = creator;
    task->created_at = kEpoch + absl::Seconds(static_cast<double>(clock_));
    task->last_event_at = task->created_at;
    ++clock_;
    return store_.Insert(std::move(task));
  }

  void Event(Task& task) {
    ConsoleEvent event;
    event.id = absl::StrCat(task.id, "-e", task.events.size());
    event.at = kEpoch + absl::Seconds(static_cast<double>(clock_++));
    store_.AppendEvent(task, std::move(event));
  }

  std::vector<std::string> Ids(const TaskPage& page) {
    std::vector<std::string> ids;
    for (const Task* task : page.tasks) ids.push_back(task->id);
    return ids;
  }

  // Every page of `query`, calling `between` after each page.
  std::vector<std::string> PageThrough(TaskQuery query,
                                       const std::function<void()>& between) {
    std::vector<std::string> ids;
    while (true) {
      absl::StatusOr<TaskPage> page = store_.ListTasks(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return ids;
      for (const std::string& id : Ids(*page)) ids.push_back(id);
      if (!page->continuation_token) return ids;
      query.continuation_token = *page->continuation_token;
      between();
    }
  }

  TaskQuery Query(SortField field, SortDirection direction, int size = 100) {
    return TaskQuery{.org = "acme",
                     .viewer_login = "alice",
                     .page_size = size,
                     .sort_by = field,
                     .direction = direction};
  }

  Store store_;
  int clock_ = 0;
};

TEST_F(StoreTest, ListsOwnAndSharedTasksOfTheOrgOnly) {
  Add("mine");
  Add("bobs", "bob");
  Add("bobs-shared", "bob").is_shared = true;
  store_.Commit(*store_.Find("bobs-shared"));
  Add("elsewhere", "alice", "globex");
  absl::StatusOr<TaskPage> page =
      store_.ListTasks(Query(SortField::kCreated, SortDirection::kAsc));
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(*page), ElementsAre("mine", "bobs-shared"));
  EXPECT_FALSE(page->continuation_token.has_value());
  EXPECT_TRUE(IsVisibleTo(*store_.Find("bobs-shared"), "carol"));
  EXPECT_FALSE(IsVisibleTo(*store_.Find("bobs"), "alice"));
}

TEST_F(StoreTest, SortsByEveryFieldWithCreationOrderTiebreak) {
  Task& a = Add("a");
  Task& b = Add("b");
  Task& c = Add("c");
  a.name = "zulu";
  b.name = "alpha";
  c.name = "alpha";
  a.tokens_used = 5;
  b.tokens_used = 50;
  c.tokens_used = 5;
  a.status = TaskStatus::kIdle;
  for (Task* task : {&a, &b, &c}) store_.Commit(*task);
  Event(a);  // a has the newest event.

  auto ids = [&](SortField field, SortDirection direction) {
    absl::StatusOr<TaskPage> page = store_.ListTasks(Query(field, direction));
    EXPECT_TRUE(page.ok());
    return Ids(*page);
  };
  using D = SortDirection;
  EXPECT_THAT(ids(SortField::kCreated, D::kAsc), ElementsAre("a", "b", "c"));
  EXPECT_THAT(ids(SortField::kCreated, D::kDesc), ElementsAre("c", "b", "a"));
  EXPECT_THAT(ids(SortField::kLastEvent, D::kDesc), ElementsAre("a", "c", "b"));
  EXPECT_THAT(ids(SortField::kName, D::kAsc), ElementsAre("b", "c", "a"));
  EXPECT_THAT(ids(SortField::kName, D::kDesc), ElementsAre("a", "c", "b"));
  EXPECT_THAT(ids(SortField::kTokensUsed, D::kAsc), ElementsAre("a", "c", "b"));
  EXPECT_THAT(ids(SortField::kTokensUsed, D::kDesc),
              ElementsAre("b", "c", "a"));
  // Running before idle when ascending.
  EXPECT_THAT(ids(SortField::kStatus, D::kAsc), ElementsAre("b", "c", "a"));
  EXPECT_THAT(ids(SortField::kStatus, D::kDesc), ElementsAre("a", "c", "b"));
}

TEST_F(StoreTest, PagesHaveNoDuplicatesOrSkipsWhileTasksChangeOrAppear) {
  for (int i = 0; i < 10; ++i) Add(absl::StrCat("t", i));
  for (SortField field :
       {SortField::kLastEvent, SortField::kCreated, SortField::kName,
        SortField::kTokensUsed, SortField::kStatus}) {
    for (SortDirection direction :
         {SortDirection::kAsc, SortDirection::kDesc}) {
      absl::StatusOr<TaskPage> full =
          store_.ListTasks(Query(field, direction, 1000));
      ASSERT_TRUE(full.ok());
      int round = 0;
      std::vector<std::string> paged =
          PageThrough(Query(field, direction, 3), [&] {
            // Between pages: new tasks appear and existing keys move.
            Add(absl::StrCat("new-", SortFieldName(field), round));
            Task& moved = *store_.Find(absl::StrCat("t", round % 10));
            moved.name = absl::StrCat("~", moved.name);
            moved.tokens_used += 100;
            moved.status = moved.status == TaskStatus::kIdle
                               ? TaskStatus::kRunning
                               : TaskStatus::kIdle;
            store_.Commit(moved);
            Event(moved);
            ++round;
          });
      EXPECT_EQ(paged, Ids(*full))
          << SortFieldName(field) << " " << SortDirectionName(direction);
    }
  }
}

TEST_F(StoreTest, TokensAreBoundToOrgSortAndFilter) {
  for (int i = 0; i < 3; ++i) Add(absl::StrCat("t", i));
  TaskQuery query = Query(SortField::kName, SortDirection::kAsc, 1);
  absl::StatusOr<TaskPage> first = store_.ListTasks(query);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->continuation_token.has_value());
  const std::string token = *first->continuation_token;

  TaskQuery next = query;
  next.continuation_token = token;
  EXPECT_TRUE(store_.ListTasks(next).ok());
  // pageSize may change between pages.
  next.page_size = 50;
  EXPECT_TRUE(store_.ListTasks(next).ok());

  auto expect_rejected = [&](TaskQuery changed, const char* message) {
    changed.continuation_token = token;
    absl::StatusOr<TaskPage> page = store_.ListTasks(changed);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(page.status().message(), HasSubstr(message));
  };
  TaskQuery other = query;
  other.sort_by = SortField::kCreated;
  expect_rejected(other, "sortBy, sortDirection and taskType");
  other = query;
  other.direction = SortDirection::kDesc;
  expect_rejected(other, "sortBy, sortDirection and taskType");
  other = query;
  other.task_type = "sync";
  expect_rejected(other, "sortBy, sortDirection and taskType");
  other = query;
  other.org = "globex";
  expect_rejected(other, "different organization");
  other = query;
  other.continuation_token = "bogus";
  absl::StatusOr<TaskPage> bogus = store_.ListTasks(other);
  EXPECT_EQ(bogus.status().message(), "invalid continuationToken");
}

TEST_F(StoreTest, FiltersByTaskType) {
  Add("sync-task");
  Add("async-task").task_type = "async";
  TaskQuery query = Query(SortField::kCreated, SortDirection::kAsc);
  query.task_type = "async";
  EXPECT_THAT(Ids(*store_.ListTasks(query)), ElementsAre("async-task"));
  query.task_type = "sync";
  EXPECT_THAT(Ids(*store_.ListTasks(query)), ElementsAre("sync-task"));
}

TEST_F(StoreTest, EventsPageInOrder) {
  Task& task = Add("t");
  for (int i = 0; i < 5; ++i) Event(task);
  std::vector<std::string> ids;
  std::string token;
  do {
    absl::StatusOr<EventPage> page = store_.ListEvents(task, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ConsoleEvent* event : page->events) ids.push_back(event->id);
    token = page->continuation_token.value_or("");
  } while (!token.empty());
  EXPECT_THAT(ids, ElementsAre("t-e0", "t-e1", "t-e2", "t-e3", "t-e4"));

  absl::StatusOr<EventPage> exact = store_.ListEvents(task, 5, "");
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->continuation_token.has_value());

  Task& other = Add("other");
  Event(other);
  Event(other);
  const std::string foreign =
      *store_.ListEvents(other, 1, "")->continuation_token;
  absl::StatusOr<EventPage> rejected = store_.ListEvents(task, 1, foreign);
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.status().message(), HasSubstr("different task"));
  EXPECT_FALSE(store_.ListEvents(task, 1, "zzz").ok());
}

TEST_F(StoreTest, LastEventNeverMovesBackwards) {
  Task& task = Add("t");
  const absl::Time before = task.last_event_at;
  ConsoleEvent event;
  event.id = "old";
  event.at = before - absl::Hours(1);
  store_.AppendEvent(task, std::move(event));
  EXPECT_EQ(task.last_event_at, before);
}

}  // namespace
}  // namespace neo_emulator
