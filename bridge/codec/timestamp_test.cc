#include "bridge/codec/timestamp.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::codec {
namespace {

using ::testing::HasSubstr;

struct ParseCase {
  const char* text;
  std::int64_t seconds;
  std::int32_t nanos;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.text; }

class ParseRfc3339Test : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseRfc3339Test, Parses) {
  absl::StatusOr<google::protobuf::Timestamp> timestamp =
      ParseRfc3339(GetParam().text);
  ASSERT_TRUE(timestamp.ok()) << timestamp.status();
  EXPECT_EQ(timestamp->seconds(), GetParam().seconds) << GetParam().text;
  EXPECT_EQ(timestamp->nanos(), GetParam().nanos) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseRfc3339Test,
    ::testing::Values(
        ParseCase{"1970-01-01T00:00:00Z", 0, 0},
        ParseCase{"2025-01-02T03:04:05Z", 1735787045, 0},
        ParseCase{"2025-01-02t03:04:05z", 1735787045, 0},
        ParseCase{"2025-01-02T03:04:05.1Z", 1735787045, 100000000},
        ParseCase{"2025-01-02T03:04:05.12345Z", 1735787045, 123450000},
        ParseCase{"2025-01-02T03:04:05.123456789Z", 1735787045, 123456789},
        // Digits past nanoseconds are truncated, not rounded.
        ParseCase{"2025-01-02T03:04:05.1234567899999Z", 1735787045, 123456789},
        ParseCase{"2025-01-02T05:34:05+02:30", 1735787045, 0},
        ParseCase{"2025-01-01T19:04:05.5-08:00", 1735787045, 500000000},
        ParseCase{"2025-01-02T03:04:05-00:00", 1735787045, 0},
        ParseCase{"1969-12-31T23:59:59.5Z", -1, 500000000},
        ParseCase{"2024-02-29T00:00:00Z", 1709164800, 0},
        ParseCase{"2000-02-29T12:00:00Z", 951825600, 0},
        ParseCase{"0001-01-01T00:00:00Z", -62135596800, 0},
        ParseCase{"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999},
        // Within range once the offset is applied.
        ParseCase{"0001-01-01T01:00:00+01:00", -62135596800, 0}));

TEST(ParseRfc3339Test, RejectsNonRfc3339) {
  for (const char* text : {
           "",
           "2025-01-02",
           "2025-01-02T03:04:05",        // no offset
           "2025-01-02 03:04:05Z",       // space separator
           "2025-1-02T03:04:05Z",        // one-digit month
           "2025-01-02T03:04:05.Z",      // empty fraction
           "2025-01-02T03:04:05ZZ",      // trailing junk
           "2025-01-02T03:04:05+0200",   // offset without colon
           "2025-01-02T03:04:05+24:00",  // offset hour
           "2025-13-02T03:04:05Z",       // month
           "2025-00-02T03:04:05Z",       // month
           "2025-02-29T03:04:05Z",       // not a leap year
           "1900-02-29T03:04:05Z",       // not a leap year
           "2025-04-31T03:04:05Z",       // day
           "2025-01-02T24:00:00Z",       // hour
           "2025-01-02T03:60:00Z",       // minute
           "2025-12-31T23:59:60Z",       // leap second
           "+2025-01-02T03:04:05Z",
           "2025-01-02T03:04:05.123-",
       }) {
    absl::StatusOr<google::protobuf::Timestamp> timestamp = ParseRfc3339(text);
    ASSERT_FALSE(timestamp.ok()) << text;
    EXPECT_EQ(timestamp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(timestamp.status().message(),
              "expected an RFC 3339 timestamp string, got \"" +
                  std::string(text) + "\"");
  }
}

TEST(ParseRfc3339Test, RejectsOutOfRange) {
  for (const char* text : {"0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01",
                           "9999-12-31T23:59:59-00:01"}) {
    absl::StatusOr<google::protobuf::Timestamp> timestamp = ParseRfc3339(text);
    ASSERT_FALSE(timestamp.ok()) << text;
    EXPECT_EQ(timestamp.status().message(),
              "timestamp \"" + std::string(text) +
                  "\" is outside 0001-01-01 to 9999-12-31");
  }
}

TEST(ParseRfc3339Test, LongGarbageIsQuotedTruncated) {
  const std::string text(500, 'x');
  absl::StatusOr<google::protobuf::Timestamp> timestamp = ParseRfc3339(text);
  ASSERT_FALSE(timestamp.ok());
  EXPECT_LT(timestamp.status().message().size(), 120u);
  EXPECT_THAT(timestamp.status().message(), HasSubstr("xxx…\""));
}

google::protobuf::Timestamp Ts(std::int64_t seconds, std::int32_t nanos) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(nanos);
  return timestamp;
}

TEST(FormatRfc3339Test, CanonicalFractionDigits) {
  EXPECT_EQ(FormatRfc3339(Ts(1735787045, 0)), "2025-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339(Ts(1735787045, 120000000)),
            "2025-01-02T03:04:05.120Z");
  EXPECT_EQ(FormatRfc3339(Ts(1735787045, 123456000)),
            "2025-01-02T03:04:05.123456Z");
  EXPECT_EQ(FormatRfc3339(Ts(1735787045, 1)), "2025-01-02T03:04:05.000000001Z");
  EXPECT_EQ(FormatRfc3339(Ts(0, 0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Ts(-1, 500000000)), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatRfc3339(Ts(951825600, 0)), "2000-02-29T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(Ts(-62135596800, 0)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Ts(253402300799, 999999999)),
            "9999-12-31T23:59:59.999999999Z");
}

TEST(FormatRfc3339Test, NormalizesAndClamps) {
  EXPECT_EQ(FormatRfc3339(Ts(0, 1500000000)), "1970-01-01T00:00:01.500Z");
  EXPECT_EQ(FormatRfc3339(Ts(1, -500000000)), "1970-01-01T00:00:00.500Z");
  EXPECT_EQ(FormatRfc3339(Ts(-99999999999, 0)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Ts(999999999999, 0)),
            "9999-12-31T23:59:59.999999999Z");
}

TEST(FormatRfc3339Test, RoundTripsThroughParse) {
  for (std::int64_t seconds :
       {std::int64_t{-62135596800}, std::int64_t{-12345678901},
        std::int64_t{-1}, std::int64_t{0}, std::int64_t{1738404000},
        std::int64_t{253402300799}}) {
    for (std::int32_t nanos : {0, 1, 1000, 999000000, 999999999}) {
      const google::protobuf::Timestamp original = Ts(seconds, nanos);
      absl::StatusOr<google::protobuf::Timestamp> parsed =
          ParseRfc3339(FormatRfc3339(original));
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      EXPECT_EQ(parsed->seconds(), seconds);
      EXPECT_EQ(parsed->nanos(), nanos);
    }
  }
}

TEST(IsGoZeroTimeTest, OnlyTheZeroInstant) {
  EXPECT_TRUE(IsGoZeroTime(Ts(-62135596800, 0)));
  EXPECT_FALSE(IsGoZeroTime(Ts(-62135596800, 1)));
  EXPECT_FALSE(IsGoZeroTime(Ts(0, 0)));
}

TEST(ToProtoTimestampTest, TruncatesTowardThePastAndClamps) {
  google::protobuf::Timestamp timestamp = ToProtoTimestamp(
      absl::FromUnixSeconds(1738404000) + absl::Nanoseconds(250));
  EXPECT_EQ(timestamp.seconds(), 1738404000);
  EXPECT_EQ(timestamp.nanos(), 250);
  timestamp = ToProtoTimestamp(absl::FromUnixNanos(-1));
  EXPECT_EQ(timestamp.seconds(), -1);
  EXPECT_EQ(timestamp.nanos(), 999999999);
  timestamp = ToProtoTimestamp(absl::InfiniteFuture());
  EXPECT_EQ(timestamp.seconds(), 253402300799);
  timestamp = ToProtoTimestamp(absl::InfinitePast());
  EXPECT_EQ(timestamp.seconds(), -62135596800);
}

}  // namespace
}  // namespace neobridge::codec
