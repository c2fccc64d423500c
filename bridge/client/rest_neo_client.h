// RestNeoClient: NeoClient over an HttpTransport, speaking the Neo REST API.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_
#define NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "bridge/client/neo_client.h"
#include "bridge/client/retry_policy.h"
#include "bridge/client/retrying_sender.h"
#include "bridge/client/timer.h"
#include "bridge/client/timer_queue.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/upstream/http_transport.h"

namespace neobridge::client {

struct RestNeoClientOptions {
  // Scheme, host and optional port (and base path) of the Neo API, without a
  // trailing slash, e.g. "https://api.pulumi.com".
  std::string base_url = "https://api.pulumi.com";
  // Sent as User-Agent.
  std::string user_agent = "neo-bridge";
  // The bridge's clock; fills a create message's unset timestamp.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Told about every upstream HTTP exchange (each attempt), every retry and
  // every event stream's response head. Not owned; must outlive every call
  // made through the client (the transport's callbacks report to it). Null
  // means none.
  UpstreamObserver* observer = &NoopUpstreamObserver::Instance();
  // When ListTasks, GetTask and ListTaskEvents are sent again (see
  // retry_policy.h). Other operations are sent exactly once; event streams
  // are not retried here (the stream relay reconnects them).
  RetryPolicy retry;
  // Runs the waits between attempts, and its clock bounds them. Not owned;
  // must outlive the client. Null: the client runs its own TimerQueue (one
  // thread).
  Timer* timer = nullptr;
};

// A unary call's deadline is its CallOptions::timeout from the start; a GET
// that fails with a retryable outcome is sent again within it, each attempt
// with what is left of it. The CallId stays valid across attempts: Cancel
// aborts the attempt in flight, or ends a wait to retry at once (`done` then
// gets CANCELLED on the timer's thread) and nothing is sent again.
class RestNeoClient final : public NeoClient {
 public:
  // `transport` must outlive this client.
  RestNeoClient(upstream::HttpTransport& transport,
                RestNeoClientOptions options);
  RestNeoClient(const RestNeoClient&) = delete;
  RestNeoClient& operator=(const RestNeoClient&) = delete;
  // Calls waiting to retry complete with CANCELLED on the destroying thread
  // before it returns; calls in flight complete when the transport reports
  // them, without retries.
  ~RestNeoClient() override;

  CallId ListTasks(const v1::ListTasksRequest& request,
                   const CallOptions& options,
                   Callback<v1::ListTasksResponse> done) override;
  CallId CreateTask(const v1::CreateTaskRequest& request,
                    const CallOptions& options,
                    Callback<v1::CreateTaskResponse> done) override;
  CallId GetTask(const v1::GetTaskRequest& request, const CallOptions& options,
                 Callback<v1::GetTaskResponse> done) override;
  CallId UpdateTask(const v1::UpdateTaskRequest& request,
                    const CallOptions& options,
                    Callback<v1::UpdateTaskResponse> done) override;
  CallId RespondToTask(const v1::RespondToTaskRequest& request,
                       const CallOptions& options,
                       Callback<v1::RespondToTaskResponse> done) override;
  CallId CancelTask(const v1::CancelTaskRequest& request,
                    const CallOptions& options,
                    Callback<v1::CancelTaskResponse> done) override;
  CallId ListTaskEvents(const v1::ListTaskEventsRequest& request,
                        const CallOptions& options,
                        Callback<v1::ListTaskEventsResponse> done) override;
  CallId OpenEventStream(
      const v1::StreamTaskEventsRequest& request,
      const StreamCallOptions& options,
      std::shared_ptr<upstream::StreamObserver> observer) override;
  void ResumeStream(CallId id) override;
  void Cancel(CallId id) override;

 private:
  // Decodes a 2xx body into the operation's response.
  template <typename Response>
  using Decoder =
      absl::AnyInvocable<absl::StatusOr<Response>(const std::string& body)>;

  // Sends the request (GETs again as options_.retry allows) and completes
  // `done` with the decoded 2xx body or the mapped error of the last attempt.
  template <typename Response>
  CallId Call(const char* operation, upstream::HttpMethod method,
              std::string path_and_query, std::string body,
              const CallOptions& options, Decoder<Response> decode,
              Callback<Response> done);

  upstream::HttpTransport& transport_;
  const RestNeoClientOptions options_;
  // When options_.timer is null. Destroyed after sender_.
  std::unique_ptr<TimerQueue> own_timer_;
  RetryingSender sender_;
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_
