// Tests ranking/exposure.cc (the ledger and the penalty) and how
// ExpertFinder applies it, and Person.away_until, on a small catalog of two
// equally good experts.
#include "ranking/exposure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ranking/expert_finder.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

constexpr int64_t kT0 = 1'700'000'000;
constexpr int64_t kDay = 86400;
constexpr int64_t kNow = kT0 + 30 * kDay;

TEST(ExposureLedgerTest, CountsAndDecaysOverTheWindow) {
  ExposureLedger ledger({.window_days = 7});
  ledger.Record({"erik", "sara", "erik"}, kNow);
  EXPECT_DOUBLE_EQ(ledger.Exposure("erik", kNow), 2);
  EXPECT_DOUBLE_EQ(ledger.Exposure("sara", kNow), 1);
  EXPECT_DOUBLE_EQ(ledger.Exposure("nobody", kNow), 0);
  EXPECT_DOUBLE_EQ(ledger.Total(kNow), 3);
  EXPECT_NEAR(ledger.Exposure("erik", kNow + 7 * kDay), 2 * std::exp(-1.0),
              1e-12);
  // A clock that steps back does not grow a counter.
  EXPECT_DOUBLE_EQ(ledger.Exposure("erik", kNow - kDay), 2);
  ledger.Forget("erik");
  EXPECT_DOUBLE_EQ(ledger.Exposure("erik", kNow), 0);
}

// Only those `present` says are there are recorded, and counted in Total
// (api::RecordSuggested: people erased since the answer was ranked).
TEST(ExposureLedgerTest, RecordsOnlyThePeoplePresentSays) {
  ExposureLedger ledger;
  ledger.Record({"erik", "sara"}, kNow,
                [](const std::string& id) { return id != "erik"; });
  EXPECT_DOUBLE_EQ(ledger.Exposure("erik", kNow), 0);
  EXPECT_DOUBLE_EQ(ledger.Exposure("sara", kNow), 1);
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_DOUBLE_EQ(ledger.Total(kNow), 1);
}

TEST(ExposureLedgerTest, KeepsAtMostMaxPeopleAndTheBusiestSurvive) {
  ExposureLedger ledger({.window_days = 7, .max_people = 100});
  for (int i = 0; i < 50; ++i) ledger.Record({"busy"}, kNow);
  for (int i = 0; i < 10'000; ++i)
    ledger.Record({"p" + std::to_string(i)}, kNow + i);
  EXPECT_LE(ledger.size(), 100u);
  EXPECT_GT(ledger.Exposure("busy", kNow + 10'000), 40);
  // The newest are there; the oldest single suggestions went first.
  EXPECT_GT(ledger.Exposure("p9999", kNow + 10'000), 0);
  EXPECT_EQ(ledger.Exposure("p0", kNow + 10'000), 0);
}

// A ranking reads every candidate and the total in one hold: the same
// figures as one read each, a 0 for whoever has no counter, in order.
TEST(ExposureLedgerTest, ReadsCandidatesAndTotalAtOnce) {
  ExposureLedger ledger({.window_days = 7});
  ledger.Record({"erik", "erik", "sara"}, kNow);
  ledger.Record({"erik"}, kNow + kDay);
  const std::string erik = "erik", sara = "sara", nobody = "nobody";
  std::vector<double> each = {42};
  const double total = ledger.ExposuresAndTotal({&sara, &nobody, &erik, &sara},
                                                kNow + 2 * kDay, &each);
  ASSERT_EQ(each.size(), 4u);
  EXPECT_DOUBLE_EQ(each[0], ledger.Exposure("sara", kNow + 2 * kDay));
  EXPECT_EQ(each[1], 0);
  EXPECT_DOUBLE_EQ(each[2], ledger.Exposure("erik", kNow + 2 * kDay));
  EXPECT_DOUBLE_EQ(each[3], each[0]);
  EXPECT_GT(each[2], each[0]);
  EXPECT_DOUBLE_EQ(total, ledger.Total(kNow + 2 * kDay));
  EXPECT_DOUBLE_EQ(ledger.ExposuresAndTotal({}, kNow + kDay, &each),
                   ledger.Total(kNow + kDay));
  EXPECT_TRUE(each.empty());
}

// The scorer weighs each candidate against the fair share of the total it
// read with them; off, it reads nothing and every penalty is 0.
TEST(ExposureScorerTest, PenaltiesFollowTheFairShareOfOneRead) {
  ExposureLedger ledger({.window_days = 0});  // no decay: exact figures
  for (int i = 0; i < 9; ++i) ledger.Record({"erik"}, kNow);
  ledger.Record({"sara", "anna", "olle"}, kNow);
  const std::string erik = "erik", sara = "sara", nobody = "nobody";
  const ExposureShape shape{.weight = 1, .free_shares = 1};
  // 12 suggestions over 4 people: a fair share of 3.
  const ExposureScorer scorer(shape, &ledger, kNow, 4);
  ASSERT_TRUE(scorer.on());
  const std::vector<double> p = scorer.Penalties({&sara, &erik, &nobody});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], 0);
  EXPECT_DOUBLE_EQ(p[1], ExposurePenalty(shape, 9, 3));
  EXPECT_DOUBLE_EQ(p[1], std::log(3.0));  // 9 / 3 - 1 free share = 2
  EXPECT_EQ(p[2], 0);
  // A directory of one: the fair share is the whole total.
  EXPECT_DOUBLE_EQ(
      ExposureScorer(shape, &ledger, kNow, 1).Penalties({&erik})[0], 0);
  const ExposureScorer off({.weight = 0}, &ledger, kNow, 4);
  EXPECT_FALSE(off.on());
  EXPECT_EQ(off.Penalties({&erik, &sara}), std::vector<double>({0, 0}));
  EXPECT_EQ(ExposureScorer(shape, nullptr, kNow, 4).Penalties({&erik}),
            std::vector<double>({0}));
}

TEST(ExposurePenaltyTest, SmoothAndZeroWhenOffOrUnexposed) {
  EXPECT_EQ(ExposurePenalty({.weight = 0}, 10, 1), 0);
  EXPECT_EQ(ExposurePenalty({.weight = 0.5}, 0, 1), 0);
  EXPECT_DOUBLE_EQ(ExposurePenalty({.weight = 0.5}, 3, 1), 0.5 * std::log(4.0));
  // Measured against the fair share, never below one suggestion.
  EXPECT_DOUBLE_EQ(ExposurePenalty({.weight = 1}, 4, 2), std::log(3.0));
  EXPECT_DOUBLE_EQ(ExposurePenalty({.weight = 1}, 4, 0.1), std::log(5.0));
  double last = 0;
  for (double e = 0.5; e < 100; e *= 1.5) {
    const double p = ExposurePenalty({.weight = 1}, e, 1);
    EXPECT_GT(p, last);
    EXPECT_LT(p - last, 1);  // gentle: no step
    last = p;
  }
}

TEST(ExposurePenaltyTest, FreeSharesCostNothingThenTheLogStarts) {
  const ExposureShape shape{.weight = 1, .free_shares = 2};
  EXPECT_EQ(ExposurePenalty(shape, 1, 1), 0);
  EXPECT_EQ(ExposurePenalty(shape, 2, 1), 0);
  EXPECT_DOUBLE_EQ(ExposurePenalty(shape, 3, 1), std::log(2.0));
  // In fair shares: 4 suggestions are 2 shares of 2, still free.
  EXPECT_EQ(ExposurePenalty(shape, 4, 2), 0);
  EXPECT_DOUBLE_EQ(ExposurePenalty(shape, 6, 2), std::log(2.0));
  // Continuous at the edge: no step where the free shares end.
  EXPECT_LT(ExposurePenalty(shape, 2.001, 1), 0.002);
}

TEST(ExposurePenaltyTest, CapBoundsThePenaltyAndLeavesSmallerOnesAlone) {
  const ExposureShape capped{.weight = 1, .cap = 0.5};
  EXPECT_DOUBLE_EQ(ExposurePenalty(capped, 0.2, 1), std::log1p(0.2));
  EXPECT_EQ(ExposurePenalty(capped, 1000, 1), 0.5);
  EXPECT_EQ(ExposurePenalty(capped, 1e9, 1), 0.5);
  // 0: no cap.
  EXPECT_DOUBLE_EQ(ExposurePenalty({.weight = 1, .cap = 0}, 1000, 1),
                   std::log1p(1000.0));
  // Still off at weight 0, whatever the shape.
  EXPECT_EQ(ExposurePenalty({.weight = 0, .free_shares = 0, .cap = 1}, 10, 1),
            0);
}

// anna asks; erik and sara answered the same printer question with the same
// words at the same time: equally good, erik first by id.
class ExposureRankingTest : public testing::Test {
 protected:
  void SetUp() override {
    catalog_ = testing_util::OpenCatalog(testing_util::TestDir());
    ASSERT_NE(catalog_, nullptr);
    std::vector<v1::Person> people = {testing_util::MakePerson("anna"),
                                      testing_util::MakePerson("erik"),
                                      testing_util::MakePerson("sara")};
    ASSERT_TRUE(catalog_->UpsertPeople(people).ok());
    Publish({});
  }

  // The posts, with `people` replacing the directory entries first.
  void Publish(const std::vector<v1::Person>& people) {
    if (!people.empty()) {
      ASSERT_TRUE(catalog_->UpsertPeople(people).ok());
    }
    std::vector<v1::Post> posts = {testing_util::MakePost(
        "q1", "anna", v1::POST_KIND_QUESTION, "Printer jams on the third floor",
        "The printer jams every morning.", kT0, "", "en")};
    for (const char* who : {"erik", "sara"}) {
      posts.push_back(testing_util::MakePost(
          std::string("a-") + who, who, v1::POST_KIND_ANSWER, "",
          "Clean the printer rollers and the jam goes away.", kT0 + kDay, "q1",
          "en"));
    }
    ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
    catalog_->Refresh();
  }

  FindResult Find(double weight, const ExposureLedger* ledger) {
    RankingOptions o;
    o.exposure_weight = weight;
    return Find(o, ledger);
  }

  FindResult Find(RankingOptions o, const ExposureLedger* ledger) {
    o.clock = index::FixedClock(kNow);
    ExpertFinder finder(*catalog_, o, {}, ledger);
    ExpertQuery q;
    q.query = "printer jam rollers";
    q.asker_id = "anna";
    auto found = finder.Find(q);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : FindResult{};
  }

  static std::vector<std::string> Ids(const FindResult& r) {
    std::vector<std::string> ids;
    for (const auto& e : r.experts) ids.push_back(e.person_id);
    return ids;
  }

  std::unique_ptr<index::Catalog> catalog_;
};

TEST_F(ExposureRankingTest, EqualExpertsTieByIdWithoutExposure) {
  const FindResult r = Find(0.25, nullptr);
  ASSERT_EQ(Ids(r), (std::vector<std::string>{"erik", "sara"}));
  EXPECT_EQ(r.experts[0].score, r.experts[1].score);
}

TEST_F(ExposureRankingTest, OftenSuggestedDropsBelowAnEqualPerson) {
  ExposureLedger ledger;
  for (int i = 0; i < 20; ++i) ledger.Record({"erik"}, kNow - kDay);
  const FindResult r = Find(0.25, &ledger);
  ASSERT_EQ(Ids(r), (std::vector<std::string>{"sara", "erik"}));
  // Explained: the penalty is in the breakdown, which still adds up.
  const ExpertResult& erik = r.experts[1];
  ASSERT_TRUE(erik.breakdown.count("exposure"));
  EXPECT_LT(erik.breakdown.at("exposure"), 0);
  double sum = 0;
  for (const auto& [name, value] : erik.breakdown) sum += value;
  EXPECT_NEAR(sum, erik.score, 1e-12);
  EXPECT_EQ(r.experts[0].breakdown.at("exposure"), 0);
  // Gently: the probability (and so the confidence) is relevance only.
  EXPECT_DOUBLE_EQ(r.experts[0].probability, r.experts[1].probability);
}

TEST_F(ExposureRankingTest, ZeroWeightIsTheRankingWithoutALedger) {
  ExposureLedger ledger;
  for (int i = 0; i < 20; ++i) ledger.Record({"erik"}, kNow - kDay);
  const FindResult with = Find(0, &ledger);
  const FindResult without = Find(0, nullptr);
  ASSERT_EQ(with.experts.size(), without.experts.size());
  for (size_t i = 0; i < with.experts.size(); ++i) {
    const ExpertResult& a = with.experts[i];
    const ExpertResult& b = without.experts[i];
    EXPECT_EQ(a.person_id, b.person_id);
    EXPECT_EQ(a.score, b.score);  // bit for bit
    EXPECT_EQ(a.probability, b.probability);
    EXPECT_EQ(a.breakdown, b.breakdown);
    EXPECT_EQ(a.breakdown.count("exposure"), 0u);
  }
}

// The server's shape (RankingOptions) is the one applied: a person within
// their free shares keeps their place; the cap is what the breakdown shows.
TEST_F(ExposureRankingTest, FindAppliesTheFreeSharesAndTheCap) {
  ExposureLedger ledger;
  for (int i = 0; i < 20; ++i) ledger.Record({"erik"}, kNow);
  // Fair share: 20 suggestions / 3 people; erik has 3 shares of it.
  RankingOptions o;
  o.exposure_weight = 1;
  o.exposure_cap = 0;
  o.exposure_free_shares = 3.5;
  EXPECT_EQ(Ids(Find(o, &ledger)), (std::vector<std::string>{"erik", "sara"}));
  o.exposure_free_shares = 2;
  const FindResult capped_off = Find(o, &ledger);
  ASSERT_EQ(Ids(capped_off), (std::vector<std::string>{"sara", "erik"}));
  EXPECT_NEAR(capped_off.experts[1].breakdown.at("exposure"), -std::log(2.0),
              1e-12);
  o.exposure_cap = 0.1;
  const FindResult capped = Find(o, &ledger);
  ASSERT_EQ(Ids(capped), (std::vector<std::string>{"sara", "erik"}));
  EXPECT_EQ(capped.experts[1].breakdown.at("exposure"), -0.1);
}

TEST_F(ExposureRankingTest, AwayUntilAFutureDateHidesAPastDateDoesNot) {
  v1::Person erik = testing_util::MakePerson("erik");
  erik.mutable_away_until()->set_seconds(kNow + kDay);
  v1::Person sara = testing_util::MakePerson("sara");
  sara.mutable_away_until()->set_seconds(kNow - kDay);
  Publish({erik, sara});
  EXPECT_EQ(Ids(Find(0, nullptr)), (std::vector<std::string>{"sara"}));
}

}  // namespace
}  // namespace whoknows::ranking
