#include "ranking/centrality.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

namespace whoknows::ranking {

PageRankResult WeightedPageRank(int32_t n,
                                const std::vector<WeightedEdge>& edges,
                                const PageRankOptions& o,
                                const std::vector<double>& teleport) {
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
  const auto& g = cg.graph();
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const auto& e = g[*it];
    const auto s = static_cast<int32_t>(boost::source(*it, g));
    const auto t = static_cast<int32_t>(boost::target(*it, g));
    if (s == t) continue;
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
  }
  return out;
}

TieGraph::TieGraph(const index::ColleagueGraph& cg) {
  const auto& g = cg.graph();
  const auto n = static_cast<int32_t>(boost::num_vertices(g));
  people_.resize(n);
  for (int32_t i = 0; i < n; ++i) {
    people_[i] = g[static_cast<index::ColleagueGraph::Vertex>(i)].person_id;
    node_of_[people_[i]] = i;
  }
  std::vector<std::map<int32_t, double>> adj(n);
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const auto s = static_cast<int32_t>(boost::source(*it, g));
    const auto t = static_cast<int32_t>(boost::target(*it, g));
    if (s == t) continue;
    adj[s][t] += g[*it].weight;
    adj[t][s] += g[*it].weight;
  }
  offsets_.assign(n + 1, 0);
  strength_.assign(n, 0);
  for (int32_t i = 0; i < n; ++i) {
    std::vector<std::pair<int32_t, double>> ties(adj[i].begin(), adj[i].end());
    std::sort(ties.begin(), ties.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (const auto& [t, w] : ties) {
      targets_.push_back(t);
      weights_.push_back(w);
      strength_[i] += w;
    }
    offsets_[i + 1] = static_cast<int64_t>(targets_.size());
  }
}

int32_t TieGraph::NodeOf(const std::string& person_id) const {
  auto it = node_of_.find(person_id);
  return it == node_of_.end() ? -1 : it->second;
}

std::unordered_map<int32_t, double> TieGraph::PersonalizedPageRank(
    int32_t source, double alpha, double epsilon) const {
  std::unordered_map<int32_t, double> p, residual;
  if (source < 0 || source >= num_nodes()) return p;
  residual[source] = 1;
  std::deque<int32_t> queue{source};
  // Each push moves at least alpha * epsilon * strength of mass into p, so
  // the loop ends; the cap bounds pathological inputs.
  for (int64_t pushes = 0; !queue.empty() && pushes < 1000000; ++pushes) {
    const int32_t u = queue.front();
    queue.pop_front();
    const double ru = residual[u];
    const double du = strength_[u];
    if (du <= 0) {
      p[u] += ru;
      residual[u] = 0;
      continue;
    }
    if (ru < epsilon * du) continue;
    p[u] += alpha * ru;
    residual[u] = 0;
    const double spread = (1 - alpha) * ru / du;
    for (int64_t k = offsets_[u]; k < offsets_[u + 1]; ++k) {
      const int32_t v = targets_[k];
      double& rv = residual[v];
      const double before = rv;
      rv += spread * weights_[k];
      const double threshold = epsilon * strength_[v];
      if (before < threshold && rv >= threshold) queue.push_back(v);
    }
  }
  return p;
}

std::vector<std::string> TieGraph::StrongestPath(
    int32_t from, int32_t to, int max_hops, int fanout,
    const std::function<bool(const std::string&)>& may_pass) const {
  std::vector<std::string> path;
  const int32_t n = num_nodes();
  if (from < 0 || to < 0 || from >= n || to >= n || from == to) return path;
  // Layered search, one hop a layer: best[v] is the largest weakest tie of a
  // chain reaching v in the current number of hops.
  std::unordered_map<int32_t, std::pair<double, int32_t>> reached{
      {from, {INFINITY, -1}}};
  std::vector<std::unordered_map<int32_t, std::pair<double, int32_t>>> layers{
      reached};
  for (int hop = 1; hop <= max_hops; ++hop) {
    std::unordered_map<int32_t, std::pair<double, int32_t>> next;
    for (const auto& [u, best] : layers.back()) {
      const int64_t end =
          std::min<int64_t>(offsets_[u + 1], offsets_[u] + fanout);
      for (int64_t k = offsets_[u]; k < end; ++k) {
        const int32_t v = targets_[k];
        if (reached.count(v)) continue;
        if (v != to && may_pass && !may_pass(people_[v])) continue;
        const double b = std::min(best.first, weights_[k]);
        auto [it, inserted] = next.try_emplace(v, b, u);
        if (!inserted && b > it->second.first) it->second = {b, u};
      }
    }
    for (const auto& [v, best] : next) reached.emplace(v, best);
    layers.push_back(std::move(next));
    if (layers.back().count(to)) {
      std::vector<int32_t> nodes{to};
      for (int h = hop; h > 0; --h) {
        nodes.push_back(layers[h].at(nodes.back()).second);
      }
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it)
        path.push_back(people_[*it]);
      return path;
    }
    if (layers.back().empty()) break;
  }
  return path;
}

}  // namespace whoknows::ranking
