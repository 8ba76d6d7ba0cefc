// Tests index/shared_graph.h: the copy-on-write graph models Boost.Graph's
// concepts, Boost's algorithms give on it what they give on an
// adjacency_list holding the same ties, and copies share vertices until
// written without ever changing each other.
#include "index/shared_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/graph_concepts.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/visitors.hpp>
#include <climits>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "index/graph_options.h"

namespace whoknows::index {
namespace {

using Shared = SharedGraph<std::string, EdgeProps>;
using Adjacency =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                          std::string, EdgeProps>;

BOOST_CONCEPT_ASSERT((boost::VertexListGraphConcept<Shared>));
BOOST_CONCEPT_ASSERT((boost::IncidenceGraphConcept<Shared>));
BOOST_CONCEPT_ASSERT((boost::BidirectionalGraphConcept<Shared>));
BOOST_CONCEPT_ASSERT((boost::EdgeListGraphConcept<Shared>));
BOOST_CONCEPT_ASSERT((boost::AdjacencyGraphConcept<Shared>));
BOOST_CONCEPT_ASSERT((boost::ReadablePropertyGraphConcept<
                      Shared, boost::graph_traits<Shared>::vertex_descriptor,
                      boost::vertex_index_t>));

struct Tie {
  uint32_t from, to;
  EdgeProps props;
};

// `n` people and `m` random ties between them (parallel ties of other kinds
// included), the same for a seed.
std::vector<Tie> RandomTies(uint32_t n, int m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> person(0, n - 1);
  std::uniform_int_distribution<int> kind(0, kNumEdgeKinds - 1);
  std::uniform_real_distribution<double> weight(0.1, 3.0);
  std::vector<Tie> ties;
  for (int i = 0; i < m; ++i) {
    const uint32_t a = person(rng), b = person(rng);
    if (a == b) continue;
    ties.push_back(
        {a, b, EdgeProps{static_cast<EdgeKind>(kind(rng)), weight(rng), 1, i}});
  }
  return ties;
}

// The same ties in any graph type, through Boost's interface only.
template <typename G>
G Fill(uint32_t n, const std::vector<Tie>& ties) {
  G g;
  for (uint32_t v = 0; v < n; ++v)
    boost::add_vertex("p" + std::to_string(v), g);
  for (const Tie& t : ties) boost::add_edge(t.from, t.to, t.props, g);
  return g;
}

// Hops from `s` by breadth_first_search, max() when unreachable.
template <typename G>
std::vector<int> Hops(const G& g, uint32_t s) {
  std::vector<int> hops(boost::num_vertices(g),
                        std::numeric_limits<int>::max());
  hops[s] = 0;
  boost::breadth_first_search(
      g, s,
      boost::visitor(boost::make_bfs_visitor(boost::record_distances(
          boost::make_iterator_property_map(hops.begin(),
                                            boost::get(boost::vertex_index, g)),
          boost::on_tree_edge()))));
  return hops;
}

// Weighted distances from `s` by dijkstra_shortest_paths over the edges'
// weight member.
template <typename G>
std::vector<double> Distances(const G& g, uint32_t s) {
  std::vector<double> dist(boost::num_vertices(g));
  boost::dijkstra_shortest_paths(
      g, s,
      boost::weight_map(boost::get(&EdgeProps::weight, g))
          .distance_map(boost::make_iterator_property_map(
              dist.begin(), boost::get(boost::vertex_index, g))));
  return dist;
}

// Strongly connected components, as the set of each component's members.
template <typename G>
std::set<std::set<uint32_t>> Components(const G& g) {
  std::vector<int> label(boost::num_vertices(g));
  const int n = boost::strong_components(
      g, boost::make_iterator_property_map(label.begin(),
                                           boost::get(boost::vertex_index, g)));
  std::vector<std::set<uint32_t>> members(n);
  for (uint32_t v = 0; v < label.size(); ++v) members[label[v]].insert(v);
  return {members.begin(), members.end()};
}

// Every edge (edges() as a set: an adjacency_list with in-edges lists
// them in the order they were added, a SharedGraph by source), each
// vertex's out-edges in their order, and its in-edges (as a set) and
// degrees.
using EdgeRow = std::tuple<uint32_t, uint32_t, int, double, int64_t>;
template <typename G>
EdgeRow RowOf(const G& g, typename boost::graph_traits<G>::edge_descriptor e) {
  const EdgeProps& p = g[e];
  return {boost::source(e, g), boost::target(e, g), static_cast<int>(p.kind),
          p.weight, p.last_seen};
}
template <typename G>
std::multiset<EdgeRow> EdgeRows(const G& g) {
  std::multiset<EdgeRow> rows;
  for (auto [e, end] = boost::edges(g); e != end; ++e)
    rows.insert(RowOf(g, *e));
  return rows;
}
template <typename G>
std::vector<EdgeRow> OutEdgeRows(const G& g) {
  std::vector<EdgeRow> rows;
  for (auto [v, vend] = boost::vertices(g); v != vend; ++v) {
    for (auto [e, end] = boost::out_edges(*v, g); e != end; ++e)
      rows.push_back(RowOf(g, *e));
  }
  return rows;
}
template <typename G>
std::vector<std::multiset<EdgeRow>> InEdgeRows(const G& g) {
  std::vector<std::multiset<EdgeRow>> rows(boost::num_vertices(g));
  for (auto [v, vend] = boost::vertices(g); v != vend; ++v) {
    for (auto [e, end] = boost::in_edges(*v, g); e != end; ++e) {
      rows[*v].insert(RowOf(g, *e));
    }
    EXPECT_EQ(boost::in_degree(*v, g), rows[*v].size());
    EXPECT_EQ(boost::degree(*v, g),
              boost::in_degree(*v, g) + boost::out_degree(*v, g));
  }
  return rows;
}
template <typename G>
std::vector<std::vector<uint32_t>> Adjacent(const G& g) {
  std::vector<std::vector<uint32_t>> out(boost::num_vertices(g));
  for (auto [v, vend] = boost::vertices(g); v != vend; ++v) {
    for (auto [a, end] = boost::adjacent_vertices(*v, g); a != end; ++a)
      out[*v].push_back(*a);
  }
  return out;
}

void ExpectSameAnswers(const Shared& shared, const Adjacency& adjacency) {
  ASSERT_EQ(boost::num_vertices(shared), boost::num_vertices(adjacency));
  EXPECT_EQ(boost::num_edges(shared), boost::num_edges(adjacency));
  EXPECT_EQ(EdgeRows(shared), EdgeRows(adjacency));
  EXPECT_EQ(OutEdgeRows(shared), OutEdgeRows(adjacency));
  EXPECT_EQ(InEdgeRows(shared), InEdgeRows(adjacency));
  EXPECT_EQ(Adjacent(shared), Adjacent(adjacency));
  for (uint32_t s : {0u, 7u, 123u}) {
    EXPECT_EQ(Hops(shared, s), Hops(adjacency, s)) << "from " << s;
    EXPECT_EQ(Distances(shared, s), Distances(adjacency, s)) << "from " << s;
  }
  EXPECT_EQ(Components(shared), Components(adjacency));
}

TEST(SharedGraphTest, BoostAlgorithmsAnswerAsOnAnAdjacencyList) {
  const uint32_t n = 400;
  const std::vector<Tie> ties = RandomTies(n, 900, 3);
  const Shared shared = Fill<Shared>(n, ties);
  const Adjacency adjacency = Fill<Adjacency>(n, ties);
  ExpectSameAnswers(shared, adjacency);
  // Not a trivial graph: several components, some people out of reach.
  EXPECT_GT(Components(shared).size(), 10u);
  EXPECT_LT(Components(shared).size(), n / 2);
  const auto hops = Hops(shared, 0);
  EXPECT_GT(std::count_if(hops.begin(), hops.end(),
                          [](int h) { return h >= 3 && h < INT_MAX; }),
            10);
  EXPECT_GT(std::count(hops.begin(), hops.end(), INT_MAX), 10);
}

// Removing edges renumbers the source's later out-edges: the in-edges of
// their targets must follow.
TEST(SharedGraphTest, RemovedEdgesAnswerAsOnAnAdjacencyList) {
  const uint32_t n = 150;
  const std::vector<Tie> ties = RandomTies(n, 1200, 5);
  Shared shared = Fill<Shared>(n, ties);
  Adjacency adjacency = Fill<Adjacency>(n, ties);
  const Shared before = shared;  // shares every vertex, then is left alone
  const auto rows_before = OutEdgeRows(before);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 300; ++i) {
    const uint32_t u = std::uniform_int_distribution<uint32_t>(0, n - 1)(rng);
    if (boost::out_degree(u, shared) == 0) continue;
    const size_t k = std::uniform_int_distribution<size_t>(
        0, boost::out_degree(u, shared) - 1)(rng);
    boost::remove_edge(*std::next(boost::out_edges(u, shared).first, k),
                       shared);
    boost::remove_edge(*std::next(boost::out_edges(u, adjacency).first, k),
                       adjacency);
  }
  ExpectSameAnswers(shared, adjacency);
  EXPECT_EQ(OutEdgeRows(before), rows_before);
  EXPECT_EQ(boost::num_edges(before), rows_before.size());
  EXPECT_EQ(InEdgeRows(before), InEdgeRows(Fill<Adjacency>(n, ties)));
}

// A copy shares every vertex; a write copies only the vertices it touches,
// and the other graph reads as before.
TEST(SharedGraphTest, CopiesShareVerticesUntilWritten) {
  const uint32_t n = 1000;
  const std::vector<Tie> ties = RandomTies(n, 3000, 11);
  const Shared first = Fill<Shared>(n, ties);
  const auto rows = OutEdgeRows(first);
  Shared second = first;
  for (uint32_t v = 0; v < n; ++v) EXPECT_TRUE(second.SharesVertex(first, v));
  const auto e = *boost::out_edges(ties[0].from, second).first;
  second[e].weight += 100;  // copies its source
  boost::add_edge(5, 6, EdgeProps{EdgeKind::kLike, 1, 1, 7}, second);
  const uint32_t added = boost::add_vertex(std::string("new"), second);
  boost::add_edge(added, 9, EdgeProps{}, second);
  std::set<uint32_t> written = {ties[0].from, 5, 6, 9};
  for (uint32_t v = 0; v < n; ++v) {
    EXPECT_EQ(second.SharesVertex(first, v), !written.contains(v)) << v;
  }
  EXPECT_EQ(OutEdgeRows(first), rows);
  EXPECT_EQ(boost::num_vertices(first), n);
  EXPECT_EQ(boost::num_edges(second), boost::num_edges(first) + 2);
  EXPECT_EQ(second[e].weight, first[e].weight + 100);
  EXPECT_EQ(second[added], "new");
}

}  // namespace
}  // namespace whoknows::index
