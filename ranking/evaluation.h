// Offline evaluation of expert finding on a Stack Exchange dump.
#ifndef WHOKNOWS_RANKING_EVALUATION_H_
#define WHOKNOWS_RANKING_EVALUATION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/expert_finder.h"

namespace whoknows::ranking {

struct EvalOptions {
  std::string dump_dir;  // a Stack Exchange dump folder
  // Where the training catalog is built (emptied first). Required.
  std::string work_dir;
  double test_fraction = 0.2;  // the last share of questions held out
  RankingOptions ranking;
  std::function<void(const std::string&)> log;  // progress lines, optional
};

struct Metrics {
  std::string name;
  double mrr = 0, p_at_1 = 0, hit_at_10 = 0, ndcg_at_10 = 0;
};

struct EvalReport {
  int test_questions = 0;
  int64_t cutoff = 0;         // unix seconds: first test question's creation
  std::vector<Metrics> rows;  // whoknows first, then the baselines
  double seconds_import = 0;
  double query_p50_ms = 0, query_p99_ms = 0;  // whoknows, in process
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

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EVALUATION_H_
