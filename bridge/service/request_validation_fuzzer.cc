// libFuzzer target for request validation and the upstream request built
// from what it accepts: the first input byte picks the RPC (ListTasks,
// CreateTask, GetTask, UpdateTask, RespondToTask, CancelTask,
// ListTaskEvents, StreamTaskEvents), the rest is that request in protobuf
// wire format. The org is resolved as the service does (default "acme"),
// then validated. For every input it checks that:
//  - nothing crashes or trips ASan/UBSan (the fuzz build has both);
//  - a refusal is INVALID_ARGUMENT with a non-empty message of bounded size;
//  - for every accepted request, the HTTP request RestNeoClient builds keeps
//    its route: the URL is the base URL, then exactly the segments of that
//    RPC, the org and task id segments each percent-decode to exactly the
//    request's ids, no segment is "." or "..", nothing but unreserved
//    characters and %XX escapes appears unescaped (so no '/', '?', '#', a
//    bare '%', CR, LF, NUL or non-ASCII byte); the query holds only the
//    RPC's own keys, each once; every header is free of CR, LF and NUL; a
//    body is valid JSON.
// A violated check prints the request and aborts.
//
// Built with -DNEOBRIDGE_FUZZ=ON (clang); request_corpus_test
// (tests/support/fuzz_corpus_test.cc) also links this file to replay
// tests/fuzz/request_corpus in every build.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/service/request_validation.h"
#include "bridge/upstream/http_transport.h"
#include "google/protobuf/stubs/logging.h"
#include "neobridge/v1/agent_tasks_service.pb.h"
#include "nlohmann/json.hpp"

namespace neobridge::service {
namespace {

constexpr char kBaseUrl[] = "https://neo.invalid";
constexpr char kDefaultOrg[] = "acme";
// Status messages stay below this, whatever the request's size.
constexpr size_t kMaxErrorMessage = 64 * 1024;

std::string Printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 2048)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02X", c);
      out.append(hex);
    }
  }
  return out;
}

[[noreturn]] void Die(const char* what,
                      const google::protobuf::Message& request,
                      std::string_view detail) {
  std::fprintf(
      stderr, "request_validation_fuzzer: %s\nrequest: %s\ndetail: %s\n", what,
      Printable(request.ShortDebugString()).c_str(), Printable(detail).c_str());
  std::abort();
}

// Records every request and completes it at once with a 404 (not retried),
// so nothing stays pending in RestNeoClient between inputs. Completion
// happens in Flush(), outside any call into the transport, as the real
// transports never call back inline.
class RecordingTransport final : public upstream::HttpTransport {
 public:
  RequestId Send(upstream::HttpRequest request, DoneCallback done) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(request));
    pending_.push_back(std::move(done));
    return next_id_++;
  }

  RequestId OpenStream(
      upstream::HttpRequest request,
      std::shared_ptr<upstream::StreamObserver> observer) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(request));
    streams_.push_back(std::move(observer));
    return next_id_++;
  }

  void Cancel(RequestId) override {}
  void Resume(RequestId) override {}

  // The requests made since the last call; answers them all.
  std::vector<upstream::HttpRequest> Flush() {
    std::vector<upstream::HttpRequest> requests;
    std::vector<DoneCallback> pending;
    std::vector<std::shared_ptr<upstream::StreamObserver>> streams;
    {
      absl::MutexLock lock(&mu_);
      requests.swap(requests_);
      pending.swap(pending_);
      streams.swap(streams_);
    }
    for (DoneCallback& done : pending) {
      upstream::HttpResponse response;
      response.status = 404;
      std::move(done)(std::move(response));
    }
    for (auto& stream : streams) stream->OnDone(absl::CancelledError("done"));
    return requests;
  }

 private:
  absl::Mutex mu_;
  RequestId next_id_ = 1;
  std::vector<upstream::HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<DoneCallback> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<upstream::StreamObserver>> streams_
      ABSL_GUARDED_BY(mu_);
};

bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// `text` percent-decoded, or false when it holds anything but unreserved
// characters and well-formed %XX escapes.
bool StrictDecode(absl::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c != '%' || i + 2 >= text.size()) return false;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// What the route of one RPC must look like: the path segments after the
// base URL, with kOrg and kTaskId standing for the request's ids.
constexpr char kOrg[] = "{org}";
constexpr char kTaskId[] = "{task_id}";

struct Expected {
  std::vector<std::string> segments;
  absl::flat_hash_set<std::string> query_keys;
  bool has_body = false;
};

void CheckRequest(const google::protobuf::Message& message,
                  const upstream::HttpRequest& http, const Expected& expected,
                  const std::string& org, const std::string& task_id) {
  if (!absl::StartsWith(http.url, kBaseUrl)) {
    Die("the URL left the base URL", message, http.url);
  }
  absl::string_view rest = http.url;
  rest.remove_prefix(sizeof(kBaseUrl) - 1);
  if (rest.find('#') != absl::string_view::npos) {
    Die("the URL has a fragment", message, http.url);
  }
  absl::string_view path = rest;
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  if (!absl::StartsWith(path, "/")) {
    Die("the path does not start with '/'", message, http.url);
  }
  const std::vector<absl::string_view> segments =
      absl::StrSplit(path.substr(1), '/');
  if (segments.size() != expected.segments.size()) {
    Die("the path has the wrong number of segments", message, http.url);
  }
  std::string decoded;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i] == "." || segments[i] == "..") {
      Die("the path has a dot segment", message, http.url);
    }
    if (!StrictDecode(segments[i], decoded)) {
      Die("a path segment has an unescaped byte", message, http.url);
    }
    const std::string& want = expected.segments[i] == kOrg ? org
                              : expected.segments[i] == kTaskId
                                  ? task_id
                                  : expected.segments[i];
    if (decoded != want) {
      Die("a path segment is not what the request asked for", message,
          http.url);
    }
  }
  absl::flat_hash_set<std::string> seen;
  if (!query.empty()) {
    for (absl::string_view pair : absl::StrSplit(query, '&')) {
      const size_t eq = pair.find('=');
      if (eq == absl::string_view::npos) {
        Die("a query parameter has no value", message, http.url);
      }
      std::string key;
      if (!StrictDecode(pair.substr(0, eq), key) ||
          !StrictDecode(pair.substr(eq + 1), decoded)) {
        Die("a query parameter has an unescaped byte", message, http.url);
      }
      if (!expected.query_keys.contains(key) || !seen.insert(key).second) {
        Die("an unexpected or repeated query parameter", message, http.url);
      }
    }
  }
  for (const auto& [name, value] : http.headers) {
    if (name.find_first_of(std::string("\r\n\0:", 4)) != std::string::npos ||
        value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      Die("a header has CR, LF or NUL", message, name + ": " + value);
    }
  }
  if (expected.has_body) {
    if (!nlohmann::json::accept(http.body)) {
      Die("the body is not valid JSON", message, http.body);
    }
  } else if (!http.body.empty()) {
    Die("a body where none belongs", message, http.body);
  }
}

class IgnoringObserver final : public upstream::StreamObserver {
 public:
  void OnResponseStart(int, const upstream::HttpHeaders&) override {}
  upstream::StreamAction OnData(std::string_view) override {
    return upstream::StreamAction::kContinue;
  }
  void OnDone(absl::Status) override {}
};

// One client for the whole run: it is cheap per call but owns a thread.
struct Harness {
  RecordingTransport transport;
  client::RestNeoClient client{transport, {.base_url = kBaseUrl}};
};

Harness& GetHarness() {
  static Harness* harness = new Harness();
  return *harness;
}

template <typename Request, typename Validate, typename Call>
void Run(std::string_view bytes, Validate validate, Call call,
         const Expected& expected) {
  Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return;
  }
  request.set_org(ResolveOrg(request.org(), kDefaultOrg));
  const absl::Status valid = validate(request);
  if (!valid.ok()) {
    if (valid.code() != absl::StatusCode::kInvalidArgument) {
      Die("a refusal is not INVALID_ARGUMENT", request, valid.ToString());
    }
    if (valid.message().empty() || valid.message().size() > kMaxErrorMessage) {
      Die("a refusal has an empty or huge message", request, valid.ToString());
    }
    return;
  }
  Harness& harness = GetHarness();
  call(harness.client, request);
  const std::vector<upstream::HttpRequest> sent = harness.transport.Flush();
  if (sent.size() != 1) Die("not exactly one upstream request", request, "");
  std::string task_id;
  if constexpr (requires { request.task_id(); }) task_id = request.task_id();
  CheckRequest(request, sent[0], expected, request.org(), task_id);
}

const std::vector<std::string> kTasks = {"api", "preview", "agents", kOrg,
                                         "tasks"};

std::vector<std::string> TaskSegments(std::vector<std::string> tail = {}) {
  std::vector<std::string> segments = kTasks;
  segments.push_back(kTaskId);
  segments.insert(segments.end(), tail.begin(), tail.end());
  return segments;
}

void CheckInput(std::string_view input) {
  // Protobuf logs every string field with invalid UTF-8 it refuses to
  // parse: noise that would drown the fuzzer's own output.
  [[maybe_unused]] static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  if (input.empty()) return;
  const unsigned char selector = static_cast<unsigned char>(input[0]);
  const std::string_view bytes = input.substr(1);
  auto ignore = [](auto&&) {};
  const client::CallOptions options{.access_token = "pul-fuzz"};
  switch (selector % 8) {
    case 0:
      Run<v1::ListTasksRequest>(
          bytes, ValidateListTasks,
          [&](client::RestNeoClient& c, const v1::ListTasksRequest& r) {
            c.ListTasks(r, options, ignore);
          },
          {.segments = kTasks,
           .query_keys = {"continuationToken", "pageSize", "sortBy",
                          "sortDirection", "taskType"}});
      break;
    case 1:
      Run<v1::CreateTaskRequest>(
          bytes, ValidateCreateTask,
          [&](client::RestNeoClient& c, const v1::CreateTaskRequest& r) {
            c.CreateTask(r, options, ignore);
          },
          {.segments = kTasks, .has_body = true});
      break;
    case 2:
      Run<v1::GetTaskRequest>(
          bytes, ValidateGetTask,
          [&](client::RestNeoClient& c, const v1::GetTaskRequest& r) {
            c.GetTask(r, options, ignore);
          },
          {.segments = TaskSegments()});
      break;
    case 3:
      Run<v1::UpdateTaskRequest>(
          bytes, ValidateUpdateTask,
          [&](client::RestNeoClient& c, const v1::UpdateTaskRequest& r) {
            c.UpdateTask(r, options, ignore);
          },
          {.segments = TaskSegments(), .has_body = true});
      break;
    case 4:
      Run<v1::RespondToTaskRequest>(
          bytes, ValidateRespondToTask,
          [&](client::RestNeoClient& c, const v1::RespondToTaskRequest& r) {
            c.RespondToTask(r, options, ignore);
          },
          {.segments = TaskSegments(), .has_body = true});
      break;
    case 5:
      Run<v1::CancelTaskRequest>(
          bytes, ValidateCancelTask,
          [&](client::RestNeoClient& c, const v1::CancelTaskRequest& r) {
            c.CancelTask(r, options, ignore);
          },
          {.segments = TaskSegments({"cancel"}), .has_body = true});
      break;
    case 6:
      Run<v1::ListTaskEventsRequest>(
          bytes, ValidateListTaskEvents,
          [&](client::RestNeoClient& c, const v1::ListTaskEventsRequest& r) {
            c.ListTaskEvents(r, options, ignore);
          },
          {.segments = TaskSegments({"events"}),
           .query_keys = {"continuationToken", "pageSize"}});
      break;
    case 7:
      Run<v1::StreamTaskEventsRequest>(
          bytes, ValidateStreamTaskEvents,
          [&](client::RestNeoClient& c, const v1::StreamTaskEventsRequest& r) {
            c.OpenEventStream(r, {.access_token = "pul-fuzz"},
                              std::make_shared<IgnoringObserver>());
          },
          {.segments = TaskSegments({"events", "stream"})});
      break;
  }
}

}  // namespace
}  // namespace neobridge::service

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  neobridge::service::CheckInput(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
