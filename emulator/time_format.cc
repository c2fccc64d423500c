#include "emulator/time_format.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace neo_emulator {

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an RFC 3339 timestamp"));
  }
  return time;
}

absl::StatusOr<absl::Duration> ParseNonNegativeDuration(
    absl::string_view text) {
  absl::Duration duration;
  if (!absl::ParseDuration(std::string(text), &duration) ||
      duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a duration (examples: 200ms, 1.5s, 15s, 2m)"));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is negative"));
  }
  return duration;
}

}  // namespace neo_emulator
