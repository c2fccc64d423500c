#include "emulator/router.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace neo_emulator {
namespace {

constexpr absl::string_view kPrefix = "/api/preview/agents/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
    case HttpMethod::kHead:
      return "HEAD";
    case HttpMethod::kOptions:
      return "OPTIONS";
    case HttpMethod::kOther:
      return "OTHER";
  }
  return "OTHER";
}

std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::optional<RouteMatch> MatchRoute(absl::string_view path) {
  if (!absl::StartsWith(path, kPrefix)) return std::nullopt;
  std::vector<absl::string_view> raw =
      absl::StrSplit(path.substr(kPrefix.size()), '/');
  std::vector<std::string> segments;
  for (absl::string_view segment : raw) {
    if (segment.empty()) return std::nullopt;
    std::optional<std::string> decoded = PercentDecode(segment);
    if (!decoded || decoded->empty()) return std::nullopt;
    segments.push_back(*std::move(decoded));
  }
  if (segments.size() < 2 || raw[1] != "tasks") return std::nullopt;
  RouteMatch match;
  match.org = segments[0];
  if (segments.size() == 2) {
    match.route = Route::kTasks;
    return match;
  }
  match.task_id = segments[2];
  if (segments.size() == 3) {
    match.route = Route::kTask;
    return match;
  }
  if (segments.size() == 4 && raw[3] == "cancel") {
    match.route = Route::kTaskCancel;
    return match;
  }
  if (segments.size() == 4 && raw[3] == "events") {
    match.route = Route::kTaskEvents;
    return match;
  }
  if (segments.size() == 5 && raw[3] == "events" && raw[4] == "stream") {
    match.route = Route::kTaskEventStream;
    return match;
  }
  return std::nullopt;
}

std::vector<HttpMethod> AllowedMethods(Route route) {
  switch (route) {
    case Route::kTasks:
      return {HttpMethod::kGet, HttpMethod::kPost};
    case Route::kTask:
      return {HttpMethod::kGet, HttpMethod::kPatch, HttpMethod::kPost};
    case Route::kTaskCancel:
      return {HttpMethod::kPost};
    case Route::kTaskEvents:
    case Route::kTaskEventStream:
      return {HttpMethod::kGet};
  }
  return {};
}

std::string AllowHeader(Route route) {
  return absl::StrJoin(AllowedMethods(route), ", ",
                       [](std::string* out, HttpMethod method) {
                         absl::StrAppend(out, HttpMethodName(method));
                       });
}

}  // namespace neo_emulator
