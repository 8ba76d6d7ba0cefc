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

std::shared_ptr<const OutcomeSet::Entry> OutcomeSet::MakeEntry(
    v1::Outcome o, const Terms& terms) {
  auto e = std::make_shared<Entry>();
  e->meta = MetaOf(o);
  // The post's own text is in the catalog when the outcome names it: its
  // match votes, and the outcome's words would only repeat it.
  if (o.question_post_id().empty() && terms) {
    const std::string text = absl::StrCat(o.title(), "\n", o.body(), "\n",
                                          absl::StrJoin(o.tags(), " "));
    for (const auto& word : terms(text))
      e->terms.insert(e->terms.end(), word.begin(), word.end());
    std::sort(e->terms.begin(), e->terms.end());
    e->terms.erase(std::unique(e->terms.begin(), e->terms.end()),
                   e->terms.end());
  }
  o.clear_body();
  e->outcome = std::move(o);
  return e;
}

OutcomeSet::OutcomeSet(std::vector<v1::Outcome> outcomes, const Terms& terms) {
  std::vector<std::shared_ptr<const Entry>> entries;
  entries.reserve(outcomes.size());
  for (v1::Outcome& o : outcomes)
    entries.push_back(MakeEntry(std::move(o), terms));
  *this = OutcomeSet(entries);
}

OutcomeSet::OutcomeSet(
    const std::vector<std::shared_ptr<const Entry>>& entries) {
  if (entries.empty()) return;
  chunks_.push_back(MakeChunk(0, entries));
  size_ = entries.size();
}

std::shared_ptr<const OutcomeSet::Chunk> OutcomeSet::MakeChunk(
    size_t begin, std::vector<std::shared_ptr<const Entry>> entries) {
  auto c = std::make_shared<Chunk>();
  c->begin = begin;
  c->entries = std::move(entries);
  for (size_t k = 0; k < c->entries.size(); ++k) {
    const Entry& e = *c->entries[k];
    const size_t i = begin + k;
    c->by_evidence_id[e.meta.id] = i;
    if (!e.outcome.question_post_id().empty())
      c->by_post[e.outcome.question_post_id()].push_back(i);
    for (const std::string& term : e.terms) c->by_term[term].push_back(i);
  }
  return c;
}

std::shared_ptr<const OutcomeSet> OutcomeSet::With(
    std::shared_ptr<const Entry> entry) const {
  auto set = std::shared_ptr<OutcomeSet>(new OutcomeSet());
  set->chunks_ = chunks_;
  set->size_ = size_ + 1;
  std::vector<std::shared_ptr<const Entry>> tail = {std::move(entry)};
  size_t begin = size_;
  // Merge while the chunk before is no bigger than the tail: the chunks'
  // sizes stay decreasing powers of two, each outcome re-indexed at most
  // log2(n) times over its life.
  while (!set->chunks_.empty() &&
         set->chunks_.back()->entries.size() <= tail.size()) {
    const Chunk& last = *set->chunks_.back();
    tail.insert(tail.begin(), last.entries.begin(), last.entries.end());
    begin = last.begin;
    set->chunks_.pop_back();
  }
  set->chunks_.push_back(MakeChunk(begin, std::move(tail)));
  return set;
}

const OutcomeSet::Entry& OutcomeSet::entry(size_t i) const {
  auto it =
      std::upper_bound(chunks_.begin(), chunks_.end(), i,
                       [](size_t n, const std::shared_ptr<const Chunk>& c) {
                         return n < c->begin;
                       });
  const Chunk& c = **std::prev(it);
  return *c.entries[i - c.begin];
}

std::vector<size_t> OutcomeSet::ForPost(const std::string& post_id) const {
  std::vector<size_t> out;
  for (const auto& c : chunks_) {
    auto it = c->by_post.find(post_id);
    if (it != c->by_post.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

std::vector<std::pair<size_t, double>> OutcomeSet::Match(
    const std::vector<std::vector<std::string>>& query_terms,
    double min_coverage) const {
  std::vector<std::pair<size_t, double>> out;
  if (query_terms.empty()) return out;
  // words[i]: how many query words outcome i holds (a word counts once,
  // whichever of its alternatives matched).
  std::unordered_map<size_t, int> words;
  std::vector<size_t> seen;
  for (const auto& alternatives : query_terms) {
    seen.clear();
    for (const auto& c : chunks_) {
      for (const auto& term : alternatives) {
        auto it = c->by_term.find(term);
        if (it == c->by_term.end()) continue;
        seen.insert(seen.end(), it->second.begin(), it->second.end());
      }
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
  for (const auto& c : chunks_) {
    auto it = c->by_evidence_id.find(evidence_id);
    if (it != c->by_evidence_id.end()) return &outcome(it->second);
  }
  return nullptr;
}

OutcomeStore::OutcomeStore(const index::Catalog& catalog, std::string data_dir)
    : catalog_(catalog),
      log_(std::move(data_dir)),
      set_(std::make_shared<OutcomeSet>(
          std::vector<std::shared_ptr<const OutcomeSet::Entry>>{})) {}

OutcomeSet::Terms OutcomeStore::TermsOf() const {
  return [this](const std::string& text) { return catalog_.QueryTerms(text); };
}

absl::Status OutcomeStore::Reload() {
  WK_ASSIGN_OR_RETURN(std::vector<v1::Outcome> outcomes, log_.Load());
  entries_.clear();
  position_.clear();
  const OutcomeSet::Terms terms = TermsOf();
  for (v1::Outcome& o : outcomes) {
    if (!o.id().empty()) position_[o.id()] = entries_.size();
    entries_.push_back(OutcomeSet::MakeEntry(std::move(o), terms));
  }
  Publish();
  return absl::OkStatus();
}

void OutcomeStore::Publish() {
  auto set = std::make_shared<const OutcomeSet>(entries_);
  absl::MutexLock lock(&mu_);
  set_ = std::move(set);
}

absl::Status OutcomeStore::Load() {
  absl::MutexLock lock(&write_mu_);
  return Reload();
}

absl::Status OutcomeStore::Record(const v1::Outcome& outcome) {
  auto entry = OutcomeSet::MakeEntry(outcome, TermsOf());  // before the lock
  absl::MutexLock lock(&write_mu_);
  WK_RETURN_IF_ERROR(log_.Append(outcome));
  // As Load would read the file now: a recorded id replaces its earlier
  // record in place.
  auto [it, added] = position_.try_emplace(outcome.id(), entries_.size());
  if (added || outcome.id().empty()) {
    entries_.push_back(entry);
    auto set = current()->With(std::move(entry));
    absl::MutexLock lock(&mu_);
    set_ = std::move(set);
  } else {
    entries_[it->second] = std::move(entry);
    Publish();
  }
  return absl::OkStatus();
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
