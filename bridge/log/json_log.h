// Structured logs: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-29T08:00:00.000Z","level":"info","msg":"listening",
//    "address":"0.0.0.0:50051"}
// Callers never pass tokens or authorization headers as field values.
#ifndef NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_
#define NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace neobridge::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false otherwise.
bool ParseLevel(absl::string_view text, Level* level);

// Lines below `level` are dropped. Default: kInfo. Thread-safe.
void SetMinLevel(Level level);

using Field = std::pair<absl::string_view, std::string>;

// Formats one log line (without the trailing newline). Pure; for tests.
std::string FormatLine(Level level, absl::string_view message,
                       std::initializer_list<Field> fields);

// Writes one line to stderr atomically with respect to other Log calls.
void Log(Level level, absl::string_view message,
         std::initializer_list<Field> fields = {});

}  // namespace neobridge::log

#endif  // NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_
