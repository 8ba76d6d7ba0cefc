#include "ranking/vocabulary.h"

#include <algorithm>
#include <cmath>

#include "index/catalog.h"
#include "index/dense_index.h"
#include "ranking/validate.h"

namespace whoknows::ranking {

absl::Status RoleWeights::Validate() const {
  const std::pair<const char*, double> fields[] = {
      {"accepted_answer", accepted_answer},
      {"answer", answer},
      {"article", article},
      {"question", question},
      {"comment", comment}};
  for (const auto& [name, value] : fields) {
    absl::Status s = validate::Check(validate::Finite(value) && value >= 0,
                                     name, "a finite number >= 0");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

double RoleWeight(const RoleWeights& w, const index::PostMeta& m) {
  return RoleWeight(w, m.kind, m.accepted);
}

double RoleWeight(const RoleWeights& w, v1::PostKind kind, bool accepted) {
  switch (kind) {
    case v1::POST_KIND_ANSWER:
      return accepted ? w.accepted_answer : w.answer;
    case v1::POST_KIND_ARTICLE:
      return w.article;
    case v1::POST_KIND_QUESTION:
      return w.question;
    case v1::POST_KIND_COMMENT:
      return w.comment;
    default:
      return 0;
  }
}

double AgeDecay::operator()(int64_t t) const {
  if (half_life_days_ <= 0) return 1;
  const double age = static_cast<double>(index::SecondsSince(now_, t));
  return std::exp2(-age / (half_life_days_ * kSecondsPerDay));
}

double DaysBefore(int64_t now, int64_t t) {
  return static_cast<double>(index::SecondsSince(now, t)) / kSecondsPerDay;
}

bool MayBeSuggested(const index::Snapshot& snapshot,
                    const std::string& person_id,
                    const SuggestionScope& scope) {
  if (person_id.empty() || person_id == scope.asker_id) return false;
  return MayBeSuggested(snapshot.FindPerson(person_id), person_id, scope);
}

bool MayBeSuggested(const v1::Person* p, std::string_view person_id,
                    const SuggestionScope& scope) {
  if (person_id.empty() || person_id == scope.asker_id) return false;
  if (!p || !IsSuggestable(*p)) return false;
  if (scope.now != 0 && p->has_away_until() &&
      p->away_until().seconds() > scope.now)
    return false;
  if (!scope.department.empty() && p->department() != scope.department)
    return false;
  if (!scope.site.empty() && p->site() != scope.site) return false;
  return true;
}

bool MayBeSuggested(const index::DenseIndex& dense, uint32_t person,
                    uint32_t asker, const SuggestionScope& scope) {
  if (!scope.department.empty() || !scope.site.empty())
    return MayBeSuggested(dense.person(person), dense.person_id(person), scope);
  const index::DenseIndex::PersonFacts& f = dense.person_facts(person);
  return f.suggestable && person != asker &&
         !(scope.now != 0 && f.away_until > scope.now);
}

bool MayAppearOnPath(const index::Snapshot& snapshot,
                     const std::string& person_id) {
  const v1::Person* p = snapshot.FindPerson(person_id);
  return p && !p->opted_out();
}

}  // namespace whoknows::ranking
