// The fusion model: how the signals combine into one score, with weights
// that work out of the box and can be learned from a company's own history.
//
// score(person) = sum over signals s of weight[s] * feature[s](person)
//
// a log-linear (conditional logit) model: exp(score) is proportional to the
// probability that this person is the one who solves the question, among the
// candidates. Each term of the sum is reported as the signal's share of the
// score (ExpertMatch.breakdown), so every suggestion explains itself.
#ifndef WHOKNOWS_RANKING_FUSION_H_
#define WHOKNOWS_RANKING_FUSION_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace whoknows::ranking {

// The features, each a monotone transform of one kind of evidence
// (docs/ranking.md gives the formulas):
enum class Signal : int {
  kText = 0,   // log of the person's share of the text votes (Model 2)
  kEmbedding,  // cosine of query and person in the learned latent space
  kTags,       // log(1 + decayed posts in threads with the query's tags)
  kActivity,   // log(1 + decayed answers): people who answer, answer
  kRecency,    // -log(1 + days since the person last posted / 30)
  kAuthority,  // log of weighted PageRank on the help graph (1 = average)
  kProximity,  // log(1 + personalized PageRank from the asker x people)
  kRecent,     // log(1 + answers in the last 30 days): who answers now
};
inline constexpr int kNumSignals = 8;
const char* SignalName(Signal s);
// Signal by name, for option parsing; false when unknown.
bool SignalFromName(const std::string& name, Signal* out);

using Features = std::array<double, kNumSignals>;

struct FusionWeights {
  Features weight{};
  // What the weights were learned from, for the record (empty: defaults).
  std::string provenance;

  // Weights learned on the beer development set's earlier history and
  // rounded; checked on a second time split and on the demo company (see
  // docs/ranking.md). They assume nothing about the company's size.
  static FusionWeights Defaults();
  double Score(const Features& f) const;

  // JSON: {"weights": {"text": 1.0, ...}, "provenance": "..."}. Missing
  // signals keep their default weight; unknown names are an error.
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<FusionWeights> Load(const std::string& path);
};

// One past question: the features of each candidate the engine would have
// considered and which of them solved it.
struct TrainingExample {
  std::vector<Features> candidates;
  int label = -1;  // index into candidates
  // For offline studies (eval's --features-tsv): the question's post id
  // (empty for an outcome given as text), each candidate's person id and
  // the replay's cut-off (unix s).
  std::string question_id;
  std::vector<std::string> people;
  int64_t cutoff = 0;
};

struct FitOptions {
  // L2 penalty towards `prior` weights: keeps weights sane when the history
  // is short. Larger trusts the defaults more.
  double l2 = 1.0;
  // Newton steps at most; each costs a pass over the examples.
  int max_iterations = 50;
  // The fit stops when no weight's gradient exceeds this: smaller is more
  // exact and may cost more steps.
  double gradient_tolerance = 1e-9;
  // A Newton step that does not improve the objective is halved up to this
  // many times (backtracking); each halving costs a pass over the examples.
  int max_step_halvings = 30;
  // Signals held at their prior weight (e.g. absent in this company).
  std::array<bool, kNumSignals> frozen{};

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

struct FitResult {
  FusionWeights weights;
  int examples = 0;
  int iterations = 0;
  double log_likelihood = 0;  // per example, at the optimum
};

// Maximum-likelihood conditional logit with an L2 penalty, by Newton's
// method (the objective is convex, so the optimum is unique).
FitResult FitConditionalLogit(const std::vector<TrainingExample>& examples,
                              const FusionWeights& prior,
                              const FitOptions& options = {});

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_FUSION_H_
