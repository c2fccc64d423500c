#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace neobridge::test_support {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const ChildOptions& options) {
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  WriteFileAtomically(child->dir_.File("stdin"), options.stdin_text);

  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const std::string& extra : options.env) {
      replaced |= extra.substr(0, extra.find('=')) == name;
    }
    if (!replaced) env.push_back(text);
  }
  for (const std::string& extra : options.env) env.push_back(extra);

  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string in = child->dir_.File("stdin");
  const std::string out = child->dir_.File("stdout");
  const std::string err = child->dir_.File("stderr");
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // The test runner may block signals; the child starts with none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  const int error = posix_spawn(&child->pid_, argv[0], &actions, &attributes,
                                argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", options.argv[0], ": errno ", error));
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_.has_value()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0 && !exit_code_.has_value()) kill(pid_, signal);
}

std::optional<int> ChildProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exit_code_.has_value()) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

bool ChildProcess::WaitForStderr(absl::string_view text,
                                 absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (absl::StrContains(Stderr(), text)) return true;
    if (absl::Now() >= deadline) return false;
    if (WaitForExit(absl::ZeroDuration()).has_value()) {
      return absl::StrContains(Stderr(), text);
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string ChildProcess::Stdout() const {
  return ReadAll(dir_.File("stdout"));
}

std::string ChildProcess::Stderr() const {
  return ReadAll(dir_.File("stderr"));
}

std::string ListeningLogField(const ChildProcess& bridge,
                              absl::string_view name) {
  const std::string log = bridge.Stderr();
  const std::regex field(
      absl::StrCat("\"msg\":\"listening\".*\"", name, "\":\"([^\"]*)\""));
  std::smatch match;
  return std::regex_search(log, match, field) ? match[1].str() : "";
}

}  // namespace neobridge::test_support
