// Offline evaluation of expert finding on a Stack Exchange dump.
#ifndef WHOKNOWS_EVAL_EVALUATION_H_
#define WHOKNOWS_EVAL_EVALUATION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/expert_finder.h"
#include "ranking/exposure.h"
#include "ranking/learning.h"

namespace whoknows::eval {

struct EvalOptions {
  std::string dump_dir;  // a Stack Exchange dump folder
  // Where the training catalog is built (emptied first). Required.
  std::string work_dir;
  double test_fraction = 0.2;  // the last share of questions held out
  // Where the protocol's question list ends, as a share of it: 1 is the
  // standard split; 0.8 replays the protocol on the first 80% of the
  // questions (a second, earlier split by time, to check that what helps
  // is not tuned to one test period).
  double window_end = 1.0;
  ranking::RankingOptions ranking;
  ranking::ModelOptions model;
  // Also learn fusion weights from the history before the cut-off and
  // evaluate them (the `whoknows learn` procedure).
  bool learn = true;
  ranking::LearnOptions learning;
  // When set, every candidate's features for every test question are
  // written here as TSV (question, person, is_expert, answered, cold, the
  // expert's rank with the default weights (0: below 100), features...), for
  // offline analysis.
  std::string features_tsv;
  // When > 0, also measure the engine as it runs in a company, fed as posts
  // arrive: the test questions are taken in windows of this many days and
  // before each window the dump is re-imported up to the window's first
  // question (posts, people, votes and acceptances made by then). Nothing
  // created inside a window is seen while ranking it. Not the protocol's
  // figure, which keeps the single cut-off; a measure of how much of the gap
  // to the protocol's targets is profiles aging over the test period.
  int rolling_days = 0;
  // When not empty, the exposure replay (docs/ranking.md, "Exposure
  // budget"): for each of these penalty shapes (weight 0: no budget), the
  // test questions are ranked in time order as a server would answer them,
  // each question's top `exposure_slots` fed into a fresh ExposureLedger at
  // the question's time, so that later questions see who was suggested
  // before them.
  std::vector<ranking::ExposureShape> exposure_replay;
  int exposure_slots = 10;
  std::function<void(const std::string&)> log;  // progress lines, optional
};

struct Metrics {
  std::string name;
  double mrr = 0, p_at_1 = 0, hit_at_10 = 0, ndcg_at_10 = 0;
  // Gini coefficient of how often each person who answered before the
  // cut-off is suggested at ranks 1-3 over the test questions: 0 spreads
  // the load evenly, 1 sends every question to the same people.
  double exposure_gini = 0;
  // The same metrics over the cold-start slice only.
  double cold_mrr = 0, cold_p_at_1 = 0, cold_hit_at_10 = 0;
  // The questions the means are over, all and cold-start: what pooling
  // several communities weighs each one's figures by.
  int questions = 0, cold_questions = 0;
};

// One penalty shape of the exposure replay.
struct ExposureReplayRow {
  ranking::ExposureShape shape;
  // MRR, P@1, ... as in `rows`; exposure_gini as there: over the top-3
  // slots, among the people who answered before the cut-off and anyone
  // suggested.
  Metrics metrics;
  // The share of the top-3 slots that went to the top 1% of those people
  // (ceil(1%), the most suggested first).
  double top1_share = 0;
  // The Gini over the people suggested at least once (in the top 3).
  double suggested_gini = 0;
  // Top-3 slots per person of that population (0 included), for pooling.
  std::vector<double> slots;
  // Position-weighted exposure (Singh & Joachims 2018; Biega et al. 2018):
  // each returned top-10 slot gives its person 1 / log2(1 + rank). One
  // value per person who answered before the cut-off (0 included): the
  // people who could be asked. What went to anyone else (askers and
  // commenters who never answered) is `attention_outside`.
  std::vector<double> attention;
  double attention_outside = 0;
  // The Gini of `attention` and the share of it held by the top 1% of those
  // people (ceil(1%)).
  double attention_gini = 0;
  double attention_top1_share = 0;
};

// The position weight of a returned slot (rank 1 first): 1 / log2(1 + rank).
double PositionWeight(int rank);

// The Gini coefficient of `x` (0: even; towards 1: all to one), and the
// share of sum(x) held by the largest ceil(fraction * size) values.
double Gini(std::vector<double> x);
double TopShare(std::vector<double> x, double fraction);
// The Gini of the non-zero values of `slots` only.
double SuggestedGini(const std::vector<double>& slots);

struct EvalReport {
  int test_questions = 0;
  int64_t cutoff = 0;         // unix seconds: first test question's creation
  std::vector<Metrics> rows;  // whoknows first, then the baselines
  // whoknows with each signal's weight set to zero in turn (signals off by
  // default: set to 0.5).
  std::vector<Metrics> ablation;
  // Test questions whose expert had fewer than 3 posts before the cut-off.
  int cold_start_questions = 0;
  ranking::FusionWeights default_weights, learned_weights;
  int learned_examples = 0;
  double seconds_import = 0;
  double query_p50_ms = 0, query_p99_ms = 0;  // whoknows, in process
  // Calibration of ExpertMatch.confidence (default weights): the first
  // suggestion's confidence against whether it was the expert, over the
  // test questions, in bins of confidence [0, .1, .2, .4, .6, 1].
  struct CalibrationBin {
    double low = 0, high = 0;
    int questions = 0;
    double mean_confidence = 0;  // of the first suggestion
    double right = 0;            // share whose first suggestion was right
  };
  std::vector<CalibrationBin> calibration;
  double mean_top_confidence = 0;  // over every test question
  // The raw Xapian search of the same queries (the expanded query, top
  // RankingOptions::max_posts, nothing else), alternating with them.
  double raw_p50_ms = 0, raw_p99_ms = 0;
  ranking::StageTimes stage_mean_ms;  // where the timed queries' time went
  // With EvalOptions::rolling_days: whoknows (default weights) and
  // popularity on the same windows, and the number of windows.
  std::vector<Metrics> rolling;
  int rolling_days = 0, rolling_windows = 0;
  // With EvalOptions::exposure_replay: one row per weight, in that order.
  std::vector<ExposureReplayRow> exposure_replay;
  int exposure_slots = 0;
};

// The standard community-Q&A protocol (shared/datasets/README.md): questions
// whose accepted answer was written by someone other than the asker, sorted
// by creation; the last `test_fraction` are test questions; only rows created
// before the first of them are ingested; the accepted answerer is the expert
// to find, and every answerer counts as relevant for nDCG. Baselines run over
// the same index in the same process: popularity, CombSUM, CombMNZ and
// CombSUM x log(2 + answers).
absl::StatusOr<EvalReport> EvaluateStackExchange(const EvalOptions& options);

// A fixed-width table of the report for terminals.
std::string FormatReport(const EvalReport& report);

// One community of a pool: the protocol run on its dump alone.
struct CommunityReport {
  std::string name;  // the dump folder's name without ".stackexchange.com"
  EvalReport report;
};

struct PoolReport {
  std::vector<CommunityReport> communities;  // in the order given
  // Each ranker of the communities' `rows` (whoknows, learned weights,
  // baselines, matched by name) over the union of every community's test
  // questions: each question counts once, whatever its community. The
  // exposure Gini is left 0: the communities' people are not comparable.
  std::vector<Metrics> pooled;
  int test_questions = 0;
  // The communities' confidence bins merged (each question once), and the
  // mean confidence of the first suggestion over every question: what the
  // confidence scale is calibrated on (docs/ranking.md, "Confidence").
  std::vector<EvalReport::CalibrationBin> calibration;
  double mean_top_confidence = 0;
  // The exposure replay over every community's questions, by weight: the
  // Gini and top-1% share over the union of the communities' people.
  std::vector<ExposureReplayRow> exposure_replay;
};

// The protocol on each dump in turn (each its own cut-off, its own training
// catalog in `options.work_dir`/NAME, its own learned weights; features, when
// asked for, in `options.features_tsv` with ".NAME" before the extension),
// then pooled. `options.dump_dir` is ignored.
absl::StatusOr<PoolReport> EvaluateStackExchangePool(
    const std::vector<std::string>& dump_dirs, const EvalOptions& options);

// Metrics of one ranker over several sets of questions, as if measured over
// their union (means weighted by Metrics::questions and cold_questions).
Metrics PoolMetrics(const std::vector<Metrics>& parts);

// Every community's rows and the pooled ones, as one fixed-width table.
std::string FormatPoolReport(const PoolReport& report);

}  // namespace whoknows::eval

#endif  // WHOKNOWS_EVAL_EVALUATION_H_
