// Tests importers/timestamp.cc.
#include "importers/timestamp.h"

#include <gtest/gtest.h>

#include <string>

namespace whoknows::importers {
namespace {

constexpr int64_t k20240301T10 = 1709287200;  // 2024-03-01T10:00:00Z

// ---------------------------------------------------------------------------
// ParseTimestamp

TEST(TimestampTest, ParseUtc) {
  EXPECT_EQ(*ParseTimestamp("2024-03-01T10:00:00Z"), k20240301T10);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T10:00:00z"), k20240301T10);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
}

TEST(TimestampTest, ParseOffsets) {
  EXPECT_EQ(*ParseTimestamp("2024-03-01T12:00:00+02:00"), k20240301T10);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T05:30:00-04:30"), k20240301T10);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T10:00:00+00:00"), k20240301T10);
  // Across midnight.
  EXPECT_EQ(*ParseTimestamp("2024-03-01T01:00:00+02:00"),
            k20240301T10 - 11 * 3600);
}

TEST(TimestampTest, ParseFractionalSeconds) {
  EXPECT_EQ(*ParseTimestamp("2024-03-01T10:00:00.123Z"), k20240301T10);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T10:00:00.999999+01:00"),
            k20240301T10 - 3600);
}

TEST(TimestampTest, ParseStackExchangeFormatIsUtc) {
  EXPECT_EQ(*ParseTimestamp("2017-06-28T08:32:23.123"), 1498638743);
  EXPECT_EQ(*ParseTimestamp("2017-06-28T08:32:23"), 1498638743);
}

TEST(TimestampTest, ParseDateOnly) {
  EXPECT_EQ(*ParseTimestamp("2024-03-01"), k20240301T10 - 10 * 3600);
}

TEST(TimestampTest, ParseRejectsGarbage) {
  for (const char* bad :
       {"", "yesterday", "2024", "2024-03", "2024-03-01x", "2024-03-01T10",
        "2024-03-01T10:00", "2024-13-01T00:00:00Z", "2024-03-32T00:00:00Z",
        "2024-03-01T25:00:00Z", "2024-03-01T10:61:00Z",
        "2024-03-01T10:00:00 PST", "2024-03-01T10:00:00+0200",
        "2024-03-01T10:00:00+02", "2024-03-01T10:00:00Zjunk"}) {
    auto t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << "\"" << bad << "\" gave " << *t;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

// Regression: the "+hh:mm" branch once read "+0x:00" as an offset of
// ('x' - '0') hours instead of rejecting it.
TEST(TimestampTest, ParseRejectsNonDigitOffset) {
  for (const char* bad :
       {"2024-03-01T10:00:00+0x:00", "2024-03-01T10:00:00+ab:cd"}) {
    auto t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << "\"" << bad << "\" gave " << *t;
  }
}

// Regression: days were once checked against 31 for every month, and timegm
// silently normalizes, so "2024-02-30" became 2024-03-01.
TEST(TimestampTest, ParseRejectsImpossibleDay) {
  for (const char* bad : {"2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-04-31T00:00:00Z"}) {
    auto t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << "\"" << bad << "\" gave " << *t;
  }
  EXPECT_TRUE(ParseTimestamp("2024-02-29T00:00:00Z").ok());  // leap year
}

// Found by fuzz/jsonl_fuzzer (ToJsonl of an accepted post did not parse
// back): an offset moved a time at the edge of the range out of it, to
// negative seconds or past 9999, which FormatTimestamp then wrote as a year
// the parser refuses.
TEST(TimestampTest, ParseKeepsOffsetTimesInRange) {
  for (const char* bad :
       {"1970-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"}) {
    auto t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << "\"" << bad << "\" gave " << *t;
  }
  auto t = ParseTimestamp("1970-01-01T01:00:01+01:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, 1);
  t = ParseTimestamp("9999-12-31T23:59:59Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(*t)).value(), *t);
}

// Negative hours, minutes or seconds were read by %2d and normalized away.
TEST(TimestampTest, ParseRejectsNegativeFields) {
  for (const char* bad : {"2024-03-05T-1:00:00Z", "2024-03-05T10:-5:00Z",
                          "2024-03-05T10:00:-9Z"}) {
    auto t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << "\"" << bad << "\" gave " << *t;
  }
}

}  // namespace
}  // namespace whoknows::importers
