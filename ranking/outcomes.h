// Outcomes as evidence: who helped with which question (index/outcomes.h)
// votes for the helper when a later question matches that question, as an
// answer to it would (docs/ranking.md, "Outcomes").
#ifndef WHOKNOWS_RANKING_OUTCOMES_H_
#define WHOKNOWS_RANKING_OUTCOMES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/catalog.h"
#include "index/outcomes.h"

namespace whoknows::ranking {

// The prefix of an outcome's evidence id ("outcome:<id>"): never a post id
// of the catalog's (those are what connectors send; an outcome's evidence
// is looked up here instead).
inline constexpr char kOutcomeEvidencePrefix[] = "outcome:";

// An immutable set of outcomes, indexed for one query at a time: those that
// name a question post by its id, and the words of those that carry their
// question's text. Thread safety: const, shared by concurrent queries.
class OutcomeSet {
 public:
  // A text's index terms, grouped by word (Catalog::QueryTerms).
  using Terms =
      std::function<std::vector<std::vector<std::string>>(const std::string&)>;
  OutcomeSet(std::vector<v1::Outcome> outcomes, const Terms& terms);

  size_t size() const { return outcomes_.size(); }
  const v1::Outcome& outcome(size_t i) const { return outcomes_[i]; }
  // The outcome as the post it stands for in a ranking: by the helper, an
  // (accepted, for OUTCOME_KIND_ACCEPTED) answer, dated at the outcome, with
  // id kOutcomeEvidencePrefix + its id and the question's title.
  const index::PostMeta& meta(size_t i) const { return metas_[i]; }
  // The outcomes naming `post_id` as their question.
  const std::vector<size_t>* ForPost(const std::string& post_id) const;
  // The outcomes with a question text that shares at least `min_coverage`
  // of the query's words (`query_terms`, grouped by word), with that share.
  std::vector<std::pair<size_t, double>> Match(
      const std::vector<std::vector<std::string>>& query_terms,
      double min_coverage) const;
  // The outcome behind an evidence id, or null.
  const v1::Outcome* FindByEvidenceId(const std::string& evidence_id) const;

 private:
  std::vector<v1::Outcome> outcomes_;
  std::vector<index::PostMeta> metas_;
  std::unordered_map<std::string, std::vector<size_t>> by_post_;
  std::unordered_map<std::string, std::vector<size_t>> by_term_;
  std::unordered_map<std::string, size_t> by_evidence_id_;
};

// A data folder's outcomes: the log (index::OutcomeLog) and the set that
// queries read, rebuilt after each change. Rebuilding reads every outcome's
// text again (linear in the outcomes: milliseconds for thousands).
// Thread safety: every method may be called from any thread.
class OutcomeStore {
 public:
  OutcomeStore(const index::Catalog& catalog, std::string data_dir);
  // Reads outcomes.jsonl (at start).
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  // Appends a validated outcome durably, then publishes it to queries.
  absl::Status Record(const v1::Outcome& outcome) ABSL_LOCKS_EXCLUDED(mu_);
  // Erasure: every outcome whose helper or asker is `person_id` leaves the
  // file and the published set; how many.
  absl::StatusOr<int64_t> RemovePerson(const std::string& person_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const OutcomeSet> current() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Status Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const index::Catalog& catalog_;
  index::OutcomeLog log_;
  absl::Mutex write_mu_;  // one change (append or erasure, and reload) at once
  mutable absl::Mutex mu_;  // guards set_; taken after write_mu_
  std::shared_ptr<const OutcomeSet> set_ ABSL_GUARDED_BY(mu_);
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_OUTCOMES_H_
