// Integration: RestNeoClient over a real CurlTransport against a real
// neo-emulator whose fault knobs answer 429/5xx. GETs are retried within the
// deadline; POST and PATCH are never sent twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/status/error_details.h"
#include "bridge/upstream/curl_transport.h"
#include "emulator/emulator.h"
#include "emulator/fault_plan.h"

namespace neobridge {
namespace {

namespace v1 = ::neobridge::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr char kTasksPath[] = "/api/preview/agents/acme/tasks";

// Waits for one callback result.
template <typename T>
class Result {
 public:
  client::Callback<T> Done() {
    return [this](absl::StatusOr<T> value) {
      value_ = std::move(value);
      done_.Notify();
    };
  }
  absl::StatusOr<T>& Get() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(kWait));
    return value_;
  }

 private:
  absl::Notification done_;
  absl::StatusOr<T> value_ = absl::UnknownError("no result");
};

// Records "operation method outcome" and "operation reason" lines.
class RecordingObserver final : public client::UpstreamObserver {
 public:
  void OnUpstreamRequest(std::string_view operation, std::string_view method,
                         std::string_view outcome, absl::Duration) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::string(operation) + " " + std::string(method) +
                        " " + std::string(outcome));
  }
  void OnUpstreamRetry(std::string_view operation,
                       std::string_view reason) override {
    absl::MutexLock lock(&mu_);
    retries_.push_back(std::string(operation) + " " + std::string(reason));
  }
  void OnStreamReconnect() override {}
  void OnActiveStreams(int) override {}

  std::vector<std::string> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<std::string> retries() {
    absl::MutexLock lock(&mu_);
    return retries_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    requests_.clear();
    retries_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> retries_ ABSL_GUARDED_BY(mu_);
};

neo_emulator::RequestFailure Fail(int status, int times,
                                  neo_emulator::HttpMethod method,
                                  std::string path_pattern) {
  return neo_emulator::RequestFailure{
      .status = status,
      .times = times,
      .scope = neo_emulator::FailScope::kRequests,
      .method = method,
      .path_pattern = std::move(path_pattern),
  };
}

class UpstreamRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emulator = neo_emulator::Emulator::Start({.port = 0});
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    auto transport = upstream::CurlTransport::Create();
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    client_ = std::make_unique<client::RestNeoClient>(
        *transport_, client::RestNeoClientOptions{
                         .base_url = emulator_->base_url(),
                         .user_agent = "neo-bridge/upstream-retry-test",
                         .observer = &observer_});
  }

  void TearDown() override {
    // Client first, then the transport (completes anything in flight), then
    // the emulator.
    client_.reset();
    transport_.reset();
    emulator_.reset();
  }

  void SetFaults(neo_emulator::RequestFailure failure) {
    absl::Status status = emulator_->SetFaults({.fail = std::move(failure)});
    ASSERT_TRUE(status.ok()) << status;
  }

  v1::ListTasksRequest ListAcme() {
    v1::ListTasksRequest request;
    request.set_org("acme");
    return request;
  }

  absl::StatusOr<v1::ListTasksResponse> ListTasks() {
    Result<v1::ListTasksResponse> result;
    client_->ListTasks(ListAcme(), options_, result.Done());
    return result.Get();
  }

  absl::StatusOr<v1::CreateTaskResponse> CreateTask() {
    v1::CreateTaskRequest request;
    request.set_org("acme");
    request.mutable_message()->mutable_user_message()->set_content("Hello");
    Result<v1::CreateTaskResponse> result;
    client_->CreateTask(request, options_, result.Done());
    return result.Get();
  }

  client::CallOptions options_{.access_token = "pul-emulator-alice",
                               .timeout = absl::Seconds(20)};
  RecordingObserver observer_;
  std::unique_ptr<neo_emulator::Emulator> emulator_;
  std::unique_ptr<upstream::CurlTransport> transport_;
  std::unique_ptr<client::RestNeoClient> client_;
};

TEST_F(UpstreamRetryTest, ListTasksSucceedsAfterTwo503s) {
  SetFaults(Fail(503, 2, neo_emulator::HttpMethod::kGet, kTasksPath));
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->tasks_size(), 0);
  EXPECT_FALSE(emulator_->faults().fail.has_value());  // both 503s used up
  EXPECT_THAT(observer_.requests(),
              ElementsAre("ListTasks GET 503", "ListTasks GET 503",
                          "ListTasks GET 200"));
  EXPECT_THAT(observer_.retries(),
              ElementsAre("ListTasks 503", "ListTasks 503"));
}

TEST_F(UpstreamRetryTest, RateLimitedGetWaitsForRetryAfter) {
  neo_emulator::RequestFailure failure =
      Fail(429, 1, neo_emulator::HttpMethod::kGet, kTasksPath);
  failure.retry_after_seconds = 1;
  SetFaults(failure);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(listed.ok()) << listed.status();
  // Retry-After: 1 (a little allowance for the clocks' granularity).
  EXPECT_GE(took, absl::Milliseconds(950));
  EXPECT_LT(took, absl::Seconds(10));
  EXPECT_FALSE(emulator_->faults().fail.has_value());
  EXPECT_THAT(observer_.requests(),
              ElementsAre("ListTasks GET 429", "ListTasks GET 200"));
  EXPECT_THAT(observer_.retries(), ElementsAre("ListTasks 429"));
}

TEST_F(UpstreamRetryTest, RetryAfterBeyondTheDeadlineIsReturnedAtOnce) {
  neo_emulator::RequestFailure failure =
      Fail(429, 2, neo_emulator::HttpMethod::kGet, kTasksPath);
  failure.retry_after_seconds = 30;
  SetFaults(failure);
  options_.timeout = absl::Seconds(5);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kResourceExhausted);
  auto retry = status::GetRetryInfo(listed.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 30);
  ASSERT_TRUE(emulator_->faults().fail.has_value());
  EXPECT_EQ(emulator_->faults().fail->times, 1);  // sent once
  EXPECT_THAT(observer_.retries(), IsEmpty());
}

TEST_F(UpstreamRetryTest, CreateTaskFacing503IsNotSentAgain) {
  SetFaults(Fail(503, 2, neo_emulator::HttpMethod::kPost, kTasksPath));
  absl::StatusOr<v1::CreateTaskResponse> created = CreateTask();
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable)
      << created.status();
  EXPECT_EQ(status::GetErrorInfo(created.status())->reason(),
            "UPSTREAM_SERVER_ERROR");
  // One of the two injected failures is left: the POST went out once.
  ASSERT_TRUE(emulator_->faults().fail.has_value());
  EXPECT_EQ(emulator_->faults().fail->times, 1);
  EXPECT_THAT(observer_.requests(), ElementsAre("CreateTask POST 503"));
  EXPECT_THAT(observer_.retries(), IsEmpty());

  emulator_->ClearFaults();
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->tasks_size(), 0);  // no task was created
}

TEST_F(UpstreamRetryTest, UpdateTaskFacing503IsNotSentAgain) {
  absl::StatusOr<v1::CreateTaskResponse> created = CreateTask();
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->task_id();
  observer_.Clear();

  SetFaults(Fail(503, 2, neo_emulator::HttpMethod::kPatch,
                 absl::StrCat(kTasksPath, "/*")));
  v1::UpdateTaskRequest update;
  update.set_org("acme");
  update.set_task_id(id);
  update.set_is_shared(true);
  Result<v1::UpdateTaskResponse> updated;
  client_->UpdateTask(update, options_, updated.Done());
  EXPECT_EQ(updated.Get().status().code(), absl::StatusCode::kUnavailable)
      << updated.Get().status();
  ASSERT_TRUE(emulator_->faults().fail.has_value());
  EXPECT_EQ(emulator_->faults().fail->times, 1);
  EXPECT_THAT(observer_.requests(), ElementsAre("UpdateTask PATCH 503"));
  EXPECT_THAT(observer_.retries(), IsEmpty());

  emulator_->ClearFaults();
  v1::GetTaskRequest get;
  get.set_org("acme");
  get.set_task_id(id);
  Result<v1::GetTaskResponse> got;
  client_->GetTask(get, options_, got.Done());
  ASSERT_TRUE(got.Get().ok()) << got.Get().status();
  EXPECT_FALSE(got.Get()->task().is_shared());  // the PATCH never applied
}

TEST_F(UpstreamRetryTest, AnUnreachableUpstreamIsRetriedThenUnavailable) {
  // Stop the emulator, keep its address: connections are refused.
  const std::string url = emulator_->base_url();
  emulator_.reset();
  client_ = std::make_unique<client::RestNeoClient>(
      *transport_, client::RestNeoClientOptions{
                       .base_url = url,
                       .observer = &observer_,
                       .retry = {.initial_backoff = absl::Milliseconds(5)}});
  absl::StatusOr<v1::ListTasksResponse> listed = ListTasks();
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status::GetErrorInfo(listed.status())->reason(),
            "UPSTREAM_UNREACHABLE");
  EXPECT_THAT(
      observer_.requests(),
      ElementsAre("ListTasks GET UNAVAILABLE", "ListTasks GET UNAVAILABLE",
                  "ListTasks GET UNAVAILABLE", "ListTasks GET UNAVAILABLE"));
  EXPECT_EQ(observer_.retries().size(), 3u);
}

}  // namespace
}  // namespace neobridge
