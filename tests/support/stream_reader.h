// StreamReader: reads one StreamTaskEvents call on its own thread and
// records what arrives, so tests can wait on conditions instead of sleeping.
#ifndef NEOBRIDGE_TESTS_SUPPORT_STREAM_READER_H_
#define NEOBRIDGE_TESTS_SUPPORT_STREAM_READER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge::test_support {

namespace v1 = ::neobridge::v1;

class StreamReader {
 public:
  // Opens the call at once; reading starts now, or at StartReading() when
  // `start_reading` is false (a caller that does not read, to test
  // backpressure). A non-empty `bearer_token` is sent as the call's own
  // credential.
  StreamReader(v1::AgentTasksService::Stub& stub,
               const v1::StreamTaskEventsRequest& request,
               absl::Duration timeout = absl::Seconds(20),
               bool start_reading = true, const std::string& bearer_token = "");
  // Cancels the call and joins the reading thread.
  ~StreamReader();

  void StartReading();
  void Cancel() { context_.TryCancel(); }

  // Each waits up to the timeout; false when the condition did not hold.
  bool WaitForEvents(size_t n);
  bool WaitForTurnEnds(int turns);
  bool WaitForHeartbeats(int n);
  // Waits for the end of the call; UNKNOWN "hung" when it did not end.
  grpc::Status WaitForEnd();

  std::vector<v1::TaskEvent> events();
  std::vector<std::string> ids();
  // "open", or the final code and message, for failure messages.
  std::string status_text();

 private:
  bool Await(absl::FunctionRef<bool()> condition)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration timeout_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::StreamTaskEventsResponse>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::TaskEvent> events_ ABSL_GUARDED_BY(mu_);
  int heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_STREAM_READER_H_
