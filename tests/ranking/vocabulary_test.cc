// Tests ranking/vocabulary.cc: role weights, decay and who may be suggested.
#include "ranking/vocabulary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "index/catalog.h"

namespace whoknows::ranking {
namespace {

TEST(VocabularyTest, IsSuggestableActiveUnsetMeansActive) {
  v1::Person p;
  p.set_id("x");
  EXPECT_TRUE(IsSuggestable(p));
  p.set_active(true);
  EXPECT_TRUE(IsSuggestable(p));
  p.set_active(false);
  EXPECT_FALSE(IsSuggestable(p));
  p.set_active(true);
  p.set_opted_out(true);
  EXPECT_FALSE(IsSuggestable(p));
}

TEST(VocabularyTest, AgeDecayHalvesEveryHalfLife) {
  constexpr int64_t kNewest = 1'700'000'000;
  const AgeDecay decay(kNewest, 10);
  EXPECT_DOUBLE_EQ(decay(kNewest), 1);
  EXPECT_DOUBLE_EQ(decay(kNewest + 86400), 1) << "newer counts as new";
  EXPECT_NEAR(decay(kNewest - 10 * 86400), 0.5, 1e-12);
  EXPECT_NEAR(decay(kNewest - 20 * 86400), 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(AgeDecay(kNewest, 0)(0), 1) << "0 disables decay";
  EXPECT_DOUBLE_EQ(DaysBefore(kNewest, kNewest - 3 * 86400), 3);
  EXPECT_DOUBLE_EQ(DaysBefore(kNewest, kNewest + 86400), 0);
}

// Ages are measured to "now" (the injected clock) without overflow, whatever
// times an old data folder holds.
TEST(VocabularyTest, AgeDecayIsSafeForAnyTimes) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int64_t now : {kMin, int64_t{0}, int64_t{1'700'000'000}, kMax}) {
    for (int64_t t : {kMin, int64_t{-1}, int64_t{0}, kMax}) {
      const double d = AgeDecay(now, 365)(t);
      EXPECT_TRUE(std::isfinite(d) && d >= 0 && d <= 1) << now << " " << t;
      EXPECT_GE(DaysBefore(now, t), 0) << now << " " << t;
    }
  }
  EXPECT_DOUBLE_EQ(AgeDecay(kMin, 365)(kMax), 1) << "the future is new";
  EXPECT_DOUBLE_EQ(AgeDecay(kMax, 365)(kMin), 0) << "INT64 apart: gone";
}

TEST(VocabularyTest, RoleWeightsByKindAndTheirTwoDefaults) {
  index::PostMeta m;
  m.kind = v1::POST_KIND_ANSWER;
  EXPECT_EQ(RoleWeight(kVotingRoleWeights, m), 0.5);
  m.accepted = true;
  EXPECT_EQ(RoleWeight(kVotingRoleWeights, m), 1.0);
  m.kind = v1::POST_KIND_QUESTION;
  EXPECT_EQ(RoleWeight(kVotingRoleWeights, m), 0.05);
  EXPECT_EQ(RoleWeight(kProfileRoleWeights, m), 0.1);
  m.kind = v1::POST_KIND_UNSPECIFIED;
  EXPECT_EQ(RoleWeight(kProfileRoleWeights, m), 0);
}

}  // namespace
}  // namespace whoknows::ranking
