// Authority and proximity on the colleague graph: weighted PageRank on the
// help graph, personalized PageRank from the asker, and the path that
// explains how the asker is connected to an expert.
#ifndef WHOKNOWS_RANKING_CENTRALITY_H_
#define WHOKNOWS_RANKING_CENTRALITY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "index/graph.h"

namespace whoknows::ranking {

struct WeightedEdge {
  int32_t from = 0;
  int32_t to = 0;
  double weight = 0;  // > 0
};

struct PageRankOptions {
  // Probability of following an edge rather than teleporting.
  double damping = 0.85;
  // Stop when the L1 change of the rank vector falls below this. Smaller is
  // more exact and costs more iterations (each O(edges)).
  double tolerance = 1e-10;
  int max_iterations = 500;

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

struct PageRankResult {
  std::vector<double> rank;  // sums to 1
  int iterations = 0;
  double residual = 0;  // L1 change of the last iteration
  bool converged = false;
};

// PageRank with edge weights: a walker at u follows edge (u, v) with
// probability w(u, v) / out-weight(u). Dangling nodes (no out-edges) send
// their mass to the teleport distribution, as do teleports; parallel edges
// add up. `teleport` is uniform when empty, else a distribution over nodes
// (personalized PageRank). Eigen sparse power iteration, from `start` when
// it is given (num_nodes entries, normalized here; e.g. an earlier result
// on a graph that changed a little: fewer iterations to the same
// tolerance), else from the teleport distribution.
PageRankResult WeightedPageRank(int32_t num_nodes,
                                const std::vector<WeightedEdge>& edges,
                                const PageRankOptions& options = {},
                                const std::vector<double>& teleport = {},
                                const std::vector<double>& start = {});

// Who vouches for whom in the colleague graph, as edges for PageRank: the
// asker endorses the person who answered or commented on their post, a liker
// the liked, an author the people they mention. Thread co-participation and
// the org chart say nothing about expertise and are left out. Node i is
// vertex i of the graph.
std::vector<WeightedEdge> HelpEdges(const index::ColleagueGraph& graph);

// Undirected tie strengths (all kinds, both directions folded) in
// compressed adjacency form, for proximity and paths.
class TieGraph {
 public:
  explicit TieGraph(const index::ColleagueGraph& graph);

  int32_t num_nodes() const {
    return static_cast<int32_t>(offsets_.size()) - 1;
  }
  // -1 when the person has no ties.
  int32_t NodeOf(const std::string& person_id) const;
  const std::string& PersonOf(int32_t node) const { return people_[node]; }

  // Approximate personalized PageRank from `source` by local push (Andersen,
  // Chung and Lang 2006): touches only the neighbourhood where the residual
  // exceeds `epsilon` times the degree, so the cost does not grow with the
  // company. Returns node -> probability (sums to <= 1).
  std::unordered_map<int32_t, double> PersonalizedPageRank(
      int32_t source, double alpha = 0.15, double epsilon = 1e-5) const;

  // The shortest chain of ties from `from` to `to` (at most `max_hops`
  // ties), the strongest one (largest weakest tie) among equally short
  // chains; person ids from `from` to `to` inclusive, empty when none.
  // Looks at each person's `fanout` strongest ties only.
  // `may_pass` (optional) says who may appear in the middle of a chain
  // (e.g. not people who opted out).
  std::vector<std::string> StrongestPath(
      int32_t from, int32_t to, int max_hops = 3, int fanout = 64,
      const std::function<bool(const std::string&)>& may_pass = {}) const;

  // Ties that one search adds to the graph's (both directions listed): node
  // -> (node, weight). A member's private-thread ties (ranking/).
  using ExtraTies =
      std::unordered_map<int32_t, std::vector<std::pair<int32_t, double>>>;

  // StrongestPath to each of `to` at once, in one search: target node ->
  // chain (targets with no chain, out of range or equal to `from` are left
  // out). A target may end a chain even when `may_pass` refuses it. `extra`
  // ties (optional) are followed beside each person's `fanout` strongest;
  // they may name people the graph has no node for (only private ties):
  // node num_nodes() + i is `extra_people[i]`.
  std::unordered_map<int32_t, std::vector<std::string>> StrongestPaths(
      int32_t from, const std::vector<int32_t>& to, int max_hops = 3,
      int fanout = 64,
      const std::function<bool(const std::string&)>& may_pass = {},
      const ExtraTies* extra = nullptr,
      const std::vector<std::string>* extra_people = nullptr) const;
  // The same with `may_pass` asked by node (graph nodes and extra people's
  // numbers alike), for a caller that numbers people itself: no id is
  // hashed a person the search passes.
  std::unordered_map<int32_t, std::vector<std::string>> StrongestPathsByNode(
      int32_t from, const std::vector<int32_t>& to, int max_hops, int fanout,
      const std::function<bool(int32_t node)>& may_pass,
      const ExtraTies* extra = nullptr,
      const std::vector<std::string>* extra_people = nullptr) const;

  double Strength(int32_t node) const { return strength_[node]; }
  // The tie from `u` to `v` (0 when there is none).
  double TieWeight(int32_t u, int32_t v) const;

  // The neighbour lists whole, as the model persists them: node i's ties
  // are targets()[offsets()[i] .. offsets()[i+1]) with their weights().
  const std::vector<int64_t>& offsets() const { return offsets_; }
  const std::vector<int32_t>& targets() const { return targets_; }
  const std::vector<double>& weights() const { return weights_; }
  // The graph those parts (and `people`, by node) describe, strengths
  // summed as the constructor sums them; null, with `why`, when they do
  // not describe one that every method can walk safely (offsets out of
  // order, a target out of range or the node itself, a weight negative
  // or not finite, a person twice).
  static std::unique_ptr<TieGraph> FromParts(std::vector<std::string> people,
                                             std::vector<int64_t> offsets,
                                             std::vector<int32_t> targets,
                                             std::vector<double> weights,
                                             std::string& why);

 private:
  TieGraph() = default;

  std::vector<std::string> people_;
  absl::flat_hash_map<std::string, int32_t> node_of_;  // a probe a lookup
  // Neighbours of node i: targets_[offsets_[i] .. offsets_[i+1]), strongest
  // first.
  std::vector<int64_t> offsets_;
  std::vector<int32_t> targets_;
  std::vector<double> weights_;
  std::vector<double> strength_;  // sum of tie weights
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_CENTRALITY_H_
