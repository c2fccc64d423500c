#include "bridge/service/agent_tasks_service.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bridge/log/json_log.h"
#include "bridge/security/caller_identity.h"
#include "bridge/security/credential_fingerprint.h"
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

absl::Status ShuttingDown() {
  return status::WithReason(
      absl::UnavailableError(
          "neo-bridge is shutting down: retry the call (another replica "
          "takes it)"),
      status::kReasonShuttingDown);
}

// What the access log says about one call.
struct CallRecord {
  const char* rpc = "";
  std::string org;
  std::string task;
  std::string caller;
  std::string peer;
  absl::Time start = absl::Now();
};

template <typename Request>
std::string TaskIdOf(const Request& request) {
  if constexpr (requires { request.task_id(); }) {
    return request.task_id();
  } else {
    return std::string();
  }
}

// One access-log line per finished call: info when the call succeeded or
// the caller erred, warn when the bridge or upstream failed.
void LogCall(const CallRecord& record, const absl::Status& status,
             std::initializer_list<log::Field> extra = {}) {
  const absl::StatusCode code = status.code();
  const bool server_side = code == absl::StatusCode::kInternal ||
                           code == absl::StatusCode::kUnavailable ||
                           code == absl::StatusCode::kDeadlineExceeded ||
                           code == absl::StatusCode::kUnknown ||
                           code == absl::StatusCode::kDataLoss;
  const log::Level level = server_side ? log::Level::kWarn : log::Level::kInfo;
  if (!log::Enabled(level)) return;
  std::string request_id;
  if (absl::optional<google::rpc::ErrorInfo> info =
          status::GetErrorInfo(status)) {
    auto it = info->metadata().find("request_id");
    if (it != info->metadata().end()) request_id = it->second;
  }
  std::vector<log::Field> fields = {
      {"rpc", record.rpc},
      {"org", record.org},
      {"task", record.task},
      {"caller", record.caller},
      {"peer", record.peer},
      {"status", absl::StatusCodeToString(code)},
      {"duration_ms",
       absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - record.start))},
      {"upstream_request_id", request_id},
  };
  if (!status.ok()) fields.emplace_back("error", std::string(status.message()));
  for (const log::Field& field : extra) fields.push_back(field);
  log::Log(level, "rpc", fields);
}

// Reactor of one unary RPC backed by one NeoClient call. Owns itself: it is
// deleted in OnDone, after gRPC has run every other reaction. OnCancel may
// run on a gRPC thread at any time before that; the upstream completion runs
// on a transport thread.
template <typename Response>
class UpstreamCallReactor final : public grpc::ServerUnaryReactor {
 public:
  // `on_done` runs once gRPC is done with the call.
  UpstreamCallReactor(client::NeoClient& client, Response* response,
                      CallRecord record, absl::AnyInvocable<void() &&> on_done)
      : client_(client),
        response_(response),
        record_(std::move(record)),
        on_done_(std::move(on_done)) {}

  CallRecord& record() { return record_; }

  // Finishes at once with `status` (validation, credentials, deadline).
  void FinishNow(const absl::Status& status) {
    LogCall(record_, status);
    Finish(status::ToGrpcStatus(status));
  }

  // The NeoClient completion for this RPC; call at most once. `lease` (the
  // in-flight upstream slot) is released when the call completes, before
  // Finish: once the caller has its answer the service, and the CallLimiter
  // the lease points into, may be destroyed (and a caller's next call must
  // find the slot free).
  client::Callback<Response> Completion(CallLease lease) {
    return [this,
            lease = std::move(lease)](absl::StatusOr<Response> result) mutable {
      { CallLease released = std::move(lease); }
      LogCall(record_, result.status());
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

  void OnDone() override {
    std::move(on_done_)();
    delete this;
  }

 private:
  client::NeoClient& client_;
  Response* const response_;
  CallRecord record_;
  absl::AnyInvocable<void() &&> on_done_;
  absl::Mutex mu_;
  CallId call_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// A stream refused before it started: finishes at once, deletes itself.
class RefusedStreamReactor final
    : public grpc::ServerWriteReactor<v1::StreamTaskEventsResponse> {
 public:
  RefusedStreamReactor(const CallRecord& record, const absl::Status& status) {
    LogCall(record, status);
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
      options_(std::move(options)),
      limiter_(options_.limits),
      hub_(client_, options_.stream, options_.observer),
      heartbeats_([this] { RunHeartbeats(); }) {}

AgentTasksService::~AgentTasksService() {
  {
    absl::MutexLock lock(&mu_);
    stop_heartbeats_ = true;
  }
  heartbeats_.join();
}

void AgentTasksService::RunHeartbeats() {
  pthread_setname_np(pthread_self(), "stream-heartbt");
  // Each stream is ticked once per interval, but the streams are spread
  // over kHeartbeatSlices evenly spaced wake-ups: ticking thousands at once
  // would start as many writes at once, and gRPC would grow its executor
  // pool to run their completions.
  constexpr uint64_t kHeartbeatSlices = 16;
  const absl::Duration period =
      options_.stream.heartbeat_interval / kHeartbeatSlices;
  for (uint64_t slot = 0;; slot = (slot + 1) % kHeartbeatSlices) {
    std::vector<stream::EventStreamReactor*> due;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_heartbeats_), period)) {
        return;
      }
      for (stream::EventStreamReactor* reactor : streams_) {
        // A stream's slot is fixed by its address.
        if ((reinterpret_cast<uintptr_t>(reactor) >> 6) % kHeartbeatSlices ==
            slot) {
          reactor->AddRef();
          due.push_back(reactor);
        }
      }
    }
    for (stream::EventStreamReactor* reactor : due) {
      reactor->OnHeartbeatTick();
      reactor->Release();
    }
  }
}

absl::Status AgentTasksService::CheckAccepting() {
  absl::MutexLock lock(&mu_);
  return draining_ ? ShuttingDown() : absl::OkStatus();
}

absl::StatusOr<CallCredentials> AgentTasksService::Credentials(
    grpc::CallbackServerContext* context) {
  security::ServiceTokenPolicy* policy = options_.service_token_policy;
  auto authorize = [context, policy]() -> absl::StatusOr<std::string> {
    if (policy == nullptr) return std::string("open");
    absl::optional<absl::string_view> api_key;
    const auto& metadata = context->client_metadata();
    if (auto it = metadata.find(security::kApiKeyMetadata);
        it != metadata.end()) {
      api_key = absl::string_view(it->second.data(), it->second.size());
    }
    absl::StatusOr<std::string> caller =
        policy->Authorize(security::IdentityOf(*context), api_key);
    if (!caller.ok()) {
      return status::WithReason(caller.status(),
                                status::kReasonServiceTokenDenied);
    }
    return caller;
  };
  return ResolveCredentials(context->client_metadata(), service_tokens_,
                            authorize, context->peer());
}

template <typename Request, typename Response, typename Validate,
          typename Start>
grpc::ServerUnaryReactor* AgentTasksService::Handle(
    const char* rpc, grpc::CallbackServerContext* context,
    const Request& request, Response* response, absl::Duration default_timeout,
    Validate validate, Start start) {
  {
    absl::MutexLock lock(&mu_);
    ++unary_calls_;
  }
  auto* reactor = new UpstreamCallReactor<Response>(
      client_, response,
      CallRecord{
          .rpc = rpc, .task = TaskIdOf(request), .peer = context->peer()},
      [this] {
        absl::MutexLock lock(&mu_);
        --unary_calls_;
      });
  if (absl::Status accepting = CheckAccepting(); !accepting.ok()) {
    reactor->FinishNow(accepting);
    return reactor;
  }
  Request resolved = request;
  resolved.set_org(ResolveOrg(request.org(), options_.default_org));
  reactor->record().org = resolved.org();
  if (absl::Status valid = validate(resolved); !valid.ok()) {
    reactor->FinishNow(valid);
    return reactor;
  }
  absl::StatusOr<CallCredentials> credentials = Credentials(context);
  if (!credentials.ok()) {
    reactor->FinishNow(credentials.status());
    return reactor;
  }
  reactor->record().caller = credentials->caller;
  CallOptions call_options{.access_token = std::move(credentials->access_token),
                           .timeout = TimeoutFor(*context, default_timeout)};
  if (call_options.timeout <= absl::ZeroDuration()) {
    reactor->FinishNow(status::WithReason(
        absl::DeadlineExceededError(
            "the call's deadline expired before the upstream request"),
        status::kReasonUpstreamTimeout));
    return reactor;
  }
  absl::StatusOr<CallLease> lease = limiter_.AcquireUpstream();
  if (!lease.ok()) {
    reactor->FinishNow(lease.status());
    return reactor;
  }
  reactor->Started(
      start(resolved, call_options, reactor->Completion(*std::move(lease))));
  return reactor;
}

grpc::ServerUnaryReactor* AgentTasksService::ListTasks(
    grpc::CallbackServerContext* context, const v1::ListTasksRequest* request,
    v1::ListTasksResponse* response) {
  return Handle("ListTasks", context, *request, response,
                options_.default_timeout, ValidateListTasks,
                [this](const v1::ListTasksRequest& r, const CallOptions& o,
                       client::Callback<v1::ListTasksResponse> done) {
                  return client_.ListTasks(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::CreateTask(
    grpc::CallbackServerContext* context, const v1::CreateTaskRequest* request,
    v1::CreateTaskResponse* response) {
  return Handle("CreateTask", context, *request, response,
                options_.create_timeout, ValidateCreateTask,
                [this](const v1::CreateTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::CreateTaskResponse> done) {
                  return client_.CreateTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::GetTask(
    grpc::CallbackServerContext* context, const v1::GetTaskRequest* request,
    v1::GetTaskResponse* response) {
  return Handle("GetTask", context, *request, response,
                options_.default_timeout, ValidateGetTask,
                [this](const v1::GetTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::GetTaskResponse> done) {
                  return client_.GetTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::UpdateTask(
    grpc::CallbackServerContext* context, const v1::UpdateTaskRequest* request,
    v1::UpdateTaskResponse* response) {
  return Handle("UpdateTask", context, *request, response,
                options_.default_timeout, ValidateUpdateTask,
                [this](const v1::UpdateTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::UpdateTaskResponse> done) {
                  return client_.UpdateTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::RespondToTask(
    grpc::CallbackServerContext* context,
    const v1::RespondToTaskRequest* request,
    v1::RespondToTaskResponse* response) {
  return Handle("RespondToTask", context, *request, response,
                options_.default_timeout, ValidateRespondToTask,
                [this](const v1::RespondToTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::RespondToTaskResponse> done) {
                  return client_.RespondToTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::CancelTask(
    grpc::CallbackServerContext* context, const v1::CancelTaskRequest* request,
    v1::CancelTaskResponse* response) {
  return Handle("CancelTask", context, *request, response,
                options_.default_timeout, ValidateCancelTask,
                [this](const v1::CancelTaskRequest& r, const CallOptions& o,
                       client::Callback<v1::CancelTaskResponse> done) {
                  return client_.CancelTask(r, o, std::move(done));
                });
}

grpc::ServerUnaryReactor* AgentTasksService::ListTaskEvents(
    grpc::CallbackServerContext* context,
    const v1::ListTaskEventsRequest* request,
    v1::ListTaskEventsResponse* response) {
  return Handle("ListTaskEvents", context, *request, response,
                options_.default_timeout, ValidateListTaskEvents,
                [this](const v1::ListTaskEventsRequest& r, const CallOptions& o,
                       client::Callback<v1::ListTaskEventsResponse> done) {
                  return client_.ListTaskEvents(r, o, std::move(done));
                });
}

grpc::ServerWriteReactor<v1::StreamTaskEventsResponse>*
AgentTasksService::StreamTaskEvents(
    grpc::CallbackServerContext* context,
    const v1::StreamTaskEventsRequest* request) {
  CallRecord record{.rpc = "StreamTaskEvents",
                    .task = request->task_id(),
                    .peer = context->peer()};
  if (absl::Status accepting = CheckAccepting(); !accepting.ok()) {
    return new RefusedStreamReactor(record, accepting);
  }
  v1::StreamTaskEventsRequest resolved = *request;
  resolved.set_org(ResolveOrg(request->org(), options_.default_org));
  record.org = resolved.org();
  if (absl::Status valid = ValidateStreamTaskEvents(resolved); !valid.ok()) {
    return new RefusedStreamReactor(record, valid);
  }
  absl::StatusOr<CallCredentials> credentials = Credentials(context);
  if (!credentials.ok()) {
    return new RefusedStreamReactor(record, credentials.status());
  }
  record.caller = credentials->caller;
  absl::StatusOr<CallLease> lease = limiter_.AcquireStream(credentials->caller);
  if (!lease.ok()) return new RefusedStreamReactor(record, lease.status());

  stream::EventStreamReactor* reactor;
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return new RefusedStreamReactor(record, ShuttingDown());
    std::string fingerprint =
        security::CredentialFingerprint(credentials->access_token);
    reactor = new stream::EventStreamReactor(
        hub_, std::move(resolved), std::move(credentials->access_token),
        std::move(fingerprint),
        stream::StreamHooks{.observer = options_.observer,
                            .on_done = [this, record = std::move(record),
                                        lease = *std::move(lease)](
                                           stream::EventStreamReactor* done,
                                           const absl::Status& status) mutable {
                              CallLease released = std::move(lease);
                              LogCall(
                                  record, status,
                                  {{"last_event_id", done->last_event_id()}});
                              absl::MutexLock lock(&mu_);
                              streams_.erase(done);
                            }});
    streams_.insert(reactor);
  }
  reactor->Start();
  return reactor;
}

void AgentTasksService::StartDraining() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

void AgentTasksService::EndStreams() {
  std::vector<stream::EventStreamReactor*> open;
  {
    absl::MutexLock lock(&mu_);
    for (stream::EventStreamReactor* reactor : streams_) {
      reactor->AddRef();
      open.push_back(reactor);
    }
  }
  for (stream::EventStreamReactor* reactor : open) {
    reactor->Shutdown(status::WithReason(
        absl::UnavailableError(absl::StrCat(
            "neo-bridge is shutting down: call StreamTaskEvents again with "
            "last_event_id \"",
            reactor->last_event_id(),
            "\" to resume (another replica takes it)")),
        status::kReasonShuttingDown));
    reactor->Release();
  }
}

bool AgentTasksService::WaitForNoStreams(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return streams_.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&none), timeout);
}

bool AgentTasksService::WaitForNoCalls(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return streams_.empty() && unary_calls_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&none), timeout);
}

int AgentTasksService::open_streams() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

}  // namespace neobridge::service
