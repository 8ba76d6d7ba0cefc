#include "ranking/expert_finder.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace whoknows::ranking {

bool IsSuggestable(const v1::Person& p) {
  return (!p.has_active() || p.active()) && !p.opted_out();
}

absl::StatusOr<FindResult> ExpertFinder::Find(const ExpertQuery& q) const {
  FindResult result;
  auto snap = catalog_.snapshot();
  index::SearchOptions search;
  search.query = q.query;
  search.max_posts = options_.max_posts;
  search.language = q.language;
  search.public_only = true;  // until groups are modelled, never private
  auto hits = catalog_.Search(search);
  if (!hits.ok()) return hits.status();
  result.matched_posts = hits->matched_estimate;
  if (hits->hits.empty()) return result;
  const double top =
      hits->hits.front().weight > 0 ? hits->hits.front().weight : 1;
  const double lambda =
      options_.half_life_days > 0
          ? std::log(2.0) / (options_.half_life_days * 86400.0)
          : 0;
  auto decay = [&](int64_t created) {
    const double age =
        static_cast<double>(std::max<int64_t>(0, snap->newest_post - created));
    return std::exp(-lambda * age);
  };

  struct Acc {
    double text = 0;
    std::vector<EvidencePost> evidence;
  };
  std::unordered_map<std::string, Acc> acc;
  auto eligible = [&](const std::string& id) -> bool {
    if (id.empty() || id == q.asker_id) return false;
    const v1::Person* p = snap->FindPerson(id);
    if (!p || !IsSuggestable(*p)) return false;
    if (!q.department.empty() && p->department() != q.department) return false;
    if (!q.site.empty() && p->site() != q.site) return false;
    return true;
  };
  auto credit = [&](const std::string& person, const std::string& post_id,
                    Role role, double amount) {
    if (amount <= 0 || !eligible(person)) return;
    Acc& a = acc[person];
    a.text += amount;
    a.evidence.push_back({post_id, role, amount});
  };
  auto answer_weight = [&](const index::PostMeta& m) {
    return m.accepted ? options_.accepted_answer : options_.answer;
  };

  for (const auto& hit : hits->hits) {
    const index::PostMeta* m = snap->FindPost(hit.post_id);
    if (!m || !m->is_public) continue;  // not yet in the snapshot, or private
    const double w = hit.weight / top * decay(m->created);
    switch (m->kind) {
      case v1::POST_KIND_ANSWER:
        credit(m->author_id, m->id,
               m->accepted ? Role::kAcceptedAnswer : Role::kAnswer,
               w * answer_weight(*m));
        break;
      case v1::POST_KIND_COMMENT:
        credit(m->author_id, m->id, Role::kComment, w * options_.comment);
        break;
      case v1::POST_KIND_ARTICLE:
        credit(m->author_id, m->id, Role::kArticle, w * options_.article);
        break;
      case v1::POST_KIND_QUESTION:
        credit(m->author_id, m->id, Role::kQuestion, w * options_.question);
        break;
      default:
        break;
    }
    // A matching root also credits the people who answered in its thread.
    if (m->kind == v1::POST_KIND_QUESTION || m->kind == v1::POST_KIND_ARTICLE) {
      auto thread = snap->threads.find(m->thread_id);
      if (thread == snap->threads.end()) continue;
      for (const auto& reply_id : thread->second) {
        const index::PostMeta* r = snap->FindPost(reply_id);
        if (!r || !r->is_public || r->kind != v1::POST_KIND_ANSWER) continue;
        credit(r->author_id, r->id,
               r->accepted ? Role::kAcceptedAnswer : Role::kAnswer,
               w * options_.thread_answerers * answer_weight(*r));
      }
    }
  }

  std::vector<ExpertResult> ranked;
  ranked.reserve(acc.size());
  for (auto& [person, a] : acc) {
    ExpertResult r;
    r.person_id = person;
    double answers = 0;
    if (auto it = snap->activity.find(person); it != snap->activity.end()) {
      for (int64_t t : it->second.answer_times) answers += decay(t);
    }
    const double boost = std::pow(1 + answers, options_.prior_weight);
    r.score = a.text * boost;
    r.breakdown["text"] = a.text;
    r.breakdown["prior"] = a.text * (boost - 1);
    // The same post can vote twice (as a match and through its thread):
    // merge, then keep the strongest.
    std::unordered_map<std::string, EvidencePost> merged;
    for (auto& e : a.evidence) {
      auto [it, inserted] = merged.try_emplace(e.post_id, e);
      if (!inserted) it->second.contribution += e.contribution;
    }
    for (auto& [id, e] : merged) r.evidence.push_back(e);
    std::sort(r.evidence.begin(), r.evidence.end(),
              [](const EvidencePost& x, const EvidencePost& y) {
                return x.contribution != y.contribution
                           ? x.contribution > y.contribution
                           : x.post_id < y.post_id;
              });
    if (static_cast<int>(r.evidence.size()) > options_.evidence_per_expert)
      r.evidence.resize(options_.evidence_per_expert);
    ranked.push_back(std::move(r));
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const ExpertResult& x, const ExpertResult& y) {
              return x.score != y.score ? x.score > y.score
                                        : x.person_id < y.person_id;
            });
  const int limit = q.limit > 0 ? q.limit : 10;
  if (static_cast<int>(ranked.size()) > limit) ranked.resize(limit);
  result.experts = std::move(ranked);
  return result;
}

}  // namespace whoknows::ranking
