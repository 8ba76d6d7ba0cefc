// Learning the fusion weights from a company's own history: accepted answers
// are the labels ("who solved it"), and history is replayed so that each
// question is ranked by the catalog as it was before the question was asked.
#ifndef WHOKNOWS_RANKING_LEARNING_H_
#define WHOKNOWS_RANKING_LEARNING_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "ranking/fusion.h"
#include "whoknows/v1/ingest.pb.h"

namespace whoknows::ranking {

struct LearnOptions {
  RankingOptions ranking;  // its weights are the prior the fit shrinks to
  ModelOptions model;
  // The latest `example_fraction` of the labelled questions become training
  // examples, in `folds` consecutive blocks; each block is ranked by the
  // catalog as it was at the block's first question. More folds replay the
  // history more faithfully and cost one model build each.
  double example_fraction = 0.4;
  int folds = 4;
  // Only questions before this time (unix s) are used; 0: all.
  int64_t created_before = 0;
  // Fewer questions with an accepted answer than this is an error: the fit
  // would mostly return the prior. Bigger demands more history.
  int min_labelled_questions = 20;
  FitOptions fit;
  // Who helped with which question, as the intranet reported it
  // (Ingest.RecordOutcome, outcomes.jsonl): each is one more training pair
  // (the question -> the helper) beside the replayed history, ranked by the
  // catalog as it was when the question was asked (a question post's
  // creation; for a question given by text, the outcome's time). A pair the
  // history already holds (the helper's accepted answer to that post) is
  // not counted twice. Outcomes after created_before are left out.
  std::vector<v1::Outcome> outcomes;
  std::function<void(const std::string&)> log;  // progress, optional

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

struct LearnReport {
  FitResult fit;
  int labelled_questions = 0;  // questions accepted from someone else
  int examples = 0;            // ranked, with the solver among candidates
  int missed = 0;              // the solver was not among the candidates
  double mrr_prior = 0;        // in-sample MRR with the prior weights
  double mrr_fitted = 0;       // and with the fitted weights
  // Of examples and missed: how many came from outcomes.
  int outcome_examples = 0;
  int outcome_missed = 0;
  // The replayed examples themselves, for offline studies (eval's
  // --features-tsv writes them beside the test questions' features).
  std::vector<TrainingExample> replayed;
};

// Replaces options->weights with the learned weights in `data_dir` when
// there are any; a file that cannot be read is an error (not silently the
// defaults).
absl::Status ApplyLearnedWeights(const std::string& data_dir,
                                 RankingOptions* options);

// Needs questions with accepted answers (Post.accepted); fails with
// FAILED_PRECONDITION when fewer than options.min_labelled_questions are
// labelled, INVALID_ARGUMENT when options.Validate() fails.
absl::StatusOr<LearnReport> LearnFusionWeights(const index::Catalog& catalog,
                                               const LearnOptions& options);

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_LEARNING_H_
