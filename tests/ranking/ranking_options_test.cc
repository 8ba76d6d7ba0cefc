// Tests the Validate() of every ranking options struct (ranking_options.cc
// and the Validate methods beside their structs): each case breaks one
// field, and the error must be INVALID_ARGUMENT naming that field.
#include "ranking/ranking_options.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "ranking/expertise_model.h"
#include "ranking/learning.h"

namespace whoknows::ranking {
namespace {

template <typename Options>
struct Case {
  std::string field;  // expected at the start of the message; "" for valid
  std::function<void(Options&)> set;
};

template <typename Options>
void ExpectValidateNames(const std::vector<Case<Options>>& cases) {
  for (const Case<Options>& c : cases) {
    Options o;
    c.set(o);
    const absl::Status s = o.Validate();
    if (c.field.empty()) {
      EXPECT_TRUE(s.ok()) << s;
      continue;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(std::string(s.message()).rfind(c.field + ": ", 0), 0u)
        << "want " << c.field << ", got " << s;
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(RankingOptionsTest, ValidateNamesTheFieldOutOfRange) {
  using O = RankingOptions;
  ExpectValidateNames<O>({
      {"", [](O&) {}},
      {"", [](O& o) { o.half_life_days = 0; }},  // no decay
      {"question", [](O& o) { o.question = -0.1; }},
      {"accepted_answer", [](O& o) { o.accepted_answer = kNaN; }},
      {"weights.tags",
       [](O& o) { o.weights.weight[static_cast<int>(Signal::kTags)] = kNaN; }},
      {"max_posts", [](O& o) { o.max_posts = 0; }},
      {"thread_answerers", [](O& o) { o.thread_answerers = -1; }},
      {"half_life_days", [](O& o) { o.half_life_days = -1; }},
      {"extra_candidates", [](O& o) { o.extra_candidates = -1; }},
      {"text_floor", [](O& o) { o.text_floor = 0; }},
      {"recency_scale_days", [](O& o) { o.recency_scale_days = 0; }},
      {"never_posted_days", [](O& o) { o.never_posted_days = -1; }},
      {"authority_floor", [](O& o) { o.authority_floor = 0; }},
      {"proximity_alpha", [](O& o) { o.proximity_alpha = 0; }},
      {"proximity_alpha", [](O& o) { o.proximity_alpha = 1.5; }},
      {"proximity_epsilon", [](O& o) { o.proximity_epsilon = 0; }},
      {"path_max_hops", [](O& o) { o.path_max_hops = -1; }},
      {"path_fanout", [](O& o) { o.path_fanout = 0; }},
      {"evidence_per_expert", [](O& o) { o.evidence_per_expert = -1; }},
      {"default_limit", [](O& o) { o.default_limit = 0; }},
      {"", [](O& o) { o.exposure_cap = 0; }},  // no cap
      {"exposure_free_shares", [](O& o) { o.exposure_free_shares = -1; }},
      {"exposure_free_shares", [](O& o) { o.exposure_free_shares = kNaN; }},
      {"exposure_cap", [](O& o) { o.exposure_cap = -0.5; }},
      {"exposure_cap",
       [](O& o) { o.exposure_cap = std::numeric_limits<double>::infinity(); }},
  });
}

TEST(RankingOptionsTest, TheTwoRoleWeightDefaultsDifferOnlyInQuestion) {
  const RankingOptions voting;
  const ModelOptions profile;
  EXPECT_EQ(voting.question, 0.05);
  EXPECT_EQ(profile.question, 0.1);
  EXPECT_EQ(voting.accepted_answer, profile.accepted_answer);
  EXPECT_EQ(voting.answer, profile.answer);
  EXPECT_EQ(voting.article, profile.article);
  EXPECT_EQ(voting.comment, profile.comment);
}

TEST(ModelStoreOptionsTest, ValidateNamesTheFieldOutOfRange) {
  using O = ModelStoreOptions;
  ExpectValidateNames<O>({
      {"", [](O&) {}},
      {"model.comment", [](O& o) { o.model.comment = -1; }},
      {"model.embedding.dimensions",
       [](O& o) { o.model.embedding.dimensions = 0; }},
      {"model.embedding.oversampling",
       [](O& o) { o.model.embedding.oversampling = -1; }},
      {"model.embedding.power_iterations",
       [](O& o) { o.model.embedding.power_iterations = -1; }},
      {"model.embedding.min_document_frequency",
       [](O& o) { o.model.embedding.min_document_frequency = 0; }},
      {"model.embedding.max_document_fraction",
       [](O& o) { o.model.embedding.max_document_fraction = 1.5; }},
      {"model.embedding.max_vocabulary",
       [](O& o) { o.model.embedding.max_vocabulary = 0; }},
      {"model.embedding.max_training_posts",
       [](O& o) { o.model.embedding.max_training_posts = 0; }},
      {"model.pagerank.damping", [](O& o) { o.model.pagerank.damping = 1; }},
      {"model.pagerank.tolerance",
       [](O& o) { o.model.pagerank.tolerance = 0; }},
      {"model.pagerank.max_iterations",
       [](O& o) { o.model.pagerank.max_iterations = 0; }},
      {"model.half_life_days", [](O& o) { o.model.half_life_days = kNaN; }},
      {"model.top_answerers", [](O& o) { o.model.top_answerers = -1; }},
      {"min_rebuild_interval",
       [](O& o) { o.min_rebuild_interval = std::chrono::milliseconds(-1); }},
      {"poll_interval",
       [](O& o) { o.poll_interval = std::chrono::milliseconds(0); }},
      {"min_retrain_interval",
       [](O& o) { o.min_retrain_interval = std::chrono::milliseconds(-1); }},
      {"steady_now", [](O& o) { o.steady_now = nullptr; }},
  });
}

TEST(LearnOptionsTest, ValidateNamesTheFieldOutOfRange) {
  using O = LearnOptions;
  ExpectValidateNames<O>({
      {"", [](O&) {}},
      {"folds", [](O& o) { o.folds = 0; }},
      {"example_fraction", [](O& o) { o.example_fraction = 1; }},
      {"min_labelled_questions", [](O& o) { o.min_labelled_questions = 0; }},
      {"ranking.path_fanout", [](O& o) { o.ranking.path_fanout = 0; }},
      {"model.embedding.dimensions",
       [](O& o) { o.model.embedding.dimensions = 0; }},
      {"fit.l2", [](O& o) { o.fit.l2 = -1; }},
      {"fit.max_iterations", [](O& o) { o.fit.max_iterations = -1; }},
      {"fit.gradient_tolerance", [](O& o) { o.fit.gradient_tolerance = kNaN; }},
      {"fit.max_step_halvings", [](O& o) { o.fit.max_step_halvings = 0; }},
  });
}

}  // namespace
}  // namespace whoknows::ranking
