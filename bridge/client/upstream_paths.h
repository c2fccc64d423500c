// Upstream routes of the Neo agent-tasks API, built from already validated
// ids. Every id and query value is percent-encoded, so no input can add a
// path segment, a query parameter or a fragment; an id of "." or ".." is
// encoded whole ("%2E%2E"), so it cannot climb out of its segment either.
// An empty id would still leave an empty segment: validation refuses it.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_PATHS_H_
#define NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_PATHS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace neobridge::client {

// Percent-encodes every byte except RFC 3986 unreserved characters
// (ALPHA / DIGIT / "-" / "." / "_" / "~").
std::string PercentEncode(absl::string_view value);

// "/api/preview/agents/{org}/tasks".
std::string TasksPath(absl::string_view org);
// "/api/preview/agents/{org}/tasks/{task_id}".
std::string TaskPath(absl::string_view org, absl::string_view task_id);
// "/api/preview/agents/{org}/tasks/{task_id}/cancel".
std::string CancelPath(absl::string_view org, absl::string_view task_id);
// "/api/preview/agents/{org}/tasks/{task_id}/events".
std::string EventsPath(absl::string_view org, absl::string_view task_id);
// "/api/preview/agents/{org}/tasks/{task_id}/events/stream".
std::string EventStreamPath(absl::string_view org, absl::string_view task_id);

// "?k1=v1&k2=v2" with keys and values percent-encoded; "" when empty.
std::string QueryString(
    const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_PATHS_H_
