#include "bridge/server/server_options.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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

// A duration that may also be zero ("0s"), for settings where zero means
// "not at all".
absl::Status ParseDurationOrZero(absl::string_view text, absl::Duration* out) {
  absl::Duration d;
  if (absl::ParseDuration(text, &d) && d == absl::ZeroDuration()) {
    *out = d;
    return absl::OkStatus();
  }
  if (absl::Status s = ParseDurationValue(text, out); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), "; or 0s for none"));
  }
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
  // User info in the URL would be logged (the URL is) and, over http://,
  // sent in clear; tokens belong in --token-file or PULUMI_ACCESS_TOKEN.
  absl::string_view authority = trimmed.substr(trimmed.find("://") + 3);
  authority = authority.substr(0, authority.find('/'));
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "invalid URL: it holds user info before '@'; credentials do not "
        "belong in the URL (it is logged): give the token with --token-file "
        "or PULUMI_ACCESS_TOKEN");
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

// A duration that may also be "inf" (no limit).
absl::Status ParseDurationOrInfinite(absl::string_view text,
                                     absl::Duration* out) {
  if (text == "inf" || text == "infinite") {
    *out = absl::InfiniteDuration();
    return absl::OkStatus();
  }
  if (absl::Status s = ParseDurationValue(text, out); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), "; or inf for no limit"));
  }
  return absl::OkStatus();
}

absl::Status ParseCount(absl::string_view text, int min, int max, int* out) {
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid number \"", text, "\": use a whole number from ",
                     min, " to ", max));
  }
  *out = n;
  return absl::OkStatus();
}

// A byte size: a whole number with an optional KiB or MiB suffix.
absl::Status ParseSize(absl::string_view text, size_t min, size_t max,
                       size_t* out) {
  size_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size \"", text, "\": use a whole number from ",
                     min, " to ", max));
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status ParseBytes(absl::string_view text, int* out) {
  absl::string_view digits = text;
  int64_t unit = 1;
  if (absl::ConsumeSuffix(&digits, "MiB")) {
    unit = 1 << 20;
  } else if (absl::ConsumeSuffix(&digits, "KiB")) {
    unit = 1 << 10;
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(digits, &n) || n < 1024 / unit + (1024 % unit != 0) ||
      n * unit > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size \"", text,
                     "\": use bytes from 1024 to 1GiB, e.g. 4194304, 512KiB "
                     "or 4MiB"));
  }
  *out = static_cast<int>(n * unit);
  return absl::OkStatus();
}

std::string BytesText(int bytes) {
  if (bytes % (1 << 20) == 0) return absl::StrCat(bytes >> 20, "MiB");
  if (bytes % (1 << 10) == 0) return absl::StrCat(bytes >> 10, "KiB");
  return absl::StrCat(bytes);
}

std::string DurationText(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "inf";
  return absl::FormatDuration(d);
}

// A Setting for a positive duration (or "inf" when `allow_infinite`).
Setting DurationSetting(const char* flag, const char* env, const char* help,
                        absl::Duration ServerOptions::*field,
                        bool allow_infinite = false) {
  return {flag,
          env,
          "DURATION",
          help,
          [field](ServerOptions& o) { return DurationText(o.*field); },
          [field, allow_infinite](absl::string_view v, ServerOptions& o) {
            return allow_infinite ? ParseDurationOrInfinite(v, &(o.*field))
                                  : ParseDurationValue(v, &(o.*field));
          }};
}

// A Setting for a whole number in [min, max] stored at `get(o)`.
Setting CountSetting(const char* flag, const char* env, const char* help,
                     int min, int max, int& (*get)(ServerOptions&)) {
  return {flag,
          env,
          "N",
          help,
          [get](ServerOptions& o) { return absl::StrCat(get(o)); },
          [get, min, max](absl::string_view v, ServerOptions& o) {
            return ParseCount(v, min, max, &get(o));
          }};
}

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
       "Upstream time bound for calls without a deadline, and for each "
       "wait for a stream's response head.",
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
       "When every caller watching a task is this many events behind, the "
       "upstream transfer pauses until one catches up (1..100000).",
       [](ServerOptions& o) { return absl::StrCat(o.stream.queue_capacity); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseSize(v, 1, 100000, &o.stream.queue_capacity);
       }},
      {"stream-max-lag", "NEO_BRIDGE_STREAM_MAX_LAG", "N",
       "A StreamTaskEvents call this many events behind its task's newest "
       "event, while another call watching the task keeps up, ends with "
       "RESOURCE_EXHAUSTED (reason CALLER_TOO_SLOW) instead of slowing the "
       "others (--stream-queue-size..1000000).",
       [](ServerOptions& o) { return absl::StrCat(o.stream.max_lag); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseSize(v, 1, 1000000, &o.stream.max_lag);
       }},
      {"stream-history-size", "NEO_BRIDGE_STREAM_HISTORY_SIZE", "N",
       "Events of a task kept in memory while it is watched, so a caller "
       "that joins late shares the upstream stream "
       "(--stream-max-lag..1000000; at most 16 MiB of event data either "
       "way).",
       [](ServerOptions& o) { return absl::StrCat(o.stream.history_events); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseSize(v, 1, 1000000, &o.stream.history_events);
       }},
      {"stream-linger", "NEO_BRIDGE_STREAM_LINGER", "DURATION",
       "How long a task's upstream event stream stays open after its last "
       "caller left, so a caller that comes back (e.g. resuming on a new "
       "connection) shares it again; 0s closes it at once.",
       [](ServerOptions& o) { return DurationText(o.stream.linger); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationOrZero(v, &o.stream.linger);
       }},
      {"ca-file", "NEO_BRIDGE_CA_FILE", "PATH",
       "PEM bundle of CAs to verify the upstream with (verification is "
       "always on).",
       [](ServerOptions& o) { return o.ca_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.ca_file = std::string(v);
         return absl::OkStatus();
       }},
      {"tls-cert-file", "NEO_BRIDGE_TLS_CERT_FILE", "PATH",
       "PEM certificate chain of the gRPC listener; enables TLS. Re-read on "
       "change (rotation without restart).",
       [](ServerOptions& o) { return o.tls.cert_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.tls.cert_file = std::string(v);
         return absl::OkStatus();
       }},
      {"tls-key-file", "NEO_BRIDGE_TLS_KEY_FILE", "PATH",
       "PEM private key of --tls-cert-file. Re-read on change.",
       [](ServerOptions& o) { return o.tls.key_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.tls.key_file = std::string(v);
         return absl::OkStatus();
       }},
      {"tls-client-ca-file", "NEO_BRIDGE_TLS_CLIENT_CA_FILE", "PATH",
       "PEM CAs that client certificates must chain to (mTLS); needs "
       "--tls-client-auth. Re-read on change.",
       [](ServerOptions& o) { return o.tls.client_ca_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.tls.client_ca_file = std::string(v);
         return absl::OkStatus();
       }},
      {"tls-client-auth", "NEO_BRIDGE_TLS_CLIENT_AUTH", "MODE",
       "Client certificates: none; request (verified when sent); require "
       "(callers without a valid one are refused at the handshake).",
       [](ServerOptions& o) {
         return std::string(security::ClientAuthName(o.tls.client_auth));
       },
       [](absl::string_view v, ServerOptions& o) {
         if (!security::ParseClientAuth(v, &o.tls.client_auth)) {
           return absl::InvalidArgumentError(absl::StrCat(
               "invalid mode \"", v, "\": use none, request or require"));
         }
         return absl::OkStatus();
       }},
      {"tls-refresh-interval", "NEO_BRIDGE_TLS_REFRESH_INTERVAL", "DURATION",
       "How often the TLS files are checked for rotation.",
       [](ServerOptions& o) { return DurationText(o.tls.refresh_interval); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseDurationValue(v, &o.tls.refresh_interval);
       }},
      {"service-token-policy", "NEO_BRIDGE_SERVICE_TOKEN_POLICY", "POLICY",
       "Who may use the service token when a call brings no `authorization` "
       "metadata: disabled; mtls (client certificates in "
       "--service-token-mtls-allow); api-keys (an `x-api-key` from "
       "--api-keys-file); open (anyone who can reach the port). Callers with "
       "their own token are served under every policy.",
       [](ServerOptions& o) {
         return std::string(
             security::ServiceTokenPolicyKindName(o.service_token_policy.kind));
       },
       [](absl::string_view v, ServerOptions& o) {
         if (!security::ParseServiceTokenPolicyKind(
                 v, &o.service_token_policy.kind)) {
           return absl::InvalidArgumentError(
               absl::StrCat("invalid policy \"", v,
                            "\": use disabled, mtls, api-keys or open"));
         }
         return absl::OkStatus();
       }},
      {"service-token-mtls-allow", "NEO_BRIDGE_SERVICE_TOKEN_MTLS_ALLOW",
       "LIST",
       "Comma-separated client certificate identities (SAN or subject; a "
       "trailing * matches a prefix) allowed the service token under "
       "--service-token-policy=mtls.",
       [](ServerOptions& o) {
         return absl::StrJoin(o.service_token_policy.mtls_allow, ",");
       },
       [](absl::string_view v, ServerOptions& o) {
         o.service_token_policy.mtls_allow.clear();
         for (absl::string_view item : absl::StrSplit(v, ',')) {
           item = absl::StripAsciiWhitespace(item);
           if (!item.empty()) {
             o.service_token_policy.mtls_allow.emplace_back(item);
           }
         }
         return absl::OkStatus();
       }},
      {"api-keys-file", "NEO_BRIDGE_API_KEYS_FILE", "PATH",
       "Bridge API keys for --service-token-policy=api-keys: lines \"NAME "
       "sha256:HEX\" (make one with --hash-api-key). Re-read on change.",
       [](ServerOptions& o) { return o.service_token_policy.api_keys_file; },
       [](absl::string_view v, ServerOptions& o) {
         o.service_token_policy.api_keys_file = std::string(v);
         return absl::OkStatus();
       }},
      {"metrics-listen", "NEO_BRIDGE_METRICS_LISTEN", "HOST:PORT",
       "Where Prometheus metrics are served (GET /metrics); off disables.",
       [](ServerOptions& o) {
         return o.metrics_listen.empty() ? std::string("off")
                                         : o.metrics_listen;
       },
       [](absl::string_view v, ServerOptions& o) {
         if (v == "off") {
           o.metrics_listen.clear();
           return absl::OkStatus();
         }
         if (absl::Status s = ParseHostPort(v); !s.ok()) {
           return absl::InvalidArgumentError(
               absl::StrCat(s.message(), "; or off"));
         }
         o.metrics_listen = std::string(v);
         return absl::OkStatus();
       }},
      {"health-listen", "NEO_BRIDGE_HEALTH_LISTEN", "HOST:PORT",
       "Also serve grpc.health.v1 (only) in plaintext here, for probes that "
       "cannot speak TLS (the kubelet's gRPC probe); off disables.",
       [](ServerOptions& o) {
         return o.health_listen.empty() ? std::string("off") : o.health_listen;
       },
       [](absl::string_view v, ServerOptions& o) {
         if (v == "off") {
           o.health_listen.clear();
           return absl::OkStatus();
         }
         if (absl::Status s = ParseHostPort(v); !s.ok()) {
           return absl::InvalidArgumentError(
               absl::StrCat(s.message(), "; or off"));
         }
         o.health_listen = std::string(v);
         return absl::OkStatus();
       }},
      DurationSetting("upstream-probe-interval",
                      "NEO_BRIDGE_UPSTREAM_PROBE_INTERVAL",
                      "How often readiness probes the upstream (health of "
                      "neobridge.v1.AgentTasksService).",
                      &ServerOptions::upstream_probe_interval),
      DurationSetting("upstream-probe-timeout",
                      "NEO_BRIDGE_UPSTREAM_PROBE_TIMEOUT",
                      "How long one readiness probe waits for the upstream.",
                      &ServerOptions::upstream_probe_timeout),
      CountSetting(
          "upstream-retry-attempts", "NEO_BRIDGE_UPSTREAM_RETRY_ATTEMPTS",
          "Upstream GETs are tried at most this many times on "
          "connection errors, 429, 502, 503 and 504 (1 = never "
          "retried). POST and PATCH are never re-sent.",
          1, 10,
          [](ServerOptions& o) -> int& { return o.upstream_retry_attempts; }),
      DurationSetting("shutdown-drain-window",
                      "NEO_BRIDGE_SHUTDOWN_DRAIN_WINDOW",
                      "After SIGTERM, open streams run on this long, then end "
                      "with UNAVAILABLE so callers resume elsewhere.",
                      &ServerOptions::shutdown_drain_window),
      DurationSetting("shutdown-timeout", "NEO_BRIDGE_SHUTDOWN_TIMEOUT",
                      "After SIGTERM, everything is over within this (keep "
                      "it below the pod's terminationGracePeriodSeconds).",
                      &ServerOptions::shutdown_timeout),
      DurationSetting("keepalive-time", "NEO_BRIDGE_KEEPALIVE_TIME",
                      "The server pings an idle connection after this long.",
                      &ServerOptions::keepalive_time),
      DurationSetting("keepalive-timeout", "NEO_BRIDGE_KEEPALIVE_TIMEOUT",
                      "A connection whose ping is unanswered this long is "
                      "closed.",
                      &ServerOptions::keepalive_timeout),
      DurationSetting("keepalive-min-client-interval",
                      "NEO_BRIDGE_KEEPALIVE_MIN_CLIENT_INTERVAL",
                      "Shortest client ping interval accepted (clients "
                      "pinging more often are sent GOAWAY).",
                      &ServerOptions::keepalive_min_client_interval),
      DurationSetting("max-connection-age", "NEO_BRIDGE_MAX_CONNECTION_AGE",
                      "Connections older than this are asked to reconnect "
                      "(GOAWAY), spreading callers over new replicas; inf "
                      "keeps them.",
                      &ServerOptions::max_connection_age,
                      /*allow_infinite=*/true),
      DurationSetting("max-connection-age-grace",
                      "NEO_BRIDGE_MAX_CONNECTION_AGE_GRACE",
                      "Time calls on an aged connection get to finish; "
                      "streams still open then end with UNAVAILABLE.",
                      &ServerOptions::max_connection_age_grace,
                      /*allow_infinite=*/true),
      DurationSetting("max-connection-idle", "NEO_BRIDGE_MAX_CONNECTION_IDLE",
                      "Connections without calls for this long are closed; "
                      "inf keeps them.",
                      &ServerOptions::max_connection_idle,
                      /*allow_infinite=*/true),
      {"max-recv-message-size", "NEO_BRIDGE_MAX_RECV_MESSAGE_SIZE", "BYTES",
       "Largest request message accepted.",
       [](ServerOptions& o) { return BytesText(o.max_recv_message_bytes); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseBytes(v, &o.max_recv_message_bytes);
       }},
      {"max-send-message-size", "NEO_BRIDGE_MAX_SEND_MESSAGE_SIZE", "BYTES",
       "Largest response message sent.",
       [](ServerOptions& o) { return BytesText(o.max_send_message_bytes); },
       [](absl::string_view v, ServerOptions& o) {
         return ParseBytes(v, &o.max_send_message_bytes);
       }},
      CountSetting(
          "max-streams", "NEO_BRIDGE_MAX_STREAMS",
          "Open StreamTaskEvents calls, across all callers; more "
          "are refused with RESOURCE_EXHAUSTED.",
          1, 1000000,
          [](ServerOptions& o) -> int& { return o.limits.max_streams; }),
      CountSetting("max-streams-per-caller",
                   "NEO_BRIDGE_MAX_STREAMS_PER_CALLER",
                   "Open StreamTaskEvents calls of one caller (one Pulumi "
                   "token, API key or client identity).",
                   1, 1000000,
                   [](ServerOptions& o) -> int& {
                     return o.limits.max_streams_per_caller;
                   }),
      CountSetting("max-inflight-upstream", "NEO_BRIDGE_MAX_INFLIGHT_UPSTREAM",
                   "Unary upstream requests in flight; more calls are "
                   "refused with RESOURCE_EXHAUSTED.",
                   1, 1000000,
                   [](ServerOptions& o) -> int& {
                     return o.limits.max_inflight_upstream;
                   }),
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

bool IsPlaintextToRemoteHost(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) return false;
  absl::string_view host = url.substr(0, url.find('/'));
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else {
    host = host.substr(0, host.find(':'));
  }
  return !(host == "localhost" || host == "::1" ||
           absl::StartsWith(host, "127."));
}

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
    if (arg == "--hash-api-key") {
      parsed.action = ParsedCommandLine::Action::kHashApiKey;
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
  if (options.shutdown_drain_window >= options.shutdown_timeout) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shutdown-drain-window (",
                     DurationText(options.shutdown_drain_window),
                     ") must be shorter than --shutdown-timeout (",
                     DurationText(options.shutdown_timeout),
                     "): streams need time to end after the window"));
  }
  if (options.stream.max_lag < options.stream.queue_capacity) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--stream-max-lag (", options.stream.max_lag,
        ") must be at least --stream-queue-size (",
        options.stream.queue_capacity,
        "): a caller is only ended once it is further behind than the point "
        "where the upstream pauses"));
  }
  if (options.stream.history_events < options.stream.max_lag) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--stream-history-size (", options.stream.history_events,
        ") must be at least --stream-max-lag (", options.stream.max_lag,
        "): the events a lagging caller has yet to get are kept in it"));
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
      "\n  --help          Print this text.\n"
      "  --version       Print the version.\n"
      "  --hash-api-key  Read an API key from standard input and print the\n"
      "                  line to put in --api-keys-file (NAME sha256:HEX).\n");
  return text;
}

}  // namespace neobridge::server
