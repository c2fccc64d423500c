// AgentTasksService: the gRPC surface. Each unary RPC validates its request,
// resolves org, credentials and deadline, and hands the call to NeoClient;
// nothing here blocks a gRPC callback thread.
#ifndef NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_
#define NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/neo_client.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/service/call_limits.h"
#include "bridge/service/credentials.h"
#include "bridge/stream/event_stream_reactor.h"
#include "bridge/stream/stream_hub.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge::service {

struct AgentTasksServiceOptions {
  // Org used when a request leaves `org` empty; empty means none.
  std::string default_org;
  // Upstream time bound when the caller sets no deadline.
  absl::Duration default_timeout = absl::Seconds(20);
  // Same, for CreateTask (a cold start can take about a minute).
  absl::Duration create_timeout = absl::Seconds(120);
  // StreamTaskEvents relay settings.
  stream::StreamOptions stream;
  // Who may use the service token when a call brings none. Null lends it to
  // every caller (the "open" policy); BridgeServer always passes one. Must
  // outlive the service.
  security::ServiceTokenPolicy* service_token_policy = nullptr;
  // Stream starts, ends and reconnects (must outlive the service).
  client::UpstreamObserver* observer =
      &client::NoopUpstreamObserver::Instance();
  // Concurrent streams and in-flight upstream requests.
  CallLimitsOptions limits;
};

class AgentTasksService final : public v1::AgentTasksService::CallbackService {
 public:
  // `client` and `service_tokens` must outlive the service; `service_tokens`
  // may be null (callers must then bring their own token).
  AgentTasksService(client::NeoClient& client,
                    ServiceTokenSource* service_tokens,
                    AgentTasksServiceOptions options);
  // Stops the heartbeat thread. gRPC must be done with every call.
  ~AgentTasksService() override;

  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* context,
                                      const v1::ListTasksRequest* request,
                                      v1::ListTasksResponse* response) override;
  grpc::ServerUnaryReactor* CreateTask(
      grpc::CallbackServerContext* context,
      const v1::CreateTaskRequest* request,
      v1::CreateTaskResponse* response) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* context,
                                    const v1::GetTaskRequest* request,
                                    v1::GetTaskResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTask(
      grpc::CallbackServerContext* context,
      const v1::UpdateTaskRequest* request,
      v1::UpdateTaskResponse* response) override;
  grpc::ServerUnaryReactor* RespondToTask(
      grpc::CallbackServerContext* context,
      const v1::RespondToTaskRequest* request,
      v1::RespondToTaskResponse* response) override;
  grpc::ServerUnaryReactor* CancelTask(
      grpc::CallbackServerContext* context,
      const v1::CancelTaskRequest* request,
      v1::CancelTaskResponse* response) override;
  grpc::ServerUnaryReactor* ListTaskEvents(
      grpc::CallbackServerContext* context,
      const v1::ListTaskEventsRequest* request,
      v1::ListTaskEventsResponse* response) override;
  grpc::ServerWriteReactor<v1::StreamTaskEventsResponse>* StreamTaskEvents(
      grpc::CallbackServerContext* context,
      const v1::StreamTaskEventsRequest* request) override;

  // Shutdown, step 1: from now on every new call is refused with UNAVAILABLE
  // (reason SHUTTING_DOWN); running calls go on. Any thread; idempotent.
  void StartDraining();

  // Shutdown, step 2: ends every open StreamTaskEvents call with
  // UNAVAILABLE (after writing what is queued), telling the caller to
  // resume from its last event id on another call. Any thread.
  void EndStreams();

  // Waits until no StreamTaskEvents call is open, or `timeout` has passed;
  // true when none is open.
  bool WaitForNoStreams(absl::Duration timeout);

  // Waits until no call of this service (stream or unary) is running, or
  // `timeout` has passed; true when none is.
  bool WaitForNoCalls(absl::Duration timeout);

  int open_streams();
  // Upstream event streams shared by StreamTaskEvents calls now open.
  size_t shared_upstream_streams() { return hub_.shared_feeds(); }

 private:
  // Resolves the token of a call from its metadata, peer certificate and
  // the service-token policy.
  absl::StatusOr<CallCredentials> Credentials(
      grpc::CallbackServerContext* context);
  // UNAVAILABLE when draining.
  absl::Status CheckAccepting();
  // The heartbeat thread: every heartbeat interval, ticks every open
  // stream (one thread for all streams, not a timer each).
  void RunHeartbeats();
  // Validates `request` (after resolving its org), resolves credentials and
  // timeout, and starts `call` on the NeoClient; the returned reactor
  // finishes exactly once with the response or the error.
  template <typename Request, typename Response, typename Validate,
            typename Start>
  grpc::ServerUnaryReactor* Handle(const char* rpc,
                                   grpc::CallbackServerContext* context,
                                   const Request& request, Response* response,
                                   absl::Duration default_timeout,
                                   Validate validate, Start start);

  client::NeoClient& client_;
  ServiceTokenSource* const service_tokens_;
  const AgentTasksServiceOptions options_;
  CallLimiter limiter_;
  // Upstream event streams shared by the calls watching one task with one
  // credential.
  stream::StreamHub hub_;

  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  // Unary calls gRPC has not finished with yet.
  int unary_calls_ ABSL_GUARDED_BY(mu_) = 0;
  // Open streams, registered until their OnDone.
  absl::flat_hash_set<stream::EventStreamReactor*> streams_
      ABSL_GUARDED_BY(mu_);
  bool stop_heartbeats_ ABSL_GUARDED_BY(mu_) = false;
  std::thread heartbeats_;
};

}  // namespace neobridge::service

#endif  // NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_
