#include "bridge/server/server_options.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace neobridge::server {
namespace {

// One setting: its flag, environment variable, help and how to apply a
// textual value to ServerOptions.
struct Setting {
  const char* flag;  // Without the leading "--".
  const char* env;
  const char* value_name;
  const char* help;
  std::function<std::string(ServerOptions&)> default_text;
  std::function<absl::Status(absl::string_view, ServerOptions&)> apply;
};

absl::Status ParseDurationValue(absl::string_view text, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", text,
                     "\": use a positive number with a unit, e.g. 20s, "
                     "500ms or 2m"));
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status ParseHostPort(absl::string_view text) {
  size_t colon = text.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address \"", text,
                     "\": use HOST:PORT, e.g. 0.0.0.0:50051 or [::]:50051 "
                     "(port 0 picks a free port)"));
  }
  return absl::OkStatus();
}

absl::Status ParseUrl(absl::string_view text, std::string* out) {
  if (!absl::StartsWith(text, "http://") &&
      !absl::StartsWith(text, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL \"", text,
                     "\": use http:// or https:// and a host, e.g. "
                     "https://api.pulumi.com"));
  }
  absl::string_view trimmed = text;
  while (absl::ConsumeSuffix(&trimmed, "/")) {
  }
  if (trimmed.size() <= std::string_view("https://").size() - 1 ||
      absl::EndsWith(trimmed, ":/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL \"", text, "\": it has no host"));
  }
  *out = std::string(trimmed);
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view text, bool* out) {
  if (text == "true" || text == "1" || text == "yes") {
    *out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid boolean \"", text, "\": use true or false"));
  }
  return absl::OkStatus();
}

std::string DurationText(absl::Duration d) { return absl::FormatDuration(d); }

const std::vector<Setting>& Settings() {
  static const auto* settings = new std::vector<Setting>{
      {"listen", "NEO_BRIDGE_LISTEN", "HOST:PORT",
       "gRPC listen address; port 0 picks a free port.",
       [](ServerOptions& o) { return o.listen; },
       [](absl::string_view v, ServerOptions& o) {
         if (absl::Status s = ParseHostPort(v); !s.ok()) return s;
         o.listen = std::string(v);
         return absl::OkStatus();
       }},
      {"upstream-url", "NEO_BRIDGE_UPSTREAM_URL", "URL",
       "Base URL of the Neo API: Pulumi Cloud, a self-hosted Pulumi Cloud, "
       "or neo-emulator.",
       [](ServerOptions& o) { return o.upstream_url; },
       [](absl::string_view v, ServerOptions& o) {
         return ParseUrl(v, &o.upstream_url);
       }},
      {"default-org", "NEO_BRIDGE_DEFAULT_ORG", "ORG",
       "Organization used when a request leaves `org` empty.",
       [](ServerOptions& o) { return o.default_org; },
       [](absl::string_view v, ServerOptions& o) {
         o.default_org = std::string(v);
         return absl::OkStatus();
       }},
      {"token-file", "NEO_BRIDGE_TOKEN_FILE", "PATH",
       "File holding the service's Pulumi access token, re-read when it "
       "changes; wins over PULUMI_ACCESS_TOKEN.",
       [](ServerOptions& o) { return o.token_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.token_file = std::string(v);
         return absl::OkStatus();
       }},
      {"request-timeout", "NEO_BRIDGE_REQUEST_TIMEOUT", "DURATION",
       "Upstream time bound for calls without a deadline.",
       [](ServerOptions& o) { return DurationText(o.request_timeout); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.request_timeout);
       }},
      {"create-timeout", "NEO_BRIDGE_CREATE_TIMEOUT", "DURATION",
       "Upstream time bound for CreateTask without a deadline.",
       [](ServerOptions& o) { return DurationText(o.create_timeout); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.create_timeout);
       }},
      {"connect-timeout", "NEO_BRIDGE_CONNECT_TIMEOUT", "DURATION",
       "Upstream connect time bound.",
       [](ServerOptions& o) { return DurationText(o.connect_timeout); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.connect_timeout);
       }},
      {"stream-heartbeat-interval", "NEO_BRIDGE_STREAM_HEARTBEAT_INTERVAL",
       "DURATION",
       "StreamTaskEvents sends a Heartbeat after this long without a message, "
       "so proxies keep the stream open.",
       [](ServerOptions& o) {
         return DurationText(o.stream.heartbeat_interval);
       },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.stream.heartbeat_interval);
       }},
      {"stream-idle-timeout", "NEO_BRIDGE_STREAM_IDLE_TIMEOUT", "DURATION",
       "Upstream event-stream silence (no event, no heartbeat) after which "
       "the bridge reconnects.",
       [](ServerOptions& o) {
         return DurationText(o.stream.upstream_idle_timeout);
       },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.stream.upstream_idle_timeout);
       }},
      {"stream-retry-budget", "NEO_BRIDGE_STREAM_RETRY_BUDGET", "DURATION",
       "How long the bridge keeps reconnecting a dropped upstream event "
       "stream without progress before ending the call with UNAVAILABLE.",
       [](ServerOptions& o) { return DurationText(o.stream.retry_budget); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.stream.retry_budget);
       }},
      {"stream-queue-size", "NEO_BRIDGE_STREAM_QUEUE_SIZE", "N",
       "Events buffered per stream for a slow caller before the upstream "
       "transfer pauses (1..100000).",
       [](ServerOptions& o) { return absl::StrCat(o.stream.queue_capacity); },
       [](absl::string_view v, ServerOptions& o) {
         size_t n = 0;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 100000) {
           return absl::InvalidArgumentError(
               absl::StrCat("invalid size \"", v,
                            "\": use a whole number from 1 to 100000"));
         }
         o.stream.queue_capacity = n;
         return absl::OkStatus();
       }},
      {"ca-file", "NEO_BRIDGE_CA_FILE", "PATH",
       "PEM bundle of CAs to verify the upstream with (verification is "
       "always on).",
       [](ServerOptions& o) { return o.ca_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.ca_file = std::string(v);
         return absl::OkStatus();
       }},
      {"reflection", "NEO_BRIDGE_REFLECTION", "BOOL",
       "Serve gRPC server reflection.",
       [](ServerOptions& o) {
         return std::string(o.reflection ? "true" : "false");
       },
       [](absl::string_view v, ServerOptions& o) {
         return ParseBool(v, &o.reflection);
       }},
      {"log-level", "NEO_BRIDGE_LOG_LEVEL", "LEVEL",
       "Lowest level logged: debug, info, warn or error.",
       [](ServerOptions&) { return std::string("info"); },
       [](absl::string_view v, ServerOptions& o) {
         if (!log::ParseLevel(v, &o.log_level)) {
           return absl::InvalidArgumentError(absl::StrCat(
               "invalid level \"", v, "\": use debug, info, warn or error"));
         }
         return absl::OkStatus();
       }},
  };
  return *settings;
}

const Setting* FindSetting(absl::string_view flag) {
  for (const Setting& setting : Settings()) {
    if (flag == setting.flag) return &setting;
  }
  return nullptr;
}

}  // namespace

absl::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return absl::nullopt;
  return std::string(value);
}

absl::StatusOr<ParsedCommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const EnvLookup& env) {
  ParsedCommandLine parsed;
  ServerOptions& options = parsed.options;
  for (const Setting& setting : Settings()) {
    absl::optional<std::string> value = env(setting.env);
    if (!value.has_value() || value->empty()) continue;
    if (absl::Status s = setting.apply(*value, options); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.env, ": ", s.message()));
    }
  }
  if (absl::optional<std::string> token = env("PULUMI_ACCESS_TOKEN")) {
    options.access_token = *token;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.action = ParsedCommandLine::Action::kHelp;
      return parsed;
    }
    if (arg == "--version") {
      parsed.action = ParsedCommandLine::Action::kVersion;
      return parsed;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg,
                       "\": flags start with --; see --help"));
    }
    absl::string_view name = arg;
    absl::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    const Setting* setting = FindSetting(name);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, ": see --help"));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", name, " needs a value (", setting->value_name, ")"));
      }
      value = args[++i];
    }
    if (absl::Status s = setting->apply(*value, options); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": ", s.message()));
    }
  }
  return parsed;
}

std::string HelpText() {
  ServerOptions defaults;
  std::string text =
      "neo-bridge: a gRPC service for Pulumi Neo agent tasks.\n\n"
      "Usage: neo-bridge [--flag=value]...\n\n"
      "Every flag can also be set through its environment variable; a flag "
      "on the\ncommand line wins.\n\n";
  for (const Setting& setting : Settings()) {
    absl::StrAppend(&text, "  --", setting.flag, "=", setting.value_name,
                    "  (env ", setting.env, ")\n      ", setting.help, "\n");
    std::string default_value = setting.default_text(defaults);
    absl::StrAppend(&text, "      Default: ",
                    default_value.empty() ? "(none)" : default_value, "\n");
  }
  absl::StrAppend(
      &text,
      "\nEnvironment only:\n"
      "  PULUMI_ACCESS_TOKEN\n"
      "      The service's Pulumi access token, used for calls that bring no\n"
      "      `authorization` metadata (--token-file wins when both are set).\n"
      "\n  --help     Print this text.\n  --version  Print the version.\n");
  return text;
}

}  // namespace neobridge::server
