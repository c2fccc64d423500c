// Command line and environment of the neo-emulator binary, read into
// EmulatorOptions. Pure: the environment is passed in.
#ifndef NEO_EMULATOR_FLAGS_H_
#define NEO_EMULATOR_FLAGS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "emulator/emulator.h"

namespace neo_emulator {

struct CommandLine {
  EmulatorOptions options;
  bool show_help = false;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;

// Reads flags (`--flag VALUE` or `--flag=VALUE`) over environment defaults:
//   --listen HOST:PORT          NEO_EMULATOR_LISTEN (127.0.0.1:8080)
//   --users FILE                NEO_EMULATOR_USERS
//   --agent-step-delay DURATION NEO_EMULATOR_AGENT_STEP_DELAY (200ms)
//   --heartbeat-interval DUR    NEO_EMULATOR_HEARTBEAT_INTERVAL (15s)
//   --seed N                    NEO_EMULATOR_SEED (1)
//   --tls-cert-file FILE        NEO_EMULATOR_TLS_CERT_FILE
//   --tls-key-file FILE         NEO_EMULATOR_TLS_KEY_FILE (both or neither)
//   --no-admin                  NEO_EMULATOR_NO_ADMIN (1|true|0|false)
//   --help, -h
// `args` excludes argv[0]. Errors name the flag or variable and the value.
// The TLS files are only recorded here; Emulator::Start loads them.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const EnvLookup& env);

// Splits "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces, 0.0.0.0).
absl::Status ParseListen(absl::string_view text, std::string* host, int* port);

// The --help text.
std::string UsageText();

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_FLAGS_H_
