// The quality floor on the beer development set (shared/datasets/README.md).
#include "ranking/evaluation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace whoknows::ranking {
namespace {

TEST(EvaluationTest, BeerBeatsEveryBaselineWithEverySignalAccountedFor) {
  const std::string dump =
      std::string(WHOKNOWS_DATASETS) + "/beer.stackexchange.com";
  if (!std::filesystem::exists(dump + "/Posts.xml")) {
    // CI always has ../shared beside the checkout: missing there is a failure.
    if (std::getenv("CI")) FAIL() << "no dataset at " << dump;
    GTEST_SKIP() << "no dataset at " << dump;
  }
  EvalOptions o;
  o.dump_dir = dump;
  o.work_dir = testing::TempDir() + "/beer_eval";
  auto report = EvaluateStackExchange(o);
  ASSERT_TRUE(report.ok()) << report.status();
  std::printf("%s", FormatReport(*report).c_str());
  // The protocol's split: 119 test questions, cut-off 2017-06-28T08:32:23Z;
  // 31 of the experts joined after the cut-off (no earlier posts).
  EXPECT_EQ(report->test_questions, 119);
  EXPECT_EQ(report->cutoff, 1498638743);
  EXPECT_EQ(report->cold_start_questions, 31);
  ASSERT_EQ(report->rows.size(), 6u);
  const Metrics& ours = report->rows[0];
  EXPECT_EQ(ours.name, "whoknows (default weights)");
  EXPECT_GT(report->learned_examples, 50);
  // The baselines reproduce the published figures (popularity: MRR 0.431).
  EXPECT_EQ(report->rows[2].name, "popularity (answers before cut-off)");
  EXPECT_NEAR(report->rows[2].mrr, 0.431, 0.005);
  double best = 0;
  for (size_t i = 2; i < report->rows.size(); ++i)
    best = std::max(best, report->rows[i].mrr);
  // The floor: clearly above every baseline (0.471 measured; see
  // docs/ranking.md for the targets).
  EXPECT_GE(ours.mrr, 0.46);
  EXPECT_GE(ours.mrr, best + 0.03);
  EXPECT_GE(ours.p_at_1, report->rows[2].p_at_1);
  EXPECT_GE(ours.hit_at_10, report->rows[2].hit_at_10);
  // One ablation row per signal; every exposure figure is a Gini in [0, 1].
  ASSERT_EQ(report->ablation.size(), static_cast<size_t>(kNumSignals));
  for (const auto& m : report->rows) {
    EXPECT_GE(m.exposure_gini, 0) << m.name;
    EXPECT_LE(m.exposure_gini, 1) << m.name;
  }
  EXPECT_GT(report->query_p50_ms, 0);
}

TEST(EvaluationTest, RejectsMissingDump) {
  EvalOptions o;
  o.dump_dir = testing::TempDir() + "/no_such_dump";
  o.work_dir = testing::TempDir() + "/no_such_eval";
  auto report = EvaluateStackExchange(o);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string(report.status().message()).find("Posts.xml"),
            std::string::npos);
}

}  // namespace
}  // namespace whoknows::ranking
