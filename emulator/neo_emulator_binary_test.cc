// Runs the neo-emulator binary: the start-up line scripts parse, exit codes,
// and flag errors.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "emulator/test_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_certs.h"

extern char** environ;

namespace neo_emulator {
namespace {

using ::neo_emulator::testing::TestHttpClient;
using ::testing::HasSubstr;

struct Child {
  pid_t pid = -1;
  int out = -1;  // stdout+stderr, read end.
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<std::string> argv_storage = {NEO_EMULATOR_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  Child child;
  EXPECT_EQ(posix_spawn(&child.pid, NEO_EMULATOR_BINARY, &actions, nullptr,
                        argv.data(), environ),
            0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  child.out = fds[0];
  return child;
}

// Reads until `done(text)` holds, EOF, or the timeout.
std::string ReadUntil(int fd,
                      const std::function<bool(const std::string&)>& done,
                      absl::Duration timeout) {
  std::string text;
  const absl::Time deadline = absl::Now() + timeout;
  while (!done(text) && absl::Now() < deadline) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

// Waits for the child to exit; its exit status, or -1 on timeout.
int WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TEST(NeoEmulatorBinaryTest, PrintsOneLineServesAndExitsZeroOnSignal) {
  for (int signal_number : {SIGTERM, SIGINT}) {
    Child child = Spawn({"--listen", "127.0.0.1:0"});
    const std::string line = ReadUntil(
        child.out,
        [](const std::string& text) { return text.find('\n') != text.npos; },
        absl::Seconds(10));
    std::smatch match;
    ASSERT_TRUE(std::regex_match(
        line, match,
        std::regex("neo-emulator listening on (http://127\\.0\\.0\\.1:([0-9]+))"
                   "\n")))
        << line;
    EXPECT_NE(match[2].str(), "0");
    TestHttpClient client(match[1].str());
    EXPECT_EQ(
        client.Get("/api/preview/agents/acme/tasks", "pul-emulator-bob").status,
        200);
    kill(child.pid, signal_number);
    EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 0);
    close(child.out);
  }
}

TEST(NeoEmulatorBinaryTest, ServesHttpsWithACertificate) {
  const neobridge::test_support::TestCa ca;
  const neobridge::test_support::CertAndKey leaf = ca.IssueLocalhost();
  const neobridge::test_support::TempDir dir;
  neobridge::test_support::WriteFileAtomically(dir.File("ca.pem"),
                                               ca.cert_pem());
  neobridge::test_support::WriteFileAtomically(dir.File("cert.pem"),
                                               leaf.cert_pem);
  neobridge::test_support::WriteFileAtomically(dir.File("key.pem"),
                                               leaf.key_pem);
  Child child =
      Spawn({"--listen", "127.0.0.1:0", "--tls-cert-file", dir.File("cert.pem"),
             "--tls-key-file", dir.File("key.pem")});
  const std::string line = ReadUntil(
      child.out,
      [](const std::string& text) { return text.find('\n') != text.npos; },
      absl::Seconds(10));
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      line, match,
      std::regex(
          "neo-emulator listening on (https://127\\.0\\.0\\.1:[0-9]+)\n")))
      << line;
  TestHttpClient client(match[1].str(), dir.File("ca.pem"));
  EXPECT_EQ(
      client.Get("/api/preview/agents/acme/tasks", "pul-emulator-bob").status,
      200);
  kill(child.pid, SIGTERM);
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 0);
  close(child.out);
}

TEST(NeoEmulatorBinaryTest, BadFlagsStopStartUpNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* message_part;
  };
  for (const Case& c :
       {Case{{"--listen", "nowhere"}, "invalid --listen 'nowhere'"},
        Case{{"--agent-step-delay", "soon"}, "invalid --agent-step-delay"},
        Case{{"--users", "/does/not/exist.json"}, "invalid --users"},
        Case{{"--tls-cert-file", "/does/not/exist.pem"},
             "--tls-cert-file (or NEO_EMULATOR_TLS_CERT_FILE) needs "
             "--tls-key-file"},
        // Loaded at start: still a usage error naming the flag.
        Case{{"--listen", "127.0.0.1:0", "--tls-cert-file",
              "/does/not/exist.pem", "--tls-key-file", "/does/not/key.pem"},
             "neo-emulator: cannot start: invalid --tls-cert-file "
             "'/does/not/exist.pem': cannot read it: No such file or "
             "directory"},
        Case{{"--frobnicate"}, "unknown flag '--frobnicate'"}}) {
    Child child = Spawn(c.args);
    const std::string output = ReadUntil(
        child.out, [](const std::string&) { return false; }, absl::Seconds(10));
    EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 2);
    EXPECT_THAT(output, HasSubstr(c.message_part));
    close(child.out);
  }
}

TEST(NeoEmulatorBinaryTest, HelpDocumentsFlagsAndExitsZero) {
  Child child = Spawn({"--help"});
  const std::string output = ReadUntil(
      child.out, [](const std::string&) { return false; }, absl::Seconds(10));
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 0);
  EXPECT_THAT(output, HasSubstr("NEO_EMULATOR_HEARTBEAT_INTERVAL"));
  close(child.out);
}

}  // namespace
}  // namespace neo_emulator
