#include "ranking/expert_finder.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace whoknows::ranking {
namespace {

constexpr double kSecondsPerDay = 86400.0;
// Someone who never posted is treated as quiet for this long.
constexpr double kNeverPostedDays = 3650;

}  // namespace

bool IsSuggestable(const v1::Person& p) {
  return (!p.has_active() || p.active()) && !p.opted_out();
}

absl::StatusOr<FindResult> ExpertFinder::Find(const ExpertQuery& q) const {
  RankingContext context;
  context.snapshot = catalog_.snapshot();
  if (models_) context.model = models_();
  return Find(q, context);
}

absl::StatusOr<FindResult> ExpertFinder::Find(
    const ExpertQuery& q, const RankingContext& context) const {
  FindResult result;
  const index::Snapshot& snap = *context.snapshot;
  const ExpertiseModel* model = context.model.get();
  const RankingOptions& o = options_;
  const FusionWeights& fusion = o.weights;
  auto uses = [&](Signal s) { return fusion.weight[static_cast<int>(s)] != 0; };

  index::SearchOptions search;
  search.query = q.query;
  search.max_posts = o.max_posts;
  search.language = q.language;
  search.public_only = true;  // until groups are modelled, never private
  search.created_before = context.created_before;
  auto hits = catalog_.Search(search);
  if (!hits.ok()) return hits.status();
  result.matched_posts = hits->matched_estimate;

  const double lambda =
      o.half_life_days > 0 ? std::log(2.0) / (o.half_life_days * kSecondsPerDay)
                           : 0;
  auto decay = [&](int64_t created) {
    const double age =
        static_cast<double>(std::max<int64_t>(0, snap.newest_post - created));
    return std::exp(-lambda * age);
  };
  auto eligible = [&](const std::string& id) -> bool {
    if (id.empty() || id == q.asker_id) return false;
    const v1::Person* p = snap.FindPerson(id);
    if (!p || !IsSuggestable(*p)) return false;
    if (!q.department.empty() && p->department() != q.department) return false;
    if (!q.site.empty() && p->site() != q.site) return false;
    return true;
  };

  // 1. Text evidence: Model 2 voting.
  struct Candidate {
    double text = 0;
    std::vector<EvidencePost> evidence;
  };
  std::unordered_map<std::string, Candidate> candidates;
  auto credit = [&](const std::string& person, const std::string& post_id,
                    Role role, double amount) {
    if (amount <= 0 || !eligible(person)) return;
    Candidate& c = candidates[person];
    c.text += amount;
    c.evidence.push_back({post_id, role, amount});
  };
  auto answer_weight = [&](const index::PostMeta& m) {
    return m.accepted ? o.accepted_answer : o.answer;
  };
  const double top = !hits->hits.empty() && hits->hits.front().weight > 0
                         ? hits->hits.front().weight
                         : 1;
  for (const auto& hit : hits->hits) {
    const index::PostMeta* m = snap.FindPost(hit.post_id);
    if (!m || !m->is_public) continue;  // not in this snapshot, or private
    const double w = hit.weight / top * decay(m->created);
    switch (m->kind) {
      case v1::POST_KIND_ANSWER:
        credit(m->author_id, m->id,
               m->accepted ? Role::kAcceptedAnswer : Role::kAnswer,
               w * answer_weight(*m));
        break;
      case v1::POST_KIND_COMMENT:
        credit(m->author_id, m->id, Role::kComment, w * o.comment);
        break;
      case v1::POST_KIND_ARTICLE:
        credit(m->author_id, m->id, Role::kArticle, w * o.article);
        break;
      case v1::POST_KIND_QUESTION:
        credit(m->author_id, m->id, Role::kQuestion, w * o.question);
        break;
      default:
        break;
    }
    // A matching root also credits the people who answered in its thread.
    if (m->kind != v1::POST_KIND_QUESTION && m->kind != v1::POST_KIND_ARTICLE)
      continue;
    auto thread = snap.threads.find(m->thread_id);
    if (thread == snap.threads.end()) continue;
    for (const auto& reply_id : thread->second) {
      const index::PostMeta* r = snap.FindPost(reply_id);
      if (!r || !r->is_public || r->kind != v1::POST_KIND_ANSWER) continue;
      if (context.created_before > 0 && r->created >= context.created_before)
        continue;
      // A language filter holds for credited answers too.
      if (!q.language.empty() && r->language != q.language) continue;
      credit(r->author_id, r->id,
             r->accepted ? Role::kAcceptedAnswer : Role::kAnswer,
             w * o.thread_answerers * answer_weight(*r));
    }
  }
  double best_text = 0;
  for (const auto& [p, c] : candidates) best_text = std::max(best_text, c.text);

  // 2. More candidates, whose words may differ from the question's.
  Eigen::VectorXf similarity;  // LSA cosine, by model->ProfileIndex
  std::unordered_map<std::string, float> client_cosine;
  std::unordered_map<std::string, double> tag_scores;
  auto add_top = [&](std::vector<std::pair<std::string, double>> scored) {
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    int added = 0;
    for (const auto& [person, score] : scored) {
      if (added >= o.extra_candidates || score <= 0) break;
      if (!eligible(person)) continue;
      candidates.try_emplace(person);
      ++added;
    }
  };
  if (model && model->has_embeddings() && uses(Signal::kEmbedding)) {
    similarity =
        model->Similarities(model->EmbedQuery(catalog_.QueryTerms(q.query)));
    // Only the best few are candidates: select them without copying every
    // person's id (the company may have 100,000), widening the selection
    // in the rare case that too many of them may not be suggested.
    const auto& people = model->profile_people();
    std::vector<int32_t> order(static_cast<size_t>(similarity.size()));
    std::iota(order.begin(), order.end(), 0);
    auto better = [&](int32_t a, int32_t b) {
      return similarity[a] != similarity[b] ? similarity[a] > similarity[b]
                                            : people[a] < people[b];
    };
    for (size_t want = static_cast<size_t>(4 * o.extra_candidates + 16);;
         want *= 4) {
      const size_t take = std::min(want, order.size());
      std::partial_sort(order.begin(), order.begin() + take, order.end(),
                        better);
      std::vector<std::pair<std::string, double>> scored;
      for (size_t i = 0; i < take; ++i)
        scored.emplace_back(people[order[i]], similarity[order[i]]);
      int eligible_positive = 0;
      for (const auto& [person, score] : scored)
        eligible_positive += score > 0 && eligible(person);
      if (eligible_positive >= o.extra_candidates || take == order.size() ||
          (take > 0 && similarity[order[take - 1]] <= 0)) {
        add_top(std::move(scored));
        break;
      }
    }
  }
  if (model && !q.query_embedding.empty() && uses(Signal::kEmbedding)) {
    auto client = model->ClientSimilarities(q.query_embedding);
    if (!client.empty()) {
      client_cosine.insert(client.begin(), client.end());
      add_top({client.begin(), client.end()});
    }
  }
  // The embedding feature: LSA cosine, or when the question carries a client
  // vector, the mean of both (a person without a vector in one space counts
  // 0 there).
  auto embedding_of = [&](const std::string& person) -> double {
    float lsa = 0;
    if (similarity.size() > 0) {
      const int32_t i = model->ProfileIndex(person);
      if (i >= 0) lsa = similarity[i];
    }
    if (client_cosine.empty()) return lsa;
    auto it = client_cosine.find(person);
    return 0.5f * lsa + 0.5f * (it == client_cosine.end() ? 0.0f : it->second);
  };
  if (model && !q.tags.empty() && uses(Signal::kTags)) {
    tag_scores = model->TagScores(q.tags);
    add_top({tag_scores.begin(), tag_scores.end()});
  }
  // The most active answerers are worth a look for any question that found
  // something at all (never for a question that matches nothing).
  if (model && uses(Signal::kActivity) && !candidates.empty())
    add_top(model->top_answerers());

  // 3. Proximity from the asker.
  std::unordered_map<int32_t, double> ppr;
  int32_t asker_node = -1;
  if (model && !q.asker_id.empty()) {
    asker_node = model->ties().NodeOf(q.asker_id);
    if (asker_node >= 0 && uses(Signal::kProximity)) {
      ppr = model->ties().PersonalizedPageRank(asker_node, o.proximity_alpha,
                                               o.proximity_epsilon);
    }
  }
  const double graph_people =
      model ? std::max(1, model->ties().num_nodes()) : 1;

  // 4. Features and the fused score.
  std::vector<ExpertResult> ranked;
  ranked.reserve(candidates.size());
  for (auto& [person, c] : candidates) {
    ExpertResult r;
    r.person_id = person;
    Features& f = r.features;
    f[static_cast<int>(Signal::kText)] = std::log(
        std::max(best_text > 0 ? c.text / best_text : 0, 0.0) + o.text_floor);
    f[static_cast<int>(Signal::kEmbedding)] = embedding_of(person);
    if (auto it = tag_scores.find(person); it != tag_scores.end())
      f[static_cast<int>(Signal::kTags)] = std::log1p(it->second);
    double answers = 0;
    double quiet_days = kNeverPostedDays;
    if (auto it = snap.activity.find(person); it != snap.activity.end()) {
      for (int64_t t : it->second.answer_times) answers += decay(t);
      if (it->second.last_post > 0) {
        quiet_days = static_cast<double>(std::max<int64_t>(
                         0, snap.newest_post - it->second.last_post)) /
                     kSecondsPerDay;
      }
    }
    f[static_cast<int>(Signal::kActivity)] = std::log1p(answers);
    f[static_cast<int>(Signal::kRecency)] = -std::log1p(quiet_days / 30);
    if (model) {
      f[static_cast<int>(Signal::kAuthority)] =
          std::log(0.1 + model->Authority(person));
      const int32_t node = model->ties().NodeOf(person);
      if (auto it = ppr.find(node); node >= 0 && it != ppr.end())
        f[static_cast<int>(Signal::kProximity)] =
            std::log1p(it->second * graph_people);
    }
    r.score = 0;
    for (int i = 0; i < kNumSignals; ++i) {
      if (fusion.weight[i] == 0) continue;
      const double part = fusion.weight[i] * f[i];
      r.breakdown[SignalName(static_cast<Signal>(i))] = part;
      r.score += part;
    }
    r.evidence = std::move(c.evidence);
    ranked.push_back(std::move(r));
  }
  result.candidates = static_cast<int64_t>(ranked.size());
  std::sort(ranked.begin(), ranked.end(),
            [](const ExpertResult& x, const ExpertResult& y) {
              return x.score != y.score ? x.score > y.score
                                        : x.person_id < y.person_id;
            });
  if (!context.all_candidates) {
    const int limit = q.limit > 0 ? q.limit : 10;
    if (static_cast<int>(ranked.size()) > limit) ranked.resize(limit);
  }

  // 5. Explanations for what is returned: best evidence, path from asker
  // (one search from the asker for everyone returned).
  std::unordered_map<int32_t, std::vector<std::string>> paths;
  if (model && asker_node >= 0 && !context.all_candidates) {
    std::vector<int32_t> targets;
    for (const auto& r : ranked)
      targets.push_back(model->ties().NodeOf(r.person_id));
    // Only people who may be named appear on the path.
    paths = model->ties().StrongestPaths(
        asker_node, targets, o.path_max_hops, 64, [&](const std::string& id) {
          const v1::Person* p = snap.FindPerson(id);
          return p && !p->opted_out();
        });
  }
  for (auto& r : ranked) {
    if (context.all_candidates) {
      r.evidence.clear();
      continue;
    }
    // The same post can vote twice (as a match and through its thread):
    // merge, then keep the strongest.
    std::unordered_map<std::string, EvidencePost> merged;
    for (auto& e : r.evidence) {
      auto [it, inserted] = merged.try_emplace(e.post_id, e);
      if (!inserted) it->second.contribution += e.contribution;
    }
    r.evidence.clear();
    for (auto& [id, e] : merged) r.evidence.push_back(e);
    std::sort(r.evidence.begin(), r.evidence.end(),
              [](const EvidencePost& x, const EvidencePost& y) {
                return x.contribution != y.contribution
                           ? x.contribution > y.contribution
                           : x.post_id < y.post_id;
              });
    if (static_cast<int>(r.evidence.size()) > o.evidence_per_expert)
      r.evidence.resize(o.evidence_per_expert);
    if (model) {
      auto it = paths.find(model->ties().NodeOf(r.person_id));
      if (it != paths.end()) r.path = std::move(it->second);
    }
  }
  result.experts = std::move(ranked);
  return result;
}

}  // namespace whoknows::ranking
