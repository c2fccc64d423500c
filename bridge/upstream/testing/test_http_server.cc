#include "bridge/upstream/testing/test_http_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace neobridge::upstream::testing {

namespace {

const char* MethodName(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    case EVHTTP_REQ_OPTIONS:
      return "OPTIONS";
    case EVHTTP_REQ_TRACE:
      return "TRACE";
    case EVHTTP_REQ_CONNECT:
      return "CONNECT";
    case EVHTTP_REQ_PATCH:
      return "PATCH";
  }
  return "?";
}

timeval DelayToTimeval(absl::Duration d) {
  timeval tv = absl::ToTimeval(d);
  if (tv.tv_sec < 0) tv = timeval{0, 0};
  return tv;
}

}  // namespace

// One response in progress. Lives in exchanges_ until it is complete or its
// connection is gone.
struct TestHttpServer::Exchange {
  TestHttpServer* server = nullptr;
  evhttp_request* req = nullptr;
  evhttp_connection* evcon = nullptr;
  TestResponse response;
  event* timer = nullptr;
  // libevent does not read a connection while its request awaits a reply,
  // so it would not notice the client leaving; this watches for that.
  event* watcher = nullptr;
  bool head_sent = false;
  size_t next_chunk = 0;
  bool waited_for_next = false;  // the delay before next_chunk has passed

  ~Exchange() {
    if (timer != nullptr) event_free(timer);
    if (watcher != nullptr) event_free(watcher);
  }
};

std::optional<std::string> TestRequest::Header(const std::string& name) const {
  for (const auto& [field, value] : headers) {
    if (strcasecmp(field.c_str(), name.c_str()) == 0) return value;
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start() {
  static std::once_flag threads_once;
  std::call_once(threads_once, [] { evthread_use_pthreads(); });

  std::unique_ptr<TestHttpServer> server(new TestHttpServer());
  server->base_ = event_base_new();
  if (server->base_ == nullptr) return absl::InternalError("event_base_new");
  server->stop_ =
      event_new(server->base_, -1, 0, &TestHttpServer::OnStop, server->base_);
  if (server->stop_ == nullptr) return absl::InternalError("event_new");
  server->http_ = evhttp_new(server->base_);
  if (server->http_ == nullptr) return absl::InternalError("evhttp_new");
  evhttp_set_allowed_methods(
      server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH |
                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(server->http_, &TestHttpServer::OnRequest, server.get());
  evhttp_bound_socket* bound =
      evhttp_bind_socket_with_handle(server->http_, "127.0.0.1", 0);
  if (bound == nullptr) return absl::InternalError("cannot bind 127.0.0.1:0");
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(evhttp_bound_socket_get_fd(bound),
                  reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError("getsockname failed");
  }
  server->port_ = ntohs(addr.sin_port);
  TestHttpServer* raw = server.get();
  server->thread_ = std::jthread([raw] { raw->Serve(); });
  return server;
}

TestHttpServer::~TestHttpServer() {
  if (thread_.joinable()) {
    event_active(stop_, EV_READ, 0);  // thread-safe (evthread_use_pthreads)
    thread_.join();
  }
  if (stop_ != nullptr) event_free(stop_);
  // The thread is gone: tear down on this one. Requests whose connection
  // already went away are ours to free; evhttp_free frees the others.
  for (auto& [raw, exchange] : exchanges_) {
    if (evhttp_request_get_connection(exchange->req) == nullptr) {
      evhttp_request_free(exchange->req);
    }
  }
  exchanges_.clear();
  if (http_ != nullptr) evhttp_free(http_);
  if (base_ != nullptr) event_base_free(base_);
}

std::string TestHttpServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void TestHttpServer::Route(const std::string& path, Handler handler) {
  absl::MutexLock lock(&mu_);
  routes_[path] = std::move(handler);
}

void TestHttpServer::Route(const std::string& path, TestResponse response) {
  Route(path, [response](const TestRequest&) { return response; });
}

int TestHttpServer::accepted_connections() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

int TestHttpServer::finished_responses() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void TestHttpServer::CountFinished() {
  absl::MutexLock lock(&mu_);
  ++finished_;
}

bool TestHttpServer::WaitForFinishedResponses(int n,
                                              absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return finished_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

int TestHttpServer::closed_connections() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::vector<TestRequest> TestHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

bool TestHttpServer::WaitForRequests(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(requests_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool TestHttpServer::WaitForClosedConnections(int n,
                                              absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void TestHttpServer::OnStop(int /*fd*/, short /*what*/, void* arg) {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

void TestHttpServer::Serve() {
  event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
}

void TestHttpServer::OnRequest(evhttp_request* req, void* arg) {
  auto* self = static_cast<TestHttpServer*>(arg);
  evhttp_connection* evcon = evhttp_request_get_connection(req);

  TestRequest request;
  {
    auto [it, inserted] = self->live_connections_.try_emplace(evcon, 0);
    absl::MutexLock lock(&self->mu_);
    if (inserted) {
      it->second = ++self->accepted_;
      evhttp_connection_set_closecb(evcon, &TestHttpServer::OnConnectionClosed,
                                    self);
    }
    request.connection = it->second;
  }
  request.method = MethodName(evhttp_request_get_command(req));
  request.uri = evhttp_request_get_uri(req);
  request.path = request.uri.substr(0, request.uri.find('?'));
  if (!request.uri.starts_with("/")) {
    // Absolute form, as a client sends to a proxy: route by its path.
    const evhttp_uri* target = evhttp_request_get_evhttp_uri(req);
    const char* path =
        target != nullptr ? evhttp_uri_get_path(target) : nullptr;
    request.path = path != nullptr && *path != '\0' ? path : "/";
  }
  const evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (const evkeyval* h = headers->tqh_first; h != nullptr;
       h = h->next.tqe_next) {
    request.headers.emplace_back(h->key, h->value);
  }
  evbuffer* input = evhttp_request_get_input_buffer(req);
  const size_t body_len = evbuffer_get_length(input);
  request.body.resize(body_len);
  if (body_len > 0) evbuffer_remove(input, request.body.data(), body_len);

  Handler handler;
  {
    absl::MutexLock lock(&self->mu_);
    self->requests_.push_back(request);
    if (auto it = self->routes_.find(request.path); it != self->routes_.end()) {
      handler = it->second;
    }
  }
  auto exchange = std::make_unique<Exchange>();
  exchange->server = self;
  exchange->req = req;
  exchange->evcon = evcon;
  if (handler) {
    exchange->response = handler(request);
  } else {
    exchange->response.status = 404;
    exchange->response.body = "no route";
  }
  TestResponse& r = exchange->response;
  if (!r.chunks.empty() || r.ending != TestEnding::kFinish) r.chunked = true;
  Exchange* raw = exchange.get();
  raw->timer = evtimer_new(self->base_, &TestHttpServer::OnExchangeTimer, raw);
  raw->watcher = event_new(
      self->base_, bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)),
      EV_READ, &TestHttpServer::OnClientReadable, raw);
  event_add(raw->watcher, nullptr);
  self->exchanges_.emplace(raw, std::move(exchange));
  if (r.delay > absl::ZeroDuration()) {
    const timeval tv = DelayToTimeval(r.delay);
    evtimer_add(raw->timer, &tv);
  } else {
    self->Advance(raw);
  }
}

void TestHttpServer::OnExchangeTimer(int /*fd*/, short /*what*/, void* arg) {
  auto* exchange = static_cast<Exchange*>(arg);
  exchange->server->Advance(exchange);
}

void TestHttpServer::Advance(Exchange* ex) {
  evhttp_request* req = ex->req;
  if (evhttp_request_get_connection(req) == nullptr) {
    // The client went away; the request is detached and ours to free.
    evhttp_request_free(req);
    exchanges_.erase(ex);
    return;
  }
  const TestResponse& r = ex->response;
  if (!ex->head_sent) {
    ex->head_sent = true;
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    for (const auto& [name, value] : r.headers) {
      evhttp_add_header(out, name.c_str(), value.c_str());
    }
    if (!r.chunked) {
      evbuffer* buf = evbuffer_new();
      evbuffer_add(buf, r.body.data(), r.body.size());
      evhttp_send_reply(req, r.status, nullptr, buf);
      evbuffer_free(buf);
      exchanges_.erase(ex);  // libevent owns and frees the request now
      CountFinished();
      return;
    }
    evhttp_send_reply_start(req, r.status, nullptr);
    if (!r.body.empty()) {
      evbuffer* buf = evbuffer_new();
      evbuffer_add(buf, r.body.data(), r.body.size());
      evhttp_send_reply_chunk(req, buf);
      evbuffer_free(buf);
    }
  }
  while (ex->next_chunk < r.chunks.size()) {
    const TestChunk& chunk = r.chunks[ex->next_chunk];
    if (chunk.delay > absl::ZeroDuration() && !ex->waited_for_next) {
      ex->waited_for_next = true;
      const timeval tv = DelayToTimeval(chunk.delay);
      evtimer_add(ex->timer, &tv);
      return;
    }
    ex->waited_for_next = false;
    ++ex->next_chunk;
    evbuffer* buf = evbuffer_new();
    evbuffer_add(buf, chunk.data.data(), chunk.data.size());
    evhttp_send_reply_chunk(req, buf);
    evbuffer_free(buf);
  }
  switch (r.ending) {
    case TestEnding::kFinish:
      evhttp_send_reply_end(req);
      exchanges_.erase(ex);  // libevent frees the request
      CountFinished();
      return;
    case TestEnding::kCloseConnection: {
      // Let what was queued go out, then cut the connection: the client
      // sees the body end without its terminating chunk.
      bufferevent* bev = evhttp_connection_get_bufferevent(ex->evcon);
      bufferevent_flush(bev, EV_WRITE, BEV_FLUSH);
      evbuffer* output = bufferevent_get_output(bev);
      const int fd = bufferevent_getfd(bev);
      if (evbuffer_get_length(output) > 0) {
        evbuffer_write(output, fd);
      }
      ::shutdown(fd, SHUT_RDWR);
      return;  // the exchange ends when libevent notices the close
    }
    case TestEnding::kHang:
      return;  // until the client goes away
  }
}

void TestHttpServer::OnConnectionClosed(evhttp_connection* evcon, void* arg) {
  static_cast<TestHttpServer*>(arg)->ConnectionGone(evcon);
}

void TestHttpServer::OnClientReadable(int fd, short /*what*/, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
    return;  // not a close (a pipelined request waits for its turn)
  }
  // EOF or reset: the client went away while its response was pending.
  TestHttpServer* self = ex->server;
  evhttp_connection* evcon = ex->evcon;
  self->ConnectionGone(evcon);  // destroys `ex`
  evhttp_connection_free(evcon);
}

void TestHttpServer::ConnectionGone(evhttp_connection* evcon) {
  const bool was_live = live_connections_.erase(evcon) > 0;
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    Exchange* ex = it->first;
    if (ex->evcon != evcon) {
      ++it;
      continue;
    }
    // A detached request is ours to free; an attached one libevent frees
    // with its connection.
    if (evhttp_request_get_connection(ex->req) == nullptr) {
      evhttp_request_free(ex->req);
    }
    exchanges_.erase(it++);
  }
  if (was_live) {
    absl::MutexLock lock(&mu_);
    ++closed_;
  }
}

}  // namespace neobridge::upstream::testing
