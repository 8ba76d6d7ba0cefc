// Graph algorithms against hand-computed answers and against igraph, an
// independent implementation, on the shared Enron network.
#include "networks/graph_algorithms.h"

#include <gtest/gtest.h>
#include <igraph/igraph.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>

#include "importers/enron.h"
#include "index/catalog.h"
#include "index/interactions.h"
#include "networks/networks.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::networks {
namespace {

UndirectedGraph Make(int n, std::vector<std::pair<int, int>> edges,
                     std::vector<double> weights = {}) {
  UndirectedGraph g;
  g.num_vertices = n;
  g.edges = std::move(edges);
  g.weights = weights.empty() ? std::vector<double>(g.edges.size(), 1.0)
                              : std::move(weights);
  return g;
}

// Two triangles joined by the edge 2-3.
UndirectedGraph Barbell() {
  return Make(6, {{0, 1}, {0, 2}, {1, 2}, {2, 3}, {3, 4}, {3, 5}, {4, 5}});
}

TEST(GraphAlgorithmsTest, BetweennessOfAPath) {
  // 0-1-2-3: vertex 1 lies on the paths 0-2 and 0-3.
  auto b = Betweenness(Make(4, {{0, 1}, {1, 2}, {2, 3}}), {});
  EXPECT_DOUBLE_EQ(b[0], 0);
  EXPECT_DOUBLE_EQ(b[1], 2);
  EXPECT_DOUBLE_EQ(b[2], 2);
  EXPECT_DOUBLE_EQ(b[3], 0);
}

TEST(GraphAlgorithmsTest, BetweennessSplitsEqualPaths) {
  // A square: 0-1-2-3-0; 0 and 2 are joined through 1 and through 3.
  auto b = Betweenness(Make(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}}), {});
  for (double x : b) EXPECT_DOUBLE_EQ(x, 0.5);
}

TEST(GraphAlgorithmsTest, WeightedBetweennessPrefersStrongTies) {
  // 0-1-2 strong (length 1/10 each), 0-2 weak (length 1): paths go via 1.
  auto g = Make(3, {{0, 1}, {1, 2}, {0, 2}}, {10, 10, 1});
  EXPECT_DOUBLE_EQ(Betweenness(g, {})[1], 1);
  BetweennessOptions hops;
  hops.weighted = false;
  EXPECT_DOUBLE_EQ(Betweenness(g, hops)[1], 0);
}

TEST(GraphAlgorithmsTest, BarbellCommunitiesAndModularity) {
  auto g = Barbell();
  auto c = FindCommunities(g, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->count, 2);
  EXPECT_EQ(c->membership[0], c->membership[1]);
  EXPECT_EQ(c->membership[0], c->membership[2]);
  EXPECT_NE(c->membership[2], c->membership[3]);
  // Q = 2 * (3/7 - (7/14)^2) = 6/7 - 1/2.
  EXPECT_NEAR(c->modularity, 6.0 / 7 - 0.5, 1e-12);
  EXPECT_NEAR(Modularity(g, c->membership), c->modularity, 1e-15);
}

TEST(GraphAlgorithmsTest, CommunitiesOfGraphsWithoutTies) {
  auto none = FindCommunities(Make(0, {}), {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->count, 0);
  auto loners = FindCommunities(Make(3, {}), {});
  ASSERT_TRUE(loners.ok());
  EXPECT_EQ(loners->count, 3);
  EXPECT_EQ(loners->modularity, 0);
}

TEST(GraphAlgorithmsTest, NormalizedMutualInformation) {
  EXPECT_DOUBLE_EQ(NormalizedMutualInformation({0, 0, 1, 1}, {5, 5, 7, 7}), 1);
  EXPECT_NEAR(NormalizedMutualInformation({0, 0, 1, 1}, {0, 1, 0, 1}), 0,
              1e-12);
}

TEST(GraphAlgorithmsTest, LayoutIsInTheUnitSquare) {
  auto pos = ForceLayout(Barbell());
  ASSERT_TRUE(pos.ok()) << pos.status();
  ASSERT_EQ(pos->size(), 6u);
  for (auto [x, y] : *pos) {
    EXPECT_GE(x, 0);
    EXPECT_LE(x, 1);
    EXPECT_GE(y, 0);
    EXPECT_LE(y, 1);
  }
}

// The Enron e-mail network (shared/datasets/enron) imported through the
// same path as `whoknows import enron`.
class EnronTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = std::string(WHOKNOWS_DATASETS) + "/enron";
    if (!std::filesystem::exists(dir + "/messages.json")) return;
    const std::string data = testing_util::SuiteDir("enron_graph");
    index::CatalogOptions co;
    co.data_dir = data;
    co.refresh_interval = std::chrono::milliseconds(0);
    auto catalog = index::Catalog::Open(co);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    auto stats = importers::ImportEnron(dir, **catalog, {});
    ASSERT_TRUE(stats.ok()) << stats.status();
    ASSERT_EQ(stats->people, 156);
    ASSERT_EQ(stats->interactions, 21635);
    (*catalog)->Refresh();
    auto log = index::InteractionLog(data).Load();
    ASSERT_TRUE(log.ok()) << log.status();
    graph_ = new PeopleGraph(
        BuildPeopleGraph(*(*catalog)->snapshot(), *log, {}, NetworkOptions{}));
  }
  static void TearDownTestSuite() {
    delete graph_;
    graph_ = nullptr;
  }
  void SetUp() override {
    if (graph_ == nullptr) {
      // CI always has ../shared beside the checkout: missing is a failure.
      if (std::getenv("CI")) FAIL() << "no Enron dataset";
      GTEST_SKIP() << "no Enron dataset under " << WHOKNOWS_DATASETS;
    }
  }
  static PeopleGraph* graph_;
};
PeopleGraph* EnronTest::graph_ = nullptr;

struct IgraphGraph {
  igraph_t g;
  igraph_vector_t w;
  explicit IgraphGraph(const UndirectedGraph& graph,
                       bool reciprocal_weights = false) {
    igraph_vector_int_t e;
    igraph_vector_int_init(&e, 2 * graph.edges.size());
    for (size_t i = 0; i < graph.edges.size(); ++i) {
      VECTOR(e)[2 * i] = graph.edges[i].first;
      VECTOR(e)[2 * i + 1] = graph.edges[i].second;
    }
    igraph_create(&g, &e, graph.num_vertices, IGRAPH_UNDIRECTED);
    igraph_vector_int_destroy(&e);
    igraph_vector_init(&w, graph.weights.size());
    for (size_t i = 0; i < graph.weights.size(); ++i) VECTOR(w)
    [i] = reciprocal_weights ? 1.0 / graph.weights[i] : graph.weights[i];
  }
  ~IgraphGraph() {
    igraph_vector_destroy(&w);
    igraph_destroy(&g);
  }
};

// igraph's betweenness of `graph` (weighted: by the lengths 1 / weight, as
// ours takes them internally; else by hops), the reference the tests
// compare against.
std::vector<double> IgraphBetweenness(const UndirectedGraph& graph,
                                      bool weighted) {
  IgraphGraph ig(graph, /*reciprocal_weights=*/true);
  igraph_vector_t ref;
  igraph_vector_init(&ref, 0);
  const igraph_error_t err =
      igraph_betweenness(&ig.g, &ref, igraph_vss_all(), IGRAPH_UNDIRECTED,
                         weighted ? &ig.w : nullptr);
  std::vector<double> out;
  if (err == IGRAPH_SUCCESS)
    out.assign(&VECTOR(ref)[0], &VECTOR(ref)[0] + igraph_vector_size(&ref));
  igraph_vector_destroy(&ref);
  return out;
}

TEST_F(EnronTest, GraphIsTheMessageCountNetwork) {
  // 156 people; every sender-receiver pair in touch is one tie whose weight
  // counts the messages between them, both directions (38,388 receivers).
  EXPECT_EQ(graph_->graph.num_vertices, 156);
  EXPECT_DOUBLE_EQ(graph_->graph.total_weight(), 38388);
  EXPECT_EQ(graph_->unknown_endpoints, 0);
  std::printf("Enron: %zu ties\n", graph_->graph.edges.size());
}

TEST_F(EnronTest, ModularityWithinOnePercentOfIgraphLeiden) {
  const UndirectedGraph& g = graph_->graph;
  auto ours = FindCommunities(g, {});
  ASSERT_TRUE(ours.ok()) << ours.status();
  // The reference: igraph's Leiden on the same weighted graph (modularity
  // objective: node weights = strengths, resolution 1/2m), best of 10 seeds,
  // scored by igraph's own modularity function.
  IgraphGraph ig(g);
  igraph_vector_t strength;
  igraph_vector_init(&strength, 0);
  igraph_strength(&ig.g, &strength, igraph_vss_all(), IGRAPH_ALL,
                  IGRAPH_NO_LOOPS, &ig.w);
  double best = -1;
  for (int seed = 100; seed < 110; ++seed) {
    igraph_rng_seed(igraph_rng_default(), seed);
    igraph_vector_int_t membership;
    igraph_vector_int_init(&membership, 0);
    igraph_integer_t clusters;
    igraph_real_t quality;
    ASSERT_EQ(igraph_community_leiden(&ig.g, &ig.w, &strength,
                                      1.0 / (2 * g.total_weight()), 0.01, false,
                                      -1, &membership, &clusters, &quality),
              IGRAPH_SUCCESS);
    igraph_real_t q;
    igraph_modularity(&ig.g, &membership, &ig.w, 1.0, IGRAPH_UNDIRECTED, &q);
    best = std::max(best, q);
    igraph_vector_int_destroy(&membership);
  }
  igraph_vector_destroy(&strength);
  std::printf("Enron modularity: ours %.4f (%d communities), igraph %.4f\n",
              ours->modularity, ours->count, best);
  EXPECT_NEAR(ours->modularity, best, 0.01 * best);
  EXPECT_NEAR(ours->modularity, 0.656, 0.01 * 0.656);
}

TEST_F(EnronTest, BetweennessEqualsIgraph) {
  const UndirectedGraph& g = graph_->graph;
  for (bool weighted : {true, false}) {
    BetweennessOptions o;
    o.weighted = weighted;
    auto ours = Betweenness(g, o);
    const std::vector<double> ref = IgraphBetweenness(g, weighted);
    ASSERT_EQ(ref.size(), static_cast<size_t>(g.num_vertices));
    double max_diff = 0, max_value = 0;
    for (int v = 0; v < g.num_vertices; ++v) {
      max_diff = std::max(max_diff, std::fabs(ours[v] - ref[v]));
      max_value = std::max(max_value, ref[v]);
    }
    std::printf(
        "Enron betweenness (%s): max |ours - igraph| = %.3g (max %.1f)\n",
        weighted ? "weighted" : "hops", max_diff, max_value);
    EXPECT_LE(max_diff, 1e-9);
  }
}

TEST_F(EnronTest, SampledBetweennessWithinItsBound) {
  const UndirectedGraph& g = graph_->graph;
  auto exact = Betweenness(g, {});
  BetweennessOptions o;
  o.samples = 50;
  auto approx = Betweenness(g, o);
  const double bound = BetweennessErrorBound(g.num_vertices, o.samples, 0.05);
  double max_err = 0;
  for (int v = 0; v < g.num_vertices; ++v)
    max_err = std::max(max_err, std::fabs(approx[v] - exact[v]));
  const double pairs = (g.num_vertices - 1.0) * (g.num_vertices - 2.0) / 2;
  std::printf(
      "Enron sampled betweenness (50 of 156 sources): max error %.1f paths "
      "(%.4f of the pairs), bound %.1f (%.4f)\n",
      max_err, max_err / pairs, bound, bound / pairs);
  EXPECT_LE(max_err, bound);
}

// A random graph big enough that each algorithm runs for seconds: `n`
// vertices, about `degree` ties each, weights 1-5.
UndirectedGraph Random(int n, int degree) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> any(0, n - 1), weight(1, 5);
  UndirectedGraph g;
  g.num_vertices = n;
  for (int u = 0; u < n; ++u) {
    for (int i = 0; i < degree / 2; ++i) {
      const int v = any(rng);
      if (v == u) continue;
      g.edges.push_back({std::min(u, v), std::max(u, v)});
      g.weights.push_back(weight(rng));
    }
  }
  return g;
}

// `cancelled` that says yes from its `after`-th question on, counting the
// questions. The tests count work, not time: each long loop asks once per
// step (a betweenness source, a Leiden seed or iteration, a layout
// iteration), so a loop that stops at the first yes asks exactly `after`
// times, whatever the machine's load; one that ignored the answer would
// keep asking, and one that never asked would finish.
struct StopAfter {
  explicit StopAfter(int after) : after(after) {}
  const int after;
  std::atomic<int> asked{0};
  std::function<bool()> Fn() {
    return [this] { return ++asked >= after; };
  }
};

TEST(GraphAlgorithmsTest, BetweennessStopsWhenCancelled) {
  const UndirectedGraph g = Random(2000, 10);
  StopAfter stop(5);
  BetweennessOptions o;  // exact: 2,000 sources, on 2 threads
  o.cancelled = stop.Fn();
  auto b = Betweenness(g, o);
  EXPECT_TRUE(b.empty());
  // The other thread, mid-source when told, sees the stop without asking.
  EXPECT_EQ(stop.asked, 5);
}

TEST(GraphAlgorithmsTest, CommunitiesStopWhenCancelled) {
  const UndirectedGraph g = Random(10000, 30);  // 150,000 ties: iterated
  StopAfter stop(3);
  CommunityOptions o;
  o.cancelled = stop.Fn();
  auto c = FindCommunities(g, o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled) << c.status();
  EXPECT_EQ(stop.asked, 3);  // no twice (iterations or seeds), then yes
}

TEST(GraphAlgorithmsTest, LayoutStopsWhenCancelled) {
  const UndirectedGraph g = Random(20000, 20);
  StopAfter stop(3);
  auto pos = ForceLayout(g, 1, 500, stop.Fn());
  EXPECT_EQ(pos.status().code(), absl::StatusCode::kCancelled) << pos.status();
  EXPECT_EQ(stop.asked, 3);  // of 500 iterations
}

// Integer weights 1-5 make many shortest paths of equal length (vertices
// with several predecessors) in a graph of several components; the result
// is igraph's, weighted and by hops.
TEST(GraphAlgorithmsTest, BetweennessEqualsIgraphWithManyEqualPaths) {
  UndirectedGraph g = Random(1500, 6);
  g.num_vertices += 20;                // isolated people
  for (int v = 1500; v < 1510; ++v) {  // a separate path of ten
    g.edges.push_back({v, v + 1});
    g.weights.push_back(2);
  }
  for (bool weighted : {true, false}) {
    BetweennessOptions o;
    o.weighted = weighted;
    const std::vector<double> ours = Betweenness(g, o);
    const std::vector<double> ref = IgraphBetweenness(g, weighted);
    ASSERT_EQ(ref.size(), static_cast<size_t>(g.num_vertices));
    double max_rel = 0;
    for (int v = 0; v < g.num_vertices; ++v)
      max_rel = std::max(max_rel,
                         std::fabs(ours[v] - ref[v]) / std::max(1.0, ref[v]));
    EXPECT_LE(max_rel, 1e-9) << (weighted ? "weighted" : "hops");
  }
}

TEST(GraphAlgorithmsTest, SamplesForAnErrorBound) {
  // ln(2n/delta) / (2 eps^2), stretched by (n/(n-1))^2: grows with ln n.
  EXPECT_EQ(BetweennessSamplesFor(5000, 0.1, 0.05), 611);
  EXPECT_EQ(BetweennessSamplesFor(50000, 0.1, 0.05), 726);
  EXPECT_EQ(BetweennessSamplesFor(100, 0.1, 0.05), 100);  // all: exact
  // The bound of that many sources is within the error asked.
  const int k = BetweennessSamplesFor(50000, 0.1, 0.05);
  EXPECT_LE(BetweennessErrorBound(50000, k, 0.05), 0.1 * 49999.0 * 49998.0 / 2);
  EXPECT_GT(BetweennessErrorBound(50000, k - 1, 0.05),
            0.1 * 49999.0 * 49998.0 / 2);
}

}  // namespace
}  // namespace whoknows::networks
