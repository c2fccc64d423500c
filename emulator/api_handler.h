// HTTP semantics of the Neo agent-tasks API on top of TaskService: routing,
// 404/405, authentication (401), query parameters, body parsing and the
// mapping of domain errors to status codes and JSON error bodies.
// Transport-free: the HTTP server turns HttpRequest/HttpResponse into bytes.
#ifndef NEO_EMULATOR_API_HANDLER_H_
#define NEO_EMULATOR_API_HANDLER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "emulator/router.h"
#include "emulator/task_service.h"
#include "emulator/users.h"

namespace neo_emulator {

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // Without the query string, still percent-encoded.
  std::vector<std::pair<std::string, std::string>> query;    // Decoded.
  std::vector<std::pair<std::string, std::string>> headers;  // As received.
  std::string body;

  // First header with this name (case-insensitive), or nullopt.
  std::optional<absl::string_view> Header(absl::string_view name) const;
  // First query parameter with this name (case-sensitive), or nullopt.
  std::optional<absl::string_view> Query(absl::string_view name) const;
};

// An SSE stream the transport must open (GetTask-level checks already
// passed).
struct StreamTarget {
  const User* user = nullptr;  // Owned by the UserDirectory.
  std::string org;
  std::string task_id;
  std::optional<std::string> last_event_id;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, `status`/`body` are unused: open an event stream instead.
  std::optional<StreamTarget> stream;
};

// Maps absl status codes to HTTP: InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, FailedPrecondition/Aborted 409,
// anything else 500.
int HttpStatusFromStatus(const absl::Status& status);

// "OK", "Created", "Not Found", ...
absl::string_view ReasonPhrase(int http_status);

inline constexpr absl::string_view kUnauthorizedMessage =
    "Unauthorized: No credentials provided or are invalid.";

// Thread: Handle runs on the event-loop thread; `users` and `service` must
// outlive the handler.
class ApiHandler {
 public:
  ApiHandler(const UserDirectory* users, TaskService* service,
             TaskService::Clock clock);

  HttpResponse Handle(const HttpRequest& request);

  // A JSON error response {"code", "message"}.
  static HttpResponse Error(int http_status, absl::string_view message);

 private:
  HttpResponse ListTasks(const User& user, const RouteMatch& match,
                         const HttpRequest& request);
  HttpResponse CreateTask(const User& user, const RouteMatch& match,
                          const HttpRequest& request);
  HttpResponse GetTask(const User& user, const RouteMatch& match);
  HttpResponse UpdateTask(const User& user, const RouteMatch& match,
                          const HttpRequest& request);
  HttpResponse RespondToTask(const User& user, const RouteMatch& match,
                             const HttpRequest& request);
  HttpResponse CancelTask(const User& user, const RouteMatch& match,
                          const HttpRequest& request);
  HttpResponse ListEvents(const User& user, const RouteMatch& match,
                          const HttpRequest& request);
  HttpResponse OpenStream(const User& user, const RouteMatch& match,
                          const HttpRequest& request);

  const UserDirectory* users_;
  TaskService* service_;
  TaskService::Clock clock_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_API_HANDLER_H_
