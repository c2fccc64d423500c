#include "bridge/server/server_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace neobridge::server {
namespace {

using ::testing::HasSubstr;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](
             const char* name) -> absl::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return absl::nullopt;
    return it->second;
  };
}

TEST(ParseCommandLineTest, Defaults) {
  auto parsed = ParseCommandLine({}, FakeEnv({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->action, ParsedCommandLine::Action::kServe);
  EXPECT_EQ(parsed->options.listen, "0.0.0.0:50051");
  EXPECT_EQ(parsed->options.upstream_url, "https://api.pulumi.com");
  EXPECT_EQ(parsed->options.request_timeout, absl::Seconds(20));
  EXPECT_EQ(parsed->options.create_timeout, absl::Seconds(120));
  EXPECT_TRUE(parsed->options.reflection);
  // Safe defaults: no service token for anonymous callers, plaintext only
  // when no certificate is given, metrics on their own port.
  EXPECT_EQ(parsed->options.service_token_policy.kind,
            security::ServiceTokenPolicyKind::kDisabled);
  EXPECT_TRUE(parsed->options.tls.cert_file.empty());
  EXPECT_EQ(parsed->options.metrics_listen, "0.0.0.0:9090");
  EXPECT_EQ(parsed->options.max_connection_age, absl::Minutes(30));
  EXPECT_EQ(parsed->options.max_connection_idle, absl::InfiniteDuration());
  EXPECT_EQ(parsed->options.upstream_retry_attempts, 4);
}

TEST(ParseCommandLineTest, OperationsSettings) {
  auto parsed = ParseCommandLine(
      {"--tls-cert-file=/tls/tls.crt", "--tls-key-file", "/tls/tls.key",
       "--tls-client-ca-file=/tls/ca.crt", "--tls-client-auth=require",
       "--service-token-policy=mtls",
       "--service-token-mtls-allow= spiffe://acme/ns/ci/*, deployer ",
       "--metrics-listen=off", "--max-connection-age=inf",
       "--max-recv-message-size=512KiB", "--max-send-message-size=8388608",
       "--max-streams-per-caller=7", "--shutdown-drain-window=2s",
       "--upstream-retry-attempts=1"},
      FakeEnv({{"NEO_BRIDGE_MAX_STREAMS", "50"},
               {"NEO_BRIDGE_API_KEYS_FILE", "/keys"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const ServerOptions& o = parsed->options;
  EXPECT_EQ(o.tls.cert_file, "/tls/tls.crt");
  EXPECT_EQ(o.tls.key_file, "/tls/tls.key");
  EXPECT_EQ(o.tls.client_ca_file, "/tls/ca.crt");
  EXPECT_EQ(o.tls.client_auth, security::ClientAuth::kRequire);
  EXPECT_EQ(o.service_token_policy.kind,
            security::ServiceTokenPolicyKind::kMtls);
  EXPECT_EQ(o.service_token_policy.mtls_allow,
            (std::vector<std::string>{"spiffe://acme/ns/ci/*", "deployer"}));
  EXPECT_EQ(o.service_token_policy.api_keys_file, "/keys");
  EXPECT_EQ(o.metrics_listen, "");
  EXPECT_EQ(o.max_connection_age, absl::InfiniteDuration());
  EXPECT_EQ(o.max_recv_message_bytes, 512 * 1024);
  EXPECT_EQ(o.max_send_message_bytes, 8 << 20);
  EXPECT_EQ(o.limits.max_streams, 50);
  EXPECT_EQ(o.limits.max_streams_per_caller, 7);
  EXPECT_EQ(o.shutdown_drain_window, absl::Seconds(2));
  EXPECT_EQ(o.upstream_retry_attempts, 1);
}

// --help promises "0s closes it at once" (and the chart's schema allows
// 0s): the parser must take it.
TEST(ParseCommandLineTest, StreamLingerMayBeZero) {
  auto parsed = ParseCommandLine({"--stream-linger=0s"}, FakeEnv({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.stream.linger, absl::ZeroDuration());
  auto negative = ParseCommandLine({"--stream-linger=-1s"}, FakeEnv({}));
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.status().message(),
              HasSubstr("--stream-linger: invalid duration"));
}

TEST(ParseCommandLineTest, FlagsBeatEnvironmentBeatDefaults) {
  auto parsed = ParseCommandLine(
      {"--listen=127.0.0.1:0", "--default-org", "flag-org"},
      FakeEnv({{"NEO_BRIDGE_DEFAULT_ORG", "env-org"},
               {"NEO_BRIDGE_UPSTREAM_URL", "http://127.0.0.1:8080/"},
               {"NEO_BRIDGE_REQUEST_TIMEOUT", "1500ms"},
               {"PULUMI_ACCESS_TOKEN", "pul-x"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.listen, "127.0.0.1:0");
  EXPECT_EQ(parsed->options.default_org, "flag-org");
  EXPECT_EQ(parsed->options.upstream_url, "http://127.0.0.1:8080");
  EXPECT_EQ(parsed->options.request_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(parsed->options.access_token, "pul-x");
}

TEST(ParseCommandLineTest, InvalidSettingsNameTheFlagOrVariable) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {{"--listen=nowhere"}, {}, "--listen: invalid address"},
           {{"--listen=host:70000"}, {}, "--listen: invalid address"},
           {{"--upstream-url=ftp://x"}, {}, "--upstream-url: invalid URL"},
           {{"--upstream-url=https://"}, {}, "has no host"},
           {{"--upstream-url=https://user:pul-secret@api.pulumi.com"},
            {},
            "credentials do not belong in the URL"},
           {{"--request-timeout=soon"},
            {},
            "--request-timeout: invalid duration"},
           {{"--create-timeout=-1s"}, {}, "--create-timeout: invalid duration"},
           {{"--reflection=maybe"}, {}, "--reflection: invalid boolean"},
           {{"--log-level=loud"}, {}, "--log-level: invalid level"},
           {{"--nope=1"}, {}, "unknown flag --nope"},
           {{"--stream-queue-size=0"}, {}, "--stream-queue-size: invalid size"},
           {{"--stream-max-lag=many"}, {}, "--stream-max-lag: invalid size"},
           {{"--stream-queue-size=100", "--stream-max-lag=50"},
            {},
            "--stream-max-lag (50) must be at least --stream-queue-size (100)"},
           {{"--stream-history-size=500"},
            {},
            "--stream-history-size (500) must be at least --stream-max-lag "
            "(1024)"},
           {{"--stream-linger=later"}, {}, "--stream-linger: invalid duration"},
           {{"--stream-heartbeat-interval=x"}, {}, "invalid duration"},
           {{"--listen"}, {}, "--listen needs a value"},
           {{"--tls-client-auth=maybe"},
            {},
            "--tls-client-auth: invalid mode \"maybe\": use none, request "
            "or require"},
           {{"--service-token-policy=everyone"},
            {},
            "--service-token-policy: invalid policy"},
           {{"--metrics-listen=9090"}, {}, "--metrics-listen: invalid address"},
           {{"--max-connection-age=0s"},
            {},
            "--max-connection-age: invalid duration"},
           {{"--keepalive-time=inf"}, {}, "--keepalive-time: invalid duration"},
           {{"--max-recv-message-size=12"},
            {},
            "--max-recv-message-size: invalid size"},
           {{"--max-send-message-size=2GiB"},
            {},
            "--max-send-message-size: invalid size"},
           {{"--max-streams=0"}, {}, "--max-streams: invalid number"},
           {{"--upstream-retry-attempts=11"},
            {},
            "--upstream-retry-attempts: invalid number"},
           {{"--shutdown-drain-window=30s"},
            {},
            "--shutdown-drain-window (30s) must be shorter than "
            "--shutdown-timeout (25s)"},
           {{"stray"}, {}, "unexpected argument"},
           {{},
            {{"NEO_BRIDGE_CONNECT_TIMEOUT", "x"}},
            "NEO_BRIDGE_CONNECT_TIMEOUT: invalid duration"},
       }) {
    auto parsed = ParseCommandLine(c.args, FakeEnv(c.env));
    ASSERT_FALSE(parsed.ok()) << c.expected;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.expected));
  }
}

TEST(IsPlaintextToRemoteHostTest, OnlyHttpBeyondLoopback) {
  EXPECT_TRUE(IsPlaintextToRemoteHost("http://api.pulumi.com"));
  EXPECT_TRUE(IsPlaintextToRemoteHost("http://10.0.0.7:8080/base"));
  EXPECT_TRUE(IsPlaintextToRemoteHost("http://[2001:db8::1]:80"));
  EXPECT_FALSE(IsPlaintextToRemoteHost("https://api.pulumi.com"));
  EXPECT_FALSE(IsPlaintextToRemoteHost("http://127.0.0.1:8080"));
  EXPECT_FALSE(IsPlaintextToRemoteHost("http://localhost:8080/x"));
  EXPECT_FALSE(IsPlaintextToRemoteHost("http://[::1]:8080"));
}

TEST(ParseCommandLineTest, HelpAndVersion) {
  EXPECT_EQ(ParseCommandLine({"--help"}, FakeEnv({}))->action,
            ParsedCommandLine::Action::kHelp);
  EXPECT_EQ(ParseCommandLine({"--version"}, FakeEnv({}))->action,
            ParsedCommandLine::Action::kVersion);
  EXPECT_EQ(ParseCommandLine({"--hash-api-key"}, FakeEnv({}))->action,
            ParsedCommandLine::Action::kHashApiKey);
}

TEST(HelpTextTest, DocumentsEveryFlagAndVariable) {
  const std::string help = HelpText();
  for (const char* text : {"--listen",
                           "NEO_BRIDGE_LISTEN",
                           "--upstream-url",
                           "NEO_BRIDGE_UPSTREAM_URL",
                           "--default-org",
                           "--token-file",
                           "--request-timeout",
                           "--create-timeout",
                           "--connect-timeout",
                           "--ca-file",
                           "--reflection",
                           "--stream-heartbeat-interval",
                           "--stream-idle-timeout",
                           "--stream-retry-budget",
                           "--stream-queue-size",
                           "--log-level",
                           "PULUMI_ACCESS_TOKEN",
                           "Default: 0.0.0.0:50051",
                           "--tls-cert-file",
                           "NEO_BRIDGE_TLS_CERT_FILE",
                           "--tls-key-file",
                           "--tls-client-ca-file",
                           "--tls-client-auth",
                           "--tls-refresh-interval",
                           "--service-token-policy",
                           "NEO_BRIDGE_SERVICE_TOKEN_POLICY",
                           "--service-token-mtls-allow",
                           "--api-keys-file",
                           "--metrics-listen",
                           "NEO_BRIDGE_METRICS_LISTEN",
                           "--upstream-probe-interval",
                           "--upstream-probe-timeout",
                           "--upstream-retry-attempts",
                           "--shutdown-drain-window",
                           "--shutdown-timeout",
                           "--keepalive-time",
                           "--keepalive-timeout",
                           "--keepalive-min-client-interval",
                           "--max-connection-age",
                           "--max-connection-age-grace",
                           "--max-connection-idle",
                           "--max-recv-message-size",
                           "--max-send-message-size",
                           "--max-streams",
                           "--max-streams-per-caller",
                           "--max-inflight-upstream",
                           "--hash-api-key",
                           "Default: disabled",
                           "Default: 4MiB"}) {
    EXPECT_THAT(help, HasSubstr(text));
  }
}

}  // namespace
}  // namespace neobridge::server
