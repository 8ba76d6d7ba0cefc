// Ranks people by the evidence that they have faced a question before.
// The options, query and result types are in ranking/ranking_options.h;
// IsSuggestable is in ranking/vocabulary.h. No Eigen here: the model is only
// forward-declared.
#ifndef WHOKNOWS_RANKING_EXPERT_FINDER_H_
#define WHOKNOWS_RANKING_EXPERT_FINDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "ranking/ranking_options.h"

namespace whoknows::ranking {

class ExpertiseModel;  // ranking/expertise_model.h
class ExposureLedger;  // ranking/exposure.h
class OutcomeSet;      // ranking/outcomes.h

// What a ranking reads. Live queries use the catalog's newest snapshot and
// the model store's current model; learning replays history against a
// snapshot of the past.
struct RankingContext {
  std::shared_ptr<const index::Snapshot> snapshot;
  std::shared_ptr<const ExpertiseModel> model;  // null: text and activity only
  int64_t created_before = 0;  // search only posts created before (unix s)
  // "Now" for decay and recency (unix s); 0: RankingOptions::clock(). A
  // replay of history sets it to its cut-off.
  int64_t now = 0;
  bool all_candidates = false;  // ignore the limit; skip evidence and paths
  // Who was suggested lately, for the exposure budget
  // (RankingOptions::exposure_weight); null: no penalty. Read at
  // exposure_now (unix s; 0: as `now`), which a replay sets to each
  // question's time while `now` stays at its cut-off.
  const ExposureLedger* exposure = nullptr;
  int64_t exposure_now = 0;
  // Who helped with which question (Ingest.RecordOutcome); null: none.
  // Replays of history leave it null: outcomes are their labels.
  std::shared_ptr<const OutcomeSet> outcomes;
};

// The posts search that ExpertFinder::Find runs first (stage 1, retrieve)
// for `query`: with Catalog::SearchOnly, the raw retrieval that FindExperts'
// latency is measured against (bench/, eval/).
index::SearchOptions RetrievalOptions(const RankingOptions& options,
                                      const ExpertQuery& query,
                                      const RankingContext& context);

class ActivityMemos;  // expert_finder.cc

// Finds experts (RankingOptions says how). Find runs the stages retrieve,
// vote, widen, features, fuse and explain over one query's candidates.
// Thread safety: const; call Find from any thread.
class ExpertFinder {
 public:
  using ModelSource = std::function<std::shared_ptr<const ExpertiseModel>()>;
  using OutcomeSource = std::function<std::shared_ptr<const OutcomeSet>()>;
  // `exposure`, when given, is what Find(query) reads the exposure budget
  // from (it must outlive the finder); the caller records what it returns.
  explicit ExpertFinder(const index::Catalog& catalog,
                        RankingOptions options = {}, ModelSource models = {},
                        const ExposureLedger* exposure = nullptr,
                        OutcomeSource outcomes = {})
      : catalog_(catalog),
        options_(std::move(options)),
        models_(std::move(models)),
        exposure_(exposure),
        outcomes_(std::move(outcomes)) {}
  absl::StatusOr<FindResult> Find(const ExpertQuery& query) const;
  absl::StatusOr<FindResult> Find(const ExpertQuery& query,
                                  const RankingContext& context) const;
  const RankingOptions& options() const { return options_; }
  // The outcomes live queries see now (null without a source): what
  // evidence ids with kOutcomeEvidencePrefix name.
  std::shared_ptr<const OutcomeSet> outcomes() const {
    return outcomes_ ? outcomes_() : nullptr;
  }

 private:
  const index::Catalog& catalog_;
  RankingOptions options_;
  ModelSource models_;
  const ExposureLedger* exposure_;
  OutcomeSource outcomes_;
  // Each person's activity features at one snapshot and one "now",
  // computed once for the queries of that second (shared by copies).
  std::shared_ptr<ActivityMemos> activity_ = MakeActivityMemos();
  static std::shared_ptr<ActivityMemos> MakeActivityMemos();
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EXPERT_FINDER_H_
