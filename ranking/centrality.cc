#include "ranking/centrality.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "ranking/validate.h"
#include "ranking/vocabulary.h"

namespace whoknows::ranking {

absl::Status PageRankOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      Check(damping >= 0 && damping < 1, "damping", "in [0, 1)"),
      Check(validate::Finite(tolerance) && tolerance > 0, "tolerance",
            "a finite number > 0"),
      Check(max_iterations >= 1, "max_iterations", ">= 1"),
  });
}

PageRankResult WeightedPageRank(int32_t n,
                                const std::vector<WeightedEdge>& edges,
                                const PageRankOptions& o,
                                const std::vector<double>& teleport,
                                const std::vector<double>& start) {
  PageRankResult r;
  if (n <= 0) return r;
  Eigen::VectorXd v(n);
  if (teleport.empty()) {
    v.setConstant(1.0 / n);
  } else {
    double total = 0;
    for (int32_t i = 0; i < n; ++i) {
      v[i] = i < static_cast<int32_t>(teleport.size())
                 ? std::max(0.0, teleport[i])
                 : 0;
      total += v[i];
    }
    if (total <= 0) {
      v.setConstant(1.0 / n);
    } else {
      v /= total;
    }
  }
  std::vector<double> out(n, 0.0);
  for (const auto& e : edges) {
    if (e.weight > 0) out[e.from] += e.weight;
  }
  // Column-stochastic transition matrix, stored transposed-free: entry
  // (to, from) = w / out(from), so that x' = P x.
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(edges.size());
  for (const auto& e : edges) {
    if (e.weight <= 0) continue;
    triplets.emplace_back(e.to, e.from, e.weight / out[e.from]);
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> p(n, n);
  p.setFromTriplets(triplets.begin(), triplets.end());  // sums duplicates
  std::vector<int32_t> dangling;
  for (int32_t i = 0; i < n; ++i) {
    if (out[i] <= 0) dangling.push_back(i);
  }
  Eigen::VectorXd x = v;
  if (static_cast<int32_t>(start.size()) == n) {
    Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(start.data(), n);
    s = s.cwiseMax(0.0);
    if (s.sum() > 0 && std::isfinite(s.sum())) x = s / s.sum();
  }
  for (r.iterations = 1; r.iterations <= o.max_iterations; ++r.iterations) {
    double dangling_mass = 0;
    for (int32_t i : dangling) dangling_mass += x[i];
    Eigen::VectorXd next =
        o.damping * (p * x) + (o.damping * dangling_mass + (1 - o.damping)) * v;
    // Guard against drift from rounding: keep it a distribution.
    next /= next.sum();
    r.residual = (next - x).lpNorm<1>();
    x.swap(next);
    if (r.residual < o.tolerance) {
      r.converged = true;
      break;
    }
  }
  r.iterations = std::min(r.iterations, o.max_iterations);
  r.rank.assign(x.data(), x.data() + n);
  return r;
}

std::vector<WeightedEdge> HelpEdges(const index::ColleagueGraph& cg) {
  std::vector<WeightedEdge> out;
  cg.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
    const auto s = static_cast<int32_t>(from);
    const auto t = static_cast<int32_t>(to);
    if (s == t) return;
    switch (e.kind) {
      case index::EdgeKind::kReply:  // replier -> asker: asker endorses
        out.push_back({t, s, e.weight});
        break;
      case index::EdgeKind::kLike:     // liker -> author
      case index::EdgeKind::kMention:  // author -> mentioned
        out.push_back({s, t, e.weight});
        break;
      default:
        break;
    }
  });
  return out;
}

TieGraph::TieGraph(const index::ColleagueGraph& cg) {
  const auto n = static_cast<int32_t>(cg.num_people());
  people_.resize(n);
  node_of_.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    people_[i] = cg.PersonId(i);
    node_of_[people_[i]] = i;
  }
  // Both directions of every edge, gathered by person by counting (a pass
  // to count each person's, a pass to place them in the graph's order),
  // then each person's sorted by the other end keeping that order among
  // equal pairs, so that parallel edges add up in the same order as they
  // come (the same sums as a map per person, at a fraction of the cost).
  // One sort of all the halves, and its buffer as large, was most of this
  // at 1M posts (1.7M ties), and the model's fold-in builds it again each
  // time.
  struct Half {
    int32_t to;
    double weight;
  };
  std::vector<int64_t> start(static_cast<size_t>(n) + 1, 0);
  cg.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps&) {
    if (from == to) return;
    ++start[from + 1];
    ++start[to + 1];
  });
  for (int32_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<Half> halves(static_cast<size_t>(start[n]));
  {
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    cg.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
      const auto s = static_cast<int32_t>(from);
      const auto t = static_cast<int32_t>(to);
      if (s == t) return;
      halves[next[s]++] = {t, e.weight};
      halves[next[t]++] = {s, e.weight};
    });
  }
  offsets_.assign(n + 1, 0);
  strength_.assign(n, 0);
  std::vector<std::pair<int32_t, double>> ties;
  for (int32_t i = 0; i < n; ++i) {
    const auto first = halves.begin() + start[i];
    const auto last = halves.begin() + start[i + 1];
    std::stable_sort(first, last,
                     [](const Half& a, const Half& b) { return a.to < b.to; });
    ties.clear();
    for (auto h = first; h != last; ++h) {
      if (!ties.empty() && ties.back().first == h->to) {
        ties.back().second += h->weight;
      } else {
        ties.emplace_back(h->to, h->weight);
      }
    }
    std::sort(ties.begin(), ties.end(), HigherScoreFirst());
    for (const auto& [t, w] : ties) {
      targets_.push_back(t);
      weights_.push_back(w);
      strength_[i] += w;
    }
    offsets_[i + 1] = static_cast<int64_t>(targets_.size());
  }
}

std::unique_ptr<TieGraph> TieGraph::FromParts(std::vector<std::string> people,
                                              std::vector<int64_t> offsets,
                                              std::vector<int32_t> targets,
                                              std::vector<double> weights,
                                              std::string& why) {
  const size_t n = people.size();
  if (n > static_cast<size_t>(INT32_MAX) || offsets.size() != n + 1 ||
      offsets[0] != 0 || offsets[n] != static_cast<int64_t>(targets.size()) ||
      weights.size() != targets.size()) {
    why = "the tie lists' lengths disagree";
    return nullptr;
  }
  auto g = std::unique_ptr<TieGraph>(new TieGraph());
  g->strength_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i] || offsets[i + 1] > offsets[n]) {
      why = "the tie lists are out of order";
      return nullptr;
    }
    for (int64_t e = offsets[i]; e < offsets[i + 1]; ++e) {
      const int32_t t = targets[e];
      if (t < 0 || static_cast<size_t>(t) >= n || static_cast<size_t>(t) == i) {
        why = "a tie to no other person";
        return nullptr;
      }
      if (!std::isfinite(weights[e]) || weights[e] < 0) {
        why = "a tie's weight is not a number >= 0";
        return nullptr;
      }
      g->strength_[i] += weights[e];  // in the constructor's order
    }
  }
  g->node_of_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!g->node_of_.try_emplace(people[i], static_cast<int32_t>(i)).second) {
      why = "a person twice";
      return nullptr;
    }
  }
  g->people_ = std::move(people);
  g->offsets_ = std::move(offsets);
  g->targets_ = std::move(targets);
  g->weights_ = std::move(weights);
  return g;
}

int32_t TieGraph::NodeOf(const std::string& person_id) const {
  auto it = node_of_.find(person_id);
  return it == node_of_.end() ? -1 : it->second;
}

namespace {

// Per-thread arrays over the nodes of the largest graph a thread has
// pushed on, zero between calls: a query's push touches a neighbourhood,
// and a hash probe an edge (the residual's) cost more than the push itself.
struct PushScratch {
  std::vector<double> residual, p;
  std::vector<uint8_t> mark;  // 1: touched, 2: also a key of the result
  std::vector<int32_t> touched, queue;
};

}  // namespace

std::unordered_map<int32_t, double> TieGraph::PersonalizedPageRank(
    int32_t source, double alpha, double epsilon) const {
  std::unordered_map<int32_t, double> out;
  if (source < 0 || source >= num_nodes()) return out;
  thread_local PushScratch s;
  const size_t n = static_cast<size_t>(num_nodes());
  if (s.mark.size() < n) {
    s.residual.resize(n, 0);
    s.p.resize(n, 0);
    s.mark.resize(n, 0);
  }
  auto touch = [&](int32_t v) {
    if (s.mark[v] == 0) {
      s.mark[v] = 1;
      s.touched.push_back(v);
    }
  };
  auto add_p = [&](int32_t u, double amount) {
    touch(u);
    s.mark[u] = 2;
    s.p[u] += amount;
  };
  touch(source);
  s.residual[source] = 1;
  s.queue.assign(1, source);
  // Each push moves at least alpha * epsilon * strength of mass into p, so
  // the loop ends; the cap bounds pathological inputs.
  for (size_t head = 0, pushes = 0; head < s.queue.size() && pushes < 1000000;
       ++pushes) {
    const int32_t u = s.queue[head++];
    const double ru = s.residual[u];
    const double du = strength_[u];
    if (du <= 0) {
      add_p(u, ru);
      s.residual[u] = 0;
      continue;
    }
    if (ru < epsilon * du) continue;
    add_p(u, alpha * ru);
    s.residual[u] = 0;
    const double spread = (1 - alpha) * ru / du;
    for (int64_t k = offsets_[u]; k < offsets_[u + 1]; ++k) {
      const int32_t v = targets_[k];
      touch(v);
      double& rv = s.residual[v];
      const double before = rv;
      rv += spread * weights_[k];
      const double threshold = epsilon * strength_[v];
      if (before < threshold && rv >= threshold) s.queue.push_back(v);
    }
  }
  for (const int32_t v : s.touched) {
    if (s.mark[v] == 2) out.emplace(v, s.p[v]);
    s.residual[v] = 0;
    s.p[v] = 0;
    s.mark[v] = 0;
  }
  s.touched.clear();
  s.queue.clear();
  return out;
}

double TieGraph::TieWeight(int32_t u, int32_t v) const {
  if (u < 0 || u >= num_nodes()) return 0;
  for (int64_t k = offsets_[u]; k < offsets_[u + 1]; ++k) {
    if (targets_[k] == v) return weights_[k];
  }
  return 0;
}

std::vector<std::string> TieGraph::StrongestPath(
    int32_t from, int32_t to, int max_hops, int fanout,
    const std::function<bool(const std::string&)>& may_pass) const {
  auto paths = StrongestPaths(from, {to}, max_hops, fanout, may_pass);
  auto it = paths.find(to);
  return it == paths.end() ? std::vector<std::string>{} : std::move(it->second);
}

std::unordered_map<int32_t, std::vector<std::string>> TieGraph::StrongestPaths(
    int32_t from, const std::vector<int32_t>& to, int max_hops, int fanout,
    const std::function<bool(const std::string&)>& may_pass,
    const ExtraTies* extra,
    const std::vector<std::string>* extra_people) const {
  const int32_t graph_nodes = num_nodes();
  std::function<bool(int32_t)> may_pass_node;
  if (may_pass) {
    may_pass_node = [&](int32_t v) {
      return may_pass(v < graph_nodes ? people_[v]
                                      : (*extra_people)[v - graph_nodes]);
    };
  }
  return StrongestPathsByNode(from, to, max_hops, fanout, may_pass_node, extra,
                              extra_people);
}

namespace {

// StrongestPathsByNode's arrays by node, at their resting values between
// searches (not a target, not reached, may_pass not asked).
struct PathScratch {
  std::vector<char> is_target;
  std::vector<int16_t> hop_of;
  std::vector<double> best;
  std::vector<int32_t> parent;
  std::vector<int8_t> passable;
  std::vector<int32_t> touched;  // nodes written (repeats allowed)

  void Reserve(size_t n) {
    if (hop_of.size() >= n) return;
    is_target.resize(n, 0);
    hop_of.resize(n, -1);
    best.resize(n, 0);
    parent.resize(n, -1);
    passable.resize(n, -1);
  }
  // Puts back the resting values where a search wrote, however it returns.
  class Reset {
   public:
    explicit Reset(PathScratch& s) : s_(s) {}
    Reset(const Reset&) = delete;
    Reset& operator=(const Reset&) = delete;
    ~Reset() {
      for (const int32_t v : s_.touched) {
        s_.is_target[v] = 0;
        s_.hop_of[v] = -1;
        s_.best[v] = 0;
        s_.parent[v] = -1;
        s_.passable[v] = -1;
      }
      s_.touched.clear();
    }

   private:
    PathScratch& s_;
  };
};

}  // namespace

std::unordered_map<int32_t, std::vector<std::string>>
TieGraph::StrongestPathsByNode(
    int32_t from, const std::vector<int32_t>& to, int max_hops, int fanout,
    const std::function<bool(int32_t node)>& may_pass, const ExtraTies* extra,
    const std::vector<std::string>* extra_people) const {
  std::unordered_map<int32_t, std::vector<std::string>> paths;
  const int32_t graph_nodes = num_nodes();
  const int32_t n =
      graph_nodes +
      (extra_people ? static_cast<int32_t>(extra_people->size()) : 0);
  auto name = [&](int32_t v) -> const std::string& {
    return v < graph_nodes ? people_[v] : (*extra_people)[v - graph_nodes];
  };
  if (from < 0 || from >= n) return paths;
  // Layered search, one hop a layer: best[v] is the largest weakest tie of a
  // chain reaching v in hop_of[v] hops, parent[v] the previous person on it.
  // Arrays over all nodes: a few bytes a person, cheaper than hashing every
  // visit when the search fans out over a large company. They are the
  // thread's, kept between searches and reset only where this one wrote: a
  // search reaches a few hundred people, and allocating and clearing
  // arrays the size of the company each query missed the cache throughout.
  thread_local PathScratch scratch;
  scratch.Reserve(static_cast<size_t>(n));
  const PathScratch::Reset reset(scratch);
  std::vector<char>& is_target = scratch.is_target;
  std::vector<int16_t>& hop_of = scratch.hop_of;
  std::vector<double>& best = scratch.best;
  std::vector<int32_t>& parent = scratch.parent;
  std::vector<int8_t>& passable = scratch.passable;  // may_pass, asked once
  auto touch = [&](int32_t v) { scratch.touched.push_back(v); };
  int remaining = 0;
  for (int32_t t : to) {
    if (t < 0 || t >= n || t == from || is_target[t]) continue;
    touch(t);
    is_target[t] = 1;
    ++remaining;
  }
  if (remaining == 0) return paths;
  auto may_expand = [&](int32_t v) {
    if (!may_pass) return true;
    if (passable[v] < 0) {
      touch(v);
      passable[v] = may_pass(v) ? 1 : 0;
    }
    return passable[v] == 1;
  };
  touch(from);
  hop_of[from] = 0;
  best[from] = INFINITY;
  std::vector<int32_t> frontier{from}, next, found;
  // The last layer seen from its targets: each looks among its own ties for
  // people of the frontier (ties are listed both ways, with the same weight)
  // instead of the frontier reading all of theirs, up to fanout times the
  // frontier's size. A target gets what following the frontier in order
  // gives it: the largest weakest tie over the frontier's ties to it (a
  // person's `fanout` strongest and their extra ones), from the first person
  // in the frontier's order who offers it.
  auto reach_targets = [&](int hop) {
    // The strongest tie from frontier person `u` to `t` that the forward
    // step would follow, or 0 when it follows none (ties are positive).
    auto tie_to = [&](int32_t u, int32_t t) {
      double w = 0;
      if (u < graph_nodes) {
        const int64_t end =
            std::min<int64_t>(offsets_[u + 1], offsets_[u] + fanout);
        for (int64_t k = offsets_[u]; k < end; ++k)
          if (targets_[k] == t) w = std::max(w, weights_[k]);
      }
      if (extra) {
        if (auto it = extra->find(u); it != extra->end())
          for (const auto& [v, weight] : it->second)
            if (v == t) w = std::max(w, weight);
      }
      return w;
    };
    // In the frontier: reached in the layer before, and not a target that
    // only ends its own chain.
    auto in_frontier = [&](int32_t u) {
      return u >= 0 && u < n && hop_of[u] == hop - 1 &&
             (!is_target[u] || may_expand(u));
    };
    std::vector<std::pair<int32_t, double>> offers;  // (u, weakest tie)
    for (int32_t t : to) {
      if (t < 0 || t >= n || !is_target[t] || hop_of[t] >= 0) continue;
      offers.clear();
      double top = 0;
      auto offer = [&](int32_t u) {
        if (!in_frontier(u)) return;
        const double w = tie_to(u, t);
        if (w <= 0) return;
        const double b = std::min(best[u], w);
        offers.emplace_back(u, b);
        top = std::max(top, b);
      };
      if (t < graph_nodes)
        for (int64_t k = offsets_[t]; k < offsets_[t + 1]; ++k)
          offer(targets_[k]);
      if (extra) {
        if (auto it = extra->find(t); it != extra->end())
          for (const auto& [u, weight] : it->second) offer(u);
      }
      if (offers.empty()) continue;
      int32_t from_u = -1;
      for (const auto& [u, b] : offers) {
        if (b != top) continue;
        if (from_u < 0 || from_u == u) {
          from_u = u;
        } else {
          from_u = -2;  // several offer it: the first in the frontier
          break;
        }
      }
      if (from_u == -2) {
        for (int32_t u : frontier) {
          auto it = std::find_if(offers.begin(), offers.end(), [&](auto& o) {
            return o.first == u && o.second == top;
          });
          if (it != offers.end()) {
            from_u = u;
            break;
          }
        }
      }
      hop_of[t] = static_cast<int16_t>(hop);
      best[t] = top;
      parent[t] = from_u;
      next.push_back(t);
    }
  };
  // One layer forward: every frontier person's `fanout` strongest ties and
  // their extra ones, in the frontier's order.
  auto expand = [&](int hop) {
    for (int32_t u : frontier) {
      auto follow = [&](int32_t v, double weight) {
        if (v < 0 || v >= n) return;  // an extra tie to nobody known
        if (hop_of[v] >= 0 && hop_of[v] < hop) return;  // reached sooner
        if (!is_target[v] && !may_expand(v)) return;
        const double b = std::min(best[u], weight);
        if (hop_of[v] < 0) {
          touch(v);
          hop_of[v] = static_cast<int16_t>(hop);
          best[v] = b;
          parent[v] = u;
          next.push_back(v);
        } else if (b > best[v]) {
          best[v] = b;
          parent[v] = u;
        }
      };
      if (u < graph_nodes) {
        const int64_t end =
            std::min<int64_t>(offsets_[u + 1], offsets_[u] + fanout);
        for (int64_t k = offsets_[u]; k < end; ++k)
          follow(targets_[k], weights_[k]);
      }
      if (!extra) continue;
      if (auto it = extra->find(u); it != extra->end())
        for (const auto& [v, weight] : it->second) follow(v, weight);
    }
  };
  for (int hop = 1; hop <= max_hops && !frontier.empty() && remaining > 0;
       ++hop) {
    next.clear();
    // The last layer is never expanded, so only targets matter there: a
    // person reached in it carries no chain (and the layer is the widest,
    // fanout times the one before). What a target gets depends only on the
    // layer before, so the paths found are the same.
    if (hop == max_hops) {
      reach_targets(hop);
    } else {
      expand(hop);
    }
    // Targets reached in this layer; a target nobody may pass through ends
    // its own chain but carries no other.
    frontier.clear();
    for (int32_t v : next) {
      if (is_target[v]) {
        --remaining;
        found.push_back(v);
        if (!may_expand(v)) continue;
      }
      frontier.push_back(v);
    }
  }
  for (int32_t t : found) {
    std::vector<std::string> chain;
    for (int32_t v = t; v >= 0; v = parent[v]) chain.push_back(name(v));
    paths.emplace(t, std::vector<std::string>(chain.rbegin(), chain.rend()));
  }
  return paths;
}

}  // namespace whoknows::ranking
