// Tests ranking/centrality.cc: weighted PageRank against the exact solution
// of its linear system, the help-graph directions, personalized PageRank by
// push, and strongest paths.
#include "ranking/centrality.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <thread>

#include "index/catalog.h"
#include "ranking/vocabulary.h"
#include "tests/testing/fixtures.h"

namespace whoknows::ranking {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// PageRank as the solution of (I - d P - d v g^T) x = (1 - d) v, where P is
// the column-stochastic transition matrix, g marks dangling nodes and v is
// the teleport distribution: a direct solve, independent of the iteration.
Eigen::VectorXd ExactPageRank(int n, const std::vector<WeightedEdge>& edges,
                              double d, Eigen::VectorXd v) {
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd out = Eigen::VectorXd::Zero(n);
  for (const auto& e : edges) out[e.from] += e.weight;
  for (const auto& e : edges) p(e.to, e.from) += e.weight / out[e.from];
  Eigen::VectorXd g = Eigen::VectorXd::Zero(n);
  for (int i = 0; i < n; ++i) g[i] = out[i] > 0 ? 0 : 1;
  Eigen::MatrixXd a =
      Eigen::MatrixXd::Identity(n, n) - d * p - d * v * g.transpose();
  Eigen::VectorXd x = a.fullPivLu().solve((1 - d) * v);
  return x / x.sum();
}

std::vector<WeightedEdge> RandomGraph(int n, int m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> node(0, n - 1);
  std::uniform_real_distribution<double> weight(0.1, 5);
  std::vector<WeightedEdge> edges;
  for (int i = 0; i < m; ++i) {
    // Nodes n-2 and n-1 never send: dangling.
    int from = node(rng) % (n - 2);
    int to = node(rng);
    if (from != to) edges.push_back({from, to, weight(rng)});
  }
  return edges;
}

TEST(WeightedPageRankTest, MatchesTheExactSolutionWithDanglingNodes) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const int n = 40;
    auto edges = RandomGraph(n, 150, seed);
    PageRankResult r = WeightedPageRank(n, edges);
    ASSERT_TRUE(r.converged) << "seed " << seed;
    EXPECT_LT(r.residual, 1e-10);
    Eigen::VectorXd exact =
        ExactPageRank(n, edges, 0.85, Eigen::VectorXd::Constant(n, 1.0 / n));
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(r.rank[i], exact[i], 1e-9) << "node " << i;
      sum += r.rank[i];
    }
    EXPECT_NEAR(sum, 1, 1e-12);
  }
}

TEST(WeightedPageRankTest, PersonalizedTeleportMatchesTheExactSolution) {
  const int n = 30;
  auto edges = RandomGraph(n, 100, 7);
  std::vector<double> teleport(n, 0);
  teleport[3] = 2;  // normalized inside
  teleport[5] = 2;
  PageRankResult r = WeightedPageRank(n, edges, {}, teleport);
  Eigen::VectorXd v = Eigen::VectorXd::Zero(n);
  v[3] = v[5] = 0.5;
  Eigen::VectorXd exact = ExactPageRank(n, edges, 0.85, v);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(r.rank[i], exact[i], 1e-9);
}

TEST(WeightedPageRankTest, WeightsDecideWhereTheWalkGoes) {
  // 0 -> 1 (weight 3), 0 -> 2 (weight 1): 1 gets more.
  PageRankResult r = WeightedPageRank(3, {{0, 1, 3}, {0, 2, 1}});
  EXPECT_GT(r.rank[1], r.rank[2]);
  // Parallel edges add up: two edges of 1.5 are one of 3.
  PageRankResult split =
      WeightedPageRank(3, {{0, 1, 1.5}, {0, 1, 1.5}, {0, 2, 1}});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.rank[i], split.rank[i], 1e-12);
  // A cycle is uniform.
  PageRankResult cycle = WeightedPageRank(3, {{0, 1, 1}, {1, 2, 1}, {2, 0, 1}});
  for (double x : cycle.rank) EXPECT_NEAR(x, 1.0 / 3, 1e-12);
  // Empty graphs.
  EXPECT_THAT(WeightedPageRank(0, {}).rank, IsEmpty());
  EXPECT_NEAR(WeightedPageRank(1, {}).rank[0], 1, 1e-12);
}

TEST(WeightedPageRankTest, StopsAtMaxIterationsWithoutConverging) {
  PageRankOptions o;
  o.max_iterations = 2;
  o.tolerance = 0;
  PageRankResult r = WeightedPageRank(40, RandomGraph(40, 150, 1), o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 2);
}

std::shared_ptr<const index::PostMeta> Meta(const std::string& id,
                                            const std::string& author,
                                            v1::PostKind kind,
                                            const std::string& parent = "") {
  return testing_util::MakeMeta(id, author, kind, parent, 1'700'000'000);
}

// a asks, b answers; c likes b's answer; a asks again and d answers; a
// line of replies e -> f -> g -> h for paths.
index::ColleagueGraph SmallGraph() {
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  auto add = [&](std::shared_ptr<const index::PostMeta> m) {
    posts[m->id] = std::move(m);
  };
  add(Meta("q1", "a", v1::POST_KIND_QUESTION));
  auto ans = std::make_shared<index::PostMeta>(
      *Meta("a1", "b", v1::POST_KIND_ANSWER, "q1"));
  ans->liked_by = {"c"};
  add(ans);
  add(Meta("q2", "a", v1::POST_KIND_QUESTION));
  add(Meta("a2", "d", v1::POST_KIND_ANSWER, "q2"));
  add(Meta("q3", "e", v1::POST_KIND_QUESTION));
  add(Meta("a3", "f", v1::POST_KIND_ANSWER, "q3"));
  add(Meta("q4", "f", v1::POST_KIND_QUESTION));
  add(Meta("a4", "g", v1::POST_KIND_ANSWER, "q4"));
  add(Meta("q5", "g", v1::POST_KIND_QUESTION));
  add(Meta("a5", "h", v1::POST_KIND_ANSWER, "q5"));
  return index::ColleagueGraph::Build(posts, {});
}

TEST(HelpEdgesTest, AskerEndorsesAnswererAndLikerEndorsesAuthor) {
  index::ColleagueGraph g = SmallGraph();
  std::set<std::pair<std::string, std::string>> edges;
  for (const auto& e : HelpEdges(g)) {
    edges.insert({g.PersonId(e.from), g.PersonId(e.to)});
  }
  EXPECT_TRUE(edges.count({"a", "b"}));
  EXPECT_TRUE(edges.count({"a", "d"}));
  EXPECT_TRUE(edges.count({"c", "b"}));
  EXPECT_FALSE(edges.count({"b", "a"})) << "answering is not endorsing";
  // b is endorsed twice (asked and liked): the most authority.
  auto r = WeightedPageRank(static_cast<int32_t>(g.num_people()), HelpEdges(g));
  const int64_t b = g.VertexOf("b"), d = g.VertexOf("d");
  EXPECT_GT(r.rank[b], r.rank[d]);
}

TEST(TieGraphTest, PushApproximatesExactPersonalizedPageRank) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  const int n = ties.num_nodes();
  const int32_t a = ties.NodeOf("a");
  ASSERT_GE(a, 0);
  // Exact PPR of the lazy-free random walk on tie strengths.
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(n, n);
  g.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
    const auto s = ties.NodeOf(g.PersonId(from));
    const auto t = ties.NodeOf(g.PersonId(to));
    w(s, t) += e.weight;
    w(t, s) += e.weight;
  });
  Eigen::MatrixXd walk = w;
  for (int i = 0; i < n; ++i) {
    if (w.row(i).sum() > 0) walk.row(i) /= w.row(i).sum();
  }
  const double alpha = 0.15;
  Eigen::VectorXd s = Eigen::VectorXd::Zero(n);
  s[a] = 1;
  // ppr^T = alpha s^T + (1 - alpha) ppr^T W
  Eigen::VectorXd exact =
      (Eigen::MatrixXd::Identity(n, n) - (1 - alpha) * walk.transpose())
          .fullPivLu()
          .solve(alpha * s);
  auto approx = ties.PersonalizedPageRank(a, alpha, 1e-8);
  for (int i = 0; i < n; ++i) {
    const double p = approx.count(i) ? approx.at(i) : 0.0;
    EXPECT_NEAR(p, exact[i], 1e-5) << ties.PersonOf(i);
  }
  // The source holds the most; people with no tie to a get nothing.
  EXPECT_GT(approx.at(a), approx.at(ties.NodeOf("b")));
  EXPECT_EQ(approx.count(ties.NodeOf("h")), 0u);
}

TEST(TieGraphTest, StrongestPathIsShortestThenStrongest) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  EXPECT_THAT(ties.StrongestPath(ties.NodeOf("e"), ties.NodeOf("h")),
              ElementsAre("e", "f", "g", "h"));
  EXPECT_THAT(ties.StrongestPath(ties.NodeOf("e"), ties.NodeOf("h"), 2),
              IsEmpty());
  EXPECT_THAT(ties.StrongestPath(ties.NodeOf("b"), ties.NodeOf("d")),
              ElementsAre("b", "a", "d"));
  // Nobody may pass through a: no path.
  EXPECT_THAT(
      ties.StrongestPath(ties.NodeOf("b"), ties.NodeOf("d"), 3, 64,
                         [](const std::string& id) { return id != "a"; }),
      IsEmpty());
  // Unconnected people, unknown people, oneself.
  EXPECT_THAT(ties.StrongestPath(ties.NodeOf("a"), ties.NodeOf("h")),
              IsEmpty());
  EXPECT_THAT(ties.StrongestPath(-1, ties.NodeOf("h")), IsEmpty());
  EXPECT_THAT(ties.StrongestPath(ties.NodeOf("a"), ties.NodeOf("a")),
              IsEmpty());
}

// A graph read back from its parts is the graph; parts that do not make
// one (what a damaged file could hold) are refused with the reason, so
// that no method walks out of its arrays.
TEST(TieGraphTest, FromPartsRebuildsTheGraphAndRefusesBrokenParts) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  std::vector<std::string> people;
  for (int32_t i = 0; i < ties.num_nodes(); ++i)
    people.push_back(ties.PersonOf(i));
  std::string why;
  auto copy = TieGraph::FromParts(people, ties.offsets(), ties.targets(),
                                  ties.weights(), why);
  ASSERT_NE(copy, nullptr) << why;
  for (int32_t i = 0; i < ties.num_nodes(); ++i) {
    EXPECT_EQ(copy->NodeOf(people[i]), i);
    EXPECT_EQ(copy->Strength(i), ties.Strength(i));
  }
  EXPECT_EQ(copy->StrongestPath(copy->NodeOf("e"), copy->NodeOf("h")),
            ties.StrongestPath(ties.NodeOf("e"), ties.NodeOf("h")));
  ASSERT_GT(ties.targets().size(), 2u);
  auto broken = [&](auto edit) {
    std::vector<std::string> p = people;
    std::vector<int64_t> offsets = ties.offsets();
    std::vector<int32_t> targets = ties.targets();
    std::vector<double> weights = ties.weights();
    edit(p, offsets, targets, weights);
    std::string reason;
    auto graph = TieGraph::FromParts(p, offsets, targets, weights, reason);
    EXPECT_EQ(graph, nullptr);
    return reason;
  };
  using P = std::vector<std::string>;
  using O = std::vector<int64_t>;
  using T = std::vector<int32_t>;
  using W = std::vector<double>;
  EXPECT_THAT(broken([](P&, O&, T& t, W&) { t[0] = 1000; }),
              HasSubstr("no other person"));
  EXPECT_THAT(broken([](P&, O&, T& t, W&) { t[0] = -1; }),
              HasSubstr("no other person"));
  EXPECT_THAT(broken([](P&, O& o, T& t, W&) {  // a tie to oneself
                int32_t i = 0;
                while (o[i + 1] == o[i]) ++i;
                t[o[i]] = i;
              }),
              HasSubstr("no other person"));
  EXPECT_THAT(broken([](P&, O&, T&, W& w) { w[1] = std::nan(""); }),
              HasSubstr("weight"));
  EXPECT_THAT(broken([](P&, O&, T&, W& w) { w[1] = -1; }), HasSubstr("weight"));
  EXPECT_THAT(broken([](P&, O& o, T&, W&) { o[1] = o.back() + 1; }),
              HasSubstr("order"));
  EXPECT_THAT(broken([](P&, O& o, T&, W&) { o.back() += 1; }),
              HasSubstr("lengths"));
  EXPECT_THAT(broken([](P& p, O&, T&, W&) { p.pop_back(); }),
              HasSubstr("lengths"));
  EXPECT_THAT(broken([](P& p, O&, T&, W&) { p[1] = p[0]; }),
              HasSubstr("twice"));
}

TEST(TieGraphTest, StrongestPathsStopAtATargetNobodyMayPass) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  const int32_t e = ties.NodeOf("e"), g_ = ties.NodeOf("g"),
                h = ties.NodeOf("h");
  auto both = ties.StrongestPaths(e, {g_, h, e, -1});
  EXPECT_EQ(both.size(), 2u);
  EXPECT_THAT(both[g_], ElementsAre("e", "f", "g"));
  EXPECT_THAT(both[h], ElementsAre("e", "f", "g", "h"));
  // g may not be named in the middle of a chain: g still gets its own, h
  // (only reachable through g) none.
  auto blocked = ties.StrongestPaths(
      e, {g_, h}, 3, 64, [](const std::string& id) { return id != "g"; });
  EXPECT_EQ(blocked.size(), 1u);
  EXPECT_THAT(blocked[g_], ElementsAre("e", "f", "g"));
}

// A company of 60 people and 200 random question-answer pairs (a few
// repeated, so ties have different strengths), fewer ties each than the
// fanout: every tie is followed.
index::ColleagueGraph RandomCompanyGraph(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> person(0, 59);
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  for (int i = 0; i < 200; ++i) {
    const int asker = person(rng), answerer = person(rng);
    if (asker == answerer) continue;
    const std::string q = "q" + std::to_string(i);
    posts[q] = Meta(q, "p" + std::to_string(asker), v1::POST_KIND_QUESTION);
    const std::string a = "a" + std::to_string(i);
    posts[a] = Meta(a, "p" + std::to_string(answerer), v1::POST_KIND_ANSWER, q);
  }
  return index::ColleagueGraph::Build(posts, {});
}

// Each tie is its edges' weights (every kind, both directions) added up in
// the graph's order, to the last bit, and a person's strength their ties
// added strongest first: what the ranking's sums were built on, whatever
// way the ties are gathered.
TEST(TieGraphTest, TiesAddUpEveryEdgeInTheGraphsOrder) {
  const index::ColleagueGraph g = RandomCompanyGraph(5);
  const TieGraph ties(g);
  const int32_t n = ties.num_nodes();
  std::map<std::pair<int32_t, int32_t>, double> want;
  int parallel = 0;
  g.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
    const int32_t s = ties.NodeOf(g.PersonId(from));
    const int32_t t = ties.NodeOf(g.PersonId(to));
    if (s == t) return;
    parallel += want.contains({s, t});
    want[{s, t}] += e.weight;
    want[{t, s}] += e.weight;
  });
  ASSERT_GT(parallel, 50) << "the graph must have pairs with several edges";
  std::vector<std::vector<std::pair<int32_t, double>>> of(n);
  for (const auto& [pair, w] : want)
    of[pair.first].emplace_back(pair.second, w);
  for (int32_t u = 0; u < n; ++u) {
    for (int32_t v = 0; v < n; ++v) {
      auto it = want.find({u, v});
      EXPECT_EQ(ties.TieWeight(u, v), it == want.end() ? 0.0 : it->second)
          << ties.PersonOf(u) << " - " << ties.PersonOf(v);
    }
    std::sort(of[u].begin(), of[u].end(), HigherScoreFirst());
    double strength = 0;
    for (const auto& [v, w] : of[u]) strength += w;
    EXPECT_EQ(ties.Strength(u), strength) << ties.PersonOf(u);
  }
}

// Every chain StrongestPathsByNode returns is a shortest one (at most
// max_hops ties, only passable people in the middle) with the largest
// weakest tie among the shortest, and every target such a chain reaches
// gets one: checked against a search layer by layer over every tie. It
// fails when the last layer's shortcut loses or weakens a target's chain.
TEST(TieGraphTest, PathsToManyTargetsAreShortestThenStrongest) {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    index::ColleagueGraph g = RandomCompanyGraph(seed);
    TieGraph ties(g);
    const int32_t n = ties.num_nodes();
    auto passes = [](int32_t v) { return v % 7 != 3; };
    for (int max_hops : {2, 3}) {
      for (int32_t from = 0; from < n; from += 5) {
        // The reference: hops[v] and the best weakest tie best[v], one
        // layer at a time over every tie.
        std::vector<int> hops(n, -1);
        std::vector<double> best(n, 0);
        hops[from] = 0;
        best[from] = INFINITY;
        for (int h = 1; h <= max_hops; ++h) {
          for (int32_t u = 0; u < n; ++u) {
            if (hops[u] != h - 1 || (u != from && !passes(u))) continue;
            for (int32_t v = 0; v < n; ++v) {
              const double w = ties.TieWeight(u, v);
              if (w <= 0 || (hops[v] >= 0 && hops[v] < h)) continue;
              hops[v] = h;
              best[v] = std::max(best[v], std::min(best[u], w));
            }
          }
        }
        std::vector<int32_t> to(static_cast<size_t>(n));
        std::iota(to.begin(), to.end(), 0);
        auto paths = ties.StrongestPathsByNode(from, to, max_hops, 64, passes);
        for (int32_t t = 0; t < n; ++t) {
          SCOPED_TRACE(testing::Message()
                       << "seed " << seed << " hops " << max_hops << " " << from
                       << "->" << t);
          auto it = paths.find(t);
          if (t == from || hops[t] < 0) {
            EXPECT_EQ(it, paths.end());
            continue;
          }
          ASSERT_NE(it, paths.end());
          const std::vector<std::string>& chain = it->second;
          ASSERT_EQ(chain.size(), static_cast<size_t>(hops[t]) + 1);
          double weakest = INFINITY;
          for (size_t i = 0; i + 1 < chain.size(); ++i) {
            const int32_t u = ties.NodeOf(chain[i]);
            if (i > 0) {
              EXPECT_TRUE(passes(u)) << chain[i];
            }
            weakest =
                std::min(weakest, ties.TieWeight(u, ties.NodeOf(chain[i + 1])));
          }
          EXPECT_EQ(chain.front(), ties.PersonOf(from));
          EXPECT_EQ(chain.back(), ties.PersonOf(t));
          EXPECT_EQ(weakest, best[t]);
        }
      }
    }
  }
}

// A private thread SmallGraph does not hold: z (no node) is tied to a and
// e, and y (no node either) only to z. z and y are numbered after the
// graph's nodes, and `people` names them in that order.
struct ExtraPeople {
  TieGraph::ExtraTies extra;
  std::vector<std::string> people;
  int32_t z, y;
};
ExtraPeople PrivateThreadTies(const TieGraph& ties) {
  const int32_t a = ties.NodeOf("a"), e = ties.NodeOf("e");
  const int32_t z = ties.num_nodes(), y = ties.num_nodes() + 1;
  return {{{a, {{z, 1.0}}},
           {z, {{a, 1.0}, {e, 1.0}, {y, 1.0}}},
           {e, {{z, 1.0}}},
           {y, {{z, 1.0}}}},
          {"z", "y"},
          z,
          y};
}

// The same search asked by node: the same chains as asking by id, for
// graph nodes and extra people alike.
TEST(TieGraphTest, StrongestPathsByNodeMatchAskingById) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  const int32_t a = ties.NodeOf("a"), f = ties.NodeOf("f"),
                g_ = ties.NodeOf("g"), h = ties.NodeOf("h");
  const auto [extra, people, z, y] = PrivateThreadTies(ties);
  std::vector<int32_t> asked_nodes;
  auto by_node = ties.StrongestPathsByNode(
      a, {f, g_, h, y}, 3, 64,
      [&](int32_t v) {
        asked_nodes.push_back(v);
        return v != g_ && v != z;
      },
      &extra, &people);
  auto by_id = ties.StrongestPaths(
      a, {f, g_, h, y}, 3, 64,
      [&](const std::string& id) { return id != "g" && id != "z"; }, &extra,
      &people);
  EXPECT_EQ(by_node, by_id);
  EXPECT_THAT(asked_nodes, Contains(z)) << "extra people are asked by node";
  // z may not pass: nothing runs through the private tie.
  EXPECT_EQ(by_node.count(y), 0u);
  // And with everyone passable, the private chain is found.
  auto open = ties.StrongestPathsByNode(
      a, {y}, 3, 64, [](int32_t) { return true; }, &extra, &people);
  EXPECT_THAT(open[y], ElementsAre("a", "z", "y"));
}

// Extra ties may name people the graph has no node for (a member's private
// thread with someone who posts nowhere else): a chain may run through them
// and end at them; a tie to a node that names nobody is ignored.
TEST(TieGraphTest, StrongestPathsFollowExtraPeopleWithoutANode) {
  index::ColleagueGraph g = SmallGraph();
  TieGraph ties(g);
  const int32_t a = ties.NodeOf("a"), e = ties.NodeOf("e"),
                f = ties.NodeOf("f");
  const auto [extra, people, z, y] = PrivateThreadTies(ties);
  EXPECT_TRUE(ties.StrongestPaths(a, {f}).empty()) << "apart in the graph";
  auto paths = ties.StrongestPaths(a, {f, y}, 3, 64, {}, &extra, &people);
  EXPECT_THAT(paths[f], ElementsAre("a", "z", "e", "f"));
  EXPECT_THAT(paths[y], ElementsAre("a", "z", "y"));
  // From someone without a node too.
  EXPECT_THAT(ties.StrongestPaths(y, {e}, 3, 64, {}, &extra, &people)[e],
              ElementsAre("y", "z", "e"));
  // Without the names, the extra nodes are out of range: no chain, no crash.
  EXPECT_TRUE(ties.StrongestPaths(a, {f}, 3, 64, {}, &extra).empty());
}

// A thread-rich random company: every chain StrongestPaths returns is as
// short as the shortest one and as strong as the strongest among those, by
// enumerating every chain of up to 3 ties.
TEST(TieGraphTest, StrongestPathsMatchEveryChainEnumerated) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> person(0, 29);
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  for (int q = 0; q < 45; ++q) {
    const std::string asker = "p" + std::to_string(person(rng));
    const std::string qid = "q" + std::to_string(q);
    posts[qid] = Meta(qid, asker, v1::POST_KIND_QUESTION);
    const int answers = 1 + person(rng) % 3;
    for (int a = 0; a < answers; ++a) {
      const std::string aid = qid + "a" + std::to_string(a);
      posts[aid] = Meta(aid, "p" + std::to_string(person(rng)),
                        v1::POST_KIND_ANSWER, qid);
    }
  }
  TieGraph ties(index::ColleagueGraph::Build(posts, {}));
  const int32_t n = ties.num_nodes();
  ASSERT_GT(n, 20);
  auto blocked = [&](int32_t v) { return ties.PersonOf(v) == "p3"; };
  int compared = 0;
  for (int32_t from = 0; from < n; ++from) {
    std::vector<int32_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    auto paths = ties.StrongestPaths(
        from, all, 3, 64, [&](const std::string& id) { return id != "p3"; });
    // Reference: best (fewest hops, then largest weakest tie) per target.
    std::vector<int> hops(static_cast<size_t>(n), 99);
    std::vector<double> strength(static_cast<size_t>(n), 0);
    std::function<void(int32_t, int, double, std::vector<int32_t>&)> walk =
        [&](int32_t u, int depth, double weakest, std::vector<int32_t>& seen) {
          if (depth > 0) {
            if (depth < hops[u] ||
                (depth == hops[u] && weakest > strength[u])) {
              hops[u] = depth;
              strength[u] = weakest;
            }
            if (blocked(u)) return;  // may end a chain, not carry one
          }
          if (depth == 3) return;
          for (int32_t v = 0; v < n; ++v) {
            const double w = ties.TieWeight(u, v);
            if (w <= 0 || std::find(seen.begin(), seen.end(), v) != seen.end())
              continue;
            seen.push_back(v);
            walk(v, depth + 1, std::min(weakest, w), seen);
            seen.pop_back();
          }
        };
    std::vector<int32_t> seen{from};
    walk(from, 0, INFINITY, seen);
    for (int32_t to = 0; to < n; ++to) {
      if (to == from) continue;
      auto it = paths.find(to);
      if (hops[to] > 3) {
        EXPECT_EQ(it, paths.end()) << from << " -> " << to;
        continue;
      }
      ASSERT_NE(it, paths.end()) << from << " -> " << to;
      const auto& chain = it->second;
      ASSERT_EQ(static_cast<int>(chain.size()) - 1, hops[to]);
      EXPECT_EQ(chain.front(), ties.PersonOf(from));
      EXPECT_EQ(chain.back(), ties.PersonOf(to));
      double weakest = INFINITY;
      for (size_t i = 0; i + 1 < chain.size(); ++i) {
        if (i > 0) {
          EXPECT_NE(chain[i], "p3");
        }
        weakest = std::min(weakest, ties.TieWeight(ties.NodeOf(chain[i]),
                                                   ties.NodeOf(chain[i + 1])));
      }
      EXPECT_DOUBLE_EQ(weakest, strength[to]) << from << " -> " << to;
      ++compared;
    }
  }
  EXPECT_GT(compared, 300);
}

// The search forward, layer by layer, the last one too: a frontier person
// offers each of their `fanout` strongest ties (TieGraph lists them
// strongest first, as ties.TieWeight reads them) and then their extra ones;
// the first offer of the largest weakest tie names the parent. What
// StrongestPathsByNode's last layer, read from the targets, must equal.
std::unordered_map<int32_t, std::vector<int32_t>> ForwardChains(
    const TieGraph& ties, int32_t from, const std::vector<int32_t>& to,
    int max_hops, int fanout, const std::function<bool(int32_t)>& passes,
    const TieGraph::ExtraTies& extra, int32_t n) {
  const int32_t graph_nodes = ties.num_nodes();
  // Each node's ties strongest first, ties of equal strength by node: the
  // order TieGraph keeps them in.
  auto graph_ties = [&](int32_t u) {
    std::vector<std::pair<int32_t, double>> out;
    if (u >= graph_nodes) return out;
    for (int32_t v = 0; v < graph_nodes; ++v)
      if (const double w = ties.TieWeight(u, v); w > 0) out.emplace_back(v, w);
    std::stable_sort(out.begin(), out.end(),
                     [](auto& a, auto& b) { return a.second > b.second; });
    if (out.size() > static_cast<size_t>(fanout)) out.resize(fanout);
    return out;
  };
  std::vector<char> target(n, 0);
  for (int32_t t : to)
    if (t != from) target[t] = 1;
  std::vector<int> hop_of(n, -1);
  std::vector<double> best(n, 0);
  std::vector<int32_t> parent(n, -1);
  hop_of[from] = 0;
  best[from] = INFINITY;
  std::vector<int32_t> frontier{from}, found;
  for (int hop = 1; hop <= max_hops && !frontier.empty(); ++hop) {
    std::vector<int32_t> next;
    for (int32_t u : frontier) {
      auto offers = graph_ties(u);
      if (auto it = extra.find(u); it != extra.end())
        offers.insert(offers.end(), it->second.begin(), it->second.end());
      for (const auto& [v, w] : offers) {
        if (v < 0 || v >= n || (hop_of[v] >= 0 && hop_of[v] < hop)) continue;
        if (hop == max_hops && !target[v]) continue;
        if (!target[v] && !passes(v)) continue;
        const double b = std::min(best[u], w);
        if (hop_of[v] < 0) {
          hop_of[v] = hop;
          best[v] = b;
          parent[v] = u;
          next.push_back(v);
        } else if (b > best[v]) {
          best[v] = b;
          parent[v] = u;
        }
      }
    }
    frontier.clear();
    for (int32_t v : next) {
      if (target[v]) found.push_back(v);
      if (!target[v] || passes(v)) frontier.push_back(v);
    }
  }
  std::unordered_map<int32_t, std::vector<int32_t>> chains;
  for (int32_t t : found) {
    std::vector<int32_t> chain;
    for (int32_t v = t; v >= 0; v = parent[v]) chain.insert(chain.begin(), v);
    chains[t] = chain;
  }
  return chains;
}

// Narrow fanouts (so that a tie one way is followed and the other way is
// not), private ties with people who have no node (listed twice over, as a
// member's private posts list them), and targets anywhere: the chains are
// the forward search's, parent for parent among equally strong offers.
TEST(TieGraphTest, LastLayerFromTheTargetsMatchesTheForwardSearch) {
  int compared = 0;
  for (uint64_t seed : {5u, 6u, 7u}) {
    TieGraph ties(RandomCompanyGraph(seed));
    const int32_t graph_nodes = ties.num_nodes();
    const int32_t n = graph_nodes + 4;  // four people only ties name
    std::vector<std::string> people;
    for (int i = 0; i < 4; ++i) people.push_back("x" + std::to_string(i));
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int32_t> node(0, n - 1);
    TieGraph::ExtraTies extra;
    for (int i = 0; i < 30; ++i) {
      const int32_t u = node(rng), v = node(rng);
      if (u == v) continue;
      // Weights a graph tie may have too: equal offers happen.
      const double w = 1.0 + static_cast<double>(i % 3);
      for (int twice = 0; twice < 1 + i % 2; ++twice) {
        extra[u].emplace_back(v, w);
        extra[v].emplace_back(u, w);
      }
    }
    auto passes = [](int32_t v) { return v % 5 != 2; };
    for (int fanout : {1, 2, 3, 64}) {
      for (int max_hops : {1, 2, 3}) {
        for (int32_t from = 0; from < n; from += 3) {
          std::vector<int32_t> to;
          for (int i = 0; i < 12; ++i) to.push_back(node(rng));
          auto paths = ties.StrongestPathsByNode(from, to, max_hops, fanout,
                                                 passes, &extra, &people);
          auto want =
              ForwardChains(ties, from, to, max_hops, fanout, passes, extra, n);
          SCOPED_TRACE(testing::Message()
                       << "seed " << seed << " fanout " << fanout << " hops "
                       << max_hops << " from " << from);
          ASSERT_EQ(paths.size(), want.size());
          for (const auto& [t, chain] : want) {
            std::vector<std::string> names;
            for (int32_t v : chain)
              names.push_back(v < graph_nodes ? ties.PersonOf(v)
                                              : people[v - graph_nodes]);
            EXPECT_EQ(paths[t], names) << "to " << t;
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

// Personalized PageRank and the path search keep their arrays by node per
// thread between calls: a call must leave nothing a later one on the same
// thread reads (a residual, a reached person, a refused passer), also on a
// graph of another size. Each call is compared with the same call made
// first on a thread of its own.
TEST(TieGraphTest, CallsOnOneThreadLeaveNothingForTheNext) {
  std::vector<std::unique_ptr<TieGraph>> graphs;
  for (uint64_t seed : {5u, 6u, 7u}) {
    graphs.push_back(std::make_unique<TieGraph>(RandomCompanyGraph(seed)));
  }
  graphs.push_back(std::make_unique<TieGraph>(SmallGraph()));
  using Paths = std::unordered_map<int32_t, std::vector<std::string>>;
  struct Answers {
    std::unordered_map<int32_t, double> ppr;
    Paths refusing, open;
  };
  // From node 0 to every third node (a refused person who is no target is
  // never reached); `refusing` may not pass the even nodes.
  auto ask = [](const TieGraph& ties) {
    std::vector<int32_t> targets;
    for (int32_t v = 0; v < ties.num_nodes(); v += 3) targets.push_back(v);
    Answers a;
    a.ppr = ties.PersonalizedPageRank(0, 0.15, 1e-6);
    a.refusing = ties.StrongestPathsByNode(0, targets, 3, 64,
                                           [](int32_t v) { return v % 2; });
    a.open = ties.StrongestPathsByNode(0, targets, 3, 64,
                                       [](int32_t) { return true; });
    return a;
  };
  std::vector<Answers> fresh(graphs.size());
  for (size_t i = 0; i < graphs.size(); ++i) {
    std::thread([&, i] { fresh[i] = ask(*graphs[i]); }).join();
    ASSERT_FALSE(fresh[i].open.empty());
    if (i + 1 < graphs.size()) {  // the random companies
      ASSERT_NE(fresh[i].refusing, fresh[i].open) << "the refusal shows";
    }
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < graphs.size(); ++i) {
      const Answers again = ask(*graphs[i]);
      EXPECT_EQ(again.ppr, fresh[i].ppr) << "graph " << i;
      EXPECT_EQ(again.refusing, fresh[i].refusing) << "graph " << i;
      EXPECT_EQ(again.open, fresh[i].open) << "graph " << i;
    }
  }
}

}  // namespace
}  // namespace whoknows::ranking
