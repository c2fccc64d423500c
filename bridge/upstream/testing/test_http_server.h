// A scriptable loopback HTTP/1.1 server for integration tests of HTTP
// clients: binds 127.0.0.1 on an ephemeral port, runs one libevent thread,
// answers each request from a per-path handler, and counts the connections
// it accepts and sees closed so tests can assert reuse and aborts. It also
// serves as a plain HTTP proxy (requests in absolute form are routed by
// their path and recorded with the full URL in TestRequest::uri).

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_TESTING_TEST_HTTP_SERVER_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_TESTING_TEST_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_request;
struct evhttp_connection;

namespace neobridge::upstream::testing {

// One request as the server received it.
struct TestRequest {
  std::string method;  // "GET", "POST", ...
  // The request target as sent: path and query, or, when the server is
  // used as an HTTP proxy, the absolute URL ("http://host/path?query").
  std::string uri;
  std::string path;  // the target's path, without the query
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;
  int connection = 0;  // 1-based number of the connection that carried it

  // The first header called `name` (any case).
  std::optional<std::string> Header(const std::string& name) const;
};

struct TestChunk {
  absl::Duration delay = absl::ZeroDuration();  // after the previous step
  std::string data;
};

enum class TestEnding {
  kFinish,           // complete the response normally
  kCloseConnection,  // shut the connection down mid-body (chunked only)
  kHang,             // never complete; wait for the client to go away
};

// What to answer. A plain response is sent with Content-Length after
// `delay`. With `chunked` (implied by `chunks` or a non-kFinish `ending`)
// the head is sent after `delay` with Transfer-Encoding: chunked, then
// `body` (if any) as the first chunk, then each of `chunks` after its own
// delay, then the `ending`.
struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration delay = absl::ZeroDuration();
  bool chunked = false;
  std::vector<TestChunk> chunks;
  TestEnding ending = TestEnding::kFinish;
};

class TestHttpServer {
 public:
  // Called on the server thread for each request to its path.
  using Handler = std::function<TestResponse(const TestRequest&)>;

  // Binds 127.0.0.1:0 and starts the server thread.
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start();

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;
  // Stops the thread and closes every connection.
  ~TestHttpServer();

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;

  // Routes requests whose path (without query) equals `path`. Requests to
  // unrouted paths get 404. Thread-safe.
  void Route(const std::string& path, Handler handler);
  void Route(const std::string& path, TestResponse response);

  // Thread-safe observations.
  int accepted_connections() const;
  int closed_connections() const;
  // Responses sent completely (TestEnding::kFinish reached).
  int finished_responses() const;
  std::vector<TestRequest> requests() const;
  // Waits until the counts reach `n`; false on timeout.
  bool WaitForRequests(int n, absl::Duration timeout) const;
  bool WaitForClosedConnections(int n, absl::Duration timeout) const;
  bool WaitForFinishedResponses(int n, absl::Duration timeout) const;

 private:
  struct Exchange;

  TestHttpServer() = default;
  void Serve();  // the server thread

  static void OnRequest(evhttp_request* req, void* arg);
  static void OnConnectionClosed(evhttp_connection* evcon, void* arg);
  static void OnClientReadable(int fd, short what, void* arg);
  // Forgets `evcon` and its exchanges; counts it closed once.
  void ConnectionGone(evhttp_connection* evcon);
  static void OnExchangeTimer(int fd, short what, void* arg);
  static void OnStop(int fd, short what, void* arg);
  void Advance(Exchange* exchange);
  void CountFinished();

  // Owned by the server thread once it runs.
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  // Activated from the destructor; ends the loop even if it has not
  // started yet (event_base_loopbreak alone would be lost then).
  event* stop_ = nullptr;
  int port_ = 0;
  absl::flat_hash_map<evhttp_connection*, int> live_connections_;
  absl::flat_hash_map<Exchange*, std::unique_ptr<Exchange>> exchanges_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Handler> routes_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int closed_ ABSL_GUARDED_BY(mu_) = 0;
  int finished_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<TestRequest> requests_ ABSL_GUARDED_BY(mu_);

  std::jthread thread_;
};

}  // namespace neobridge::upstream::testing

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_TESTING_TEST_HTTP_SERVER_H_
