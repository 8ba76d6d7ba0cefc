// Tests ranking/learning.cc: replaying a generated company's history
// (company.h) to learn the fusion weights.
#include "ranking/learning.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "index/data_dir.h"
#include "tests/testing/company.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

using testing_util::TestDir;

TEST_F(CompanyTest, LearningReplaysHistoryAndImprovesTheFit) {
  LearnOptions o;
  o.example_fraction = 0.5;
  o.folds = 2;
  auto report = LearnFusionWeights(*catalog_, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->labelled_questions, 36);
  EXPECT_GT(report->examples, 10);
  EXPECT_GE(report->mrr_fitted, report->mrr_prior - 1e-9);
  EXPECT_GT(report->mrr_fitted, 0.9) << "each topic has one clear expert";
  EXPECT_THAT(report->fit.weights.provenance, testing::HasSubstr("learned"));
  // The replayed examples come back for offline study, one per example,
  // each labelled within its candidates.
  ASSERT_EQ(static_cast<int>(report->replayed.size()), report->examples);
  // Each names its question, every candidate and the replay's cut-off, so a
  // study can join evidence from outside the engine: the label is the
  // question's accepted answerer, and the cut-off is not after the question.
  const auto snapshot = catalog_->snapshot();
  for (const auto& e : report->replayed) {
    EXPECT_GE(e.label, 0);
    ASSERT_LT(e.label, static_cast<int>(e.candidates.size()));
    ASSERT_EQ(e.people.size(), e.candidates.size());
    const index::PostMeta* question = snapshot->FindPost(e.question_id);
    ASSERT_NE(question, nullptr) << e.question_id;
    EXPECT_GT(e.cutoff, 0);
    EXPECT_LE(e.cutoff, question->created);
    std::string solver;
    for (const auto& [id, post] : snapshot->posts) {
      if (post->thread_id == e.question_id && post->accepted)
        solver = post->author_id;
    }
    EXPECT_EQ(e.people[e.label], solver) << e.question_id;
  }
  // Learned weights go to the data folder and come back.
  ASSERT_TRUE(
      report->fit.weights
          .Save(index::DataDir(catalog_->options().data_dir).fusion_weights())
          .ok());
  RankingOptions ro;
  ASSERT_TRUE(ApplyLearnedWeights(catalog_->options().data_dir, &ro).ok());
  EXPECT_EQ(ro.weights.weight, report->fit.weights.weight);
  // A corrupt file is reported, not ignored.
  std::ofstream(index::DataDir(catalog_->options().data_dir).fusion_weights())
      << "{";
  EXPECT_FALSE(ApplyLearnedWeights(catalog_->options().data_dir, &ro).ok());
}

// Outcomes (RecordOutcome) are extra pairs beside the history: one by a
// question's text, one on a question post that the history labels with
// someone else; one that repeats the history's own label is not counted
// twice, and one after created_before is left out.
TEST_F(CompanyTest, OutcomesAreExtraTrainingPairs) {
  LearnOptions o;
  o.example_fraction = 0.5;
  o.folds = 2;
  auto base = LearnFusionWeights(*catalog_, o);
  ASSERT_TRUE(base.ok()) << base.status();
  auto outcome = [](const std::string& post, const std::string& title,
                    const std::string& helper, int64_t time) {
    v1::Outcome out;
    out.set_question_post_id(post);
    out.set_title(title);
    out.set_asker_id(post.empty() ? "newbie" : "");
    out.set_helper_id(helper);
    out.set_kind(v1::OUTCOME_KIND_ACCEPTED);
    out.mutable_time()->set_seconds(time);
    return out;
  };
  const int64_t late = kT0 + 1000 * kHour;
  o.outcomes = {
      outcome("", "printer toner duplex tray jam", "olle", late),
      outcome("q0", "", "helper", late),  // q0 is kubernetes, erik's
      outcome("q0", "", "erik", late),    // the history's own label
      outcome("", "printer toner", "olle", late + 10 * kHour),
  };
  o.created_before = late + kHour;
  auto report = LearnFusionWeights(*catalog_, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->outcome_examples + report->outcome_missed, 2);
  EXPECT_GE(report->outcome_examples, 1) << "olle is the printer expert";
  EXPECT_EQ(report->examples + report->missed,
            base->examples + base->missed + 2);
}

TEST(LearningTest, TooLittleHistoryIsAClearError) {
  index::CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  o.dictionary_dir.clear();
  auto c = index::Catalog::Open(o);
  ASSERT_TRUE(c.ok());
  auto r = LearnFusionWeights(**c, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), testing::HasSubstr("20"));
}

}  // namespace
}  // namespace whoknows::ranking
