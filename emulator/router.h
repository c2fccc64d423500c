// Maps request paths to the Neo agent-tasks endpoints. Pure.
#ifndef NEO_EMULATOR_ROUTER_H_
#define NEO_EMULATOR_ROUTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace neo_emulator {

enum class HttpMethod {
  kGet,
  kPost,
  kPatch,
  kPut,
  kDelete,
  kHead,
  kOptions,
  kOther
};
absl::string_view HttpMethodName(HttpMethod method);

enum class Route {
  kTasks,            // /api/preview/agents/{org}/tasks
  kTask,             // .../tasks/{taskID}
  kTaskCancel,       // .../tasks/{taskID}/cancel
  kTaskEvents,       // .../tasks/{taskID}/events
  kTaskEventStream,  // .../tasks/{taskID}/events/stream
};

struct RouteMatch {
  Route route = Route::kTasks;
  std::string org;      // Percent-decoded.
  std::string task_id;  // Percent-decoded; empty for kTasks.
};

// `path` is the request path without the query string. nullopt when it is
// not one of the endpoints (including trailing slashes and empty segments).
std::optional<RouteMatch> MatchRoute(absl::string_view path);

// The methods a route accepts, in the order of the Allow header.
std::vector<HttpMethod> AllowedMethods(Route route);
// "GET, POST" etc.
std::string AllowHeader(Route route);

// Percent-decodes one path segment; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view text);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_ROUTER_H_
