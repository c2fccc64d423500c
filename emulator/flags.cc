#include "emulator/flags.h"

#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "emulator/time_format.h"

namespace neo_emulator {
namespace {

struct FlagSpec {
  absl::string_view flag;
  absl::string_view env;
};

constexpr FlagSpec kListen = {"--listen", "NEO_EMULATOR_LISTEN"};
constexpr FlagSpec kUsers = {"--users", "NEO_EMULATOR_USERS"};
constexpr FlagSpec kStepDelay = {"--agent-step-delay",
                                 "NEO_EMULATOR_AGENT_STEP_DELAY"};
constexpr FlagSpec kHeartbeat = {"--heartbeat-interval",
                                 "NEO_EMULATOR_HEARTBEAT_INTERVAL"};
constexpr FlagSpec kSeed = {"--seed", "NEO_EMULATOR_SEED"};
constexpr FlagSpec kTlsCert = {"--tls-cert-file", "NEO_EMULATOR_TLS_CERT_FILE"};
constexpr FlagSpec kTlsKey = {"--tls-key-file", "NEO_EMULATOR_TLS_KEY_FILE"};
constexpr FlagSpec kAll[] = {kListen, kUsers,   kStepDelay, kHeartbeat,
                             kSeed,   kTlsCert, kTlsKey};
// The one switch (no value).
constexpr FlagSpec kNoAdmin = {"--no-admin", "NEO_EMULATOR_NO_ADMIN"};

absl::Status Bad(absl::string_view source, absl::string_view value,
                 absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", source, " '", value, "': ", problem));
}

absl::Status Apply(const FlagSpec& spec, absl::string_view source,
                   const std::string& value, EmulatorOptions& options) {
  if (spec.flag == kListen.flag) {
    return ParseListen(value, &options.host, &options.port).ok()
               ? absl::OkStatus()
               : Bad(source, value,
                     "expected HOST:PORT (e.g. 127.0.0.1:8080, [::1]:0, "
                     ":8080) with PORT in 0..65535");
  }
  if (spec.flag == kUsers.flag) {
    absl::StatusOr<std::vector<User>> users = LoadUsersFile(value);
    if (!users.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", source, ": ", users.status().message()));
    }
    options.users = *std::move(users);
    return absl::OkStatus();
  }
  if (spec.flag == kStepDelay.flag || spec.flag == kHeartbeat.flag) {
    absl::StatusOr<absl::Duration> duration = ParseNonNegativeDuration(value);
    if (!duration.ok()) {
      return Bad(source, value,
                 "expected a non-negative duration such as 200ms, 1.5s, 15s");
    }
    if (spec.flag == kStepDelay.flag) {
      options.agent_step_delay = *duration;
      return absl::OkStatus();
    }
    if (*duration <= absl::ZeroDuration()) {
      return Bad(source, value, "the heartbeat interval must be positive");
    }
    options.heartbeat_interval = *duration;
    return absl::OkStatus();
  }
  if (spec.flag == kTlsCert.flag || spec.flag == kTlsKey.flag) {
    // Read and checked by Emulator::Start, which names the flag.
    if (value.empty()) return Bad(source, value, "expected a PEM file");
    (spec.flag == kTlsCert.flag ? options.tls_cert_file
                                : options.tls_key_file) = value;
    return absl::OkStatus();
  }
  if (spec.flag == kSeed.flag) {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(value, &seed)) {
      return Bad(source, value, "expected an unsigned integer");
    }
    options.seed = seed;
    return absl::OkStatus();
  }
  return absl::InternalError("unhandled flag");
}

}  // namespace

absl::Status ParseListen(absl::string_view text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError("missing ':PORT'");
  }
  absl::string_view host_part = text.substr(0, colon);
  const absl::string_view port_part = text.substr(colon + 1);
  if (absl::StartsWith(host_part, "[") && absl::EndsWith(host_part, "]")) {
    host_part = host_part.substr(1, host_part.size() - 2);
  } else if (absl::StrContains(host_part, ':')) {
    return absl::InvalidArgumentError("IPv6 hosts must be in brackets");
  }
  int parsed = 0;
  if (port_part.empty() || !absl::SimpleAtoi(port_part, &parsed) ||
      parsed < 0 || parsed > 65535) {
    return absl::InvalidArgumentError("bad port");
  }
  *host = host_part.empty() ? "0.0.0.0" : std::string(host_part);
  *port = parsed;
  return absl::OkStatus();
}

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const EnvLookup& env) {
  CommandLine result;
  result.options.port = 8080;
  // Flags first, so that a flag overrides (and hides errors in) its
  // environment variable.
  std::vector<std::optional<std::string>> from_flags(std::size(kAll));
  bool no_admin_flag = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.show_help = true;
      continue;
    }
    if (arg == kNoAdmin.flag) {
      no_admin_flag = true;
      continue;
    }
    if (absl::StartsWith(arg, absl::StrCat(kNoAdmin.flag, "="))) {
      return absl::InvalidArgumentError(
          absl::StrCat(kNoAdmin.flag, " takes no value (see --help)"));
    }
    bool matched = false;
    for (size_t f = 0; f < std::size(kAll) && !matched; ++f) {
      const FlagSpec& spec = kAll[f];
      if (arg == spec.flag) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(spec.flag, " needs a value (see --help)"));
        }
        from_flags[f] = args[++i];
        matched = true;
      } else if (absl::StartsWith(arg, absl::StrCat(spec.flag, "="))) {
        from_flags[f] = arg.substr(spec.flag.size() + 1);
        matched = true;
      }
    }
    if (!matched) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", arg, "' (see --help)"));
    }
  }
  if (result.show_help) return result;
  if (no_admin_flag) {
    result.options.admin_api = false;
  } else if (std::optional<std::string> value = env(kNoAdmin.env);
             value && !value->empty()) {
    if (*value == "1" || *value == "true") {
      result.options.admin_api = false;
    } else if (*value != "0" && *value != "false") {
      return Bad(kNoAdmin.env, *value, "expected 1, true, 0 or false");
    }
  }
  for (size_t f = 0; f < std::size(kAll); ++f) {
    const FlagSpec& spec = kAll[f];
    absl::string_view source = spec.flag;
    std::optional<std::string> value = from_flags[f];
    if (!value) {
      value = env(spec.env);
      source = spec.env;
      if (!value || value->empty()) continue;
    }
    if (absl::Status status = Apply(spec, source, *value, result.options);
        !status.ok()) {
      return status;
    }
  }
  if (result.options.tls_cert_file.empty() !=
      result.options.tls_key_file.empty()) {
    const FlagSpec& given =
        result.options.tls_cert_file.empty() ? kTlsKey : kTlsCert;
    const FlagSpec& missing =
        result.options.tls_cert_file.empty() ? kTlsCert : kTlsKey;
    return absl::InvalidArgumentError(absl::StrCat(
        given.flag, " (or ", given.env, ") needs ", missing.flag, " (or ",
        missing.env, "): give both a certificate and its key, or neither"));
  }
  return result;
}

std::string UsageText() {
  return R"(neo-emulator: a local, in-memory Pulumi Neo agent-tasks API.

Usage: neo-emulator [flags]

Every flag can also be set through its environment variable; flags win.

  --listen HOST:PORT           NEO_EMULATOR_LISTEN
      Address to serve on (default 127.0.0.1:8080). PORT 0 picks a free
      port; ":PORT" listens on all interfaces; IPv6 as [::1]:PORT.
  --users FILE                 NEO_EMULATOR_USERS
      JSON array of {"token", "login", "name", "avatarUrl", "orgs": [...]}
      replacing the default users (alice / pul-emulator-alice and
      bob / pul-emulator-bob, both in org "acme").
  --agent-step-delay DURATION  NEO_EMULATOR_AGENT_STEP_DELAY
      Delay before each scripted agent event (default 200ms; 0 allowed).
  --heartbeat-interval DURATION NEO_EMULATOR_HEARTBEAT_INTERVAL
      Interval of ": heartbeat" comments on event streams (default 15s).
  --seed N                     NEO_EMULATOR_SEED
      Seed for task, event, tool call and approval ids (default 1).
  --tls-cert-file FILE         NEO_EMULATOR_TLS_CERT_FILE
  --tls-key-file FILE          NEO_EMULATOR_TLS_KEY_FILE
      Serve HTTPS (TLS 1.2+) instead of HTTP: the server certificate (PEM,
      then any intermediates) and its unencrypted PEM private key. Both or
      neither. Clients must trust the issuing CA (neo-bridge: --ca-file).
  --no-admin                   NEO_EMULATOR_NO_ADMIN=1
      Turn off the test-only tooling: the unauthenticated admin API
      (/_emulator/faults, /_emulator/stats, /_emulator/firehose) and the
      X-Emulator-Fault request header. On by default; see the README,
      "Fault knobs" and "Stream stats and the firehose".
  --help, -h
      Show this help.

On start the emulator prints one line, "neo-emulator listening on
http://HOST:PORT" (https:// with TLS), and serves until SIGINT or SIGTERM
(exit status 0). Invalid flags, and TLS files that cannot be loaded, exit
with status 2; an address that cannot be bound exits with status 1.
)";
}

}  // namespace neo_emulator
