#include "bridge/client/upstream_paths.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace neobridge::client {
namespace {

constexpr absl::string_view kAgentsPrefix = "/api/preview/agents/";

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// One path segment: PercentEncode, and "." and ".." fully encoded so that
// no client or server on the way removes them as dot segments. Validation
// refuses such ids already; this keeps the route fixed should one slip by.
std::string Segment(absl::string_view value) {
  if (value == "." || value == "..") {
    return value.size() == 1 ? "%2E" : "%2E%2E";
  }
  return PercentEncode(value);
}

}  // namespace

std::string PercentEncode(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string TasksPath(absl::string_view org) {
  return absl::StrCat(kAgentsPrefix, Segment(org), "/tasks");
}

std::string TaskPath(absl::string_view org, absl::string_view task_id) {
  return absl::StrCat(TasksPath(org), "/", Segment(task_id));
}

std::string CancelPath(absl::string_view org, absl::string_view task_id) {
  return absl::StrCat(TaskPath(org, task_id), "/cancel");
}

std::string EventsPath(absl::string_view org, absl::string_view task_id) {
  return absl::StrCat(TaskPath(org, task_id), "/events");
}

std::string EventStreamPath(absl::string_view org, absl::string_view task_id) {
  return absl::StrCat(EventsPath(org, task_id), "/stream");
}

std::string QueryString(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    absl::StrAppend(&out, out.empty() ? "?" : "&", PercentEncode(key), "=",
                    PercentEncode(value));
  }
  return out;
}

}  // namespace neobridge::client
