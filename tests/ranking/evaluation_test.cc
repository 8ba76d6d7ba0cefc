// The quality floor on the beer development set (shared/datasets/README.md).
#include "ranking/evaluation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace whoknows::ranking {
namespace {

TEST(EvaluationTest, BeerReachesTheBestBaseline) {
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
  // The protocol's split: 119 test questions, cut-off 2017-06-28T08:32:23Z.
  EXPECT_EQ(report->test_questions, 119);
  EXPECT_EQ(report->cutoff, 1498638743);
  ASSERT_EQ(report->rows.size(), 5u);
  const Metrics& ours = report->rows[0];
  EXPECT_EQ(ours.name, "whoknows");
  // The baselines reproduce the published figures (popularity: MRR 0.431).
  EXPECT_NEAR(report->rows[1].mrr, 0.431, 0.005);
  double best = 0;
  for (size_t i = 1; i < report->rows.size(); ++i)
    best = std::max(best, report->rows[i].mrr);
  EXPECT_GE(ours.mrr, 0.43);
  EXPECT_GE(ours.mrr, best);
  EXPECT_GE(ours.hit_at_10, report->rows[1].hit_at_10);
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
