// RestNeoClient: NeoClient over an HttpTransport, speaking the Neo REST API.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_
#define NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_

#include <functional>
#include <string>

#include "bridge/client/neo_client.h"
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
};

class RestNeoClient final : public NeoClient {
 public:
  // `transport` must outlive this client.
  RestNeoClient(upstream::HttpTransport& transport,
                RestNeoClientOptions options);

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

  // Sends one request and completes `done` with the decoded 2xx body or the
  // mapped error.
  template <typename Response>
  CallId Call(const char* operation, upstream::HttpMethod method,
              std::string path_and_query, std::string body,
              const CallOptions& options, Decoder<Response> decode,
              Callback<Response> done);

  upstream::HttpTransport& transport_;
  const RestNeoClientOptions options_;
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_REST_NEO_CLIENT_H_
