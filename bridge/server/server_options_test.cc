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
           {{"--request-timeout=soon"},
            {},
            "--request-timeout: invalid duration"},
           {{"--create-timeout=-1s"}, {}, "--create-timeout: invalid duration"},
           {{"--reflection=maybe"}, {}, "--reflection: invalid boolean"},
           {{"--log-level=loud"}, {}, "--log-level: invalid level"},
           {{"--nope=1"}, {}, "unknown flag --nope"},
           {{"--stream-queue-size=0"}, {}, "--stream-queue-size: invalid size"},
           {{"--stream-heartbeat-interval=x"}, {}, "invalid duration"},
           {{"--listen"}, {}, "--listen needs a value"},
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

TEST(ParseCommandLineTest, HelpAndVersion) {
  EXPECT_EQ(ParseCommandLine({"--help"}, FakeEnv({}))->action,
            ParsedCommandLine::Action::kHelp);
  EXPECT_EQ(ParseCommandLine({"--version"}, FakeEnv({}))->action,
            ParsedCommandLine::Action::kVersion);
}

TEST(HelpTextTest, DocumentsEveryFlagAndVariable) {
  const std::string help = HelpText();
  for (const char* text :
       {"--listen", "NEO_BRIDGE_LISTEN", "--upstream-url",
        "NEO_BRIDGE_UPSTREAM_URL", "--default-org", "--token-file",
        "--request-timeout", "--create-timeout", "--connect-timeout",
        "--ca-file", "--reflection", "--stream-heartbeat-interval",
        "--stream-idle-timeout", "--stream-retry-budget", "--stream-queue-size",
        "--log-level", "PULUMI_ACCESS_TOKEN", "Default: 0.0.0.0:50051"}) {
    EXPECT_THAT(help, HasSubstr(text));
  }
}

}  // namespace
}  // namespace neobridge::server
