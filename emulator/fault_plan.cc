#include "emulator/fault_plan.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

struct IntRange {
  int min;
  int max;
};

constexpr IntRange kLatencyMsRange = {0, 60000};
constexpr IntRange kEventCountRange = {0, 1000000};
constexpr IntRange kTimesRange = {1, 1000000};
constexpr IntRange kChunkBytesRange = {1, 65536};
constexpr IntRange kRetryAfterRange = {0, 86400};
constexpr size_t kMaxDataBytes = 65536;
// Large enough to exceed any sane client cap, small enough to build.
constexpr IntRange kOversizedBytesRange = {1, 256 << 20};

constexpr std::array<int, 5> kFailStatuses = {429, 500, 502, 503, 504};
constexpr std::array<HttpMethod, 7> kMethods = {
    HttpMethod::kGet,    HttpMethod::kPost,   HttpMethod::kPatch,
    HttpMethod::kPut,    HttpMethod::kDelete, HttpMethod::kHead,
    HttpMethod::kOptions};

constexpr absl::string_view kNotJsonData = "this is not json";
constexpr absl::string_view kMalformedJsonBody =
    R"({"neo-emulator": "this body is not valid JSON)";
constexpr absl::string_view kTruncatedJsonData =
    R"({"id":"emulator-truncated","isSynthetic":false,"type":"agentResponse",)"
    R"("eventBody":{"type":"assistant_message","content":"cut o)";

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

absl::Status RangeError(absl::string_view field, IntRange range) {
  return Invalid(absl::StrCat(field, " must be an integer between ", range.min,
                              " and ", range.max));
}

absl::Status CheckRange(std::optional<int> value, absl::string_view field,
                        IntRange range) {
  if (value && (*value < range.min || *value > range.max)) {
    return RangeError(field, range);
  }
  return absl::OkStatus();
}

absl::string_view LineEndingName(LineEnding ending) {
  switch (ending) {
    case LineEnding::kLf:
      return "lf";
    case LineEnding::kCr:
      return "cr";
    case LineEnding::kCrLf:
      return "crlf";
  }
  return "lf";
}

absl::string_view ScopeName(FailScope scope) {
  return scope == FailScope::kRequests ? "requests" : "streamOpens";
}

// The member or nullptr when absent or JSON null.
const Json* Member(const Json& object, absl::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Rejects members of `object` not in `allowed`; `path` prefixes field names
// in messages ("stream." or "").
absl::Status CheckFields(const Json& object, absl::string_view path,
                         std::initializer_list<absl::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (absl::string_view name : allowed) known = known || name == key;
    if (!known) {
      return Invalid(absl::StrCat("unknown field '", path, key,
                                  "': allowed fields are ",
                                  absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const Json*> OptionalObject(const Json& object,
                                           absl::string_view name,
                                           absl::string_view path) {
  const Json* value = Member(object, name);
  if (value != nullptr && !value->is_object()) {
    return Invalid(absl::StrCat(path, name, " must be an object"));
  }
  return value;
}

// An integer member within `range`; nullopt when absent or null.
absl::StatusOr<std::optional<int>> OptionalInt(const Json& object,
                                               absl::string_view name,
                                               absl::string_view path,
                                               IntRange range) {
  const Json* value = Member(object, name);
  if (value == nullptr) return std::optional<int>();
  const std::string field = absl::StrCat(path, name);
  if (value->is_number_unsigned()) {
    const uint64_t number = value->get<uint64_t>();
    if (number > static_cast<uint64_t>(range.max)) {
      return RangeError(field, range);
    }
    return std::optional<int>(static_cast<int>(number));
  }
  if (value->is_number_integer()) {
    const int64_t number = value->get<int64_t>();
    if (number < range.min || number > range.max) {
      return RangeError(field, range);
    }
    return std::optional<int>(static_cast<int>(number));
  }
  return RangeError(field, range);
}

absl::StatusOr<std::optional<bool>> OptionalBool(const Json& object,
                                                 absl::string_view name,
                                                 absl::string_view path) {
  const Json* value = Member(object, name);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_boolean()) {
    return Invalid(absl::StrCat(path, name, " must be a boolean"));
  }
  return std::optional<bool>(value->get<bool>());
}

absl::StatusOr<std::optional<std::string>> OptionalString(
    const Json& object, absl::string_view name, absl::string_view path) {
  const Json* value = Member(object, name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) {
    return Invalid(absl::StrCat(path, name, " must be a string"));
  }
  return std::optional<std::string>(value->get<std::string>());
}

// A string member that must name one of `choices`; nullopt when absent.
template <typename T, size_t N>
absl::StatusOr<std::optional<T>> OptionalEnum(
    const Json& object, absl::string_view name, absl::string_view path,
    const std::array<std::pair<absl::string_view, T>, N>& choices) {
  absl::StatusOr<std::optional<std::string>> text =
      OptionalString(object, name, path);
  if (!text.ok()) return text.status();
  if (!*text) return std::optional<T>();
  for (const auto& [choice, value] : choices) {
    if (choice == **text) return std::optional<T>(value);
  }
  std::vector<absl::string_view> allowed;
  for (const auto& [choice, value] : choices) allowed.push_back(choice);
  return Invalid(absl::StrCat("invalid ", path, name, " '", **text,
                              "': allowed values are ",
                              absl::StrJoin(allowed, ", ")));
}

constexpr std::array<std::pair<absl::string_view, LineEnding>, 3> kLineEndings =
    {{{"lf", LineEnding::kLf},
      {"cr", LineEnding::kCr},
      {"crlf", LineEnding::kCrLf}}};
constexpr std::array<std::pair<absl::string_view, MalformedKind>, 2>
    kMalformedKinds = {{{"notJson", MalformedKind::kNotJson},
                        {"truncatedJson", MalformedKind::kTruncatedJson}}};
constexpr std::array<std::pair<absl::string_view, FailScope>, 2> kScopes = {
    {{"streamOpens", FailScope::kStreamOpens},
     {"requests", FailScope::kRequests}}};
constexpr std::array<std::pair<absl::string_view, BodyFaultKind>, 3>
    kBodyFaultKinds = {{{"malformedJson", BodyFaultKind::kMalformedJson},
                        {"truncated", BodyFaultKind::kTruncated},
                        {"oversized", BodyFaultKind::kOversized}}};
constexpr std::array<std::pair<absl::string_view, HttpMethod>, 7> kMethodNames =
    {{{"GET", HttpMethod::kGet},
      {"POST", HttpMethod::kPost},
      {"PATCH", HttpMethod::kPatch},
      {"PUT", HttpMethod::kPut},
      {"DELETE", HttpMethod::kDelete},
      {"HEAD", HttpMethod::kHead},
      {"OPTIONS", HttpMethod::kOptions}}};

// lhs = the value of a StatusOr expression, or returns its error.
#define NEO_ASSIGN_OR_RETURN(lhs, expr) \
  do {                                  \
    auto status_or_value = (expr);      \
    if (!status_or_value.ok()) {        \
      return status_or_value.status();  \
    }                                   \
    lhs = *std::move(status_or_value);  \
  } while (false)

absl::StatusOr<MalformedFrame> ParseMalformed(const Json& object) {
  constexpr absl::string_view kPath = "stream.malformed.";
  if (absl::Status status =
          CheckFields(object, kPath, {"afterEvents", "kind", "data"});
      !status.ok()) {
    return status;
  }
  MalformedFrame frame;
  std::optional<int> after_events;
  NEO_ASSIGN_OR_RETURN(after_events, OptionalInt(object, "afterEvents", kPath,
                                                 kEventCountRange));
  frame.after_events = after_events.value_or(0);
  std::optional<MalformedKind> kind;
  NEO_ASSIGN_OR_RETURN(kind,
                       OptionalEnum(object, "kind", kPath, kMalformedKinds));
  std::optional<std::string> data;
  NEO_ASSIGN_OR_RETURN(data, OptionalString(object, "data", kPath));
  if (kind && data) {
    return Invalid(
        "stream.malformed takes kind or data, not both (data is a custom "
        "payload)");
  }
  if (data) {
    frame.kind = MalformedKind::kCustom;
    frame.data = *std::move(data);
  } else {
    frame.kind = kind.value_or(MalformedKind::kNotJson);
  }
  return frame;
}

absl::StatusOr<StreamFaults> ParseStream(const Json& object) {
  constexpr absl::string_view kPath = "stream.";
  if (absl::Status status =
          CheckFields(object, kPath,
                      {"dropAfterEvents", "dropMidFrame", "stallAfterEvents",
                       "chunkBytes", "lineEnding", "malformed", "times"});
      !status.ok()) {
    return status;
  }
  StreamFaults stream;
  NEO_ASSIGN_OR_RETURN(
      stream.drop_after_events,
      OptionalInt(object, "dropAfterEvents", kPath, kEventCountRange));
  std::optional<bool> mid_frame;
  NEO_ASSIGN_OR_RETURN(mid_frame, OptionalBool(object, "dropMidFrame", kPath));
  stream.drop_mid_frame = mid_frame.value_or(false);
  NEO_ASSIGN_OR_RETURN(
      stream.stall_after_events,
      OptionalInt(object, "stallAfterEvents", kPath, kEventCountRange));
  NEO_ASSIGN_OR_RETURN(
      stream.chunk_bytes,
      OptionalInt(object, "chunkBytes", kPath, kChunkBytesRange));
  std::optional<LineEnding> ending;
  NEO_ASSIGN_OR_RETURN(ending,
                       OptionalEnum(object, "lineEnding", kPath, kLineEndings));
  stream.line_ending = ending.value_or(LineEnding::kLf);
  const Json* malformed = nullptr;
  NEO_ASSIGN_OR_RETURN(malformed, OptionalObject(object, "malformed", kPath));
  if (malformed != nullptr) {
    NEO_ASSIGN_OR_RETURN(stream.malformed, ParseMalformed(*malformed));
  }
  NEO_ASSIGN_OR_RETURN(stream.times,
                       OptionalInt(object, "times", kPath, kTimesRange));
  return stream;
}

absl::StatusOr<RequestFailure> ParseFail(const Json& object) {
  constexpr absl::string_view kPath = "fail.";
  if (absl::Status status = CheckFields(object, kPath,
                                        {"status", "times", "retryAfterSeconds",
                                         "scope", "method", "path", "message"});
      !status.ok()) {
    return status;
  }
  RequestFailure failure;
  const Json* status = Member(object, "status");
  if (status == nullptr) {
    return Invalid("fail.status is required: one of 429, 500, 502, 503, 504");
  }
  if (!status->is_number_integer()) {
    return Invalid("fail.status must be one of 429, 500, 502, 503, 504");
  }
  const int64_t code = status->get<int64_t>();
  failure.status = code >= 0 && code < 1000 ? static_cast<int>(code) : 0;
  std::optional<int> times;
  NEO_ASSIGN_OR_RETURN(times, OptionalInt(object, "times", kPath, kTimesRange));
  failure.times = times.value_or(1);
  NEO_ASSIGN_OR_RETURN(
      failure.retry_after_seconds,
      OptionalInt(object, "retryAfterSeconds", kPath, kRetryAfterRange));
  std::optional<FailScope> scope;
  NEO_ASSIGN_OR_RETURN(scope, OptionalEnum(object, "scope", kPath, kScopes));
  failure.scope = scope.value_or(FailScope::kStreamOpens);
  NEO_ASSIGN_OR_RETURN(failure.method,
                       OptionalEnum(object, "method", kPath, kMethodNames));
  std::optional<std::string> path;
  NEO_ASSIGN_OR_RETURN(path, OptionalString(object, "path", kPath));
  failure.path_pattern = path.value_or("");
  if (path && path->empty()) {
    return Invalid("fail.path must start with '/'");
  }
  std::optional<std::string> message;
  NEO_ASSIGN_OR_RETURN(message, OptionalString(object, "message", kPath));
  failure.message = message.value_or("");
  return failure;
}

absl::StatusOr<BodyFault> ParseBody(const Json& object) {
  constexpr absl::string_view kPath = "body.";
  if (absl::Status status = CheckFields(
          object, kPath, {"kind", "bytes", "times", "method", "path"});
      !status.ok()) {
    return status;
  }
  BodyFault fault;
  std::optional<BodyFaultKind> kind;
  NEO_ASSIGN_OR_RETURN(kind,
                       OptionalEnum(object, "kind", kPath, kBodyFaultKinds));
  if (!kind) {
    return Invalid(
        "body.kind is required: one of malformedJson, truncated, oversized");
  }
  fault.kind = *kind;
  std::optional<int> bytes;
  NEO_ASSIGN_OR_RETURN(
      bytes, OptionalInt(object, "bytes", kPath, kOversizedBytesRange));
  if (bytes && fault.kind != BodyFaultKind::kOversized) {
    return Invalid("body.bytes is only allowed with body.kind \"oversized\"");
  }
  if (bytes) fault.oversized_bytes = *bytes;
  std::optional<int> times;
  NEO_ASSIGN_OR_RETURN(times, OptionalInt(object, "times", kPath, kTimesRange));
  fault.times = times.value_or(1);
  NEO_ASSIGN_OR_RETURN(fault.method,
                       OptionalEnum(object, "method", kPath, kMethodNames));
  std::optional<std::string> path;
  NEO_ASSIGN_OR_RETURN(path, OptionalString(object, "path", kPath));
  if (path && path->empty()) return Invalid("body.path must start with '/'");
  fault.path_pattern = path.value_or("");
  return fault;
}

#undef NEO_ASSIGN_OR_RETURN

absl::Status ValidateStream(const StreamFaults& stream) {
  if (absl::Status s = CheckRange(stream.drop_after_events,
                                  "stream.dropAfterEvents", kEventCountRange);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange(stream.stall_after_events,
                                  "stream.stallAfterEvents", kEventCountRange);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange(stream.chunk_bytes, "stream.chunkBytes", kChunkBytesRange);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange(stream.times, "stream.times", kTimesRange);
      !s.ok()) {
    return s;
  }
  if (stream.drop_mid_frame && !stream.drop_after_events) {
    return Invalid("stream.dropMidFrame needs stream.dropAfterEvents");
  }
  if (stream.drop_after_events && stream.stall_after_events) {
    return Invalid(
        "stream.dropAfterEvents and stream.stallAfterEvents cannot both be "
        "set");
  }
  if (stream.malformed) {
    const MalformedFrame& frame = *stream.malformed;
    if (absl::Status s =
            CheckRange(frame.after_events, "stream.malformed.afterEvents",
                       kEventCountRange);
        !s.ok()) {
      return s;
    }
    if (frame.kind == MalformedKind::kCustom) {
      if (frame.data.empty() || frame.data.size() > kMaxDataBytes ||
          absl::StrContains(frame.data, '\n') ||
          absl::StrContains(frame.data, '\r')) {
        return Invalid(absl::StrCat("stream.malformed.data must be 1 to ",
                                    kMaxDataBytes, " bytes without CR or LF"));
      }
    } else if (!frame.data.empty()) {
      return Invalid(
          "stream.malformed takes kind or data, not both (data is a custom "
          "payload)");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFail(const RequestFailure& failure) {
  bool known_status = false;
  for (int status : kFailStatuses) known_status |= status == failure.status;
  if (!known_status) {
    return Invalid("fail.status must be one of 429, 500, 502, 503, 504");
  }
  if (absl::Status s = CheckRange(failure.times, "fail.times", kTimesRange);
      !s.ok()) {
    return s;
  }
  if (failure.retry_after_seconds) {
    if (failure.status != 429 && failure.status != 503) {
      return Invalid(
          "fail.retryAfterSeconds is only allowed with status 429 or 503");
    }
    if (absl::Status s = CheckRange(failure.retry_after_seconds,
                                    "fail.retryAfterSeconds", kRetryAfterRange);
        !s.ok()) {
      return s;
    }
  }
  if (failure.scope == FailScope::kStreamOpens &&
      (failure.method || !failure.path_pattern.empty())) {
    return Invalid(
        "fail.method and fail.path need fail.scope \"requests\" (scope "
        "\"streamOpens\" always matches GET .../events/stream)");
  }
  if (failure.method) {
    bool known_method = false;
    for (HttpMethod method : kMethods)
      known_method |= method == *failure.method;
    if (!known_method) {
      return Invalid(
          "invalid fail.method: allowed values are GET, POST, PATCH, PUT, "
          "DELETE, HEAD, OPTIONS");
    }
  }
  if (!failure.path_pattern.empty() && failure.path_pattern[0] != '/') {
    return Invalid("fail.path must start with '/'");
  }
  return absl::OkStatus();
}

absl::Status ValidateBody(const BodyFault& fault) {
  if (fault.kind != BodyFaultKind::kMalformedJson &&
      fault.kind != BodyFaultKind::kTruncated &&
      fault.kind != BodyFaultKind::kOversized) {
    return Invalid(
        "invalid body.kind: allowed values are malformedJson, truncated, "
        "oversized");
  }
  if (absl::Status s =
          CheckRange(fault.oversized_bytes, "body.bytes", kOversizedBytesRange);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange(fault.times, "body.times", kTimesRange);
      !s.ok()) {
    return s;
  }
  if (fault.method) {
    bool known_method = false;
    for (HttpMethod method : kMethods) known_method |= method == *fault.method;
    if (!known_method) {
      return Invalid(
          "invalid body.method: allowed values are GET, POST, PATCH, PUT, "
          "DELETE, HEAD, OPTIONS");
    }
  }
  if (!fault.path_pattern.empty() && fault.path_pattern[0] != '/') {
    return Invalid("body.path must start with '/'");
  }
  return absl::OkStatus();
}

absl::string_view BodyFaultKindName(BodyFaultKind kind) {
  for (const auto& [name, value] : kBodyFaultKinds) {
    if (value == kind) return name;
  }
  return "malformedJson";
}

}  // namespace

absl::StatusOr<FaultPlan> ParseFaultPlan(absl::string_view json_text) {
  const Json root = Json::parse(json_text.begin(), json_text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("fault plan is not valid JSON");
  if (!root.is_object()) return Invalid("fault plan must be a JSON object");
  if (absl::Status status =
          CheckFields(root, "", {"latencyMs", "stream", "fail", "body"});
      !status.ok()) {
    return status;
  }
  FaultPlan plan;
  absl::StatusOr<std::optional<int>> latency =
      OptionalInt(root, "latencyMs", "", kLatencyMsRange);
  if (!latency.ok()) return latency.status();
  plan.latency = absl::Milliseconds(latency->value_or(0));

  absl::StatusOr<const Json*> stream = OptionalObject(root, "stream", "");
  if (!stream.ok()) return stream.status();
  if (*stream != nullptr) {
    absl::StatusOr<StreamFaults> parsed = ParseStream(**stream);
    if (!parsed.ok()) return parsed.status();
    plan.stream = *std::move(parsed);
  }
  absl::StatusOr<const Json*> fail = OptionalObject(root, "fail", "");
  if (!fail.ok()) return fail.status();
  if (*fail != nullptr) {
    absl::StatusOr<RequestFailure> parsed = ParseFail(**fail);
    if (!parsed.ok()) return parsed.status();
    plan.fail = *std::move(parsed);
  }
  absl::StatusOr<const Json*> body = OptionalObject(root, "body", "");
  if (!body.ok()) return body.status();
  if (*body != nullptr) {
    absl::StatusOr<BodyFault> parsed = ParseBody(**body);
    if (!parsed.ok()) return parsed.status();
    plan.body = *std::move(parsed);
  }
  if (absl::Status status = ValidateFaultPlan(plan); !status.ok()) {
    return status;
  }
  return plan;
}

absl::Status ValidateFaultPlan(const FaultPlan& plan) {
  if (plan.latency < absl::ZeroDuration() ||
      plan.latency > absl::Milliseconds(kLatencyMsRange.max)) {
    return RangeError("latencyMs", kLatencyMsRange);
  }
  if (plan.stream) {
    if (absl::Status status = ValidateStream(*plan.stream); !status.ok()) {
      return status;
    }
  }
  if (plan.fail) {
    if (absl::Status status = ValidateFail(*plan.fail); !status.ok()) {
      return status;
    }
  }
  if (plan.body) {
    if (absl::Status status = ValidateBody(*plan.body); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

Json FaultPlanToJson(const FaultPlan& plan) {
  Json out = Json::object();
  if (plan.latency != absl::ZeroDuration()) {
    out["latencyMs"] = absl::ToInt64Milliseconds(plan.latency);
  }
  if (plan.stream) {
    const StreamFaults& stream = *plan.stream;
    Json json = Json::object();
    if (stream.drop_after_events) {
      json["dropAfterEvents"] = *stream.drop_after_events;
    }
    if (stream.drop_mid_frame) json["dropMidFrame"] = true;
    if (stream.stall_after_events) {
      json["stallAfterEvents"] = *stream.stall_after_events;
    }
    if (stream.chunk_bytes) json["chunkBytes"] = *stream.chunk_bytes;
    if (stream.line_ending != LineEnding::kLf) {
      json["lineEnding"] = LineEndingName(stream.line_ending);
    }
    if (stream.malformed) {
      const MalformedFrame& frame = *stream.malformed;
      Json malformed = {{"afterEvents", frame.after_events}};
      switch (frame.kind) {
        case MalformedKind::kNotJson:
          malformed["kind"] = "notJson";
          break;
        case MalformedKind::kTruncatedJson:
          malformed["kind"] = "truncatedJson";
          break;
        case MalformedKind::kCustom:
          malformed["data"] = frame.data;
          break;
      }
      json["malformed"] = std::move(malformed);
    }
    if (stream.times) json["times"] = *stream.times;
    out["stream"] = std::move(json);
  }
  if (plan.fail) {
    const RequestFailure& failure = *plan.fail;
    Json json = {{"status", failure.status},
                 {"times", failure.times},
                 {"scope", ScopeName(failure.scope)}};
    if (failure.retry_after_seconds) {
      json["retryAfterSeconds"] = *failure.retry_after_seconds;
    }
    if (failure.method) json["method"] = HttpMethodName(*failure.method);
    if (!failure.path_pattern.empty()) json["path"] = failure.path_pattern;
    if (!failure.message.empty()) json["message"] = failure.message;
    out["fail"] = std::move(json);
  }
  if (plan.body) {
    const BodyFault& fault = *plan.body;
    Json json = {{"kind", BodyFaultKindName(fault.kind)},
                 {"times", fault.times}};
    if (fault.kind == BodyFaultKind::kOversized) {
      json["bytes"] = fault.oversized_bytes;
    }
    if (fault.method) json["method"] = HttpMethodName(*fault.method);
    if (!fault.path_pattern.empty()) json["path"] = fault.path_pattern;
    out["body"] = std::move(json);
  }
  return out;
}

bool FailureMatches(const RequestFailure& failure, HttpMethod method,
                    absl::string_view path) {
  if (failure.scope == FailScope::kStreamOpens) {
    if (method != HttpMethod::kGet) return false;
    std::optional<RouteMatch> route = MatchRoute(path);
    return route && route->route == Route::kTaskEventStream;
  }
  if (failure.method && *failure.method != method) return false;
  return failure.path_pattern.empty() ||
         PathPatternMatches(failure.path_pattern, path);
}

bool BodyFaultMatches(const BodyFault& fault, HttpMethod method,
                      absl::string_view path) {
  std::optional<RouteMatch> route = MatchRoute(path);
  if (route && route->route == Route::kTaskEventStream) return false;
  if (fault.method && *fault.method != method) return false;
  return fault.path_pattern.empty() ||
         PathPatternMatches(fault.path_pattern, path);
}

absl::string_view MalformedJsonBody() { return kMalformedJsonBody; }

bool PathPatternMatches(absl::string_view pattern, absl::string_view path) {
  // Greedy glob with backtracking to the last '*': linear for one star,
  // O(n*m) at worst.
  size_t p = 0;
  size_t s = 0;
  size_t star = absl::string_view::npos;
  size_t resume = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string MalformedData(const MalformedFrame& frame) {
  switch (frame.kind) {
    case MalformedKind::kNotJson:
      return std::string(kNotJsonData);
    case MalformedKind::kTruncatedJson:
      return std::string(kTruncatedJsonData);
    case MalformedKind::kCustom:
      return frame.data;
  }
  return std::string(kNotJsonData);
}

}  // namespace neo_emulator
