#include "emulator/api_handler.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "emulator/json_shapes.h"
#include "emulator/request_parsing.h"
#include "emulator/sorting.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = DumpJson(body);
  return response;
}

HttpResponse FromStatus(const absl::Status& status) {
  return ApiHandler::Error(HttpStatusFromStatus(status), status.message());
}

HttpResponse Empty(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

// Empty query values count as absent, like the upstream's Go handlers.
std::optional<absl::string_view> NonEmptyQuery(const HttpRequest& request,
                                               absl::string_view name) {
  std::optional<absl::string_view> value = request.Query(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<absl::string_view> HttpRequest::Header(
    absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<absl::string_view> HttpRequest::Query(
    absl::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

int HttpStatusFromStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    default:
      return 500;
  }
}

absl::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

ApiHandler::ApiHandler(const UserDirectory* users, TaskService* service,
                       TaskService::Clock clock)
    : users_(users), service_(service), clock_(std::move(clock)) {}

HttpResponse ApiHandler::Error(int http_status, absl::string_view message) {
  return JsonResponse(http_status, ErrorToJson(http_status, message));
}

HttpResponse ApiHandler::Handle(const HttpRequest& request) {
  std::optional<RouteMatch> match = MatchRoute(request.path);
  if (!match) {
    return Error(
        404, absl::StrCat("no such endpoint: ", HttpMethodName(request.method),
                          " ", request.path));
  }
  bool allowed = false;
  for (HttpMethod method : AllowedMethods(match->route)) {
    allowed = allowed || method == request.method;
  }
  if (!allowed) {
    HttpResponse response =
        Error(405, absl::StrCat("method ", HttpMethodName(request.method),
                                " is not allowed on ", request.path,
                                "; allowed: ", AllowHeader(match->route)));
    response.headers.emplace_back("Allow", AllowHeader(match->route));
    return response;
  }

  const User* user = nullptr;
  if (std::optional<absl::string_view> header =
          request.Header("Authorization")) {
    if (std::optional<std::string> token = TokenFromAuthorization(*header)) {
      user = users_->FindByToken(*token);
    }
  }
  if (user == nullptr) return Error(401, kUnauthorizedMessage);
  // Org membership (403) comes before parameter and body validation (400).
  if (absl::Status status = service_->CheckMember(*user, match->org);
      !status.ok()) {
    return FromStatus(status);
  }

  switch (match->route) {
    case Route::kTasks:
      return request.method == HttpMethod::kGet
                 ? ListTasks(*user, *match, request)
                 : CreateTask(*user, *match, request);
    case Route::kTask:
      if (request.method == HttpMethod::kGet) return GetTask(*user, *match);
      if (request.method == HttpMethod::kPatch) {
        return UpdateTask(*user, *match, request);
      }
      return RespondToTask(*user, *match, request);
    case Route::kTaskCancel:
      return CancelTask(*user, *match, request);
    case Route::kTaskEvents:
      return ListEvents(*user, *match, request);
    case Route::kTaskEventStream:
      return OpenStream(*user, *match, request);
  }
  return Error(500, "unhandled route");
}

HttpResponse ApiHandler::ListTasks(const User& user, const RouteMatch& match,
                                   const HttpRequest& request) {
  TaskQuery query;
  query.org = match.org;
  absl::StatusOr<int> page_size = ParsePageSize(request.Query("pageSize"));
  if (!page_size.ok()) return FromStatus(page_size.status());
  query.page_size = *page_size;
  if (auto value = NonEmptyQuery(request, "sortBy")) {
    std::optional<SortField> field = ParseSortField(*value);
    if (!field) {
      return Error(400,
                   absl::StrCat("invalid sortBy '", *value,
                                "': allowed values are ", kSortFieldValues));
    }
    query.sort_by = *field;
  }
  if (auto value = NonEmptyQuery(request, "sortDirection")) {
    std::optional<SortDirection> direction = ParseSortDirection(*value);
    if (!direction) {
      return Error(
          400, absl::StrCat("invalid sortDirection '", *value,
                            "': allowed values are ", kSortDirectionValues));
    }
    query.direction = *direction;
  }
  if (auto value = NonEmptyQuery(request, "taskType")) {
    if (*value != "sync" && *value != "async") {
      return Error(400, absl::StrCat("invalid taskType '", *value,
                                     "': allowed values are sync, async"));
    }
    query.task_type = std::string(*value);
  }
  if (auto value = NonEmptyQuery(request, "continuationToken")) {
    query.continuation_token = std::string(*value);
  }
  absl::StatusOr<TaskPage> page = service_->ListTasks(user, std::move(query));
  if (!page.ok()) return FromStatus(page.status());
  Json tasks = Json::array();
  for (const Task* task : page->tasks) tasks.push_back(TaskToJson(*task));
  Json body = {{"tasks", std::move(tasks)}};
  if (page->continuation_token) {
    body["continuationToken"] = *page->continuation_token;
  }
  return JsonResponse(200, body);
}

HttpResponse ApiHandler::CreateTask(const User& user, const RouteMatch& match,
                                    const HttpRequest& request) {
  absl::StatusOr<CreateTaskRequest> parsed =
      ParseCreateTaskRequest(request.body, clock_());
  if (!parsed.ok()) return FromStatus(parsed.status());
  absl::StatusOr<const Task*> task =
      service_->CreateTask(user, match.org, *std::move(parsed));
  if (!task.ok()) return FromStatus(task.status());
  return JsonResponse(201, Json{{"taskId", (*task)->id}});
}

HttpResponse ApiHandler::GetTask(const User& user, const RouteMatch& match) {
  absl::StatusOr<const Task*> task =
      service_->GetTask(user, match.org, match.task_id);
  if (!task.ok()) return FromStatus(task.status());
  return JsonResponse(200, TaskToJson(**task));
}

HttpResponse ApiHandler::UpdateTask(const User& user, const RouteMatch& match,
                                    const HttpRequest& request) {
  absl::StatusOr<UpdateTaskRequest> parsed =
      ParseUpdateTaskRequest(request.body);
  if (!parsed.ok()) return FromStatus(parsed.status());
  absl::StatusOr<const Task*> task =
      service_->UpdateTask(user, match.org, match.task_id, *parsed);
  if (!task.ok()) return FromStatus(task.status());
  return JsonResponse(200, TaskToJson(**task));
}

HttpResponse ApiHandler::RespondToTask(const User& user,
                                       const RouteMatch& match,
                                       const HttpRequest& request) {
  absl::StatusOr<UserEvent> event = ParseRespondRequest(request.body, clock_());
  if (!event.ok()) return FromStatus(event.status());
  absl::Status status = service_->RespondToTask(user, match.org, match.task_id,
                                                *std::move(event));
  if (!status.ok()) return FromStatus(status);
  return Empty(202);
}

HttpResponse ApiHandler::CancelTask(const User& user, const RouteMatch& match,
                                    const HttpRequest& request) {
  if (absl::Status status = ParseCancelRequest(request.body); !status.ok()) {
    return FromStatus(status);
  }
  absl::Status status = service_->CancelTask(user, match.org, match.task_id);
  if (!status.ok()) return FromStatus(status);
  return Empty(204);
}

HttpResponse ApiHandler::ListEvents(const User& user, const RouteMatch& match,
                                    const HttpRequest& request) {
  absl::StatusOr<int> page_size = ParsePageSize(request.Query("pageSize"));
  if (!page_size.ok()) return FromStatus(page_size.status());
  std::string token(NonEmptyQuery(request, "continuationToken").value_or(""));
  absl::StatusOr<EventPage> page =
      service_->ListEvents(user, match.org, match.task_id, *page_size, token);
  if (!page.ok()) return FromStatus(page.status());
  // Events are serialized once when recorded; splice them in.
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < page->events.size(); ++i) {
    if (i > 0) body.push_back(',');
    body.append(page->events[i]->json);
  }
  body.append("]");
  if (page->continuation_token) {
    absl::StrAppend(&body, ",\"continuationToken\":",
                    DumpJson(Json(*page->continuation_token)));
  }
  body.append("}");
  HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

HttpResponse ApiHandler::OpenStream(const User& user, const RouteMatch& match,
                                    const HttpRequest& request) {
  absl::StatusOr<const Task*> task =
      service_->GetTask(user, match.org, match.task_id);
  if (!task.ok()) return FromStatus(task.status());
  HttpResponse response;
  StreamTarget target{
      .user = &user, .org = match.org, .task_id = match.task_id};
  if (auto last = request.Header("Last-Event-ID"); last && !last->empty()) {
    target.last_event_id = std::string(*last);
  }
  response.stream = std::move(target);
  return response;
}

}  // namespace neo_emulator
