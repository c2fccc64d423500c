#include "bridge/service/agent_tasks_service.h"

#include <atomic>
#include <chrono>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bridge/service/request_validation.h"
#include "bridge/status/error_details.h"
#include "bridge/status/grpc_status.h"

namespace neobridge::service {
namespace {

using client::CallId;
using client::CallOptions;

// The upstream time bound for a call: what is left of the caller's deadline,
// or `fallback` when the caller set none.
absl::Duration TimeoutFor(const grpc::CallbackServerContext& context,
                          absl::Duration fallback) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return fallback;
  }
  return absl::FromChrono(deadline) - absl::Now();
}

// Reactor of one unary RPC backed by one NeoClient call. Owns itself: it is
// deleted in OnDone, after gRPC has run every other reaction. OnCancel may
// run on a gRPC thread at any time before that; the upstream completion runs
// on a transport thread.
template <typename Response>
class UpstreamCallReactor final : public grpc::ServerUnaryReactor {
 public:
  UpstreamCallReactor(client::NeoClient& client, Response* response)
      : client_(client), response_(response) {}

  // Finishes at once with `status` (validation, credentials, deadline).
  void FinishNow(const absl::Status& status) {
    Finish(status::ToGrpcStatus(status));
  }

  // The NeoClient completion for this RPC; call at most once.
  client::Callback<Response> Completion() {
    return [this](absl::StatusOr<Response> result) {
      if (result.ok()) {
        *response_ = *std::move(result);
        Finish(grpc::Status::OK);
      } else {
        Finish(status::ToGrpcStatus(result.status()));
      }
    };
  }

  // Records the upstream call id, so a client cancel can abort it.
  void Started(CallId id) {
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      call_id_ = id;
      cancelled = cancelled_;
    }
    if (cancelled) client_.Cancel(id);
  }

  void OnCancel() override {
    CallId id;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      id = call_id_;
    }
    if (id != 0) client_.Cancel(id);
  }

  void OnDone() override { delete this; }

 private:
  client::NeoClient& client_;
  Response* const response_;
  absl::Mutex mu_;
  CallId call_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// A stream refused before it started: finishes at once, deletes itself.
class RefusedStreamReactor final
    : public grpc::ServerWriteReactor<v1::StreamTaskEventsResponse> {
 public:
  explicit RefusedStreamReactor(const absl::Status& status) {
    Finish(status::ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace

AgentTasksService::AgentTasksService(client::NeoClient& client,
                                     ServiceTokenSource* service_tokens,
                                     AgentTasksServiceOptions options)
    : client_(client),
      service_tokens_(service_tokens),
      options_(std::move(options)) {}

template <typename Request, typename Response, typename Validate,
          typename Start>
grpc::ServerUnaryReactor* AgentTasksService::Handle(
    grpc::CallbackServerContext* context, const Request& request,
    Response* response, absl::Duration default_timeout, Validate validate,
    Start start) {
  auto* reactor = new UpstreamCallReactor<Response>(client_, response);
  Request resolved = request;
  resolved.set_org(ResolveOrg(request.org(), options_.default_org));
  if (absl::Status valid = validate(resolved); !valid.ok()) {
    reactor->FinishNow(valid);
    return reactor;
  }
  absl::StatusOr<std::string> token =
      ResolveAccessToken(context->client_metadata(), service_tokens_);
  if (!token.ok()) {
    reactor->FinishNow(token.status());
    return reactor;
  }
  CallOptions call_options{.access_token = *std::move(token),
                           .timeout = TimeoutFor(*context, default_timeout)};
  if (call_options.timeout <= absl::ZeroDuration()) {
    reactor->FinishNow(status::WithReason(
        absl::DeadlineExceededError(
            "the call's deadline expired before the upstream request"),
        status::kReasonUpstreamTimeout));
    return reactor;
  }
  reactor->Started(start(resolved, call_options, reactor->Completion()));
  return reactor;
}

grpc::ServerUnaryReactor* AgentTasksService::ListTasks(
    grpc::CallbackServerContext* context, const v1::ListTasksRequest* request,
    v1::ListTasksResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateListTasks,
                [this](const v1::ListTasksRequest& r, const CallOptions& o,
                       client::Callback<v1::ListTasksResponse> done) {
                  return client_.ListTasks(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::CreateTask(
    grpc::CallbackServerContext* context, const v1::CreateTaskRequest* request,
    v1::CreateTaskResponse* response) {
  return Handle(context, *request, response, options_.create_timeout,
                ValidateCreateTask,
                [this](const v1::CreateTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::CreateTaskResponse> done) {
                  return client_.CreateTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::GetTask(
    grpc::CallbackServerContext* context, const v1::GetTaskRequest* request,
    v1::GetTaskResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateGetTask,
                [this](const v1::GetTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::GetTaskResponse> done) {
                  return client_.GetTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::UpdateTask(
    grpc::CallbackServerContext* context, const v1::UpdateTaskRequest* request,
    v1::UpdateTaskResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateUpdateTask,
                [this](const v1::UpdateTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::UpdateTaskResponse> done) {
                  return client_.UpdateTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::RespondToTask(
    grpc::CallbackServerContext* context,
    const v1::RespondToTaskRequest* request,
    v1::RespondToTaskResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateRespondToTask,
                [this](const v1::RespondToTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::RespondToTaskResponse> done) {
                  return client_.RespondToTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::CancelTask(
    grpc::CallbackServerContext* context, const v1::CancelTaskRequest* request,
    v1::CancelTaskResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateCancelTask,
                [this](const v1::CancelTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::CancelTaskResponse> done) {
                  return client_.CancelTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::ListTaskEvents(
    grpc::CallbackServerContext* context,
    const v1::ListTaskEventsRequest* request,
    v1::ListTaskEventsResponse* response) {
  return Handle(context, *request, response, options_.default_timeout,
                ValidateListTaskEvents,
                [this](const v1::ListTaskEventsRequest& r, const CallOptions& o,
                       client::Callback<v1::ListTaskEventsResponse> done) {
                  return client_.ListTaskEvents(r, o, std::move(done));
                });
}

grpc::ServerWriteReactor<v1::StreamTaskEventsResponse>*
AgentTasksService::StreamTaskEvents(
    grpc::CallbackServerContext* context,
    const v1::StreamTaskEventsRequest* request) {
  v1::StreamTaskEventsRequest resolved = *request;
  resolved.set_org(ResolveOrg(request->org(), options_.default_org));
  if (absl::Status valid = ValidateStreamTaskEvents(resolved); !valid.ok()) {
    return new RefusedStreamReactor(valid);
  }
  absl::StatusOr<std::string> token =
      ResolveAccessToken(context->client_metadata(), service_tokens_);
  if (!token.ok()) return new RefusedStreamReactor(token.status());
  auto* reactor = new stream::EventStreamReactor(
      client_, std::move(resolved), *std::move(token), options_.stream);
  reactor->Start();
  return reactor;
}

}  // namespace neobridge::service
