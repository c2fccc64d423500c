// Timestamps on the wire: RFC 3339, UTC, millisecond precision, "Z" suffix.
#ifndef NEO_EMULATOR_TIME_FORMAT_H_
#define NEO_EMULATOR_TIME_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace neo_emulator {

// "2026-07-30T12:34:56.789Z".
std::string FormatTimestamp(absl::Time time);

// Parses an RFC 3339 timestamp (any offset, optional fraction).
absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text);

// Parses a duration such as "200ms", "1.5s", "15s", "0". Rejects negatives.
absl::StatusOr<absl::Duration> ParseNonNegativeDuration(absl::string_view text);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_TIME_FORMAT_H_
