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
};

// What the command line asked for.
struct ParsedCommandLine {
  enum class Action { kServe, kHelp, kVersion };
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

// The --help text: every flag, its environment variable and default.
std::string HelpText();

}  // namespace neobridge::server

#endif  // NEOBRIDGE_BRIDGE_SERVER_SERVER_OPTIONS_H_
