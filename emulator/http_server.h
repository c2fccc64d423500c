// The libevent (evhttp) side of the emulator: listening socket, request
// decoding, response encoding, SSE streams and their subscriptions.
#ifndef NEO_EMULATOR_HTTP_SERVER_H_
#define NEO_EMULATOR_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "emulator/admin_handler.h"
#include "emulator/api_handler.h"
#include "emulator/fault_plan.h"
#include "emulator/fault_state.h"
#include "emulator/ids.h"
#include "emulator/sse_stream.h"
#include "emulator/stream_stats.h"
#include "emulator/task_service.h"

struct bufferevent;
struct evbuffer;
struct evbuffer_cb_entry;
struct evbuffer_cb_info;
struct event;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;
struct evhttp_request;
struct ssl_ctx_st;
struct timeval;

namespace neo_emulator {

// Every API request passes the fault dispatcher first: the plan in force
// (or the request's X-Emulator-Fault plan) may delay it, fail it with an
// injected status, or give the stream it opens StreamFaults. Admin requests
// (/_emulator/...) bypass faults.
//
// Every stream that opens and closes is counted in `stats` (by task).
//
// Thread: created, used and destroyed on the event-loop thread (or before
// the loop starts).
class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0 = ephemeral.
    absl::Duration heartbeat_interval = absl::Seconds(15);
    uint64_t seed = 1;  // For X-Pulumi-Request-ID values.
    // Serve /_emulator/... and honour X-Emulator-Fault. When false, both
    // are treated like any unknown path / header.
    bool admin_api = true;
    // Serve HTTPS: every accepted connection does a TLS handshake with this
    // context first. Not owned; must outlive the server. nullptr = HTTP.
    ssl_ctx_st* tls_context = nullptr;
  };

  // What the server serves and updates; none owned, all must outlive it.
  struct Dependencies {
    ApiHandler* handler = nullptr;
    // nullptr = no admin API, as with Options::admin_api false.
    AdminHandler* admin = nullptr;
    TaskService* service = nullptr;
    FaultState* faults = nullptr;
    StreamStats* stats = nullptr;
  };

  // Binds and starts accepting on `base` (the loop may not be running yet).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(
      event_base* base, const Options& options, Dependencies dependencies);
  // Frees every connection (open streams included) without callbacks into
  // the handler or service beyond unsubscribing.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (resolved when Options::port was 0).
  int port() const { return port_; }

  // Stops accepting, unsubscribes and ends every open stream, and answers
  // requests still delayed by injected latency with 503. `drained` runs
  // once every ended stream and every 503 is flushed or its connection is
  // gone; synchronously when there were none.
  void BeginShutdown(std::function<void()> drained);

 private:
  // An API request on its way to the handler, with the faults decided when
  // it arrived.
  struct PendingRequest {
    evhttp_request* request = nullptr;
    HttpRequest parsed;
    std::string request_id;
    std::optional<RequestFailure> failure;
    // Corrupts the unary response's body; nullopt = sent as it is.
    std::optional<BodyFault> body;
    // The request's X-Emulator-Fault plan; nullopt = the plan in force.
    std::optional<FaultPlan> header_plan;
    // While delayed by injected latency: its timer, and the server.
    event* timer = nullptr;
    HttpServer* server = nullptr;
  };

  // A response cut short by a kTruncated body fault: its connection is
  // closed (no more bytes, no clean end) once the partial body has left the
  // output buffer.
  struct Truncation {
    HttpServer* server = nullptr;
    evhttp_connection* connection = nullptr;
    evbuffer* output = nullptr;
    evbuffer_cb_entry* output_watch = nullptr;
    event* close_due = nullptr;
  };

  // An open stream and the task it watches.
  struct OpenStream {
    std::unique_ptr<SseStream> stream;
    std::string task_id;
  };

  HttpServer(event_base* base, const Dependencies& dependencies, uint64_t seed,
             bool admin_api);

  static void OnRequest(evhttp_request* request, void* arg);
  // evhttp's bufferevent factory in TLS mode: a server-side TLS bufferevent
  // for each accepted connection (`arg` is the SSL_CTX).
  static bufferevent* NewTlsBufferevent(event_base* base, void* arg);
  static void OnDelayElapsed(int fd, short what, void* arg);
  static void OnDrainClosed(evhttp_connection* connection, void* arg);
  static void OnDrainComplete(evhttp_request* request, void* arg);
  static void OnTruncationOutput(evbuffer* output, const evbuffer_cb_info* info,
                                 void* arg);
  static void OnTruncationDue(int fd, short what, void* arg);
  static void OnTruncationClosed(evhttp_connection* connection, void* arg);

  void Handle(evhttp_request* request);
  // Fails, serves or opens the stream of a request whose delay is over.
  void Dispatch(PendingRequest& pending);
  void Reply(evhttp_request* request, const HttpResponse& response,
             const std::string& request_id);
  // Sends `response` with its body corrupted as `fault` says.
  void ReplyWithBodyFault(evhttp_request* request, HttpResponse response,
                          const std::string& request_id,
                          const BodyFault& fault);
  void ReplyTruncated(evhttp_request* request, const HttpResponse& response,
                      const std::string& request_id);
  // Forgets `truncation` (its connection is closed or about to be).
  void DiscardTruncation(Truncation* truncation);
  void StartStream(evhttp_request* request, const StreamTarget& target,
                   const std::string& request_id, StreamFaults faults);
  void CloseStream(SseStream* stream);
  void DrainFinished(evhttp_connection* connection);

  event_base* base_;
  ApiHandler* handler_;
  TaskService* service_;
  FaultState* faults_;
  StreamStats* stats_;
  AdminHandler* admin_;
  bool admin_api_;
  IdSource request_ids_;
  evhttp* http_ = nullptr;
  evhttp_bound_socket* bound_ = nullptr;
  const timeval* heartbeat_tv_ = nullptr;  // Common timeout owned by base_.
  int port_ = 0;
  absl::flat_hash_map<SseStream*, OpenStream> streams_;
  absl::flat_hash_set<evhttp_connection*> draining_;
  absl::flat_hash_map<PendingRequest*, std::unique_ptr<PendingRequest>>
      delayed_;
  absl::flat_hash_map<Truncation*, std::unique_ptr<Truncation>> truncations_;
  std::function<void()> drained_;
};

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_HTTP_SERVER_H_
