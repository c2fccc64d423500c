#include "tests/support/stream_reader.h"

#include "absl/strings/str_cat.h"

namespace neobridge::test_support {

StreamReader::StreamReader(v1::AgentTasksService::Stub& stub,
                           const v1::StreamTaskEventsRequest& request,
                           absl::Duration timeout, bool start_reading,
                           const std::string& bearer_token)
    : timeout_(timeout) {
  if (!bearer_token.empty()) {
    context_.AddMetadata("authorization",
                         absl::StrCat("Bearer ", bearer_token));
  }
  reader_ = stub.StreamTaskEvents(&context_, request);
  if (start_reading) StartReading();
}

StreamReader::~StreamReader() {
  context_.TryCancel();
  StartReading();
  thread_.join();
}

void StreamReader::StartReading() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    v1::StreamTaskEventsResponse item;
    while (reader_->Read(&item)) {
      absl::MutexLock lock(&mu_);
      if (item.has_event()) events_.push_back(item.event());
      if (item.has_heartbeat()) ++heartbeats_;
    }
    grpc::Status status = reader_->Finish();
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  });
}

bool StreamReader::Await(absl::FunctionRef<bool()> condition) {
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ || condition();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout_);
  return condition();
}

bool StreamReader::WaitForEvents(size_t n) {
  absl::MutexLock lock(&mu_);
  return Await(
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return events_.size() >= n; });
}

bool StreamReader::WaitForTurnEnds(int turns) {
  absl::MutexLock lock(&mu_);
  return Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    int ended = 0;
    for (const auto& e : events_) ended += e.ends_turn() ? 1 : 0;
    return ended >= turns;
  });
}

bool StreamReader::WaitForHeartbeats(int n) {
  absl::MutexLock lock(&mu_);
  return Await([&]()
                   ABSL_NO_THREAD_SAFETY_ANALYSIS { return heartbeats_ >= n; });
}

grpc::Status StreamReader::WaitForEnd() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&done_), timeout_);
  return done_ ? status_ : grpc::Status(grpc::StatusCode::UNKNOWN, "hung");
}

std::vector<v1::TaskEvent> StreamReader::events() {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<std::string> StreamReader::ids() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& e : events_) ids.push_back(e.id());
  return ids;
}

std::string StreamReader::status_text() {
  absl::MutexLock lock(&mu_);
  return done_ ? absl::StrCat("ended: ", status_.error_code(), " ",
                              status_.error_message())
               : "open";
}

}  // namespace neobridge::test_support
