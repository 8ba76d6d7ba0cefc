#include "ranking/outcomes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace whoknows::ranking {
namespace {

index::PostMeta MetaOf(const v1::Outcome& o) {
  index::PostMeta m;
  m.id = absl::StrCat(kOutcomeEvidencePrefix, o.id());
  m.author_id = o.helper_id();
  m.thread_id = o.question_post_id();
  m.kind = v1::POST_KIND_ANSWER;
  m.accepted = o.kind() == v1::OUTCOME_KIND_ACCEPTED;
  m.created = o.time().seconds();
  m.title = o.title();  // the post's, read at answer time, when it has one
  m.tags.assign(o.tags().begin(), o.tags().end());
  return m;
}

}  // namespace

OutcomeSet::OutcomeSet(std::vector<v1::Outcome> outcomes, const Terms& terms)
    : outcomes_(std::move(outcomes)) {
  metas_.reserve(outcomes_.size());
  for (size_t i = 0; i < outcomes_.size(); ++i) {
    const v1::Outcome& o = outcomes_[i];
    metas_.push_back(MetaOf(o));
    by_evidence_id_[metas_.back().id] = i;
    if (!o.question_post_id().empty()) {
      // The post's own text is in the catalog: its match votes.
      by_post_[o.question_post_id()].push_back(i);
      continue;
    }
    const std::string text = absl::StrCat(o.title(), "\n", o.body(), "\n",
                                          absl::StrJoin(o.tags(), " "));
    for (const auto& word : terms(text)) {
      for (const auto& term : word) {
        auto& list = by_term_[term];
        if (list.empty() || list.back() != i) list.push_back(i);
      }
    }
  }
}

const std::vector<size_t>* OutcomeSet::ForPost(
    const std::string& post_id) const {
  auto it = by_post_.find(post_id);
  return it == by_post_.end() ? nullptr : &it->second;
}

std::vector<std::pair<size_t, double>> OutcomeSet::Match(
    const std::vector<std::vector<std::string>>& query_terms,
    double min_coverage) const {
  std::vector<std::pair<size_t, double>> out;
  if (query_terms.empty() || by_term_.empty()) return out;
  // words[i]: how many query words outcome i holds (a word counts once,
  // whichever of its alternatives matched).
  std::unordered_map<size_t, int> words;
  std::vector<size_t> seen;
  for (const auto& alternatives : query_terms) {
    seen.clear();
    for (const auto& term : alternatives) {
      auto it = by_term_.find(term);
      if (it == by_term_.end()) continue;
      seen.insert(seen.end(), it->second.begin(), it->second.end());
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (size_t i : seen) ++words[i];
  }
  const double n = static_cast<double>(query_terms.size());
  for (const auto& [i, count] : words) {
    const double coverage = count / n;
    if (coverage >= min_coverage) out.emplace_back(i, coverage);
  }
  std::sort(out.begin(), out.end());  // a stable order for the votes
  return out;
}

const v1::Outcome* OutcomeSet::FindByEvidenceId(
    const std::string& evidence_id) const {
  auto it = by_evidence_id_.find(evidence_id);
  return it == by_evidence_id_.end() ? nullptr : &outcomes_[it->second];
}

OutcomeStore::OutcomeStore(const index::Catalog& catalog, std::string data_dir)
    : catalog_(catalog),
      log_(std::move(data_dir)),
      set_(std::make_shared<OutcomeSet>(std::vector<v1::Outcome>{},
                                        OutcomeSet::Terms{})) {}

absl::Status OutcomeStore::Reload() {
  WK_ASSIGN_OR_RETURN(std::vector<v1::Outcome> outcomes, log_.Load());
  auto set = std::make_shared<const OutcomeSet>(
      std::move(outcomes),
      [this](const std::string& text) { return catalog_.QueryTerms(text); });
  absl::MutexLock lock(&mu_);
  set_ = std::move(set);
  return absl::OkStatus();
}

absl::Status OutcomeStore::Load() {
  absl::MutexLock lock(&write_mu_);
  return Reload();
}

absl::Status OutcomeStore::Record(const v1::Outcome& outcome) {
  absl::MutexLock lock(&write_mu_);
  WK_RETURN_IF_ERROR(log_.Append(outcome));
  return Reload();
}

absl::StatusOr<int64_t> OutcomeStore::RemovePerson(
    const std::string& person_id) {
  absl::MutexLock lock(&write_mu_);
  WK_ASSIGN_OR_RETURN(int64_t removed, log_.RemovePerson(person_id));
  WK_RETURN_IF_ERROR(Reload());
  return removed;
}

std::shared_ptr<const OutcomeSet> OutcomeStore::current() const {
  absl::MutexLock lock(&mu_);
  return set_;
}

}  // namespace whoknows::ranking
