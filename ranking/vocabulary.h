// The ranking vocabulary: the few ideas every ranking signal shares, defined
// once. How much a post says about its author (role weights), how evidence
// fades with age (decay), and who may be suggested at all.
#ifndef WHOKNOWS_RANKING_VOCABULARY_H_
#define WHOKNOWS_RANKING_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "index/clock.h"
#include "index/people.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::v1 {
class Person;
}  // namespace whoknows::v1
namespace whoknows::index {
class DenseIndex;
struct PostMeta;
struct Snapshot;
}  // namespace whoknows::index

namespace whoknows::ranking {

inline constexpr double kSecondsPerDay = 86400.0;

// How much one post says about its author's expertise, by the post's role.
// RoleWeights{} counts nothing: start from one of the defaults below.
struct RoleWeights {
  double accepted_answer = 0;  // wrote the accepted answer
  double answer = 0;           // wrote another answer
  double article = 0;          // wrote an article
  double question = 0;         // asked: faced the problem, maybe not solved
  double comment = 0;          // commented

  // INVALID_ARGUMENT naming the first weight that is negative or not finite.
  absl::Status Validate() const;
};

// The two users of role weights and their defaults, side by side. They
// differ in `question` only. Voting (RankingOptions, docs/ranking.md) counts
// a matching question 0.05: it shows that its asker had the problem, hardly
// that they can solve it, and the answerers of its thread get the credit. The
// profiles (ModelOptions) count a person's questions 0.1: they only shape the
// topics of that person's vectors and tags, next to everything else they
// wrote. The two defaults came from separate changes (the voting model first,
// the profiles later) and no study has chosen between them; aligning them
// would change the ranking, so it is an evaluation to run, not a refactor.
inline constexpr RoleWeights kVotingRoleWeights{.accepted_answer = 1.0,
                                                .answer = 0.5,
                                                .article = 0.8,
                                                .question = 0.05,
                                                .comment = 0.1};
inline constexpr RoleWeights kProfileRoleWeights{.accepted_answer = 1.0,
                                                 .answer = 0.5,
                                                 .article = 0.8,
                                                 .question = 0.1,
                                                 .comment = 0.1};

// The weight of `post` under `weights`: by kind, accepted answers apart;
// 0 for kinds that say nothing about expertise.
double RoleWeight(const RoleWeights& weights, const index::PostMeta& post);
// The same from a post's kind and accepted flag alone.
double RoleWeight(const RoleWeights& weights, v1::PostKind kind, bool accepted);

// "Now" for decay and recency: the server's clock, injected through the
// options (RankingOptions::clock, ModelOptions::clock) so that tests fix it
// and the evaluation replays a dump at its cut-off. Never the newest post:
// one post dated 9999 would then age everyone else's evidence away.
using index::Clock;
using index::SystemClock;

// Expertise fades: evidence from time `t` (unix s) counts
// 2^(-age / half_life), age measured back from `now`; evidence dated after
// `now` counts as new. A half-life of 0 or less disables decay. Safe for
// any int64 times (index::SecondsSince).
class AgeDecay {
 public:
  AgeDecay(int64_t now, double half_life_days)
      : now_(now), half_life_days_(half_life_days) {}
  double operator()(int64_t t) const;

 private:
  int64_t now_;
  double half_life_days_;
};

// Days from `t` (unix s) to `now`; 0 for times after it.
double DaysBefore(int64_t now, int64_t t);

// Who is active and who may be suggested at all are people-directory
// notions, shared with the network analyses (index/people.h).
using index::IsActive;
using index::IsSuggestable;

// The one order of scored (key, score) pairs: higher score first, ties by
// key, so that every ranking is deterministic.
struct HigherScoreFirst {
  template <typename Key, typename Score>
  bool operator()(const std::pair<Key, Score>& a,
                  const std::pair<Key, Score>& b) const {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  }
};

// What a question restricts suggestions to; empty fields restrict nothing.
struct SuggestionScope {
  std::string_view asker_id;    // never suggested to themselves
  std::string_view department;  // of the suggested person
  std::string_view site;        // of the suggested person
  // Unix s: people away until after it (Person.away_until) are not
  // suggested. 0: nobody counts as away.
  int64_t now = 0;
};

// Who may be suggested for a question: a person of `snapshot` who
// IsSuggestable, is not the asker, is not away at scope.now and is within
// the scope.
bool MayBeSuggested(const index::Snapshot& snapshot,
                    const std::string& person_id, const SuggestionScope& scope);
// The same for a person already looked up: `person` is
// snapshot.FindPerson(person_id) (null when unknown).
bool MayBeSuggested(const v1::Person* person, std::string_view person_id,
                    const SuggestionScope& scope);
// The same for person number `person` of `dense`, whose number for
// scope.asker_id is `asker` (DenseIndex::kNone when it has none): read
// from their DenseIndex::PersonFacts unless the scope names a department
// or a site, which only their record holds.
bool MayBeSuggested(const index::DenseIndex& dense, uint32_t person,
                    uint32_t asker, const SuggestionScope& scope);

// Who may be named in the middle of a chain of ties shown to the asker:
// anyone known who has not opted out (an inactive colleague still connects
// people, but is never suggested).
bool MayAppearOnPath(const index::Snapshot& snapshot,
                     const std::string& person_id);

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_VOCABULARY_H_
