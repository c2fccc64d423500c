// NeoClient: the typed Neo agent-tasks API, one asynchronous method per
// upstream operation. The service layer depends on this interface only.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_NEO_CLIENT_H_
#define NEOBRIDGE_BRIDGE_CLIENT_NEO_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/upstream/http_transport.h"
#include "neobridge/v1/agent_tasks_service.pb.h"

namespace neobridge::client {

namespace v1 = ::neobridge::v1;

// Per-call settings the service resolved for one RPC.
struct CallOptions {
  // The Pulumi access token sent upstream as `Authorization: token <…>`.
  // Never logged.
  std::string access_token;
  // Bounds the whole upstream exchange (from the gRPC deadline or a default).
  absl::Duration timeout = absl::Seconds(20);
};

// Per-stream settings for OpenEventStream.
struct StreamCallOptions {
  // As CallOptions::access_token.
  std::string access_token;
  // Bound on the wait for the response head.
  absl::Duration open_timeout = absl::Seconds(20);
  // Once open, a gap this long without a byte (events or heartbeats) ends
  // the stream with DEADLINE_EXCEEDED.
  absl::Duration idle_timeout = absl::Seconds(45);
};

// Completion of one call: the decoded response, or a status that already
// carries google.rpc.ErrorInfo (see bridge/status).
template <typename Response>
using Callback = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

// Identifies one in-flight call for Cancel(). Never 0.
using CallId = uint64_t;

// Every method takes a request whose `org` is resolved and whose ids are
// validated (see bridge/service/request_validation.h), starts the upstream
// exchange and returns at once. `done` runs exactly once, never inline: on a
// transport thread (or, for a call cancelled while it waits to be retried,
// on the client's timer thread). The returned CallId stays valid for Cancel
// across retries. Implementations are thread-safe.
class NeoClient {
 public:
  virtual ~NeoClient() = default;

  virtual CallId ListTasks(const v1::ListTasksRequest& request,
                           const CallOptions& options,
                           Callback<v1::ListTasksResponse> done) = 0;
  virtual CallId CreateTask(const v1::CreateTaskRequest& request,
                            const CallOptions& options,
                            Callback<v1::CreateTaskResponse> done) = 0;
  virtual CallId GetTask(const v1::GetTaskRequest& request,
                         const CallOptions& options,
                         Callback<v1::GetTaskResponse> done) = 0;
  virtual CallId UpdateTask(const v1::UpdateTaskRequest& request,
                            const CallOptions& options,
                            Callback<v1::UpdateTaskResponse> done) = 0;
  virtual CallId RespondToTask(const v1::RespondToTaskRequest& request,
                               const CallOptions& options,
                               Callback<v1::RespondToTaskResponse> done) = 0;
  virtual CallId CancelTask(const v1::CancelTaskRequest& request,
                            const CallOptions& options,
                            Callback<v1::CancelTaskResponse> done) = 0;
  virtual CallId ListTaskEvents(const v1::ListTaskEventsRequest& request,
                                const CallOptions& options,
                                Callback<v1::ListTaskEventsResponse> done) = 0;

  // Opens the task's live event stream (Server-Sent Events) with
  // `Last-Event-ID: request.last_event_id()` when that is not empty. The raw
  // response (status, headers, body chunks) goes to `observer` on a
  // transport thread, as upstream::HttpTransport::OpenStream describes; a
  // chunk refused with kPause is offered again after ResumeStream.
  virtual CallId OpenEventStream(
      const v1::StreamTaskEventsRequest& request,
      const StreamCallOptions& options,
      std::shared_ptr<upstream::StreamObserver> observer) = 0;

  // Resumes stream `id` after its observer paused it. Any thread.
  virtual void ResumeStream(CallId id) = 0;

  // Aborts call `id` if it is still in flight; its callback then gets
  // CANCELLED. A no-op for finished or unknown ids. Any thread.
  virtual void Cancel(CallId id) = 0;
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_NEO_CLIENT_H_
