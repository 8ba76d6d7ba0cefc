// The quality floor on the beer development set (shared/datasets/README.md).
#include "eval/evaluation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/testing/test_dirs.h"
#include "tests/testing/tiny_dump.h"

namespace whoknows::eval {
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
  o.work_dir = testing_util::TestDir();
  o.features_tsv = o.work_dir + "_features.tsv";
  auto report = EvaluateStackExchange(o);
  ASSERT_TRUE(report.ok()) << report.status();
  std::printf("%s", FormatReport(*report).c_str());
  // The replayed history that the weights were learned from is written
  // beside the test questions' features: one row per candidate, every
  // signal named in the header, one label per example.
  std::ifstream history(o.work_dir + "_features.history.tsv");
  std::string header, line;
  ASSERT_TRUE(std::getline(history, header));
  EXPECT_NE(header.find("\trecent"), std::string::npos) << header;
  // Each row names its question, candidate and the replay's cut-off, for
  // studies that join evidence from the dump (scripts/evidence_study.py).
  EXPECT_EQ(header.rfind("example\tlabel\tquestion\tperson\tcutoff\t", 0), 0u)
      << header;
  int labels = 0, rows = 0;
  while (std::getline(history, line)) {
    ++rows;
    labels += line.substr(line.find('\t') + 1, 2) == "1\t";
  }
  EXPECT_EQ(labels, report->learned_examples);
  EXPECT_GT(rows, 10 * labels);
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
  // The floor: clearly above every baseline (0.470 measured; see
  // docs/ranking.md for the targets).
  EXPECT_GE(ours.mrr, 0.46);
  EXPECT_GE(ours.mrr, best + 0.03);
  EXPECT_GE(ours.p_at_1, report->rows[2].p_at_1);
  EXPECT_GE(ours.hit_at_10, report->rows[2].hit_at_10);
  // One ablation row per signal; every exposure figure is a Gini in [0, 1].
  ASSERT_EQ(report->ablation.size(), static_cast<size_t>(ranking::kNumSignals));
  for (const auto& m : report->rows) {
    EXPECT_GE(m.exposure_gini, 0) << m.name;
    EXPECT_LE(m.exposure_gini, 1) << m.name;
  }
  EXPECT_GT(report->query_p50_ms, 0);
  EXPECT_GT(report->raw_p50_ms, 0);
}

// A small dump in which the expert of every test question joined after the
// cut-off: people 10 (hops, since January) and 20 (yeast, joined February 28),
// six test questions on yeast, each answered by 20, 45 days apart.
std::string WriteLateExpertDump(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string users = "<users>\n";
  for (int u = 1; u <= 12; ++u)
    users += absl::StrFormat(
        "  <row Id=\"%d\" CreationDate=\"2020-01-01T00:00:00.000\" "
        "DisplayName=\"Asker %d\" />\n",
        100 + u, u);
  users +=
      "  <row Id=\"10\" CreationDate=\"2020-01-01T00:00:00.000\" "
      "DisplayName=\"Hop grower\" />\n"
      "  <row Id=\"20\" CreationDate=\"2020-02-28T00:00:00.000\" "
      "DisplayName=\"Yeast wrangler\" />\n</users>\n";
  std::string posts = "<posts>\n";
  auto question = [&](int id, const std::string& date, int asker,
                      const std::string& tag, const std::string& title,
                      int expert) {
    posts += absl::StrFormat(
        "  <row Id=\"%d\" PostTypeId=\"1\" AcceptedAnswerId=\"%d\" "
        "CreationDate=\"%sT10:00:00.000\" OwnerUserId=\"%d\" "
        "Title=\"%s\" Body=\"%s, any advice?\" Tags=\"&lt;%s&gt;\" />\n"
        "  <row Id=\"%d\" PostTypeId=\"2\" ParentId=\"%d\" "
        "CreationDate=\"%sT12:00:00.000\" OwnerUserId=\"%d\" "
        "Body=\"About %s: it depends on the %s.\" />\n",
        id, id + 1, date, asker, title, title, tag, id + 1, id, date, expert,
        title, tag);
  };
  const char* hop_dates[] = {"2020-01-05", "2020-01-10", "2020-01-15",
                             "2020-01-20", "2020-01-25", "2020-01-30"};
  for (int i = 0; i < 6; ++i)
    question(2 * i + 1, hop_dates[i], 101 + i, "hops",
             absl::StrCat("Dry hopping with Citra cascade pellets ", i), 10);
  const char* yeast_dates[] = {"2020-03-01", "2020-04-15", "2020-05-30",
                               "2020-07-14", "2020-08-28", "2020-10-12"};
  for (int i = 0; i < 6; ++i)
    question(2 * i + 13, yeast_dates[i], 107 + i, "yeast",
             absl::StrCat("Yeast starter stalled fermentation krausen ", i),
             20);
  posts += "</posts>\n";
  std::ofstream(dir + "/Users.xml") << users;
  std::ofstream(dir + "/Posts.xml") << posts;
  return dir;
}

TEST(EvaluationTest, FedAsPostsArriveFindsExpertsWhoJoinedAfterTheCutOff) {
  EvalOptions o;
  o.dump_dir = WriteLateExpertDump(testing_util::TestDir(true) + "/dump");
  o.work_dir = testing_util::TestDir() + "/eval";
  o.test_fraction = 0.5;
  o.learn = false;
  o.rolling_days = 30;
  auto report = EvaluateStackExchange(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->test_questions, 6);
  // With one cut-off the yeast expert does not exist yet.
  EXPECT_EQ(report->cold_start_questions, 6);
  EXPECT_EQ(report->rows[0].mrr, 0);
  // Fed as posts arrive: one window per question (45 days apart). The first
  // question is ranked before its own answer is imported, so its expert is
  // still unknown; the next five find the expert from earlier answers.
  EXPECT_EQ(report->rolling_days, 30);
  EXPECT_EQ(report->rolling_windows, 6);
  ASSERT_EQ(report->rolling.size(), 2u);
  EXPECT_NEAR(report->rolling[0].p_at_1, 5.0 / 6, 1e-9);
  EXPECT_NEAR(report->rolling[0].mrr, 5.0 / 6, 1e-9);
  // Popularity counts answers: the hop grower's six lead the yeast wrangler's
  // one to five, so it never puts the expert first.
  EXPECT_EQ(report->rolling[1].p_at_1, 0);
  EXPECT_NE(FormatReport(*report).find("fed as posts arrive"),
            std::string::npos);
}

TEST(EvaluationTest, GiniAndTopShareMeasureHowConcentratedSlotsAre) {
  EXPECT_EQ(Gini({1, 1, 1, 1}), 0);
  EXPECT_NEAR(Gini({0, 0, 0, 4}), 0.75, 1e-12);
  EXPECT_EQ(Gini({}), 0);
  EXPECT_EQ(SuggestedGini({0, 0, 2, 2}), 0);
  // 200 people: the top 1% is 2 of them.
  std::vector<double> slots(200, 1);
  slots[0] = slots[1] = 99;
  EXPECT_NEAR(TopShare(slots, 0.01), 198.0 / 396, 1e-12);
  // The position weight of the attention: 1 / log2(1 + rank).
  EXPECT_EQ(PositionWeight(1), 1);
  EXPECT_DOUBLE_EQ(PositionWeight(3), 0.5);
  EXPECT_DOUBLE_EQ(PositionWeight(7), 1.0 / 3);
  EXPECT_GT(PositionWeight(2), PositionWeight(3));
}

// The replay at weight 0 is the plain ranking; a strong budget spreads the
// top slots over more people.
TEST(EvaluationTest, ExposureReplaySpreadsSuggestions) {
  EvalOptions o;
  o.dump_dir =
      testing_util::WriteTinyDump(testing_util::TestDir(true) + "/dump", 40, 0);
  o.work_dir = testing_util::TestDir() + "/eval";
  o.test_fraction = 0.5;
  o.learn = false;
  o.exposure_replay = {{}, {.weight = 5}};
  auto report = EvaluateStackExchange(o);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->exposure_replay.size(), 2u);
  const ExposureReplayRow& off = report->exposure_replay[0];
  const ExposureReplayRow& on = report->exposure_replay[1];
  EXPECT_EQ(off.metrics.mrr, report->rows[0].mrr);
  EXPECT_EQ(off.metrics.exposure_gini, report->rows[0].exposure_gini);
  // The budget hands top-3 slots to people the plain ranking never showed;
  // the regulars' evidence is strong enough to stay first.
  auto suggested = [](const ExposureReplayRow& r) {
    return std::count_if(r.slots.begin(), r.slots.end(),
                         [](double x) { return x > 0; });
  };
  EXPECT_GT(suggested(on), suggested(off));
  EXPECT_LE(on.metrics.mrr, off.metrics.mrr);
  // The position-weighted attention is over one fixed population (who
  // answered before the cut-off), whatever the ranking, and spreads too.
  ASSERT_FALSE(off.attention.empty());
  EXPECT_EQ(on.attention.size(), off.attention.size());
  EXPECT_LT(on.attention_gini, off.attention_gini);
  EXPECT_GT(off.attention_top1_share, 0);
  // Every returned slot is counted once, in the population or outside it.
  auto total = [](const ExposureReplayRow& r) {
    double sum = r.attention_outside;
    for (double a : r.attention) sum += a;
    return sum;
  };
  EXPECT_NEAR(total(on), total(off), 1e-9);
  EXPECT_NE(FormatReport(*report).find("Exposure replay"), std::string::npos);
}

TEST(EvaluationTest, RejectsMissingDump) {
  EvalOptions o;
  o.dump_dir = testing_util::TestDir() + "/no_such_dump";
  o.work_dir = testing_util::TestDir() + "/eval";
  auto report = EvaluateStackExchange(o);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string(report.status().message()).find("Posts.xml"),
            std::string::npos);
}

// The expert's rank (default weights) per question, from a features TSV.
std::map<std::string, int> ExpertRanks(const std::string& tsv) {
  std::map<std::string, int> ranks;
  std::ifstream in(tsv);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string question, person, expert, answered, cold, rank;
    std::getline(fields, question, '\t');
    for (std::string* f : {&person, &expert, &answered, &cold, &rank})
      std::getline(fields, *f, '\t');
    ranks[question] = std::stoi(rank);
  }
  return ranks;
}

// Two communities without Users.xml: each evaluated alone, and pooled over
// the union of their test questions.
TEST(EvaluationTest, PoolOfTwoDumpsIsMeasuredOverTheUnionOfTheirQuestions) {
  const std::string root = testing_util::TestDir(true);
  const std::vector<std::string> dumps = {
      testing_util::WriteTinyDump(root + "/first.stackexchange.com", 16, 0),
      testing_util::WriteTinyDump(root + "/second", 24, 1, /*upset=*/3)};
  EvalOptions o;
  o.work_dir = root + "/eval";
  o.test_fraction = 0.5;
  o.learn = false;
  o.features_tsv = root + "/features.tsv";
  auto pool = EvaluateStackExchangePool(dumps, o);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::printf("%s", FormatPoolReport(*pool).c_str());
  ASSERT_EQ(pool->communities.size(), 2u);
  EXPECT_EQ(pool->communities[0].name, "first");
  EXPECT_EQ(pool->communities[1].name, "second");
  EXPECT_EQ(pool->communities[0].report.test_questions, 8);
  EXPECT_EQ(pool->communities[1].report.test_questions, 12);
  EXPECT_EQ(pool->test_questions, 20);
  // The people come from the posts: whoknows finds experts in both, and
  // the second's upsets cost it.
  for (const auto& c : pool->communities)
    EXPECT_GT(c.report.rows[0].mrr, 0) << c.name;
  EXPECT_LT(pool->communities[1].report.rows[0].mrr,
            pool->communities[0].report.rows[0].mrr);
  // Every ranker pooled, whoknows first; each over all 20 questions.
  ASSERT_EQ(pool->pooled.size(), pool->communities[0].report.rows.size());
  EXPECT_EQ(pool->pooled[0].name, "whoknows (default weights)");
  for (const Metrics& m : pool->pooled) EXPECT_EQ(m.questions, 20) << m.name;
  // Pooled MRR and P@1 = over the union of the questions, computed here
  // from each question's rank in the per-community feature files.
  double rr = 0, first = 0;
  int n = 0;
  for (const char* name : {"first", "second"}) {
    const auto ranks = ExpertRanks(root + "/features." + name + ".tsv");
    EXPECT_FALSE(ranks.empty()) << name;
    for (const auto& [question, rank] : ranks) {
      ++n;
      if (rank > 0) rr += 1.0 / rank;
      first += rank == 1;
    }
  }
  ASSERT_EQ(n, 20);
  EXPECT_NEAR(pool->pooled[0].mrr, rr / n, 1e-9);
  EXPECT_NEAR(pool->pooled[0].p_at_1, first / n, 1e-9);
  // Not the plain mean of the two communities' figures (8 vs 12 questions).
  const Metrics& a = pool->communities[0].report.rows[0];
  const Metrics& b = pool->communities[1].report.rows[0];
  EXPECT_NEAR(pool->pooled[0].mrr, (8 * a.mrr + 12 * b.mrr) / 20, 1e-9);
  EXPECT_NE(FormatPoolReport(*pool).find("pooled (20)"), std::string::npos);
  // The confidence bins merged: every question in one bin, and the pooled
  // shares and means weighted by the communities' counts.
  ASSERT_EQ(pool->calibration.size(),
            pool->communities[0].report.calibration.size());
  int binned = 0;
  for (size_t i = 0; i < pool->calibration.size(); ++i) {
    const auto& bin = pool->calibration[i];
    const auto& x = pool->communities[0].report.calibration[i];
    const auto& y = pool->communities[1].report.calibration[i];
    binned += bin.questions;
    EXPECT_EQ(bin.questions, x.questions + y.questions);
    if (bin.questions == 0) continue;
    EXPECT_NEAR(bin.right * bin.questions,
                x.right * x.questions + y.right * y.questions, 1e-9);
    EXPECT_NEAR(
        bin.mean_confidence * bin.questions,
        x.mean_confidence * x.questions + y.mean_confidence * y.questions,
        1e-9);
  }
  EXPECT_EQ(binned, 20);
  EXPECT_NEAR(pool->mean_top_confidence,
              (8 * pool->communities[0].report.mean_top_confidence +
               12 * pool->communities[1].report.mean_top_confidence) /
                  20,
              1e-9);
  EXPECT_NE(FormatPoolReport(*pool).find("pooled, default weights"),
            std::string::npos);
}

// Posts of deleted accounts (shared/datasets/README.md's protocol): a
// question a deleted account asked is a test question like any other; one
// whose accepted answer a deleted account wrote has no expert to find.
TEST(EvaluationTest, DeletedAccountsAskButAreNeverTheExpert) {
  const std::string root = testing_util::TestDir(true);
  const std::string dump =
      testing_util::WriteTinyDump(root + "/deleted", 10, 0);
  // Question 9 (the 9th, id 25) asked by a deleted account; the accepted
  // answers of the 10th (id 29) and of the 3rd (id 8) by deleted accounts,
  // with a name and without.
  testing_util::DeleteAuthorOfPost(dump, 25, "user109");
  testing_util::DeleteAuthorOfPost(dump, 29, "user77");
  testing_util::DeleteAuthorOfPost(dump, 8, "");
  EvalOptions o;
  o.dump_dir = dump;
  o.work_dir = root + "/eval";
  o.test_fraction = 0.5;
  o.learn = false;
  auto report = EvaluateStackExchange(o);
  ASSERT_TRUE(report.ok()) << report.status();
  // 8 questions with a user's accepted answer, the last 4 held out: the
  // 6th to the 9th, from 2020-01-06T10:00:00Z.
  EXPECT_EQ(report->test_questions, 4);
  EXPECT_EQ(report->cutoff, 1578304800);
  EXPECT_GT(report->rows[0].mrr, 0);
}

TEST(EvaluationTest, PoolRejectsTwoDumpsOfTheSameName) {
  const std::string root = testing_util::TestDir(true);
  const std::string dump =
      testing_util::WriteTinyDump(root + "/a/beer.stackexchange.com", 8, 0);
  testing_util::WriteTinyDump(root + "/b/beer.stackexchange.com", 8, 0);
  EvalOptions o;
  o.work_dir = root + "/eval";
  o.learn = false;
  auto pool =
      EvaluateStackExchangePool({dump, root + "/b/beer.stackexchange.com"}, o);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(pool.status().message()).find("dump_dirs"),
            std::string::npos);
}

}  // namespace
}  // namespace whoknows::eval
