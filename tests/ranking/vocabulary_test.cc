// Tests ranking/vocabulary.cc: role weights, decay and who may be suggested.
#include "ranking/vocabulary.h"

#include <gtest/gtest.h>

#include <cmath>
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
