#include "emulator/http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace neo_emulator {
namespace {

constexpr int kListenBacklog = 4096;
constexpr ev_ssize_t kMaxBodyBytes = 1 << 20;
constexpr ev_ssize_t kMaxHeaderBytes = 64 << 10;

HttpMethod MethodOf(evhttp_request* request) {
  switch (evhttp_request_get_command(request)) {
    case EVHTTP_REQ_GET:
      return HttpMethod::kGet;
    case EVHTTP_REQ_POST:
      return HttpMethod::kPost;
    case EVHTTP_REQ_PATCH:
      return HttpMethod::kPatch;
    case EVHTTP_REQ_PUT:
      return HttpMethod::kPut;
    case EVHTTP_REQ_DELETE:
      return HttpMethod::kDelete;
    case EVHTTP_REQ_HEAD:
      return HttpMethod::kHead;
    case EVHTTP_REQ_OPTIONS:
      return HttpMethod::kOptions;
    default:
      return HttpMethod::kOther;
  }
}

// Resolves host:port to the first usable address; binds a listener there.
absl::StatusOr<evconnlistener*> Listen(event_base* base,
                                       const std::string& host, int port) {
  evutil_addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
  evutil_addrinfo* results = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      evutil_getaddrinfo(host.c_str(), service.c_str(), &hints, &results);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot resolve listen host '", host, "': ", evutil_gai_strerror(rc)));
  }
  std::string last_error = "no addresses";
  evconnlistener* listener = nullptr;
  for (evutil_addrinfo* ai = results; ai != nullptr && listener == nullptr;
       ai = ai->ai_next) {
    listener = evconnlistener_new_bind(
        base, nullptr, nullptr,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        kListenBacklog, ai->ai_addr, static_cast<int>(ai->ai_addrlen));
    if (listener == nullptr) {
      last_error = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
    }
  }
  evutil_freeaddrinfo(results);
  if (listener == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", last_error));
  }
  return listener;
}

int BoundPort(evconnlistener* listener) {
  sockaddr_storage address;
  socklen_t length = sizeof(address);
  if (getsockname(evconnlistener_get_fd(listener),
                  reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

}  // namespace

HttpServer::HttpServer(event_base* base, const Dependencies& dependencies,
                       uint64_t seed, bool admin_api)
    : base_(base),
      handler_(dependencies.handler),
      service_(dependencies.service),
      faults_(dependencies.faults),
      stats_(dependencies.stats),
      admin_(dependencies.admin),
      admin_api_(admin_api),
      request_ids_(seed, kRequestIdStream) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(
    event_base* base, const Options& options, Dependencies dependencies) {
  std::unique_ptr<HttpServer> server(
      new HttpServer(base, dependencies, options.seed,
                     options.admin_api && dependencies.admin != nullptr));
  server->http_ = evhttp_new(base);
  if (server->http_ == nullptr) {
    return absl::InternalError("evhttp_new failed");
  }
  evhttp_set_allowed_methods(
      server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH |
                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                         EVHTTP_REQ_OPTIONS);
  // No implicit "text/html" on empty 202 bodies; JSON replies set their own.
  evhttp_set_default_content_type(server->http_, nullptr);
  evhttp_set_max_body_size(server->http_, kMaxBodyBytes);
  evhttp_set_max_headers_size(server->http_, kMaxHeaderBytes);
  evhttp_set_gencb(server->http_, &HttpServer::OnRequest, server.get());
  if (options.tls_context != nullptr) {
    evhttp_set_bevcb(server->http_, &HttpServer::NewTlsBufferevent,
                     options.tls_context);
  }

  absl::StatusOr<evconnlistener*> listener =
      Listen(base, options.host, options.port);
  if (!listener.ok()) return listener.status();
  server->port_ = BoundPort(*listener);
  server->bound_ = evhttp_bind_listener(server->http_, *listener);
  if (server->bound_ == nullptr) {
    evconnlistener_free(*listener);
    return absl::InternalError("evhttp_bind_listener failed");
  }
  const timeval heartbeat = absl::ToTimeval(options.heartbeat_interval);
  server->heartbeat_tv_ = event_base_init_common_timeout(base, &heartbeat);
  return server;
}

HttpServer::~HttpServer() {
  // Delayed requests are freed with their connections by evhttp_free.
  for (auto& [raw, pending] : delayed_) event_free(pending->timer);
  delayed_.clear();
  for (auto& [raw, truncation] : truncations_) {
    evhttp_connection_set_closecb(truncation->connection, nullptr, nullptr);
    if (truncation->output_watch != nullptr) {
      evbuffer_remove_cb_entry(truncation->output, truncation->output_watch);
    }
    event_free(truncation->close_due);
  }
  truncations_.clear();
  // Freeing the evhttp frees every connection and runs close callbacks:
  // detach streams and drains first so none reaches a half-destroyed server.
  for (auto& [raw, open] : streams_) {
    service_->Unsubscribe(open.stream->subscription_id());
    open.stream->Detach();
  }
  streams_.clear();
  stats_->ClosedAll();
  for (evhttp_connection* connection : draining_) {
    evhttp_connection_set_closecb(connection, nullptr, nullptr);
  }
  draining_.clear();
  if (http_ != nullptr) evhttp_free(http_);
}

bufferevent* HttpServer::NewTlsBufferevent(event_base* base, void* arg) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(arg));
  if (ssl == nullptr) return nullptr;
  // evhttp sets the accepted socket on it; freeing it closes the socket and
  // frees `ssl` (without a close_notify: a fault drop stays a truncation).
  bufferevent* bev = bufferevent_openssl_socket_new(
      base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  // A client that closes without close_notify is an EOF, as over HTTP.
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

void HttpServer::OnRequest(evhttp_request* request, void* arg) {
  static_cast<HttpServer*>(arg)->Handle(request);
}

void HttpServer::Handle(evhttp_request* request) {
  const std::string request_id = request_ids_.NextUuid();
  HttpRequest parsed;
  parsed.method = MethodOf(request);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  parsed.path = path != nullptr ? path : "";
  if (const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
      query != nullptr && *query != '\0') {
    evkeyvalq params;
    params.tqh_first = nullptr;
    params.tqh_last = &params.tqh_first;
    if (evhttp_parse_query_str(query, &params) != 0) {
      evhttp_clear_headers(&params);
      Reply(request, ApiHandler::Error(400, "malformed query string"),
            request_id);
      return;
    }
    for (evkeyval* kv = params.tqh_first; kv != nullptr;
         kv = kv->next.tqe_next) {
      parsed.query.emplace_back(kv->key, kv->value);
    }
    evhttp_clear_headers(&params);
  }
  for (evkeyval* kv = evhttp_request_get_input_headers(request)->tqh_first;
       kv != nullptr; kv = kv->next.tqe_next) {
    parsed.headers.emplace_back(kv->key, kv->value);
  }
  evbuffer* input = evhttp_request_get_input_buffer(request);
  const size_t length = evbuffer_get_length(input);
  if (length > 0) {
    parsed.body.resize(length);
    evbuffer_copyout(input, parsed.body.data(), length);
  }

  if (admin_api_ && IsAdminPath(parsed.path)) {
    Reply(request, admin_->Handle(parsed), request_id);
    return;
  }

  auto pending = std::make_unique<PendingRequest>();
  RequestDecision decision;
  if (std::optional<absl::string_view> header =
          admin_api_ ? parsed.Header(kFaultHeader) : std::nullopt) {
    absl::StatusOr<FaultPlan> plan = ParseFaultPlan(*header);
    if (!plan.ok()) {
      Reply(request,
            ApiHandler::Error(
                400, absl::StrCat("invalid ", kFaultHeader,
                                  " header: ", plan.status().message())),
            request_id);
      return;
    }
    decision = DecideRequest(*plan, parsed.method, parsed.path);
    pending->header_plan = *std::move(plan);
  } else {
    decision = faults_->DecideRequest(parsed.method, parsed.path);
  }
  pending->request = request;
  pending->parsed = std::move(parsed);
  pending->request_id = request_id;
  pending->failure = std::move(decision.failure);
  pending->body = std::move(decision.body);
  if (decision.latency <= absl::ZeroDuration()) {
    Dispatch(*pending);
    return;
  }
  pending->server = this;
  pending->timer =
      evtimer_new(base_, &HttpServer::OnDelayElapsed, pending.get());
  const timeval delay = absl::ToTimeval(decision.latency);
  // Timers count from the loop's cached time, which was taken before this
  // request was read: refresh it so the delay is never shorter than asked.
  event_base_update_cache_time(base_);
  evtimer_add(pending->timer, &delay);
  PendingRequest* raw = pending.get();
  delayed_.emplace(raw, std::move(pending));
}

void HttpServer::OnDelayElapsed(int /*fd*/, short /*what*/, void* arg) {
  auto* raw = static_cast<PendingRequest*>(arg);
  HttpServer* self = raw->server;
  auto it = self->delayed_.find(raw);
  if (it == self->delayed_.end()) return;
  std::unique_ptr<PendingRequest> pending = std::move(it->second);
  self->delayed_.erase(it);
  event_free(pending->timer);  // Not persistent: safe inside its callback.
  pending->timer = nullptr;
  if (evhttp_request_get_connection(pending->request) == nullptr) {
    // evhttp detached the request from a failed connection; it is ours.
    evhttp_request_free(pending->request);
    return;
  }
  self->Dispatch(*pending);
}

void HttpServer::Dispatch(PendingRequest& pending) {
  if (pending.failure) {
    Reply(pending.request, FailureResponse(*pending.failure),
          pending.request_id);
    return;
  }
  HttpResponse response = handler_->Handle(pending.parsed);
  if (response.stream) {
    std::optional<StreamFaults> faults = pending.header_plan
                                             ? pending.header_plan->stream
                                             : faults_->TakeStreamFaults();
    StartStream(pending.request, *response.stream, pending.request_id,
                faults.value_or(StreamFaults{}));
    return;
  }
  if (pending.body) {
    ReplyWithBodyFault(pending.request, std::move(response), pending.request_id,
                       *pending.body);
    return;
  }
  Reply(pending.request, response, pending.request_id);
}

void HttpServer::ReplyWithBodyFault(evhttp_request* request,
                                    HttpResponse response,
                                    const std::string& request_id,
                                    const BodyFault& fault) {
  switch (fault.kind) {
    case BodyFaultKind::kMalformedJson:
      response.body = std::string(MalformedJsonBody());
      break;
    case BodyFaultKind::kOversized: {
      const size_t size = static_cast<size_t>(fault.oversized_bytes);
      if (response.body.size() < size) response.body.resize(size, ' ');
      break;
    }
    case BodyFaultKind::kTruncated:
      ReplyTruncated(request, response, request_id);
      return;
  }
  Reply(request, response, request_id);
}

void HttpServer::ReplyTruncated(evhttp_request* request,
                                const HttpResponse& response,
                                const std::string& request_id) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  for (const auto& [name, value] : response.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
  evhttp_add_header(headers, "X-Pulumi-Request-ID", request_id.c_str());
  // An explicit Content-Length also keeps evhttp from chunking the reply,
  // so the client knows bytes are missing when the connection closes.
  const size_t announced = std::max<size_t>(response.body.size(), 1);
  evhttp_add_header(headers, "Content-Length", absl::StrCat(announced).c_str());

  auto owned = std::make_unique<Truncation>();
  Truncation* truncation = owned.get();
  truncation->server = this;
  truncation->connection = evhttp_request_get_connection(request);
  truncation->close_due =
      event_new(base_, -1, 0, &HttpServer::OnTruncationDue, truncation);
  truncations_.emplace(truncation, std::move(owned));
  evhttp_connection_set_closecb(truncation->connection,
                                &HttpServer::OnTruncationClosed, truncation);

  const std::string reason(ReasonPhrase(response.status));
  evhttp_send_reply_start(request, response.status, reason.c_str());
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, response.body.data(), response.body.size() / 2);
  evhttp_send_reply_chunk(request, body);
  evbuffer_free(body);

  bufferevent* bev = evhttp_connection_get_bufferevent(truncation->connection);
  evbuffer* output = bev != nullptr ? bufferevent_get_output(bev) : nullptr;
  // Closing from here (possibly inside evhttp's request callback) is not
  // safe: the close always runs from its own event.
  if (output == nullptr || evbuffer_get_length(output) == 0) {
    event_active(truncation->close_due, EV_TIMEOUT, 0);
    return;
  }
  truncation->output = output;
  truncation->output_watch =
      evbuffer_add_cb(output, &HttpServer::OnTruncationOutput, truncation);
}

void HttpServer::OnTruncationOutput(evbuffer* output,
                                    const evbuffer_cb_info* /*info*/,
                                    void* arg) {
  // Runs inside the bufferevent's write path: only schedule the close.
  if (evbuffer_get_length(output) == 0) {
    event_active(static_cast<Truncation*>(arg)->close_due, EV_TIMEOUT, 0);
  }
}

void HttpServer::OnTruncationDue(int /*fd*/, short /*what*/, void* arg) {
  auto* truncation = static_cast<Truncation*>(arg);
  evhttp_connection* connection = truncation->connection;
  evhttp_connection_set_closecb(connection, nullptr, nullptr);
  truncation->server->DiscardTruncation(truncation);
  evhttp_connection_free(connection);
}

void HttpServer::OnTruncationClosed(evhttp_connection* /*connection*/,
                                    void* arg) {
  // The client hung up (or the write failed) before the close was due.
  auto* truncation = static_cast<Truncation*>(arg);
  truncation->server->DiscardTruncation(truncation);
}

void HttpServer::DiscardTruncation(Truncation* truncation) {
  if (truncation->output_watch != nullptr) {
    evbuffer_remove_cb_entry(truncation->output, truncation->output_watch);
  }
  // Not persistent: safe to free inside its own callback.
  event_free(truncation->close_due);
  truncations_.erase(truncation);  // Deletes `truncation`.
}

void HttpServer::Reply(evhttp_request* request, const HttpResponse& response,
                       const std::string& request_id) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  for (const auto& [name, value] : response.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
  evhttp_add_header(headers, "X-Pulumi-Request-ID", request_id.c_str());
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, response.body.data(), response.body.size());
  const std::string reason(ReasonPhrase(response.status));
  evhttp_send_reply(request, response.status, reason.c_str(), body);
  evbuffer_free(body);
}

void HttpServer::StartStream(evhttp_request* request,
                             const StreamTarget& target,
                             const std::string& request_id,
                             StreamFaults faults) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", "text/event-stream");
  evhttp_add_header(headers, "Cache-Control", "no-cache");
  evhttp_add_header(headers, "X-Pulumi-Request-ID", request_id.c_str());

  auto owned = std::make_unique<SseStream>(
      request, base_, heartbeat_tv_, std::move(faults),
      [this](SseStream* stream) { CloseStream(stream); });
  SseStream* stream = owned.get();
  streams_.emplace(stream, OpenStream{.stream = std::move(owned),
                                      .task_id = target.task_id});
  stats_->Opened(target.task_id);

  std::optional<absl::string_view> last_event_id;
  if (target.last_event_id) last_event_id = *target.last_event_id;
  absl::StatusOr<TaskService::Subscription> subscription = service_->Subscribe(
      *target.user, target.org, target.task_id, last_event_id,
      [this, stream](const ConsoleEvent& event) {
        if (streams_.contains(stream)) stream->SendEvent(event.id, event.json);
      });
  if (!subscription.ok()) {
    // Unreachable in practice: the handler checked visibility just before on
    // this thread. End the response rather than leave it open.
    stream->Detach();
    evhttp_send_reply_end(request);
    streams_.erase(stream);
    stats_->Closed(target.task_id);
    return;
  }
  stream->set_subscription_id(subscription->id);
  for (const ConsoleEvent* event : subscription->backlog) {
    if (!streams_.contains(stream)) return;  // Dropped while writing.
    stream->SendEvent(event->id, event->json);
  }
}

void HttpServer::CloseStream(SseStream* stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  service_->Unsubscribe(stream->subscription_id());
  stats_->Closed(it->second.task_id);
  streams_.erase(it);
}

void HttpServer::BeginShutdown(std::function<void()> drained) {
  if (bound_ != nullptr) {
    evhttp_del_accept_socket(http_, bound_);
    bound_ = nullptr;
  }
  std::vector<std::unique_ptr<SseStream>> streams;
  for (auto& [raw, open] : streams_) streams.push_back(std::move(open.stream));
  streams_.clear();
  stats_->ClosedAll();
  for (auto& stream : streams) {
    service_->Unsubscribe(stream->subscription_id());
    draining_.insert(stream->connection());
  }
  for (auto& stream : streams) {
    // Hands the connection's close callback to the drain tracking.
    stream->End(&HttpServer::OnDrainClosed, &HttpServer::OnDrainComplete, this);
  }
  streams.clear();
  // Requests still delayed by injected latency get a 503 instead of being
  // served: serving them now could open streams nobody drains.
  auto delayed = std::move(delayed_);
  delayed_.clear();
  for (auto& [raw, pending] : delayed) {
    event_free(pending->timer);
    evhttp_connection* connection =
        evhttp_request_get_connection(pending->request);
    if (connection == nullptr) {
      evhttp_request_free(pending->request);
      continue;
    }
    draining_.insert(connection);
    evhttp_connection_set_closecb(connection, &HttpServer::OnDrainClosed, this);
    evhttp_request_set_on_complete_cb(pending->request,
                                      &HttpServer::OnDrainComplete, this);
    Reply(pending->request,
          ApiHandler::Error(503, "neo-emulator is shutting down"),
          pending->request_id);
  }
  drained_ = std::move(drained);
  if (draining_.empty()) {
    auto callback = std::move(drained_);
    drained_ = nullptr;
    if (callback) callback();
  }
}

void HttpServer::OnDrainClosed(evhttp_connection* connection, void* arg) {
  static_cast<HttpServer*>(arg)->DrainFinished(connection);
}

void HttpServer::OnDrainComplete(evhttp_request* request, void* arg) {
  evhttp_connection* connection = evhttp_request_get_connection(request);
  // The connection may stay open (keep-alive); its later close is no
  // longer part of the drain.
  evhttp_connection_set_closecb(connection, nullptr, nullptr);
  static_cast<HttpServer*>(arg)->DrainFinished(connection);
}

void HttpServer::DrainFinished(evhttp_connection* connection) {
  draining_.erase(connection);
  if (draining_.empty() && drained_) {
    auto callback = std::move(drained_);
    drained_ = nullptr;
    callback();
  }
}

}  // namespace neo_emulator
