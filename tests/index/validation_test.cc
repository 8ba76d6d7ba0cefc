// Tests index/validation.cc: times, index-term strings and chains, the
// checks every write goes through (the gRPC-level regressions are in
// tests/api/validation_test.cc).
#include "index/validation.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <unordered_map>

#include "index/clock.h"
#include "index/interactions.h"

namespace whoknows::index {
namespace {

constexpr int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kDay = 86400;

ValidationOptions At(int64_t now) {
  ValidationOptions o;
  o.clock = FixedClock(now);
  return o;
}

v1::Post PostAt(int64_t seconds, int32_t nanos = 0) {
  v1::Post p;
  p.set_id("p1");
  p.set_author_id("u1");
  p.set_kind(v1::POST_KIND_QUESTION);
  p.set_title("A question");
  p.mutable_created()->set_seconds(seconds);
  p.mutable_created()->set_nanos(nanos);
  return p;
}

TEST(ValidationTest, TimesWithinTheTimestampRangeAndTheTolerance) {
  const ValidationOptions o = At(kNow);
  EXPECT_TRUE(ValidatePost(PostAt(kNow), "posts[0]", o).ok());
  EXPECT_TRUE(ValidatePost(PostAt(kNow + kDay), "posts[0]", o).ok())
      << "the tolerance itself is fine";
  EXPECT_TRUE(ValidatePost(PostAt(kMinTimestampSeconds), "posts[0]", o).ok());
  absl::Status s = ValidatePost(PostAt(kNow + kDay + 1), "posts[3]", o);
  EXPECT_EQ(s.message(),
            "posts[3].created: 2023-11-15T22:13:21Z is more than 1 day in the "
            "future");
  s = ValidatePost(PostAt(253402214400), "posts[3]", o);
  EXPECT_EQ(s.message(),
            "posts[3].created: 9999-12-31T00:00:00Z is more than 1 day in the "
            "future");
  for (int64_t seconds : {kMinTimestampSeconds - 1, kMaxTimestampSeconds + 1,
                          std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()}) {
    s = ValidatePost(PostAt(seconds), "posts[0]", o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << seconds;
    EXPECT_NE(s.message().find("outside the Timestamp range"),
              std::string::npos)
        << s;
  }
  for (int32_t nanos : {-1, 1'000'000'000, 2'000'000'000}) {
    s = ValidatePost(PostAt(kNow, nanos), "posts[0]", o);
    EXPECT_EQ(s.message().rfind("posts[0].created: nanos", 0), 0u) << s;
  }
  // The tolerance is an option; the clock at INT64_MAX does not overflow.
  ValidationOptions strict = At(kNow);
  strict.future_tolerance_seconds = 0;
  EXPECT_FALSE(ValidatePost(PostAt(kNow + 1), "p", strict).ok());
  EXPECT_TRUE(ValidatePost(PostAt(kMaxTimestampSeconds), "p",
                           At(std::numeric_limits<int64_t>::max()))
                  .ok());
}

TEST(ValidationTest, JoinedAndInteractionTimesAreCheckedAlike) {
  v1::Person p;
  p.set_id("u1");
  p.mutable_joined()->set_seconds(kNow + 30 * kDay);
  EXPECT_EQ(ValidatePerson(p, "people[0]", At(kNow)).message(),
            "people[0].joined: 2023-12-14T22:13:20Z is more than 1 day in the "
            "future");
  Interaction in{"", "a", {"b"}, kNow + 2 * kDay, "email"};
  EXPECT_EQ(ValidateInteraction(in, "interactions[0]", At(kNow)).message(),
            "interactions[0].time: 2023-11-16T22:13:20Z is more than 1 day in "
            "the future");
  in.time = std::numeric_limits<int64_t>::max();
  EXPECT_FALSE(ValidateInteraction(in, "i", At(kNow)).ok());
}

// away_until is meant to lie ahead: any time of the Timestamp range, 9999
// included ("away until further notice"); outside it, or with nanos out of
// range, INVALID_ARGUMENT naming the field.
TEST(ValidationTest, AwayUntilMayBeAnyTimeInTheTimestampRange) {
  v1::Person p;
  p.set_id("u1");
  for (int64_t seconds : {kNow - kDay, kNow + 365 * kDay, kMaxTimestampSeconds,
                          kMinTimestampSeconds}) {
    p.mutable_away_until()->set_seconds(seconds);
    EXPECT_TRUE(ValidatePerson(p, "people[0]", At(kNow)).ok()) << seconds;
  }
  const struct {
    int64_t seconds;
    int32_t nanos;
  } bad[] = {{kMaxTimestampSeconds + 1, 0},
             {kMinTimestampSeconds - 1, 0},
             {std::numeric_limits<int64_t>::max(), 0},
             {kNow, -1},
             {kNow, 1'000'000'000}};
  for (const auto& b : bad) {
    p.mutable_away_until()->set_seconds(b.seconds);
    p.mutable_away_until()->set_nanos(b.nanos);
    const absl::Status s = ValidatePerson(p, "people[0]", At(kNow));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << b.seconds;
    EXPECT_EQ(s.message().rfind("people[0].away_until: ", 0), 0u) << s;
  }
}

TEST(ValidationTest, OptionsNeedAClockAndATolerance) {
  ValidationOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.future_tolerance_seconds = -1;
  EXPECT_EQ(o.Validate().message(), "future_tolerance_seconds: must be >= 0");
  o = {};
  o.clock = nullptr;
  EXPECT_EQ(o.Validate().message(), "clock: required");
}

TEST(ValidationTest, FindCycleFollowsAChainSafely) {
  std::unordered_map<std::string, std::string> parent = {
      {"a", "b"}, {"b", "c"}, {"c", "a"},  // a loop through a
      {"x", "y"}, {"y", "z"}, {"z", "y"},  // a loop that x only runs into
      {"r", ""}};
  auto next = [&](const std::string& id) -> const std::string* {
    auto it = parent.find(id);
    return it == parent.end() ? nullptr : &it->second;
  };
  EXPECT_EQ(FindCycle("a", next),
            (std::vector<std::string>{"a", "b", "c", "a"}));
  EXPECT_EQ(DescribeChain(FindCycle("a", next)), "a -> b -> c -> a");
  EXPECT_TRUE(FindCycle("x", next).empty()) << "terminates on y <-> z";
  EXPECT_TRUE(FindCycle("r", next).empty());
  EXPECT_TRUE(FindCycle("unknown", next).empty());
  // A chain longer than kMaxChainLength is cut, not followed forever.
  std::unordered_map<std::string, std::string> longest;
  auto endless = [&](const std::string& id) -> const std::string* {
    return &(longest[id] = std::to_string(std::stoll(id) + 1));
  };
  EXPECT_TRUE(FindCycle("0", endless).empty());
}

}  // namespace
}  // namespace whoknows::index
