// ChildProcess: runs a program (e.g. the neo-bridge binary) for tests that
// need a real process: signals, exit codes, what it prints.
#ifndef NEOBRIDGE_TESTS_SUPPORT_CHILD_PROCESS_H_
#define NEOBRIDGE_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/test_certs.h"

namespace neobridge::test_support {

struct ChildOptions {
  // Program path first, then its arguments.
  std::vector<std::string> argv;
  // "NAME=value" entries added to (or replacing in) this process's
  // environment.
  std::vector<std::string> env;
  // Written to the child's standard input (then end of file).
  std::string stdin_text;
};

class ChildProcess {
 public:
  // Starts the program; its stdout and stderr go to files.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const ChildOptions& options);
  // Kills the child (SIGKILL) if it still runs, and reaps it.
  ~ChildProcess();

  void Signal(int signal);
  // The exit code (128 + N when killed by signal N), or nullopt when it
  // still runs after `timeout`.
  std::optional<int> WaitForExit(absl::Duration timeout);
  // Waits until stderr contains `text`; false on timeout or exit.
  bool WaitForStderr(absl::string_view text, absl::Duration timeout);

  std::string Stdout() const;
  std::string Stderr() const;
  // The process id, for /proc samples.
  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;

  TempDir dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// The value of `"name":"…"` (e.g. "address", "metrics") in the "listening"
// log line neo-bridge writes once it serves; empty when not (yet) there.
std::string ListeningLogField(const ChildProcess& bridge,
                              absl::string_view name);

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_CHILD_PROCESS_H_
