// CurlTransport: the production HttpTransport, libcurl's multi interface
// driven by one event-loop thread (epoll + curl_multi_socket_action).

#ifndef NEOBRIDGE_BRIDGE_UPSTREAM_CURL_TRANSPORT_H_
#define NEOBRIDGE_BRIDGE_UPSTREAM_CURL_TRANSPORT_H_

#include <curl/curl.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/upstream/curl_handles.h"
#include "bridge/upstream/http_transport.h"
#include "bridge/upstream/scoped_fd.h"

namespace neobridge::upstream {

struct CurlTransportOptions {
  // Bound on establishing a connection (TCP + TLS); a request's own timeout
  // still applies when it is shorter. Expiry is UNAVAILABLE (the upstream is
  // unreachable), unlike the request timeout, which is DEADLINE_EXCEEDED.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Open connections in total / to one host; 0 means no limit. Requests
  // beyond a limit wait for a connection (their timeout keeps running).
  // Each HTTP/1.1 stream holds a connection for its lifetime; HTTP/2
  // streams share connections.
  int max_connections = 0;
  int max_host_connections = 0;
  // Idle connections kept for reuse; 0 means libcurl's default (4 x the
  // number of transfers in flight).
  int max_idle_connections = 0;
  // Cap on a Send() response body; a larger one fails RESOURCE_EXHAUSTED.
  // Streams are not capped (their observers pause instead).
  size_t max_response_bytes = size_t{16} << 20;
  // PEM bundle of CA certificates to trust. It replaces libcurl's default
  // bundle, while its default CA directory (Debian: /etc/ssl/certs) stays,
  // so the system CAs remain trusted too. TLS peer and host name
  // verification is always on.
  std::string ca_file;
  std::string user_agent = "neo-bridge";
  // Idle time before TCP keep-alive probes start (also their interval);
  // zero disables keep-alive probes.
  absl::Duration tcp_keepalive = absl::Seconds(60);
};

// HttpTransport over libcurl. One loop thread, owned by the transport, runs
// every transfer and every callback: done callbacks and StreamObserver
// methods are called on it, never while an internal lock is held, so they
// may call Send/OpenStream/Cancel/Resume. They must not block, and must not
// destroy the transport. Connections are pooled in the multi handle and
// reused (HTTP/1.1 keep-alive; HTTP/2 multiplexing over TLS where upstream
// offers it). Proxy environment variables are honoured as libcurl does:
// the transport never sets CURLOPT_PROXY, so each connection reads
// http_proxy (lower case only) for http:// URLs, https_proxy / HTTPS_PROXY
// for https:// (tunnelled with CONNECT), all_proxy / ALL_PROXY otherwise,
// and skips the proxy for hosts in no_proxy / NO_PROXY. Request headers are
// never logged or copied into a status.
class CurlTransport final : public HttpTransport {
 public:
  // Validates `options`, sets libcurl up and starts the loop thread.
  // INVALID_ARGUMENT for bad options; a ca_file that cannot be read or holds
  // no PEM certificate is "--ca-file: ..." (the flag that sets it).
  // INTERNAL when a system resource cannot be created.
  static absl::StatusOr<std::unique_ptr<CurlTransport>> Create(
      CurlTransportOptions options = {});

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // Completes every pending request and stream with CANCELLED (on the loop
  // thread; callbacks run during this may still call Send, which is then
  // cancelled too), closes all connections and joins the loop thread. Must
  // not be called from a callback, nor while another thread may still call
  // into the transport.
  ~CurlTransport() override;

  RequestId Send(HttpRequest request, DoneCallback done) override;
  RequestId OpenStream(HttpRequest request,
                       std::shared_ptr<StreamObserver> observer) override;
  void Cancel(RequestId id) override;
  void Resume(RequestId id) override;

 private:
  struct Transfer;
  enum class CommandKind { kStart, kCancel, kResume };
  struct Command {
    CommandKind kind;
    RequestId id;
    std::unique_ptr<Transfer> transfer;  // kStart only
  };

  CurlTransport(CurlTransportOptions options, CurlMulti multi,
                ScopedFd epoll_fd, ScopedFd wake_fd);

  // Any thread.
  std::unique_ptr<Transfer> NewTransfer(HttpRequest request);
  void Post(Command command);

  // Loop thread only, from here on.
  void Run();
  bool DrainCommands();  // false once shutdown was requested
  void StartTransfer(std::unique_ptr<Transfer> transfer);
  void CancelTransfer(RequestId id);
  void ResumeTransfer(RequestId id);
  void SocketAction(int fd, int ev_bitmask);
  void ReapCompleted();
  void CheckStreamTimers();
  void ArmStreamTimer(Transfer& transfer, absl::Time due);
  int NextWaitMillis() const;
  // Removes `id` from the loop and reports `status` to its callback (an OK
  // status reports the response / clean end of stream).
  void Finish(RequestId id, absl::Status status);
  void Complete(std::unique_ptr<Transfer> transfer, absl::Status status);
  void CancelEverything();
  // An easy handle for a new transfer: a reset one from the pool, or new.
  CurlEasy TakeEasy();
  // Keeps `easy` (out of the multi handle) for a later transfer: a new
  // handle costs an allocation of its buffers and their setup per request.
  void ReturnEasy(CurlEasy easy);

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* userp,
                      void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* userp);
  static size_t OnHeader(char* data, size_t size, size_t count, void* userp);
  static size_t OnWrite(char* data, size_t size, size_t count, void* userp);

  const CurlTransportOptions options_;
  std::atomic<RequestId> next_id_{1};

  absl::Mutex mu_;
  std::vector<Command> commands_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Reset easy handles for reuse, at most kMaxIdleEasy.
  std::vector<CurlEasy> idle_easy_ ABSL_GUARDED_BY(mu_);

  // Owned by the loop thread once it runs.
  ScopedFd epoll_fd_;
  ScopedFd wake_fd_;  // eventfd: commands and shutdown
  CurlMulti multi_;
  absl::flat_hash_map<RequestId, std::unique_ptr<Transfer>> transfers_;
  absl::Time curl_timer_due_ = absl::InfiniteFuture();
  // Stream first-byte and idle checks: (due, id), earliest first. An entry
  // is live only while it matches its transfer's timer_due.
  using TimerEntry = std::pair<absl::Time, RequestId>;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>,
                      std::greater<TimerEntry>>
      stream_timers_;

  std::jthread loop_thread_;  // last: started after everything it uses
};

}  // namespace neobridge::upstream

#endif  // NEOBRIDGE_BRIDGE_UPSTREAM_CURL_TRANSPORT_H_
