// Tests ranking/vocabulary.cc: role weights, decay and who may be suggested.
#include "ranking/vocabulary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include "index/catalog.h"
#include "index/dense_index.h"

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

// The vote's check by person number (DenseIndex::PersonFacts) says what
// the check of the record says, for every kind of person and scope: away
// until before, at and after `now`, inactive, opted out, unlisted, the
// asker, and scopes by department or site.
TEST(VocabularyTest, MayBeSuggestedByNumberIsByRecord) {
  constexpr int64_t kNow = 1'700'000'000;
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  auto add = [&](const std::string& id, auto edit) {
    auto p = std::make_shared<v1::Person>();
    p->set_id(id);
    p->set_department("eng");
    p->set_site("lund");
    edit(*p);
    people[id] = std::move(p);
  };
  add("plain", [](v1::Person&) {});
  add("away_after",
      [](v1::Person& p) { p.mutable_away_until()->set_seconds(kNow + 1); });
  add("away_at",
      [](v1::Person& p) { p.mutable_away_until()->set_seconds(kNow); });
  add("away_before",
      [](v1::Person& p) { p.mutable_away_until()->set_seconds(kNow - 1); });
  add("away_far", [](v1::Person& p) {
    p.mutable_away_until()->set_seconds(253'402'300'799);  // 9999-12-31
  });
  add("left", [](v1::Person& p) { p.set_active(false); });
  add("still", [](v1::Person& p) { p.set_active(true); });
  add("out", [](v1::Person& p) { p.set_opted_out(true); });
  add("sales", [](v1::Person& p) {
    p.set_department("sales");
    p.set_site("oslo");
  });
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  for (const auto& [id, p] : people) {
    auto m = std::make_shared<index::PostMeta>();
    m->id = "p-" + id;
    m->author_id = id;
    m->thread_id = m->id;
    m->kind = v1::POST_KIND_QUESTION;
    posts[m->id] = std::move(m);
  }
  auto ghost = std::make_shared<index::PostMeta>(*posts["p-plain"]);
  ghost->id = ghost->thread_id = "p-ghost";
  ghost->author_id = "ghost";  // an author the directory lacks
  posts[ghost->id] = ghost;
  const auto snap =
      index::BuildSnapshot(std::move(people), std::move(posts), {});
  const index::DenseIndex& dense = *snap->dense;
  ASSERT_EQ(dense.num_people(), 10u);
  int suggestable = 0;
  for (const std::string_view asker : {"", "plain", "sales", "nobody"}) {
    const uint32_t asker_n =
        asker.empty() ? index::DenseIndex::kNone : dense.PersonNumber(asker);
    for (const int64_t now : {int64_t{0}, kNow}) {
      for (const std::string_view department : {"", "eng", "sales"}) {
        for (const std::string_view site : {"", "oslo"}) {
          const SuggestionScope scope{asker, department, site, now};
          for (uint32_t n = 0; n < dense.num_people(); ++n) {
            const std::string& id = dense.person_id(n);
            const bool by_record = MayBeSuggested(*snap, id, scope);
            EXPECT_EQ(MayBeSuggested(dense, n, asker_n, scope), by_record)
                << id << " asked by '" << asker << "' now " << now << " in '"
                << department << "' '" << site << "'";
            suggestable += by_record;
          }
        }
      }
    }
  }
  // The scopes leave some suggestable and some not.
  EXPECT_GT(suggestable, 20);
  EXPECT_LT(suggestable, 4 * 2 * 3 * 2 * 10 / 2);
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
