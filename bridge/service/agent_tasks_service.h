// AgentTasksService: the gRPC surface. Each unary RPC validates its request,
// resolves org, credentials and deadline, and hands the call to NeoClient;
// nothing here blocks a gRPC callback thread.
#ifndef NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_
#define NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_

#include <string>

#include "absl/time/time.h"
#include "bridge/client/neo_client.h"
#include "bridge/service/credentials.h"
#include "bridge/stream/event_stream_reactor.h"
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
};

class AgentTasksService final : public v1::AgentTasksService::CallbackService {
 public:
  // `client` and `service_tokens` must outlive the service; `service_tokens`
  // may be null (callers must then bring their own token).
  AgentTasksService(client::NeoClient& client,
                    ServiceTokenSource* service_tokens,
                    AgentTasksServiceOptions options);

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

 private:
  // Validates `request` (after resolving its org), resolves credentials and
  // timeout, and starts `call` on the NeoClient; the returned reactor
  // finishes exactly once with the response or the error.
  template <typename Request, typename Response, typename Validate,
            typename Start>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context,
                                   const Request& request, Response* response,
                                   absl::Duration default_timeout,
                                   Validate validate, Start start);

  client::NeoClient& client_;
  ServiceTokenSource* const service_tokens_;
  const AgentTasksServiceOptions options_;
};

}  // namespace neobridge::service

#endif  // NEOBRIDGE_BRIDGE_SERVICE_AGENT_TASKS_SERVICE_H_
