// What a ranking is asked and what it answers: the options of ExpertFinder,
// the query and the result types. Light on purpose (no Eigen, no model):
// servers and tools hold these without the ranking machinery.
#ifndef WHOKNOWS_RANKING_RANKING_OPTIONS_H_
#define WHOKNOWS_RANKING_RANKING_OPTIONS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "index/catalog.h"
#include "ranking/fusion.h"
#include "ranking/vocabulary.h"

namespace whoknows::ranking {

// Finds who has faced a question before. Candidates come from the text
// evidence (Balog et al.'s Model 2, the voting model: the top `max_posts`
// posts by BM25 vote for the people in them, weighted by role and age),
// topped up with the people closest in the embedding space, the strongest
// tag holders and the most active answerers. Each candidate gets one feature
// per signal (fusion.h) and the fused score ranks them. See docs/ranking.md.
//
// The role weights (RoleWeights, vocabulary.h) say how much a matching post
// says about each person in it; they default to kVotingRoleWeights. They are
// a base rather than a member so that `options.answer` reads as before.
struct RankingOptions : RoleWeights {
  RankingOptions() : RoleWeights(kVotingRoleWeights) {}

  // Depth of the post ranking. Deeper finds rarer experts and costs linear
  // time per query.
  int max_posts = 1000;
  // A matching question (or article) also credits the people who answered
  // in its thread: their answer addresses that question even when it shares
  // few words with the query. Multiplies the answer/accepted weights.
  double thread_answerers = 1.0;
  // An outcome whose question is not a post votes when its text holds at
  // least this share of the query's words (stopwords left out), its vote
  // scaled by that share. Lower lets looser matches vote.
  double outcome_min_coverage = 0.5;
  // Expertise fades and people move on: a post's vote, and each answer in
  // the activity signal, is weighted 2^(-age / half_life), age measured
  // from now (`clock`, or RankingContext::now). 0 disables decay.
  double half_life_days = 365;
  // "Now" for decay and recency, unix seconds: the server's clock. Tests
  // inject a fixed time; replays of history set RankingContext::now.
  Clock clock = SystemClock;
  // How the signals combine (learned weights are loaded from the data
  // folder by `serve`).
  FusionWeights weights = FusionWeights::Defaults();
  // Candidates added beyond the text voters, from each of: embedding
  // similarity, tag evidence, recent activity. More finds experts whose
  // words differ from the question's, at a linear cost per query.
  int extra_candidates = 20;
  // Share of the best text score below which text evidence counts as none:
  // the floor of the text feature, log(floor).
  double text_floor = 0.01;
  // The recent feature is log(1 + answers in the last recent_days before
  // now): who answers these weeks, beside the year-long activity signal.
  double recent_days = 30;
  // The recency feature is -log(1 + quiet days / recency_scale_days): a
  // bigger scale makes a few quiet weeks matter less, and only long silences
  // count. Someone who never posted counts as quiet for never_posted_days.
  double recency_scale_days = 30;
  double never_posted_days = 3650;
  // The authority feature is log(authority_floor + authority), authority 1
  // being the average person: a bigger floor flattens the differences among
  // people with little authority.
  double authority_floor = 0.1;
  // Personalized PageRank from the asker: restart probability and push
  // tolerance (smaller explores further and costs more).
  double proximity_alpha = 0.15;
  double proximity_epsilon = 1e-5;
  // Longest chain of ties shown as the path from the asker.
  int path_max_hops = 3;
  // The path search follows each person's `path_fanout` strongest ties
  // only: more finds chains through weaker ties, and the search grows as
  // fanout^path_max_hops in the worst case.
  int path_fanout = 64;
  // Evidence posts returned per expert.
  int evidence_per_expert = 3;
  // Experts returned when the query asks for none (ExpertQuery::limit <= 0).
  int default_limit = 10;
  // The exposure budget (ranking/exposure.h): each candidate's fused score
  // loses min(exposure_cap, exposure_weight * log(1 + max(0, recent
  // suggestions / fair share - exposure_free_shares))), the suggestions
  // counted by the server's ExposureLedger and decayed with a time constant
  // of exposure_window_days. exposure_weight 0: pure relevance, the ranking
  // exactly as without a ledger; exposure_cap 0: no cap. Bigger spreads
  // questions over more people at some cost in accuracy: on the five
  // communities' replayed test periods the defaults cost 0.002 pooled MRR
  // and lowered the Gini of the position-weighted top-10 exposure from
  // 0.965 to 0.950 (docs/ranking.md, "Exposure budget").
  double exposure_weight = 2.0;
  double exposure_window_days = 30;
  double exposure_free_shares = 0;
  double exposure_cap = 3.0;

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

struct ExpertQuery {
  std::string query;
  std::string asker_id;  // never suggested; the source of proximity and paths
  int limit = 10;
  std::string department;  // filters on the suggested person, optional
  std::string site;
  std::string language;           // only evidence in this language, optional
  std::vector<std::string> tags;  // topic tags of the question, optional
  // The question in the client's own embedding space (Post.embedding),
  // optional; averaged into the embedding signal.
  std::vector<float> query_embedding;
};

enum class Role {
  kAcceptedAnswer,
  kAnswer,
  kArticle,
  kQuestion,
  kComment,
  kOutcome,  // helped with a matching question (Ingest.RecordOutcome)
};

struct EvidencePost {
  std::string post_id;
  Role role = Role::kAnswer;
  double contribution = 0;  // share of the text votes
};

struct ExpertResult {
  std::string person_id;
  double score = 0;
  // The conditional-logit probability exp(score) / sum of exp(score) over
  // every candidate scored for the query (FindResult::candidates): how
  // likely the fusion model thinks this person is the one who solves it.
  double probability = 0;
  // Signal name -> weight x feature; they add up to `score`. Signals with a
  // zero weight are left out.
  std::map<std::string, double> breakdown;
  // Subtracted from `score` after the probability was set, for how often
  // this person was suggested lately (ExposureScorer); breakdown's
  // "exposure" is its negation.
  double exposure_penalty = 0;
  Features features{};                 // raw feature values
  std::vector<EvidencePost> evidence;  // best first
  // Strongest chain of ties from the asker to this person (asker first),
  // empty when there is none within path_max_hops or no asker.
  std::vector<std::string> path;
};

// The expertise model a ranking used: which data it was built from.
struct ModelUsed {
  bool loaded = false;      // false: text and activity only
  int64_t posts = 0;        // ExpertiseModel::embedded_posts()
  int64_t newest_post = 0;  // ExpertiseModel::embedded_newest(), unix s
};

// Wall time of each stage of one ExpertFinder::Find, in milliseconds: where
// a query's time goes (bench/find_experts_bench prints them).
struct StageTimes {
  double retrieve = 0, vote = 0, widen = 0, features = 0, fuse = 0, explain = 0;

  // Sums and means over many queries.
  StageTimes& operator+=(const StageTimes& o) {
    retrieve += o.retrieve, vote += o.vote, widen += o.widen;
    features += o.features, fuse += o.fuse, explain += o.explain;
    return *this;
  }
  StageTimes& operator/=(double n) {
    retrieve /= n, vote /= n, widen /= n, features /= n, fuse /= n,
        explain /= n;
    return *this;
  }
};

struct FindResult {
  std::vector<ExpertResult> experts;  // best first
  int64_t matched_posts = 0;
  int64_t candidates = 0;  // people scored
  ModelUsed model;
  StageTimes stage_ms;
  // Stage 1's posts (RankingOptions::max_posts, best first) and the
  // snapshot they are numbered in (index::SearchResult::numbered): what
  // SuggestForPost finds similar threads in without a search of its own.
  index::SearchResult retrieved;
  std::shared_ptr<const index::Snapshot> snapshot;
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_RANKING_OPTIONS_H_
