#include "bridge/codec/timestamp.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "bridge/codec/message_text.h"

namespace neobridge::codec {
namespace {

// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z and
// 9999-12-31T23:59:59Z, in seconds since the Unix epoch.
constexpr std::int64_t kMinSeconds = -62135596800;
constexpr std::int64_t kMaxSeconds = 253402300799;
constexpr std::int32_t kNanosPerSecond = 1000000000;
// Longest input quoted back in an error message.
constexpr std::size_t kMaxQuotedBytes = 64;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeapYear(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

std::string Quote(std::string_view text) {
  return absl::StrCat("\"", OneLine(text, kMaxQuotedBytes), "\"");
}

absl::Status NotRfc3339(std::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected an RFC 3339 timestamp string, got ", Quote(text)));
}

// Reads exactly `count` digits at `*pos` into `*value`.
bool ReadDigits(std::string_view text, std::size_t* pos, int count,
                unsigned* value) {
  if (*pos + count > text.size()) return false;
  unsigned v = 0;
  for (int i = 0; i < count; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += count;
  *value = v;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

absl::StatusOr<google::protobuf::Timestamp> ParseRfc3339(
    std::string_view text) {
  std::size_t pos = 0;
  unsigned year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return NotRfc3339(text);
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) {
    return NotRfc3339(text);
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return NotRfc3339(text);
  }
  std::int32_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return NotRfc3339(text);
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    unsigned offset_hour, offset_minute;
    if (!ReadDigits(text, &pos, 2, &offset_hour) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &offset_minute) || offset_hour > 23 ||
        offset_minute > 59) {
      return NotRfc3339(text);
    }
    offset_seconds = (offset_hour * 3600 + offset_minute * 60) *
                     static_cast<std::int64_t>(negative ? -1 : 1);
  } else {
    return NotRfc3339(text);
  }
  if (pos != text.size()) return NotRfc3339(text);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return NotRfc3339(text);
  }
  const std::int64_t seconds = DaysFromCivil(year, month, day) * 86400 +
                               hour * 3600 + minute * 60 + second -
                               offset_seconds;
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timestamp ", Quote(text), " is outside 0001-01-01 to 9999-12-31"));
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(nanos);
  return timestamp;
}

std::string FormatRfc3339(const google::protobuf::Timestamp& timestamp) {
  std::int64_t seconds = timestamp.seconds();
  std::int64_t nanos = timestamp.nanos();
  // Normalize nanos into [0, 1e9), carrying into seconds.
  seconds += nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  if (seconds < kMinSeconds) {
    seconds = kMinSeconds;
    nanos = 0;
  } else if (seconds > kMaxSeconds) {
    seconds = kMaxSeconds;
    nanos = kNanosPerSecond - 1;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  std::int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buffer[48];
  int length =
      std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d",
                    static_cast<int>(year), month, day,
                    static_cast<int>(second_of_day / 3600),
                    static_cast<int>(second_of_day / 60 % 60),
                    static_cast<int>(second_of_day % 60));
  std::string out(buffer, static_cast<std::size_t>(length));
  if (nanos != 0) {
    if (nanos % 1000000 == 0) {
      std::snprintf(buffer, sizeof(buffer), ".%03d",
                    static_cast<int>(nanos / 1000000));
    } else if (nanos % 1000 == 0) {
      std::snprintf(buffer, sizeof(buffer), ".%06d",
                    static_cast<int>(nanos / 1000));
    } else {
      std::snprintf(buffer, sizeof(buffer), ".%09d", static_cast<int>(nanos));
    }
    out += buffer;
  }
  out += 'Z';
  return out;
}

bool IsGoZeroTime(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() == kMinSeconds && timestamp.nanos() == 0;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  if (time < absl::FromUnixSeconds(kMinSeconds)) {
    timestamp.set_seconds(kMinSeconds);
    return timestamp;
  }
  if (time >= absl::FromUnixSeconds(kMaxSeconds + 1)) {
    timestamp.set_seconds(kMaxSeconds);
    timestamp.set_nanos(kNanosPerSecond - 1);
    return timestamp;
  }
  const std::int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<std::int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

}  // namespace neobridge::codec
