// Structured logs: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-29T08:00:00.000Z","level":"info","msg":"listening",
//    "address":"0.0.0.0:50051"}
// Every message and field value passes through RedactSecrets, and a field
// whose name IsSecretName is logged as "[REDACTED]", so a token that slips
// into a log call (or into upstream text being logged) never reaches the
// output. Callers still never pass tokens on purpose.
#ifndef NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_
#define NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace neobridge::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false otherwise.
bool ParseLevel(absl::string_view text, Level* level);

// Lines below `level` are dropped. Default: kInfo. Thread-safe.
void SetMinLevel(Level level);

using Field = std::pair<absl::string_view, std::string>;

// Whether lines at `level` are written (not dropped by SetMinLevel), for
// callers that would otherwise build fields for nothing.
bool Enabled(Level level);

// Formats one log line (without the trailing newline). Pure; for tests.
std::string FormatLine(Level level, absl::string_view message,
                       absl::Span<const Field> fields);

// Writes one line to the sink atomically with respect to other Log calls.
void Log(Level level, absl::string_view message,
         absl::Span<const Field> fields = {});

// Where lines go (each without its trailing newline); null restores the
// default, stderr. For tests that inspect logs. Thread-safe; the sink is
// called under the log's lock, so it must not log.
void SetSink(std::function<void(absl::string_view line)> sink);

}  // namespace neobridge::log

#endif  // NEOBRIDGE_BRIDGE_LOG_JSON_LOG_H_
