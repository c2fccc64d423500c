#include "bridge/client/rest_neo_client.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bridge/client/upstream_paths.h"
#include "bridge/codec/error_body_codec.h"
#include "bridge/codec/event_codec.h"
#include "bridge/codec/request_codec.h"
#include "bridge/codec/task_codec.h"
#include "bridge/status/status_mapping.h"

namespace neobridge::client {
namespace {

using upstream::HttpMethod;
using upstream::HttpRequest;
using upstream::HttpResponse;

// Accept header the Pulumi Cloud docs list for this API.
constexpr char kAccept[] = "application/vnd.pulumi+8";
constexpr char kRequestIdHeader[] = "x-pulumi-request-id";

std::string HeaderOr(const HttpResponse& response, absl::string_view name) {
  auto value = response.Header(std::string(name));
  return value.has_value() ? std::string(*value) : std::string();
}

// Maps a non-2xx answer to its status with ErrorInfo and RetryInfo.
// `access_token` is what the request carried, never relayed.
absl::Status HttpFailure(const char* operation, const HttpResponse& response,
                         const std::string& access_token) {
  codec::UpstreamError error = codec::ParseErrorBody(response.body);
  status::UpstreamHttpFailure failure{
      .operation = operation,
      .http_status = response.status,
      .upstream_message = std::move(error.message),
      .request_id = HeaderOr(response, kRequestIdHeader),
      .secrets = {access_token},
  };
  if (auto retry_after = response.Header("retry-after")) {
    failure.retry_after =
        status::ParseRetryAfter(std::string(*retry_after), absl::Now());
  }
  return status::UpstreamHttpError(failure);
}

const char* SortFieldName(v1::TaskSortField field) {
  switch (field) {
    case v1::TASK_SORT_FIELD_LAST_EVENT:
      return "lastEvent";
    case v1::TASK_SORT_FIELD_CREATED:
      return "created";
    case v1::TASK_SORT_FIELD_STATUS:
      return "status";
    case v1::TASK_SORT_FIELD_NAME:
      return "name";
    case v1::TASK_SORT_FIELD_TOKENS_USED:
      return "tokensUsed";
    default:
      return nullptr;
  }
}

const char* SortDirectionName(v1::SortDirection direction) {
  switch (direction) {
    case v1::SORT_DIRECTION_ASC:
      return "asc";
    case v1::SORT_DIRECTION_DESC:
      return "desc";
    default:
      return nullptr;
  }
}

const char* TaskTypeName(v1::TaskType type) {
  switch (type) {
    case v1::TASK_TYPE_SYNC:
      return "sync";
    case v1::TASK_TYPE_ASYNC:
      return "async";
    default:
      return nullptr;
  }
}

// Reports an event stream's exchange to the UpstreamObserver when its
// response head arrives (or the open fails first), and passes everything on.
class ReportingStreamObserver final : public upstream::StreamObserver {
 public:
  ReportingStreamObserver(std::shared_ptr<upstream::StreamObserver> inner,
                          UpstreamObserver& observer)
      : inner_(std::move(inner)),
        observer_(observer),
        sent_(std::chrono::steady_clock::now()) {}

  void OnResponseStart(int status,
                       const upstream::HttpHeaders& headers) override {
    Report(absl::StrCat(status));
    inner_->OnResponseStart(status, headers);
  }

  upstream::StreamAction OnData(std::string_view chunk) override {
    return inner_->OnData(chunk);
  }

  void OnDone(absl::Status status) override {
    if (!reported_) Report(absl::StatusCodeToString(status.code()));
    inner_->OnDone(std::move(status));
  }

 private:
  // The transport never calls an observer concurrently: no lock needed.
  void Report(const std::string& outcome) {
    reported_ = true;
    observer_.OnUpstreamRequest(
        "StreamTaskEvents",
        upstream::HttpMethodName(upstream::HttpMethod::kGet), outcome,
        absl::FromChrono(std::chrono::steady_clock::now() - sent_));
  }

  const std::shared_ptr<upstream::StreamObserver> inner_;
  UpstreamObserver& observer_;
  const std::chrono::steady_clock::time_point sent_;
  bool reported_ = false;
};

// Null observer means none.
RestNeoClientOptions WithDefaults(RestNeoClientOptions options) {
  if (options.observer == nullptr) {
    options.observer = &NoopUpstreamObserver::Instance();
  }
  return options;
}

void AddPaging(std::vector<std::pair<std::string, std::string>>& params,
               int32_t page_size, const std::string& page_token) {
  if (!page_token.empty()) params.emplace_back("continuationToken", page_token);
  if (page_size > 0) params.emplace_back("pageSize", absl::StrCat(page_size));
}

}  // namespace

RestNeoClient::RestNeoClient(upstream::HttpTransport& transport,
                             RestNeoClientOptions options)
    : transport_(transport),
      options_(WithDefaults(std::move(options))),
      own_timer_(options_.timer == nullptr ? std::make_unique<TimerQueue>()
                                           : nullptr),
      sender_(transport_,
              options_.timer != nullptr ? *options_.timer : *own_timer_,
              RetryingSenderOptions{.observer = options_.observer,
                                    .retry = options_.retry}) {}

RestNeoClient::~RestNeoClient() = default;

template <typename Response>
CallId RestNeoClient::Call(const char* operation, HttpMethod method,
                           std::string path_and_query, std::string body,
                           const CallOptions& options, Decoder<Response> decode,
                           Callback<Response> done) {
  HttpRequest request;
  request.method = method;
  request.url = absl::StrCat(options_.base_url, path_and_query);
  request.headers = {
      {"Authorization", absl::StrCat("token ", options.access_token)},
      {"Accept", kAccept},
      {"User-Agent", options_.user_agent},
  };
  if (method != HttpMethod::kGet) {
    request.headers.emplace_back("Content-Type", "application/json");
  }
  request.body = std::move(body);
  request.timeout = options.timeout;
  return sender_.Send(
      operation, std::move(request),
      [operation, access_token = options.access_token,
       decode = std::move(decode),
       done = std::move(done)](absl::StatusOr<HttpResponse> response) mutable {
        if (!response.ok()) {
          std::move(done)(
              status::UpstreamTransportError(operation, response.status()));
          return;
        }
        if (response->status < 200 || response->status >= 300) {
          std::move(done)(HttpFailure(operation, *response, access_token));
          return;
        }
        absl::StatusOr<Response> decoded = decode(response->body);
        if (!decoded.ok()) {
          std::move(done)(status::MalformedUpstreamResponse(
              operation, response->status,
              HeaderOr(*response, kRequestIdHeader), decoded.status()));
          return;
        }
        std::move(done)(std::move(decoded));
      });
}

CallId RestNeoClient::ListTasks(const v1::ListTasksRequest& request,
                                const CallOptions& options,
                                Callback<v1::ListTasksResponse> done) {
  std::vector<std::pair<std::string, std::string>> params;
  AddPaging(params, request.page_size(), request.page_token());
  if (const char* v = SortFieldName(request.sort_by())) {
    params.emplace_back("sortBy", v);
  }
  if (const char* v = SortDirectionName(request.sort_direction())) {
    params.emplace_back("sortDirection", v);
  }
  if (const char* v = TaskTypeName(request.task_type())) {
    params.emplace_back("taskType", v);
  }
  return Call<v1::ListTasksResponse>(
      "ListTasks", HttpMethod::kGet,
      absl::StrCat(TasksPath(request.org()), QueryString(params)), "", options,
      [](const std::string& body) {
        return codec::ParseListTasksResponse(body);
      },
      std::move(done));
}

CallId RestNeoClient::CreateTask(const v1::CreateTaskRequest& request,
                                 const CallOptions& options,
                                 Callback<v1::CreateTaskResponse> done) {
  return Call<v1::CreateTaskResponse>(
      "CreateTask", HttpMethod::kPost, TasksPath(request.org()),
      codec::SerializeCreateTaskRequest(request, options_.clock()), options,
      [](const std::string& body) {
        return codec::ParseCreateTaskResponse(body);
      },
      std::move(done));
}

CallId RestNeoClient::GetTask(const v1::GetTaskRequest& request,
                              const CallOptions& options,
                              Callback<v1::GetTaskResponse> done) {
  return Call<v1::GetTaskResponse>(
      "GetTask", HttpMethod::kGet, TaskPath(request.org(), request.task_id()),
      "", options,
      [](const std::string& body) -> absl::StatusOr<v1::GetTaskResponse> {
        absl::StatusOr<v1::Task> task = codec::ParseTask(body);
        if (!task.ok()) return task.status();
        v1::GetTaskResponse response;
        *response.mutable_task() = *std::move(task);
        return response;
      },
      std::move(done));
}

CallId RestNeoClient::UpdateTask(const v1::UpdateTaskRequest& request,
                                 const CallOptions& options,
                                 Callback<v1::UpdateTaskResponse> done) {
  return Call<v1::UpdateTaskResponse>(
      "UpdateTask", HttpMethod::kPatch,
      TaskPath(request.org(), request.task_id()),
      codec::SerializeUpdateTaskRequest(request), options,
      [](const std::string& body) -> absl::StatusOr<v1::UpdateTaskResponse> {
        absl::StatusOr<v1::Task> task = codec::ParseTask(body);
        if (!task.ok()) return task.status();
        v1::UpdateTaskResponse response;
        *response.mutable_task() = *std::move(task);
        return response;
      },
      std::move(done));
}

CallId RestNeoClient::RespondToTask(const v1::RespondToTaskRequest& request,
                                    const CallOptions& options,
                                    Callback<v1::RespondToTaskResponse> done) {
  return Call<v1::RespondToTaskResponse>(
      "RespondToTask", HttpMethod::kPost,
      TaskPath(request.org(), request.task_id()),
      codec::SerializeRespondToTaskRequest(request), options,
      [](const std::string&) -> absl::StatusOr<v1::RespondToTaskResponse> {
        return v1::RespondToTaskResponse();
      },
      std::move(done));
}

CallId RestNeoClient::CancelTask(const v1::CancelTaskRequest& request,
                                 const CallOptions& options,
                                 Callback<v1::CancelTaskResponse> done) {
  return Call<v1::CancelTaskResponse>(
      "CancelTask", HttpMethod::kPost,
      CancelPath(request.org(), request.task_id()),
      codec::SerializeCancelTaskRequest(), options,
      [](const std::string&) -> absl::StatusOr<v1::CancelTaskResponse> {
        return v1::CancelTaskResponse();
      },
      std::move(done));
}

CallId RestNeoClient::ListTaskEvents(
    const v1::ListTaskEventsRequest& request, const CallOptions& options,
    Callback<v1::ListTaskEventsResponse> done) {
  std::vector<std::pair<std::string, std::string>> params;
  AddPaging(params, request.page_size(), request.page_token());
  return Call<v1::ListTaskEventsResponse>(
      "ListTaskEvents", HttpMethod::kGet,
      absl::StrCat(EventsPath(request.org(), request.task_id()),
                   QueryString(params)),
      "", options,
      [](const std::string& body) {
        return codec::ParseListTaskEventsResponse(body);
      },
      std::move(done));
}

CallId RestNeoClient::OpenEventStream(
    const v1::StreamTaskEventsRequest& request,
    const StreamCallOptions& options,
    std::shared_ptr<upstream::StreamObserver> observer) {
  HttpRequest http;
  http.method = HttpMethod::kGet;
  http.url = absl::StrCat(options_.base_url,
                          EventStreamPath(request.org(), request.task_id()));
  http.headers = {
      {"Authorization", absl::StrCat("token ", options.access_token)},
      {"Accept", "text/event-stream"},
      {"Cache-Control", "no-cache"},
      {"User-Agent", options_.user_agent},
  };
  // Only when resuming: never an empty header.
  if (!request.last_event_id().empty()) {
    http.headers.emplace_back("Last-Event-ID", request.last_event_id());
  }
  http.timeout = options.open_timeout;
  http.idle_timeout = options.idle_timeout;
  return transport_.OpenStream(std::move(http),
                               std::make_shared<ReportingStreamObserver>(
                                   std::move(observer), *options_.observer));
}

void RestNeoClient::ResumeStream(CallId id) { transport_.Resume(id); }

void RestNeoClient::Cancel(CallId id) {
  // Unary calls belong to the sender; the rest are event streams.
  if (!sender_.Cancel(id)) transport_.Cancel(id);
}

}  // namespace neobridge::client
