// FaultProxy: a TCP proxy for fault tests that sits between a client (the
// bridge) and a server (the emulator) on loopback and breaks the connection
// the way networks do: latency, bandwidth limits, tiny slices, resets in the
// middle of a response, stalls without FIN, and an upstream that goes away
// and comes back. Toxics change at run time and apply to connections already
// open as well as new ones.
//
//   auto proxy = FaultProxy::Start({.upstream_port = emulator->port()});
//   (*proxy)->SetLatency(Direction::kDownstream, absl::Milliseconds(50));
//   (*proxy)->ResetAfter(/*bytes=*/600, /*connections=*/3);
//   (*proxy)->Clear();
//
// Plain POSIX sockets and poll(2) on one thread of its own; every public
// method is thread-safe.
#ifndef NEOBRIDGE_TESTS_FAULTS_FAULT_PROXY_H_
#define NEOBRIDGE_TESTS_FAULTS_FAULT_PROXY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace neobridge::faults {

// Which way bytes flow: client to server, or server to client.
enum class Direction { kUpstream, kDownstream };

struct FaultProxyOptions {
  // Where connections are forwarded (IPv4 literal).
  std::string upstream_host = "127.0.0.1";
  int upstream_port = 0;
};

// Counters since Start, for tests to wait on.
struct FaultProxyStats {
  int64_t accepted = 0;  // Connections accepted, refused ones included.
  int64_t open = 0;      // Client connections open now.
  int64_t resets = 0;    // Connections reset by ResetAfter.
  int64_t stalls = 0;    // Connections stalled by StallAfter.
  int64_t refused = 0;   // Connections reset at once while down.
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1, an ephemeral port, and starts the proxy thread.
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(
      FaultProxyOptions options);
  // Closes every connection and the listener; joins the thread.
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }

  // Bytes read from one side are written to the other this much later.
  void SetLatency(Direction direction, absl::Duration latency);
  // At most this many bytes per second are written; 0 = unlimited.
  void SetBandwidth(Direction direction, int64_t bytes_per_second);
  // Bytes are written in slices of at most `bytes`, `delay` apart; 0 = off.
  void SetSlicing(Direction direction, int bytes, absl::Duration delay);
  // The next `connections` connections whose downstream bytes (counted from
  // each connection's start) reach `bytes` get exactly `bytes` bytes, then a
  // TCP RST (SO_LINGER {1, 0}); their upstream side is closed. A connection
  // already past `bytes` is reset before its next downstream byte.
  void ResetAfter(int64_t bytes, int connections);
  // The next `connections` connections whose downstream bytes reach `bytes`
  // stop forwarding anything, either way, from then on; both sockets stay
  // open (no FIN) until a side closes its end.
  void StallAfter(int64_t bytes, int connections);
  // Down: every open connection is reset at once and new ones are accepted
  // and reset straight away, as when the server behind a load balancer
  // restarts. Up again: connections are forwarded as before.
  void SetDown(bool down);
  // Back to a transparent proxy (stalled connections stay stalled).
  void Clear();

  FaultProxyStats stats() const;

 private:
  struct Toxics {
    absl::Duration latency[2] = {absl::ZeroDuration(), absl::ZeroDuration()};
    int64_t bytes_per_second[2] = {0, 0};
    int slice_bytes[2] = {0, 0};
    absl::Duration slice_delay[2] = {absl::ZeroDuration(),
                                     absl::ZeroDuration()};
    int64_t reset_after_bytes = 0;
    int reset_budget = 0;
    int64_t stall_after_bytes = 0;
    int stall_budget = 0;
    bool down = false;
    // Bumped by SetDown(true) so the loop resets the connections open then.
    int64_t down_generation = 0;
  };
  class Loop;

  FaultProxy() = default;
  void Wake();

  int port_ = 0;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  FaultProxyOptions options_;

  mutable absl::Mutex mu_;
  Toxics toxics_ ABSL_GUARDED_BY(mu_);
  FaultProxyStats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::unique_ptr<Loop> loop_;
  std::jthread thread_;
};

}  // namespace neobridge::faults

#endif  // NEOBRIDGE_TESTS_FAULTS_FAULT_PROXY_H_
