// Ranks people by the evidence that they have faced a question before.
#ifndef WHOKNOWS_RANKING_EXPERT_FINDER_H_
#define WHOKNOWS_RANKING_EXPERT_FINDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/catalog.h"

namespace whoknows::ranking {

// The baseline model: document-centric evidence aggregation (Balog et al.'s
// Model 2, the voting model). The top `max_posts` posts by BM25 vote for the
// people associated with them, each vote weighted by the post's normalized
// BM25 score and by the person's role in the post; an activity prior then
// favours people who have answered before. See docs/architecture.md.
struct RankingOptions {
  // Depth of the post ranking. Deeper finds rarer experts and costs linear
  // time per query.
  int max_posts = 1000;
  // Role weights: how much a matching post says about each person in it.
  double accepted_answer = 1.0;  // wrote the accepted answer
  double answer = 0.5;           // wrote another answer
  double article = 0.8;          // wrote an article
  double question = 0.05;        // asked: faced the problem, maybe not solved
  double comment = 0.1;          // commented
  // A matching question (or article) also credits the people who answered
  // in its thread: their answer addresses that question even when it shares
  // few words with the query. Multiplies the answer/accepted weights.
  double thread_answerers = 1.0;
  // Expertise fades and people move on: a post's vote, and each answer in
  // the activity prior, is weighted 2^(-age / half_life), age measured from
  // the newest post in the catalog. 0 disables decay.
  double half_life_days = 365;
  // Activity prior: the text score is multiplied by
  // (1 + recent answers)^prior_weight, where recent answers are the
  // decayed count. 0 disables the prior; 1 is proportional to activity.
  double prior_weight = 1.0;
  // Evidence posts returned per expert.
  int evidence_per_expert = 3;
};

struct ExpertQuery {
  std::string query;
  std::string asker_id;  // never suggested
  int limit = 10;
  std::string department;  // filters on the suggested person, optional
  std::string site;
  std::string language;  // only evidence in this language, optional
};

enum class Role {
  kAcceptedAnswer,
  kAnswer,
  kArticle,
  kQuestion,
  kComment,
};

struct EvidencePost {
  std::string post_id;
  Role role = Role::kAnswer;
  double contribution = 0;  // share of the text score
};

struct ExpertResult {
  std::string person_id;
  double score = 0;
  // Signal name -> contribution; they add up to `score`.
  std::map<std::string, double> breakdown;
  std::vector<EvidencePost> evidence;  // best first
};

struct FindResult {
  std::vector<ExpertResult> experts;  // best first
  int64_t matched_posts = 0;
};

// Thread safety: const and stateless; call Find from any thread.
class ExpertFinder {
 public:
  ExpertFinder(const index::Catalog& catalog, RankingOptions options = {})
      : catalog_(catalog), options_(options) {}
  absl::StatusOr<FindResult> Find(const ExpertQuery& query) const;
  const RankingOptions& options() const { return options_; }

 private:
  const index::Catalog& catalog_;
  RankingOptions options_;
};

// True when a person may be suggested at all: known, active, not opted out.
bool IsSuggestable(const v1::Person& person);

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EXPERT_FINDER_H_
