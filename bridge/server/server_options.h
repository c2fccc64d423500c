// neo-bridge's configuration: every setting is a flag with an environment
// variable. Read once, in main, into ServerOptions.
#ifndef NEOBRIDGE_BRIDGE_SERVER_SERVER_OPTIONS_H_
#define NEOBRIDGE_BRIDGE_SERVER_SERVER_OPTIONS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "bridge/log/json_log.h"
#include "bridge/security/server_credentials.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/service/call_limits.h"
#include "bridge/stream/event_stream_reactor.h"

namespace neobridge::server {

struct ServerOptions {
  // gRPC listen address, host:port; port 0 picks a free port.
  std::string listen = "0.0.0.0:50051";
  // Base URL of the Neo API (Pulumi Cloud, self-hosted, or neo-emulator).
  std::string upstream_url = "https://api.pulumi.com";
  // Org used when a request leaves `org` empty.
  std::string default_org;
  // File holding the service token; re-read when it changes.
  std::string token_file;
  // The service token itself (PULUMI_ACCESS_TOKEN; environment only, so it
  // never shows in a process listing).
  std::string access_token;
  // Upstream time bounds when the caller sets no deadline.
  absl::Duration request_timeout = absl::Seconds(20);
  absl::Duration create_timeout = absl::Seconds(120);
  // Upstream TCP/TLS connect bound.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Extra CA bundle (PEM) to verify the upstream with; verification is
  // always on.
  std::string ca_file;
  // StreamTaskEvents relay: heartbeat interval, upstream idle timeout,
  // retry budget, backoff and queue size.
  stream::StreamOptions stream;
  // gRPC server reflection.
  bool reflection = true;
  log::Level log_level = log::Level::kInfo;

  // TLS (and mTLS) on the gRPC listener; plaintext when no certificate.
  security::ListenerTlsOptions tls;
  // Who may use the service token; disabled unless chosen.
  security::ServiceTokenPolicyOptions service_token_policy;

  // Prometheus metrics at http://<metrics_listen>/metrics; empty = off.
  std::string metrics_listen = "0.0.0.0:9090";
  // A second, plaintext listener serving only grpc.health.v1 (for probes
  // that cannot speak TLS, like the kubelet's); empty = off.
  std::string health_listen;

  // Readiness: how often, and how patiently, the upstream is probed.
  absl::Duration upstream_probe_interval = absl::Seconds(10);
  absl::Duration upstream_probe_timeout = absl::Seconds(3);
  // Upstream GETs are tried at most this many times (1 = no retries).
  int upstream_retry_attempts = 4;

  // Shutdown: open streams run on for the drain window, then end with
  // UNAVAILABLE; everything is over within the shutdown timeout.
  absl::Duration shutdown_drain_window = absl::Seconds(5);
  absl::Duration shutdown_timeout = absl::Seconds(25);

  // HTTP/2 keepalive and connection lifetime (infinite = off).
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration keepalive_min_client_interval = absl::Seconds(10);
  absl::Duration max_connection_age = absl::Minutes(30);
  absl::Duration max_connection_age_grace = absl::Minutes(5);
  absl::Duration max_connection_idle = absl::InfiniteDuration();
  // Largest message accepted from and sent to a caller.
  int max_recv_message_bytes = 4 << 20;
  int max_send_message_bytes = 32 << 20;
  // Concurrent streams and in-flight upstream requests.
  service::CallLimitsOptions limits;
};

// What the command line asked for.
struct ParsedCommandLine {
  enum class Action { kServe, kHelp, kVersion, kHashApiKey };
  Action action = Action::kServe;
  ServerOptions options;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<absl::optional<std::string>(const char*)>;

// The process environment.
absl::optional<std::string> ProcessEnv(const char* name);

// Parses `args` (without the program name) over the environment: a flag
// given on the command line wins over its environment variable, which wins
// over the default. Accepts `--flag=value` and `--flag value`. An unknown
// flag or invalid value fails with INVALID_ARGUMENT naming the flag (or
// variable) and what a valid value looks like.
absl::StatusOr<ParsedCommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const EnvLookup& env);

// Whether `url` (as ParseCommandLine accepts it) is plain http:// to a host
// other than loopback, so that tokens would cross the network unencrypted.
bool IsPlaintextToRemoteHost(absl::string_view url);

// The --help text: every flag, its environment variable and default.
std::string HelpText();

}  // namespace neobridge::server

#endif  // NEOBRIDGE_BRIDGE_SERVER_SERVER_OPTIONS_H_
