// Graph algorithms behind the network analyses, on a plain weighted
// undirected graph: communities (Leiden), modularity, betweenness (Brandes,
// exact or sampled), normalized mutual information and a force-directed
// layout. igraph stays inside graph_algorithms.cc.
#ifndef WHOKNOWS_NETWORKS_GRAPH_ALGORITHMS_H_
#define WHOKNOWS_NETWORKS_GRAPH_ALGORITHMS_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace whoknows::networks {

// Vertices are 0..num_vertices-1; each undirected edge appears once, with a
// positive weight (tie strength: more interaction, bigger weight).
struct UndirectedGraph {
  int num_vertices = 0;
  std::vector<std::pair<int, int>> edges;
  std::vector<double> weights;  // same length as edges
  double total_weight() const;
};

struct CommunityOptions {
  // Leiden runs from this many random seeds; the partition with the highest
  // modularity wins. More seeds cost proportionally more time and rarely
  // change Q by more than 0.5%.
  int seeds = 10;
  // Seed of the first run (the others use seed+1, seed+2, ...): the result
  // is reproducible.
  uint64_t seed = 1;
  // Resolution gamma of modularity; > 1 gives more, smaller communities.
  double resolution = 1.0;
  // On graphs of more than 100,000 ties, asked between Leiden iterations
  // (each well under a second at a million ties); once it returns true
  // FindCommunities returns CANCELLED. Null: never stops early.
  std::function<bool()> cancelled;
};

struct Communities {
  std::vector<int> membership;  // community of each vertex, 0 = biggest
  int count = 0;
  double modularity = 0;  // weighted Newman-Girvan Q at `resolution`
};

// Leiden (Traag, Waltman & van Eck 2019) maximizing weighted modularity, via
// igraph: unlike Louvain it guarantees connected communities. Isolated
// vertices form singleton communities. Thread safe (igraph calls are
// serialized: the Debian build is not thread safe).
absl::StatusOr<Communities> FindCommunities(const UndirectedGraph& graph,
                                            const CommunityOptions& options);

// Weighted modularity Q = sum_c [w_in(c)/m - gamma (s_c/2m)^2] of a
// partition (m = total edge weight, s_c = total strength of c).
double Modularity(const UndirectedGraph& graph,
                  const std::vector<int>& membership, double resolution = 1.0);

struct BetweennessOptions {
  // Use 1/weight as the length of a tie (strong ties are short paths).
  // False counts hops.
  bool weighted = true;
  // 0: exact (Brandes, O(V·E log V)). k > 0: k source vertices sampled
  // uniformly without replacement, contributions scaled by V/k (Brandes &
  // Pich 2007); see BetweennessErrorBound.
  int samples = 0;
  uint64_t seed = 1;  // of the sample
  // Worker threads; each holds O(V) state.
  int threads = 2;
  // Asked before every source (one shortest-path search: well under a
  // second at 50,000 vertices); once it returns true the workers stop and
  // Betweenness returns an empty vector. Null: never stops early.
  std::function<bool()> cancelled;
};

// Betweenness centrality of every vertex: the number of shortest paths
// between other pairs through it, each pair counted once (as igraph and
// networkx do for undirected graphs, unnormalized). Path lengths are
// compared with a relative tolerance of 1e-10, like igraph. Empty when
// options.cancelled stopped it (or the graph has no vertices).
std::vector<double> Betweenness(const UndirectedGraph& graph,
                                const BetweennessOptions& options);

// With k sampled sources out of n vertices, every vertex's estimate is within
// this many paths of the exact value with probability >= 1 - delta
// (Hoeffding per vertex, each source contributing within [0, n-2] and
// halved for undirected graphs, union bound over the n vertices):
// (n/2)(n-2)·sqrt(ln(2n/delta)/(2k)).
double BetweennessErrorBound(int n, int k, double delta);

// The fewest sampled sources out of n for which BetweennessErrorBound is at
// most `relative_error` of the pairs through a vertex at most,
// (n-1)(n-2)/2, with probability >= 1 - delta: ceil(ln(2n/delta) /
// (2·relative_error²)) (about 0.5 n / (n-1) ≈ 1 folded in). It grows with
// ln n only; n or more means sampling saves nothing over exact.
int BetweennessSamplesFor(int n, double relative_error, double delta);

// Normalized mutual information 2·I(A;B)/(H(A)+H(B)) of two labelings of the
// same items (1 when identical up to renaming, 0 when independent; 1 when
// both have a single label).
double NormalizedMutualInformation(const std::vector<int>& a,
                                   const std::vector<int>& b);

// Fruchterman-Reingold force-directed positions (igraph), each axis scaled
// to [0,1]. Deterministic for a given seed. `cancelled` is asked at every
// iteration (igraph's interruption handler); once it returns true the
// layout stops with CANCELLED.
absl::StatusOr<std::vector<std::pair<double, double>>> ForceLayout(
    const UndirectedGraph& graph, uint64_t seed = 1, int iterations = 500,
    const std::function<bool()>& cancelled = nullptr);

}  // namespace whoknows::networks

#endif  // WHOKNOWS_NETWORKS_GRAPH_ALGORITHMS_H_
