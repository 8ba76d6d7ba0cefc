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
// question's text. Held as a few immutable chunks (sizes like a binary
// counter's digits, at most log2(n) + 1), so that adding an outcome makes a
// new set that shares all but the smallest chunks with the old one: amortized
// O(log n) index work a record, not O(n). Thread safety: const, shared by
// concurrent queries.
class OutcomeSet {
 public:
  // A text's index terms, grouped by word (Catalog::QueryTerms).
  using Terms =
      std::function<std::vector<std::vector<std::string>>(const std::string&)>;
  // One outcome as the set holds it, made once (the terms are the costly
  // part) and shared by every set built after it.
  struct Entry {
    v1::Outcome outcome;  // without its body: matched, never shown
    // The outcome as the post it stands for in a ranking (meta()).
    index::PostMeta meta;
    // Its question text's index terms, each once; none when it names a post.
    std::vector<std::string> terms;
  };
  static std::shared_ptr<const Entry> MakeEntry(v1::Outcome outcome,
                                                const Terms& terms);

  OutcomeSet(std::vector<v1::Outcome> outcomes, const Terms& terms);
  explicit OutcomeSet(const std::vector<std::shared_ptr<const Entry>>& entries);
  // This set with `entry` after its last outcome.
  std::shared_ptr<const OutcomeSet> With(
      std::shared_ptr<const Entry> entry) const;

  size_t size() const { return size_; }
  const v1::Outcome& outcome(size_t i) const { return entry(i).outcome; }
  // The outcome as the post it stands for in a ranking: by the helper, an
  // (accepted, for OUTCOME_KIND_ACCEPTED) answer, dated at the outcome, with
  // id kOutcomeEvidencePrefix + its id and the question's title.
  const index::PostMeta& meta(size_t i) const { return entry(i).meta; }
  // The outcomes naming `post_id` as their question, in order.
  std::vector<size_t> ForPost(const std::string& post_id) const;
  // The outcomes with a question text that shares at least `min_coverage`
  // of the query's words (`query_terms`, grouped by word), with that share.
  std::vector<std::pair<size_t, double>> Match(
      const std::vector<std::vector<std::string>>& query_terms,
      double min_coverage) const;
  // The outcome behind an evidence id, or null.
  const v1::Outcome* FindByEvidenceId(const std::string& evidence_id) const;

 private:
  // Outcomes begin .. begin + entries.size() - 1 of the set, indexed; the
  // lists hold those numbers, ascending.
  struct Chunk {
    size_t begin = 0;
    std::vector<std::shared_ptr<const Entry>> entries;
    std::unordered_map<std::string, std::vector<size_t>> by_post;
    std::unordered_map<std::string, std::vector<size_t>> by_term;
    std::unordered_map<std::string, size_t> by_evidence_id;
  };
  static std::shared_ptr<const Chunk> MakeChunk(
      size_t begin, std::vector<std::shared_ptr<const Entry>> entries);
  OutcomeSet() = default;
  const Entry& entry(size_t i) const;

  std::vector<std::shared_ptr<const Chunk>> chunks_;  // in order
  size_t size_ = 0;
};

// A data folder's outcomes: the log (index::OutcomeLog) and the set that
// queries read. A record terms its own text only and adds it to the set
// (OutcomeSet::With); the file is read, and the set built anew, at Load,
// after an erasure, and when a record replaces an earlier one of its id
// (figures: bench/outcome_bench, docs/ranking.md "Outcomes").
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
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  OutcomeSet::Terms TermsOf() const;

  const index::Catalog& catalog_;
  index::OutcomeLog log_;
  absl::Mutex write_mu_;  // one change (append or erasure, and reload) at once
  // The log's outcomes in file order, a later record of an id in the
  // earlier one's place (OutcomeLog::Load's order), and where each id is.
  std::vector<std::shared_ptr<const OutcomeSet::Entry>> entries_
      ABSL_GUARDED_BY(write_mu_);
  std::unordered_map<std::string, size_t> position_ ABSL_GUARDED_BY(write_mu_);
  mutable absl::Mutex mu_;  // guards set_; taken after write_mu_
  std::shared_ptr<const OutcomeSet> set_ ABSL_GUARDED_BY(mu_);
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_OUTCOMES_H_
