#include "emulator/flags.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](absl::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(FlagsTest, Defaults) {
  absl::StatusOr<CommandLine> parsed = ParseCommandLine({}, Env({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.host, "127.0.0.1");
  EXPECT_EQ(parsed->options.port, 8080);
  EXPECT_EQ(parsed->options.agent_step_delay, absl::Milliseconds(200));
  EXPECT_EQ(parsed->options.heartbeat_interval, absl::Seconds(15));
  EXPECT_EQ(parsed->options.seed, 1u);
  EXPECT_EQ(parsed->options.users.size(), 2u);
  EXPECT_TRUE(parsed->options.admin_api);
  EXPECT_FALSE(parsed->show_help);
}

TEST(FlagsTest, NoAdminFromFlagOrEnvironment) {
  absl::StatusOr<CommandLine> parsed =
      ParseCommandLine({"--no-admin"}, Env({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->options.admin_api);
  for (const char* off : {"1", "true"}) {
    parsed = ParseCommandLine({}, Env({{"NEO_EMULATOR_NO_ADMIN", off}}));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_FALSE(parsed->options.admin_api) << off;
  }
  for (const char* on : {"0", "false", ""}) {
    parsed = ParseCommandLine({}, Env({{"NEO_EMULATOR_NO_ADMIN", on}}));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->options.admin_api) << on;
  }
  // The flag wins over (and hides errors in) the variable.
  parsed = ParseCommandLine({"--no-admin"},
                            Env({{"NEO_EMULATOR_NO_ADMIN", "maybe"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->options.admin_api);
}

TEST(FlagsTest, EnvironmentThenFlags) {
  absl::StatusOr<CommandLine> parsed =
      ParseCommandLine({"--listen", "0.0.0.0:0", "--agent-step-delay=1.5s"},
                       Env({{"NEO_EMULATOR_LISTEN", "127.0.0.1:9000"},
                            {"NEO_EMULATOR_AGENT_STEP_DELAY", "10ms"},
                            {"NEO_EMULATOR_HEARTBEAT_INTERVAL", "2s"},
                            {"NEO_EMULATOR_SEED", "99"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.host, "0.0.0.0");
  EXPECT_EQ(parsed->options.port, 0);
  EXPECT_EQ(parsed->options.agent_step_delay, absl::Milliseconds(1500));
  EXPECT_EQ(parsed->options.heartbeat_interval, absl::Seconds(2));
  EXPECT_EQ(parsed->options.seed, 99u);
}

TEST(FlagsTest, AFlagHidesABadEnvironmentValue) {
  EXPECT_TRUE(
      ParseCommandLine({"--seed", "3"}, Env({{"NEO_EMULATOR_SEED", "many"}}))
          .ok());
}

TEST(FlagsTest, ErrorsNameTheFlagOrVariable) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* message_part;
  };
  for (const Case& c : {
           Case{{"--listen", "localhost"}, {}, "invalid --listen 'localhost'"},
           Case{{"--listen=1.2.3.4:99999"}, {}, "invalid --listen"},
           Case{{"--listen", "::1:80"}, {}, "invalid --listen"},
           Case{{"--agent-step-delay", "fast"},
                {},
                "invalid --agent-step-delay 'fast'"},
           Case{{"--agent-step-delay", "-1s"}, {}, "--agent-step-delay"},
           Case{{"--heartbeat-interval", "0s"},
                {},
                "invalid --heartbeat-interval '0s'"},
           Case{{"--seed", "-4"}, {}, "invalid --seed '-4'"},
           Case{{"--users", "/no/such/file.json"}, {}, "invalid --users"},
           Case{{},
                {{"NEO_EMULATOR_LISTEN", "x"}},
                "invalid NEO_EMULATOR_LISTEN"},
           Case{{},
                {{"NEO_EMULATOR_HEARTBEAT_INTERVAL", "soon"}},
                "invalid NEO_EMULATOR_HEARTBEAT_INTERVAL"},
           Case{{"--seed"}, {}, "--seed needs a value"},
           Case{{"--no-admin=1"}, {}, "--no-admin takes no value"},
           Case{{},
                {{"NEO_EMULATOR_NO_ADMIN", "yes"}},
                "invalid NEO_EMULATOR_NO_ADMIN 'yes': expected 1, true"},
           Case{{"--verbose"}, {}, "unknown flag '--verbose'"},
       }) {
    absl::StatusOr<CommandLine> parsed = ParseCommandLine(c.args, Env(c.env));
    ASSERT_FALSE(parsed.ok()) << c.message_part;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.message_part));
  }
}

TEST(FlagsTest, ListenForms) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(ParseListen("127.0.0.1:8080", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseListen(":9", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  ASSERT_TRUE(ParseListen("localhost:1", &host, &port).ok());
  EXPECT_EQ(host, "localhost");
  for (const char* bad : {"", "80", "h:", "h:x", "h:-1", "h:65536", "::1:80"}) {
    EXPECT_FALSE(ParseListen(bad, &host, &port).ok()) << bad;
  }
}

TEST(FlagsTest, UsersFileAndHelp) {
  const std::string path =
      ::testing::TempDir() + "/neo_emulator_flags_users.json";
  {
    std::ofstream out(path);
    out << R"([{"token":"t","login":"zed","orgs":["z"]}])";
  }
  absl::StatusOr<CommandLine> parsed =
      ParseCommandLine({}, Env({{"NEO_EMULATOR_USERS", path}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->options.users.size(), 1u);
  EXPECT_EQ(parsed->options.users[0].login, "zed");
  std::remove(path.c_str());

  absl::StatusOr<CommandLine> help = ParseCommandLine({"--help"}, Env({}));
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->show_help);
  for (const char* documented :
       {"--listen", "NEO_EMULATOR_LISTEN", "--users", "NEO_EMULATOR_USERS",
        "--agent-step-delay", "NEO_EMULATOR_AGENT_STEP_DELAY",
        "--heartbeat-interval", "NEO_EMULATOR_HEARTBEAT_INTERVAL", "--seed",
        "NEO_EMULATOR_SEED", "--no-admin", "NEO_EMULATOR_NO_ADMIN",
        "--tls-cert-file", "NEO_EMULATOR_TLS_CERT_FILE", "--tls-key-file",
        "NEO_EMULATOR_TLS_KEY_FILE"}) {
    EXPECT_THAT(UsageText(), HasSubstr(documented));
  }
}

TEST(FlagsTest, TlsFilesFromFlagsOrEnvironment) {
  absl::StatusOr<CommandLine> parsed = ParseCommandLine(
      {"--tls-cert-file", "/c.pem", "--tls-key-file=/k.pem"}, Env({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.tls_cert_file, "/c.pem");
  EXPECT_EQ(parsed->options.tls_key_file, "/k.pem");
  // Recorded only: Emulator::Start reads them.
  parsed = ParseCommandLine({"--tls-cert-file", "/flag.pem"},
                            Env({{"NEO_EMULATOR_TLS_CERT_FILE", "/env.pem"},
                                 {"NEO_EMULATOR_TLS_KEY_FILE", "/key.pem"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.tls_cert_file, "/flag.pem");
  EXPECT_EQ(parsed->options.tls_key_file, "/key.pem");
  parsed = ParseCommandLine({}, Env({}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.tls_cert_file, "");
  EXPECT_EQ(parsed->options.tls_key_file, "");
}

TEST(FlagsTest, TlsFilesGoTogether) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* message;
  };
  for (const Case& c : {
           Case{{"--tls-cert-file", "/c.pem"},
                {},
                "--tls-cert-file (or NEO_EMULATOR_TLS_CERT_FILE) needs "
                "--tls-key-file (or NEO_EMULATOR_TLS_KEY_FILE): give both a "
                "certificate and its key, or neither"},
           Case{{},
                {{"NEO_EMULATOR_TLS_KEY_FILE", "/k.pem"}},
                "--tls-key-file (or NEO_EMULATOR_TLS_KEY_FILE) needs "
                "--tls-cert-file (or NEO_EMULATOR_TLS_CERT_FILE): give both a "
                "certificate and its key, or neither"},
           Case{{"--tls-cert-file=", "--tls-key-file", "/k.pem"},
                {},
                "invalid --tls-cert-file '': expected a PEM file"},
       }) {
    absl::StatusOr<CommandLine> parsed = ParseCommandLine(c.args, Env(c.env));
    ASSERT_FALSE(parsed.ok()) << c.message;
    EXPECT_EQ(parsed.status().message(), c.message);
  }
}

}  // namespace
}  // namespace neo_emulator
