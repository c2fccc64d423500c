// UpstreamObserver: what the upstream side of the bridge reports for metrics
// (requests, retries, stream reconnects, open streams). The client and
// stream layers call it; bridge::metrics implements it with Prometheus.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_OBSERVER_H_
#define NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_OBSERVER_H_

#include <string_view>

#include "absl/time/time.h"

namespace neobridge::client {

// Implementations are thread-safe and never block: every method may be
// called from any thread, including the transport's loop thread and gRPC
// callback threads.
class UpstreamObserver {
 public:
  virtual ~UpstreamObserver() = default;

  // One upstream HTTP exchange ended (each attempt of a retried call counts).
  // `operation` is the RPC it serves ("ListTasks", "StreamTaskEvents", ...),
  // `method` the HTTP method ("GET", "POST", "PATCH"). `outcome` is the HTTP
  // status code as decimal text ("200", "429") or, when no HTTP answer came,
  // the transport error's canonical code name ("UNAVAILABLE",
  // "DEADLINE_EXCEEDED", "CANCELLED"). `latency` runs from sending to the
  // complete response (for an event stream: to the response head).
  virtual void OnUpstreamRequest(std::string_view operation,
                                 std::string_view method,
                                 std::string_view outcome,
                                 absl::Duration latency) = 0;

  // A GET is about to be sent again. `reason` is the outcome that caused it
  // (as in OnUpstreamRequest: "429", "503", "UNAVAILABLE", ...).
  virtual void OnUpstreamRetry(std::string_view operation,
                               std::string_view reason) = 0;

  // A StreamTaskEvents relay reconnects its upstream event stream.
  virtual void OnStreamReconnect() = 0;

  // A StreamTaskEvents call started (+1) or ended (-1).
  virtual void OnActiveStreams(int delta) = 0;

  // An upstream event stream, shared by the calls watching one task with
  // one credential, opened (+1) or closed (-1).
  virtual void OnUpstreamStreams(int /*delta*/) {}

  // A StreamTaskEvents call fell too far behind the other callers of its
  // task and was ended (RESOURCE_EXHAUSTED).
  virtual void OnSlowCallerEnded() {}
};

// Discards everything; the default where no metrics are wanted.
class NoopUpstreamObserver final : public UpstreamObserver {
 public:
  void OnUpstreamRequest(std::string_view, std::string_view, std::string_view,
                         absl::Duration) override {}
  void OnUpstreamRetry(std::string_view, std::string_view) override {}
  void OnStreamReconnect() override {}
  void OnActiveStreams(int) override {}

  // A shared instance.
  static UpstreamObserver& Instance() {
    static NoopUpstreamObserver* const instance = new NoopUpstreamObserver();
    return *instance;
  }
};

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_UPSTREAM_OBSERVER_H_
