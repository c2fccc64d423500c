#include "bridge/upstream/curl_transport.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bridge/upstream/http_transport.h"
#include "bridge/upstream/testing/test_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::upstream {
namespace {

using ::neobridge::upstream::testing::TestChunk;
using ::neobridge::upstream::testing::TestEnding;
using ::neobridge::upstream::testing::TestHttpServer;
using ::neobridge::upstream::testing::TestRequest;
using ::neobridge::upstream::testing::TestResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using ::testing::Pair;

// Generous bound for anything that should happen "now"; tests only wait
// this long when they are about to fail.
constexpr absl::Duration kWait = absl::Seconds(10);
// "Promptly": cancel and timeouts must complete well within this.
constexpr absl::Duration kPrompt = absl::Seconds(2);

constexpr char kSecret[] = "token pul-super-secret-value";

// Collects one Send() completion. The callback shares its state, so a test
// that fails early cannot leave the transport a dangling callback.
class Completion {
 public:
  HttpTransport::DoneCallback Callback() {
    return [state = state_](absl::StatusOr<HttpResponse> result) {
      absl::MutexLock lock(&state->mu);
      state->result = std::move(result);
      state->thread = std::this_thread::get_id();
      ++state->calls;
    };
  }

  // The result, or a test failure status if none arrives in time.
  absl::StatusOr<HttpResponse> Wait(absl::Duration timeout = kWait) {
    State& s = *state_;
    absl::MutexLock lock(&s.mu);
    auto done = [&s]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.calls > 0; };
    if (!s.mu.AwaitWithTimeout(absl::Condition(&done), timeout)) {
      return absl::InternalError("test: no completion in time");
    }
    return s.result;
  }

  int calls() {
    absl::MutexLock lock(&state_->mu);
    return state_->calls;
  }
  std::thread::id thread() {
    absl::MutexLock lock(&state_->mu);
    return state_->thread;
  }

 private:
  struct State {
    absl::Mutex mu;
    absl::StatusOr<HttpResponse> result ABSL_GUARDED_BY(mu) =
        absl::UnknownError("unset");
    std::thread::id thread ABSL_GUARDED_BY(mu);
    int calls ABSL_GUARDED_BY(mu) = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Records everything a stream delivers. Pauses when `pause_next_` is set.
class RecordingObserver : public StreamObserver {
 public:
  void OnResponseStart(int status, const HttpHeaders& headers) override {
    absl::MutexLock lock(&mu_);
    ++starts_;
    status_code_ = status;
    headers_ = headers;
    if (data_calls_ > 0) out_of_order_ = true;
  }

  StreamAction OnData(std::string_view chunk) override {
    absl::MutexLock lock(&mu_);
    ++data_calls_;
    if (starts_ == 0 || done_calls_ > 0) out_of_order_ = true;
    if (pause_next_) {
      pause_next_ = false;
      ++pauses_;
      paused_chunk_ = std::string(chunk);
      return StreamAction::kPause;
    }
    accepted_.append(chunk);
    return StreamAction::kContinue;
  }

  void OnDone(absl::Status status) override {
    absl::MutexLock lock(&mu_);
    ++done_calls_;
    done_status_ = std::move(status);
    done_at_ = absl::Now();
  }

  void PauseNext() {
    absl::MutexLock lock(&mu_);
    pause_next_ = true;
  }

  bool WaitForStart(absl::Duration timeout = kWait) {
    return WaitFor(
        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return starts_ > 0; },
        timeout);
  }
  bool WaitForData(size_t bytes, absl::Duration timeout = kWait) {
    return WaitFor([this, bytes]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                       mu_) { return accepted_.size() >= bytes; },
                   timeout);
  }
  bool WaitForPause(absl::Duration timeout = kWait) {
    return WaitFor(
        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pauses_ > 0; },
        timeout);
  }
  // The OnDone status, or a test failure status if none arrives in time.
  absl::Status WaitForDone(absl::Duration timeout = kWait) {
    if (!WaitFor([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                     mu_) { return done_calls_ > 0; },
                 timeout)) {
      return absl::InternalError("test: no OnDone in time");
    }
    absl::MutexLock lock(&mu_);
    return done_status_;
  }

  int starts() { return Get(&RecordingObserver::starts_); }
  int data_calls() { return Get(&RecordingObserver::data_calls_); }
  int done_calls() { return Get(&RecordingObserver::done_calls_); }
  int status_code() { return Get(&RecordingObserver::status_code_); }
  bool out_of_order() { return Get(&RecordingObserver::out_of_order_); }
  std::string accepted() { return Get(&RecordingObserver::accepted_); }
  std::string paused_chunk() { return Get(&RecordingObserver::paused_chunk_); }
  HttpHeaders headers() { return Get(&RecordingObserver::headers_); }
  absl::Time done_at() { return Get(&RecordingObserver::done_at_); }

 private:
  template <typename F>
  bool WaitFor(F condition, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&condition), timeout);
  }
  template <typename T>
  T Get(T RecordingObserver::*member) {
    absl::MutexLock lock(&mu_);
    return this->*member;
  }

  absl::Mutex mu_;
  bool pause_next_ ABSL_GUARDED_BY(mu_) = false;
  int starts_ ABSL_GUARDED_BY(mu_) = 0;
  int data_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int pauses_ ABSL_GUARDED_BY(mu_) = 0;
  int done_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int status_code_ ABSL_GUARDED_BY(mu_) = 0;
  bool out_of_order_ ABSL_GUARDED_BY(mu_) = false;
  HttpHeaders headers_ ABSL_GUARDED_BY(mu_);
  std::string accepted_ ABSL_GUARDED_BY(mu_);
  std::string paused_chunk_ ABSL_GUARDED_BY(mu_);
  absl::Status done_status_ ABSL_GUARDED_BY(mu_);
  absl::Time done_at_ ABSL_GUARDED_BY(mu_);
};

// A loopback port with nothing listening on it.
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TestResponse Plain(
    int status, std::string body,
    std::vector<std::pair<std::string, std::string>> headers = {}) {
  TestResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Loopback traffic must not go through a proxy the environment may
    // configure (libcurl honours http_proxy and friends). Set before any
    // transport thread exists.
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  }

  void SetUp() override {
    auto server = TestHttpServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    MakeTransport({.user_agent = "neo-bridge-test"});
  }

  void MakeTransport(CurlTransportOptions options) {
    transport_.reset();
    auto transport = CurlTransport::Create(std::move(options));
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
  }

  HttpRequest Get(const std::string& path) {
    HttpRequest request;
    request.method = HttpMethod::kGet;
    request.url = server_->Url(path);
    request.timeout = kWait;
    return request;
  }

  absl::StatusOr<HttpResponse> Call(HttpRequest request) {
    Completion completion;
    transport_->Send(std::move(request), completion.Callback());
    return completion.Wait();
  }

  // Declared first, destroyed last: the transport goes before the server.
  std::unique_ptr<TestHttpServer> server_;
  std::unique_ptr<CurlTransport> transport_;
};

TEST_F(CurlTransportTest, GetReturnsStatusHeadersAndBody) {
  server_->Route("/hello", Plain(200, "hi there",
                                 {{"X-Pulumi-Request-ID", "req-1"},
                                  {"Content-Type", "application/json"}}));
  HttpRequest request = Get("/hello?x=1");
  request.headers = {{"Authorization", kSecret},
                     {"Accept", "application/vnd.pulumi+8"}};

  absl::StatusOr<HttpResponse> response = Call(std::move(request));

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hi there");
  EXPECT_THAT(response->Header("x-pulumi-request-id"),
              Optional(std::string_view("req-1")));
  EXPECT_THAT(response->Header("X-Pulumi-Request-Id"),
              Optional(std::string_view("req-1")));
  EXPECT_EQ(response->Header("x-missing"), std::nullopt);
  for (const auto& [name, value] : response->headers.fields()) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }
  std::vector<TestRequest> seen = server_->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].uri, "/hello?x=1");
  EXPECT_THAT(seen[0].Header("Authorization"), Optional(std::string(kSecret)));
  EXPECT_THAT(seen[0].Header("Accept"),
              Optional(std::string("application/vnd.pulumi+8")));
  EXPECT_THAT(seen[0].Header("User-Agent"),
              Optional(std::string("neo-bridge-test")));
  EXPECT_EQ(seen[0].Header("Content-Type"), std::nullopt);
}

TEST_F(CurlTransportTest, PostSendsBodyAndHeaders) {
  server_->Route("/tasks", Plain(201, R"({"taskId":"t1"})"));
  HttpRequest request = Get("/tasks");
  request.method = HttpMethod::kPost;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"message":{"type":"user_message","content":"hi"}})";

  absl::StatusOr<HttpResponse> response = Call(request);

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"taskId":"t1"})");
  std::vector<TestRequest> seen = server_->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, request.body);
  EXPECT_THAT(seen[0].Header("Content-Type"),
              Optional(std::string("application/json")));
  EXPECT_THAT(seen[0].Header("Content-Length"),
              Optional(absl::StrCat(request.body.size())));
  EXPECT_EQ(seen[0].Header("Expect"), std::nullopt);
}

TEST_F(CurlTransportTest, EveryMethodIsSentWithItsBody) {
  server_->Route("/m", Plain(200, "ok"));
  const std::vector<std::pair<HttpMethod, std::string>> cases = {
      {HttpMethod::kGet, ""},
      {HttpMethod::kPost, ""},
      {HttpMethod::kPatch, R"({"name":"renamed"})"},
      {HttpMethod::kPut, "put-body"},
      {HttpMethod::kDelete, ""},
  };
  for (const auto& [method, body] : cases) {
    HttpRequest request = Get("/m");
    request.method = method;
    request.body = body;
    absl::StatusOr<HttpResponse> response = Call(request);
    ASSERT_TRUE(response.ok())
        << HttpMethodName(method) << ": " << response.status();
  }
  std::vector<TestRequest> seen = server_->requests();
  ASSERT_EQ(seen.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(seen[i].method, HttpMethodName(cases[i].first));
    EXPECT_EQ(seen[i].body, cases[i].second);
  }
  // Bodiless POST still declares its (empty) length.
  EXPECT_THAT(seen[1].Header("Content-Length"), Optional(std::string("0")));
}

TEST_F(CurlTransportTest, Non2xxIsASuccessfulResponse) {
  server_->Route("/missing", Plain(404, R"({"code":404,"message":"Not Found"})",
                                   {{"X-Pulumi-Request-ID", "r404"}}));
  server_->Route("/broken", Plain(503, "try later", {{"Retry-After", "7"}}));

  absl::StatusOr<HttpResponse> missing = Call(Get("/missing"));
  absl::StatusOr<HttpResponse> broken = Call(Get("/broken"));

  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"code":404,"message":"Not Found"})");
  EXPECT_THAT(missing->Header("x-pulumi-request-id"),
              Optional(std::string_view("r404")));
  ASSERT_TRUE(broken.ok()) << broken.status();
  EXPECT_EQ(broken->status, 503);
  EXPECT_THAT(broken->Header("retry-after"), Optional(std::string_view("7")));
}

TEST_F(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  server_->Route("/r", Plain(200, "ok"));
  for (int i = 0; i < 5; ++i) {
    HttpRequest request = Get("/r");
    if (i % 2 == 1) {
      request.method = HttpMethod::kPost;
      request.body = "x";
    }
    absl::StatusOr<HttpResponse> response = Call(std::move(request));
    ASSERT_TRUE(response.ok()) << response.status();
  }
  EXPECT_EQ(server_->requests().size(), 5u);
  EXPECT_EQ(server_->accepted_connections(), 1);
}

TEST_F(CurlTransportTest, ConnectionRefusedIsUnavailableNamingTheHost) {
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", UnusedPort(), "/x");
  request.headers = {{"Authorization", kSecret}};

  absl::StatusOr<HttpResponse> response = Call(std::move(request));

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(response.status().message(), Not(HasSubstr("secret")));
}

TEST_F(CurlTransportTest, TimeoutIsDeadlineExceeded) {
  TestResponse slow = Plain(200, "late");
  slow.delay = absl::Seconds(30);
  server_->Route("/slow", slow);
  HttpRequest request = Get("/slow");
  request.timeout = absl::Milliseconds(300);

  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = Call(std::move(request));

  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded)
      << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1"));
  // Less a small allowance for clock granularity.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(295));
  EXPECT_LT(absl::Now() - start, kPrompt);
}

TEST_F(CurlTransportTest, NonPositiveTimeoutFailsWithoutTouchingTheNetwork) {
  server_->Route("/r", Plain(200, "ok"));
  HttpRequest request = Get("/r");
  request.timeout = absl::ZeroDuration();

  absl::StatusOr<HttpResponse> response = Call(std::move(request));

  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_->accepted_connections(), 0);
}

TEST_F(CurlTransportTest, CancelIsPromptAndClosesTheConnection) {
  TestResponse slow = Plain(200, "late");
  slow.delay = absl::Seconds(30);
  server_->Route("/slow", slow);
  Completion completion;
  const HttpTransport::RequestId id =
      transport_->Send(Get("/slow"), completion.Callback());
  ASSERT_TRUE(server_->WaitForRequests(1, kWait));

  const absl::Time start = absl::Now();
  transport_->Cancel(id);
  absl::StatusOr<HttpResponse> response = completion.Wait();

  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled)
      << response.status();
  EXPECT_LT(absl::Now() - start, kPrompt);
  EXPECT_TRUE(server_->WaitForClosedConnections(1, kWait));
  // Cancelling a finished request is a no-op.
  transport_->Cancel(id);
  transport_->Cancel(id + 1000);
  ASSERT_TRUE(Call(Get("/missing")).ok());
  EXPECT_EQ(completion.calls(), 1);
}

TEST_F(CurlTransportTest, ConnectionClosedMidBodyIsUnavailable) {
  TestResponse cut;
  cut.body = "partial";
  cut.ending = TestEnding::kCloseConnection;
  server_->Route("/cut", cut);

  absl::StatusOr<HttpResponse> response = Call(Get("/cut"));

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1"));
}

TEST_F(CurlTransportTest, ManyConcurrentRequestsAllComplete) {
  constexpr int kRequests = 500;
  server_->Route(
      "/r", [](const TestRequest& request) { return Plain(200, request.uri); });
  std::vector<std::unique_ptr<Completion>> completions;
  for (int i = 0; i < kRequests; ++i) {
    completions.push_back(std::make_unique<Completion>());
    transport_->Send(Get(absl::StrCat("/r?i=", i)),
                     completions.back()->Callback());
  }
  for (int i = 0; i < kRequests; ++i) {
    absl::StatusOr<HttpResponse> response = completions[i]->Wait();
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, absl::StrCat("/r?i=", i));
  }
  EXPECT_EQ(server_->requests().size(), static_cast<size_t>(kRequests));
}

TEST_F(CurlTransportTest, ResponseOverTheCapIsResourceExhausted) {
  MakeTransport({.max_response_bytes = 1024});
  server_->Route("/fits", Plain(200, std::string(1024, 'a')));
  server_->Route("/declared", Plain(200, std::string(4096, 'b')));
  TestResponse chunked;
  chunked.chunked = true;
  chunked.chunks = {{absl::ZeroDuration(), std::string(800, 'c')},
                    {absl::Milliseconds(5), std::string(800, 'c')}};
  server_->Route("/chunked", chunked);

  absl::StatusOr<HttpResponse> fits = Call(Get("/fits"));
  absl::StatusOr<HttpResponse> declared = Call(Get("/declared"));
  absl::StatusOr<HttpResponse> streamed = Call(Get("/chunked"));

  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->body.size(), 1024u);
  EXPECT_EQ(declared.status().code(), absl::StatusCode::kResourceExhausted)
      << declared.status();
  EXPECT_THAT(declared.status().message(), HasSubstr("1024 bytes"));
  EXPECT_EQ(streamed.status().code(), absl::StatusCode::kResourceExhausted)
      << streamed.status();
  EXPECT_THAT(streamed.status().message(), HasSubstr("1024 bytes"));
}

TEST_F(CurlTransportTest, InvalidRequestsFailWithoutEchoingHeaders) {
  HttpRequest injected = Get("/r");
  injected.headers = {{"Authorization", "token abc\r\nX-Evil: 1"}};
  HttpRequest bad_url;
  bad_url.url = "not a url";

  absl::StatusOr<HttpResponse> injected_response = Call(std::move(injected));
  absl::StatusOr<HttpResponse> bad_url_response = Call(std::move(bad_url));

  EXPECT_EQ(injected_response.status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(injected_response.status().message(), Not(HasSubstr("abc")));
  EXPECT_EQ(bad_url_response.status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->accepted_connections(), 0);
}

TEST_F(CurlTransportTest, CallbacksRunOnTheLoopThreadAndMayReenter) {
  server_->Route("/r", Plain(200, "ok"));
  Completion second;
  std::atomic<std::thread::id> first_thread;
  absl::Notification first_done;
  // The callback below refers to these locals: end the transport first.
  absl::Cleanup stop_transport = [this] { transport_.reset(); };
  transport_->Send(Get("/r"), [&](absl::StatusOr<HttpResponse> result) {
    first_thread = std::this_thread::get_id();
    EXPECT_TRUE(result.ok()) << result.status();
    // Re-entering from inside a callback: a new request and a cancel.
    const HttpTransport::RequestId next =
        transport_->Send(Get("/r"), second.Callback());
    transport_->Cancel(next + 1000);
    first_done.Notify();
  });

  ASSERT_TRUE(first_done.WaitForNotificationWithTimeout(kWait));
  absl::StatusOr<HttpResponse> response = second.Wait();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NE(first_thread.load(), std::this_thread::get_id());
  EXPECT_EQ(second.thread(), first_thread.load());
}

TEST_F(CurlTransportTest, CallbackIsNeverInlineEvenForImmediateFailures) {
  HttpRequest bad_url;
  bad_url.url = "::bad::";
  HttpRequest expired = Get("/r");
  expired.timeout = -absl::Seconds(1);
  Completion bad_url_completion;
  Completion expired_completion;

  transport_->Send(std::move(bad_url), bad_url_completion.Callback());
  transport_->Send(std::move(expired), expired_completion.Callback());

  EXPECT_EQ(bad_url_completion.Wait().status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(expired_completion.Wait().status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(bad_url_completion.thread(), std::this_thread::get_id());
  EXPECT_NE(expired_completion.thread(), std::this_thread::get_id());
}

TEST_F(CurlTransportTest, DestructorCancelsEverythingInFlight) {
  TestResponse slow = Plain(200, "late");
  slow.delay = absl::Seconds(30);
  server_->Route("/slow", slow);
  TestResponse hang;
  hang.ending = TestEnding::kHang;
  hang.body = "first";
  server_->Route("/hang", hang);
  std::vector<std::unique_ptr<Completion>> completions;
  for (int i = 0; i < 3; ++i) {
    completions.push_back(std::make_unique<Completion>());
    transport_->Send(Get("/slow"), completions.back()->Callback());
  }
  auto observer = std::make_shared<RecordingObserver>();
  transport_->OpenStream(Get("/hang"), observer);
  ASSERT_TRUE(observer->WaitForData(5));
  ASSERT_TRUE(server_->WaitForRequests(4, kWait));

  transport_.reset();

  for (auto& completion : completions) {
    EXPECT_EQ(completion->calls(), 1);
    absl::StatusOr<HttpResponse> result =
        completion->Wait(absl::ZeroDuration());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_EQ(observer->done_calls(), 1);
  EXPECT_EQ(observer->WaitForDone(absl::ZeroDuration()).code(),
            absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->WaitForClosedConnections(4, kWait));
}

// --- Streams -------------------------------------------------------------

TEST_F(CurlTransportTest, StreamDeliversChunksInOrderThenEndsOk) {
  TestResponse sse;
  sse.headers = {{"Content-Type", "text/event-stream"}};
  sse.chunks = {{absl::ZeroDuration(), "data: 1\n\n"},
                {absl::Milliseconds(20), "data: 2\n\n"},
                {absl::Milliseconds(20), "data: 3\n\n"}};
  server_->Route("/events", sse);
  auto observer = std::make_shared<RecordingObserver>();
  HttpRequest request = Get("/events");
  request.headers = {{"Accept", "text/event-stream"},
                     {"Cache-Control", "no-cache"}};

  transport_->OpenStream(std::move(request), observer);

  EXPECT_EQ(observer->WaitForDone(), absl::OkStatus());
  EXPECT_EQ(observer->starts(), 1);
  EXPECT_EQ(observer->status_code(), 200);
  EXPECT_THAT(observer->headers().Get("content-type"),
              Optional(std::string_view("text/event-stream")));
  EXPECT_EQ(observer->accepted(), "data: 1\n\ndata: 2\n\ndata: 3\n\n");
  EXPECT_FALSE(observer->out_of_order());
  EXPECT_EQ(observer->done_calls(), 1);
  EXPECT_THAT(server_->requests().at(0).Header("Accept"),
              Optional(std::string("text/event-stream")));
}

TEST_F(CurlTransportTest, StreamNon2xxIsDeliveredAsAResponse) {
  server_->Route("/events", Plain(404, R"({"code":404})"));
  auto observer = std::make_shared<RecordingObserver>();

  transport_->OpenStream(Get("/events"), observer);

  EXPECT_EQ(observer->WaitForDone(), absl::OkStatus());
  EXPECT_EQ(observer->status_code(), 404);
  EXPECT_EQ(observer->accepted(), R"({"code":404})");
}

TEST_F(CurlTransportTest, StreamPauseHoldsDataUntilResume) {
  TestResponse sse;
  sse.chunks = {{absl::ZeroDuration(), "first;"},
                {absl::Milliseconds(20), "second;"},
                {absl::Milliseconds(20), "third;"}};
  server_->Route("/events", sse);
  server_->Route("/ping", Plain(200, "pong"));
  auto observer = std::make_shared<RecordingObserver>();
  observer->PauseNext();

  const HttpTransport::RequestId id =
      transport_->OpenStream(Get("/events"), observer);

  ASSERT_TRUE(observer->WaitForPause());
  EXPECT_EQ(observer->paused_chunk(), "first;");
  // The server has written the whole body; none of it may reach the
  // observer while paused. A round trip on another connection lets the loop
  // run while the paused data sits in the socket.
  ASSERT_TRUE(server_->WaitForFinishedResponses(1, kWait));
  ASSERT_TRUE(Call(Get("/ping")).ok());
  EXPECT_EQ(observer->data_calls(), 1);
  EXPECT_EQ(observer->done_calls(), 0);

  transport_->Resume(id);

  EXPECT_EQ(observer->WaitForDone(), absl::OkStatus());
  // The refused chunk is offered again first, then the rest.
  EXPECT_EQ(observer->accepted(), "first;second;third;");
  EXPECT_FALSE(observer->out_of_order());
  // Resume of a stream that is not paused (or finished) is a no-op.
  transport_->Resume(id);
  ASSERT_TRUE(Call(Get("/ping")).ok());
  EXPECT_EQ(observer->done_calls(), 1);
}

TEST_F(CurlTransportTest, StreamCancelIsPromptAndClosesTheConnection) {
  TestResponse hang;
  hang.body = "hello";
  hang.ending = TestEnding::kHang;
  server_->Route("/events", hang);
  auto observer = std::make_shared<RecordingObserver>();
  const HttpTransport::RequestId id =
      transport_->OpenStream(Get("/events"), observer);
  ASSERT_TRUE(observer->WaitForData(5));

  const absl::Time start = absl::Now();
  transport_->Cancel(id);

  EXPECT_EQ(observer->WaitForDone().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(observer->done_at() - start, kPrompt);
  EXPECT_TRUE(server_->WaitForClosedConnections(1, kWait));
  EXPECT_EQ(observer->done_calls(), 1);
}

TEST_F(CurlTransportTest, StreamCancelWhilePausedEndsIt) {
  TestResponse hang;
  hang.body = "hello";
  hang.ending = TestEnding::kHang;
  server_->Route("/events", hang);
  auto observer = std::make_shared<RecordingObserver>();
  observer->PauseNext();
  const HttpTransport::RequestId id =
      transport_->OpenStream(Get("/events"), observer);
  ASSERT_TRUE(observer->WaitForPause());

  transport_->Cancel(id);

  EXPECT_EQ(observer->WaitForDone().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->WaitForClosedConnections(1, kWait));
}

TEST_F(CurlTransportTest, StreamResetMidStreamIsUnavailable) {
  TestResponse cut;
  cut.chunks = {{absl::ZeroDuration(), "data: 1\n\n"}};
  cut.ending = TestEnding::kCloseConnection;
  server_->Route("/events", cut);
  auto observer = std::make_shared<RecordingObserver>();

  transport_->OpenStream(Get("/events"), observer);

  const absl::Status status = observer->WaitForDone();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("127.0.0.1"));
  EXPECT_EQ(observer->accepted(), "data: 1\n\n");
}

TEST_F(CurlTransportTest, StreamIdleTimeoutEndsASilentStream) {
  TestResponse silent;
  silent.chunks = {{absl::ZeroDuration(), "data: 1\n\n"},
                   {absl::Milliseconds(50), ": heartbeat\n\n"}};
  silent.ending = TestEnding::kHang;
  server_->Route("/events", silent);
  auto observer = std::make_shared<RecordingObserver>();
  HttpRequest request = Get("/events");
  request.idle_timeout = absl::Milliseconds(300);

  const absl::Time start = absl::Now();
  transport_->OpenStream(std::move(request), observer);

  const absl::Status status = observer->WaitForDone();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("upstream read idle for 300ms"));
  // Both chunks arrived; the clock restarted at the second.
  EXPECT_EQ(observer->accepted(), "data: 1\n\n: heartbeat\n\n");
  // 50 ms + 300 ms, less an allowance for the test server's timer
  // granularity; without the restart it would end near 300 ms.
  EXPECT_GE(observer->done_at() - start, absl::Milliseconds(340));
  EXPECT_LT(observer->done_at() - start, kPrompt);
  EXPECT_TRUE(server_->WaitForClosedConnections(1, kWait));
}

TEST_F(CurlTransportTest, StreamIdleTimeoutIsOffWhilePaused) {
  TestResponse hang;
  hang.body = "hello";
  hang.ending = TestEnding::kHang;
  server_->Route("/events", hang);
  auto observer = std::make_shared<RecordingObserver>();
  observer->PauseNext();
  HttpRequest request = Get("/events");
  request.idle_timeout = absl::Milliseconds(100);
  const HttpTransport::RequestId id =
      transport_->OpenStream(std::move(request), observer);
  ASSERT_TRUE(observer->WaitForPause());

  // The property under test is that time passing while paused does not end
  // the stream, so time has to pass: several idle periods.
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(observer->done_calls(), 0);

  transport_->Resume(id);
  ASSERT_TRUE(observer->WaitForData(5));
  // Resumed and silent again: the idle timeout applies once more.
  EXPECT_EQ(observer->WaitForDone().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(CurlTransportTest, StreamTimeoutBoundsTheWaitForTheResponseHead) {
  TestResponse slow;
  slow.delay = absl::Seconds(30);
  slow.chunked = true;
  server_->Route("/events", slow);
  auto observer = std::make_shared<RecordingObserver>();
  HttpRequest request = Get("/events");
  request.timeout = absl::Milliseconds(300);

  transport_->OpenStream(std::move(request), observer);

  const absl::Status status = observer->WaitForDone();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("did not start the response"));
  EXPECT_EQ(observer->starts(), 0);
}

TEST_F(CurlTransportTest, StreamOutlivesItsHeadTimeoutOnceStarted) {
  TestResponse sse;
  sse.chunks = {{absl::ZeroDuration(), "a"}, {absl::Milliseconds(400), "b"}};
  server_->Route("/events", sse);
  auto observer = std::make_shared<RecordingObserver>();
  HttpRequest request = Get("/events");
  request.timeout = absl::Milliseconds(200);

  transport_->OpenStream(std::move(request), observer);

  EXPECT_EQ(observer->WaitForDone(), absl::OkStatus());
  EXPECT_EQ(observer->accepted(), "ab");
}

TEST_F(CurlTransportTest, StreamObserverMayCancelFromInsideOnData) {
  class CancelOnData : public RecordingObserver {
   public:
    StreamAction OnData(std::string_view chunk) override {
      // OpenStream has returned long before data can arrive; the wait only
      // makes that certain.
      EXPECT_TRUE(id_known.WaitForNotificationWithTimeout(kWait));
      transport->Cancel(id);
      return RecordingObserver::OnData(chunk);
    }
    HttpTransport* transport = nullptr;
    HttpTransport::RequestId id = 0;
    absl::Notification id_known;
  };
  TestResponse hang;
  hang.body = "x";
  hang.ending = TestEnding::kHang;
  server_->Route("/events", hang);
  auto observer = std::make_shared<CancelOnData>();
  observer->transport = transport_.get();
  observer->id = transport_->OpenStream(Get("/events"), observer);
  observer->id_known.Notify();

  EXPECT_EQ(observer->WaitForDone().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(observer->done_calls(), 1);
}

TEST_F(CurlTransportTest, ManyConcurrentStreamsOnOneThread) {
  constexpr int kStreams = 200;
  TestResponse sse;
  sse.chunks = {{absl::ZeroDuration(), "data: a\n\n"},
                {absl::Milliseconds(50), "data: b\n\n"}};
  server_->Route("/events", sse);
  std::vector<std::shared_ptr<RecordingObserver>> observers;
  for (int i = 0; i < kStreams; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    transport_->OpenStream(Get("/events"), observers.back());
  }
  for (auto& observer : observers) {
    ASSERT_EQ(observer->WaitForDone(), absl::OkStatus());
    EXPECT_EQ(observer->accepted(), "data: a\n\ndata: b\n\n");
  }
}

TEST(CurlTransportCreateTest, RejectsBadOptions) {
  EXPECT_EQ(CurlTransport::Create({.connect_timeout = absl::ZeroDuration()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CurlTransport::Create({.max_response_bytes = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CurlTransport::Create({.max_connections = -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status missing_ca =
      CurlTransport::Create({.ca_file = "/nonexistent/ca.pem"}).status();
  EXPECT_EQ(missing_ca.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing_ca.message(), HasSubstr("/nonexistent/ca.pem"));
}

TEST(CurlTransportCreateTest, CaFileErrorsNameTheFlag) {
  EXPECT_EQ(CurlTransport::Create({.ca_file = "/nonexistent/ca.pem"}).status(),
            absl::InvalidArgumentError(
                "--ca-file: cannot read CA bundle /nonexistent/ca.pem: No such "
                "file or directory"));
  const std::string not_pem =
      ::testing::TempDir() + "/curl_transport_test_not_a_ca.pem";
  {
    std::FILE* f = std::fopen(not_pem.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a certificate\n", f);
    std::fclose(f);
  }
  EXPECT_EQ(CurlTransport::Create({.ca_file = not_pem}).status(),
            absl::InvalidArgumentError(absl::StrCat(
                "--ca-file: CA bundle ", not_pem,
                " holds no PEM certificate (-----BEGIN CERTIFICATE-----)")));
  std::remove(not_pem.c_str());
  // A directory opens but cannot be read.
  const absl::Status directory =
      CurlTransport::Create({.ca_file = ::testing::TempDir()}).status();
  EXPECT_EQ(directory.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(directory.message(), HasSubstr("--ca-file: cannot read"));
}

}  // namespace
}  // namespace neobridge::upstream
