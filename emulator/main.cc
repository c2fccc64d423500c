// neo-emulator binary: parses flags, starts the emulator, waits for SIGINT
// or SIGTERM.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "emulator/emulator.h"
#include "emulator/flags.h"

namespace {

// Thousands of concurrent streams need thousands of descriptors.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<neo_emulator::CommandLine> command_line =
      neo_emulator::ParseCommandLine(
          args, [](absl::string_view name) -> std::optional<std::string> {
            const char* value = std::getenv(std::string(name).c_str());
            if (value == nullptr) return std::nullopt;
            return std::string(value);
          });
  if (!command_line.ok()) {
    std::cerr << "neo-emulator: " << command_line.status().message() << "\n";
    return 2;
  }
  if (command_line->show_help) {
    std::cout << neo_emulator::UsageText();
    return 0;
  }

  // Block the stop signals before any thread starts so that only sigwait
  // below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  absl::StatusOr<std::unique_ptr<neo_emulator::Emulator>> emulator =
      neo_emulator::Emulator::Start(std::move(command_line->options));
  if (!emulator.ok()) {
    std::cerr << "neo-emulator: cannot start: " << emulator.status().message()
              << "\n";
    // A bad value (e.g. a TLS file that cannot be loaded) is a usage error
    // like a bad flag; anything else (the address cannot be bound) is 1.
    return emulator.status().code() == absl::StatusCode::kInvalidArgument ? 2
                                                                          : 1;
  }
  std::printf("neo-emulator listening on %s\n",
              (*emulator)->base_url().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  emulator->reset();
  return 0;
}
