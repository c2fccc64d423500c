// UpstreamProbe: readiness. Every interval it sends one cheap GET to the
// upstream's base URL and reports whether the upstream answers; the bridge
// is ready only while it does.
#ifndef NEOBRIDGE_BRIDGE_SERVER_UPSTREAM_PROBE_H_
#define NEOBRIDGE_BRIDGE_SERVER_UPSTREAM_PROBE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/upstream/http_transport.h"

namespace neobridge::server {

struct UpstreamProbeOptions {
  // What is fetched, e.g. "https://api.pulumi.com/".
  std::string url;
  std::string user_agent = "neo-bridge";
  absl::Duration interval = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(3);
};

// Whether a probe's outcome means the upstream is reachable: any HTTP answer
// below 500 (a 401 or 404 to an anonymous GET still proves it is up); not a
// 5xx or a transport error. `detail` says what was seen. Pure.
bool IsReachable(const absl::StatusOr<upstream::HttpResponse>& outcome,
                 std::string* detail);

class UpstreamProbe {
 public:
  // Called on the probe's thread with each result that differs from the
  // previous one (the first result always).
  using OnChange =
      std::function<void(bool reachable, const std::string& detail)>;

  // Starts probing at once. `transport` must outlive the probe.
  UpstreamProbe(upstream::HttpTransport& transport,
                UpstreamProbeOptions options, OnChange on_change);
  // Stops probing; an answer still in flight is ignored.
  ~UpstreamProbe();

  UpstreamProbe(const UpstreamProbe&) = delete;
  UpstreamProbe& operator=(const UpstreamProbe&) = delete;

 private:
  // Shared with transport callbacks, which may outlive the probe.
  struct State {
    absl::Mutex mu;
    bool stopping ABSL_GUARDED_BY(mu) = false;
    // The answer to the probe in flight.
    std::optional<absl::StatusOr<upstream::HttpResponse>> outcome
        ABSL_GUARDED_BY(mu);
    uint64_t probe ABSL_GUARDED_BY(mu) = 0;
  };

  void Run();

  upstream::HttpTransport& transport_;
  const UpstreamProbeOptions options_;
  const OnChange on_change_;
  const std::shared_ptr<State> state_ = std::make_shared<State>();
  std::jthread thread_;
};

}  // namespace neobridge::server

#endif  // NEOBRIDGE_BRIDGE_SERVER_UPSTREAM_PROBE_H_
