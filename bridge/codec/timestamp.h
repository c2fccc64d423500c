// RFC 3339 date-time text ⇄ google.protobuf.Timestamp.
#ifndef NEOBRIDGE_BRIDGE_CODEC_TIMESTAMP_H_
#define NEOBRIDGE_BRIDGE_CODEC_TIMESTAMP_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace neobridge::codec {

// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`,
// `T` and `Z` in either case, a fraction of any length (digits past the
// ninth are truncated), a numeric offset applied to give UTC. Seconds must be
// 00..59 (a leap second cannot be represented). The instant must lie within
// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z, the range of
// google.protobuf.Timestamp. Errors are InvalidArgument whose message reads
// `expected an RFC 3339 timestamp string, got "<text>"` or
// `timestamp "<text>" is outside 0001-01-01 to 9999-12-31` (text truncated),
// ready to follow a JSON path.
absl::StatusOr<google::protobuf::Timestamp> ParseRfc3339(std::string_view text);

// Formats canonically in UTC with a `Z` suffix and 0, 3, 6 or 9 fraction
// digits (the fewest that are exact), e.g. "2025-01-02T03:04:05.120Z".
// Out-of-range nanos are normalized into seconds, and instants outside the
// Timestamp range are clamped to its ends; this never fails.
std::string FormatRfc3339(const google::protobuf::Timestamp& timestamp);

// True for Go's zero time 0001-01-01T00:00:00Z, which the upstream sends for
// "never".
bool IsGoZeroTime(const google::protobuf::Timestamp& timestamp);

// `time` as a Timestamp, truncated to the nanosecond (toward the past) and
// clamped to the Timestamp range.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);

}  // namespace neobridge::codec

#endif  // NEOBRIDGE_BRIDGE_CODEC_TIMESTAMP_H_
