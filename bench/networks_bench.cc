// Network analyses at scale on a synthetic colleague graph: 50,000 people in
// 500 departments, 1,000,000 ties (80% within the department), message
// counts as weights. Prints times and peak memory; asserts nothing.
//
//   build-net/bench/networks_bench [people] [ties]
//
// Or the cost of one betweenness source on a data folder's all-time graph
// (the connected people, as AnalyzeNetwork has them), one thread; --save
// writes that graph to FILE, and --graph reads it back instead of opening
// the folder:
//
//   build/bench/networks_bench --data DIR [sources [exact]] [--save FILE]
//   build/bench/networks_bench --graph FILE [sources [exact]]
//
// With "exact", also exact betweenness, and how many of its top 10 and top
// 50 the sampled estimates find for a few error bounds.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <numeric>
#include <random>
#include <unordered_set>

#include "index/catalog.h"
#include "index/interactions.h"
#include "networks/graph_algorithms.h"
#include "networks/networks.h"

namespace {

using Clock = std::chrono::steady_clock;

// The bounds printed hold with probability 1 - kDelta (95%).
constexpr double kDelta = 0.05;
// People per synthetic department.
constexpr int kDeptSize = 100;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU seconds of the process so far (user + system): steadier than wall
// time on a shared machine.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux: kilobytes
}

// Calls add(a, b, messages) for `ties` distinct pairs of `people` people:
// 80% within the same block of 100 (a department), message counts
// geometric. The same seed gives the same pairs.
template <typename Add>
void SyntheticTies(int people, int ties, uint64_t seed, Add add) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> anyone(0, people - 1);
  std::uniform_int_distribution<int> colleague(0, kDeptSize - 1);
  std::geometric_distribution<int> messages(0.3);
  std::bernoulli_distribution inside(0.8);
  std::unordered_set<uint64_t> seen;
  seen.reserve(static_cast<size_t>(ties) * 2);
  for (int added = 0; added < ties;) {
    const int a = anyone(rng);
    const int b =
        inside(rng) ? a / kDeptSize * kDeptSize + colleague(rng) : anyone(rng);
    if (a == b || b >= people) continue;
    if (!seen.insert(static_cast<uint64_t>(std::min(a, b)) << 32 |
                     static_cast<uint64_t>(std::max(a, b)))
             .second)
      continue;
    add(a, b, 1 + messages(rng));
    ++added;
  }
}

}  // namespace

// Sampled against exact betweenness on a graph small enough for exact:
// the measured error beside the Hoeffding bound.
void MeasureSamplingError(int people, int ties, int samples) {
  using namespace whoknows::networks;
  UndirectedGraph g;
  g.num_vertices = people;
  SyntheticTies(people, ties, 7, [&](int a, int b, int messages) {
    g.edges.push_back({std::min(a, b), std::max(a, b)});
    g.weights.push_back(messages);
  });
  auto t = Clock::now();
  auto exact = Betweenness(g, {});
  const double exact_s = Seconds(t);
  BetweennessOptions o;
  o.samples = samples;
  auto approx = Betweenness(g, o);
  double max_err = 0;
  for (int v = 0; v < people; ++v)
    max_err = std::max(max_err, std::fabs(approx[v] - exact[v]));
  const double pairs = (people - 1.0) * (people - 2.0) / 2;
  std::printf(
      "sampling error at %d people, %d ties, %d sources: max %.4f of the "
      "pairs (95%% bound %.4f); exact took %.1f s\n",
      people, ties, samples, max_err / pairs,
      BetweennessErrorBound(people, samples, kDelta) / pairs, exact_s);
}

// The directory (departments of kDeptSize people in 20 countries) and one
// interaction per synthetic tie (its weight = receivers).
struct SyntheticCompany {
  whoknows::index::Snapshot snapshot;
  std::vector<whoknows::index::Interaction> interactions;
};

SyntheticCompany MakeCompany(int people, int ties) {
  using namespace whoknows;
  SyntheticCompany c;
  for (int i = 0; i < people; ++i) {
    auto p = std::make_shared<v1::Person>();
    p->set_id("p" + std::to_string(i));
    p->set_department("d" + std::to_string(i / kDeptSize));
    p->set_country("C" + std::to_string(i / kDeptSize % 20));
    c.snapshot.people[p->id()] = std::move(p);
  }
  c.interactions.reserve(ties);
  SyntheticTies(people, ties, 42, [&](int a, int b, int messages) {
    index::Interaction it;
    it.from = "p" + std::to_string(a);
    it.to.assign(messages, "p" + std::to_string(b));
    it.time = 1700000000;
    c.interactions.push_back(std::move(it));
  });
  return c;
}

// `dir`'s all-time graph of the connected people, renumbered, as
// AnalyzeNetwork has them; false (and a message) when the folder does not
// open.
bool ConnectedGraphOf(const std::string& dir,
                      whoknows::networks::UndirectedGraph* g) {
  using namespace whoknows;
  auto catalog = index::Catalog::OpenForReading(dir);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    return false;
  }
  auto interactions = index::InteractionLog(dir).Load();
  if (!interactions.ok()) {
    std::fprintf(stderr, "%s\n", interactions.status().ToString().c_str());
    return false;
  }
  networks::NetworkOptions o;
  o.graph = (*catalog)->options().graph;
  auto t = Clock::now();
  const networks::PeopleGraph pg =
      networks::BuildPeopleGraph(*(*catalog)->snapshot(), *interactions, {}, o);
  std::printf("graph: %.2f s, %d people, %zu ties\n", Seconds(t),
              pg.graph.num_vertices, pg.graph.edges.size());
  std::vector<int> sub(pg.graph.num_vertices, -1);
  for (auto [u, v] : pg.graph.edges)
    for (int x : {u, v})
      if (sub[x] < 0) sub[x] = g->num_vertices++;
  for (size_t i = 0; i < pg.graph.edges.size(); ++i) {
    g->edges.push_back(
        {sub[pg.graph.edges[i].first], sub[pg.graph.edges[i].second]});
    g->weights.push_back(pg.graph.weights[i]);
  }
  return true;
}

// A graph as raw binary (vertex count, tie count, ties, weights), so that
// repeated runs skip opening the folder (minutes at 1M under load).
bool SaveGraph(const whoknows::networks::UndirectedGraph& g,
               const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const int64_t head[2] = {g.num_vertices,
                           static_cast<int64_t>(g.edges.size())};
  bool ok = std::fwrite(head, sizeof head, 1, f) == 1 &&
            std::fwrite(g.edges.data(), sizeof g.edges[0], g.edges.size(), f) ==
                g.edges.size() &&
            std::fwrite(g.weights.data(), sizeof(double), g.weights.size(),
                        f) == g.weights.size();
  return std::fclose(f) == 0 && ok;
}

bool LoadGraph(const std::string& path,
               whoknows::networks::UndirectedGraph* g) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  int64_t head[2];
  bool ok =
      std::fread(head, sizeof head, 1, f) == 1 && head[0] >= 0 && head[1] >= 0;
  if (ok) {
    g->num_vertices = static_cast<int>(head[0]);
    g->edges.resize(head[1]);
    g->weights.resize(head[1]);
    ok = std::fread(g->edges.data(), sizeof g->edges[0], head[1], f) ==
             static_cast<size_t>(head[1]) &&
         std::fread(g->weights.data(), sizeof(double), head[1], f) ==
             static_cast<size_t>(head[1]);
  }
  std::fclose(f);
  return ok;
}

// Seconds per betweenness source on the graph `g` of connected people, one
// thread, `sources` sampled sources.
int MeasureSources(const whoknows::networks::UndirectedGraph& g, int sources,
                   bool compare_exact) {
  using namespace whoknows;
  auto t = Clock::now();
  for (bool weighted : {true, false}) {
    networks::BetweennessOptions bo;
    bo.samples = sources;
    bo.threads = 1;
    bo.weighted = weighted;
    t = Clock::now();
    const double cpu = CpuSeconds();
    auto b = networks::Betweenness(g, bo);
    const double s = Seconds(t), c = CpuSeconds() - cpu;
    std::printf(
        "%s betweenness, %d people, %d sources, 1 thread: %.2f s wall, %.2f "
        "s CPU, %.1f ms CPU per source\n",
        weighted ? "weighted" : "hops", g.num_vertices, sources, s, c,
        1000 * c / sources);
  }
  if (!compare_exact) return 0;
  // Exact betweenness (every source, 2 threads) against the samples
  // AnalyzeNetwork takes for a few error bounds: how many of the exact
  // top 10 and top 50 the estimate's top lists hold.
  networks::BetweennessOptions exact_options;
  t = Clock::now();
  const std::vector<double> exact = networks::Betweenness(g, exact_options);
  std::printf("exact betweenness, 2 threads: %.1f s\n", Seconds(t));
  auto top = [](const std::vector<double>& b, int k) {
    std::vector<int> order(b.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int x, int y) { return b[x] > b[y]; });
    order.resize(k);
    std::sort(order.begin(), order.end());
    return order;
  };
  const double pairs = (g.num_vertices - 1.0) * (g.num_vertices - 2.0) / 2;
  for (double error : {0.05, 0.1, 0.2, 0.3}) {
    networks::BetweennessOptions bo;
    bo.samples = networks::BetweennessSamplesFor(g.num_vertices, error, kDelta);
    const std::vector<double> approx = networks::Betweenness(g, bo);
    double max_err = 0;
    for (size_t v = 0; v < exact.size(); ++v)
      max_err = std::max(max_err, std::fabs(approx[v] - exact[v]));
    std::printf("bound %.2f: %d sources, max error %.4f of the pairs;", error,
                bo.samples, max_err / pairs);
    for (int k : {10, 50}) {
      const std::vector<int> a = top(approx, k), e = top(exact, k);
      std::vector<int> both;
      std::set_intersection(a.begin(), a.end(), e.begin(), e.end(),
                            std::back_inserter(both));
      std::printf(" top %d: %zu of %d", k, both.size(), k);
    }
    std::printf("\n");
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 2 &&
      (std::string(argv[1]) == "--data" || std::string(argv[1]) == "--graph")) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    whoknows::networks::UndirectedGraph g;
    if (std::string(argv[1]) == "--graph") {
      if (!LoadGraph(argv[2], &g)) {
        std::fprintf(stderr, "%s: cannot read the graph\n", argv[2]);
        return 1;
      }
    } else if (!ConnectedGraphOf(argv[2], &g)) {
      return 1;
    }
    bool exact = false;
    int sources = 50;
    for (int i = 3; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "exact") {
        exact = true;
      } else if (arg == "--save" && i + 1 < argc) {
        if (!SaveGraph(g, argv[++i])) {
          std::fprintf(stderr, "%s: cannot write the graph\n", argv[i]);
          return 1;
        }
      } else {
        sources = std::atoi(argv[i]);
      }
    }
    return MeasureSources(g, sources, exact);
  }
  using namespace whoknows;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int people = argc > 1 ? std::atoi(argv[1]) : 50000;
  const int ties = argc > 2 ? std::atoi(argv[2]) : 1000000;
  const SyntheticCompany company = MakeCompany(people, ties);
  const index::Snapshot& snapshot = company.snapshot;
  const std::vector<index::Interaction>& interactions = company.interactions;
  std::printf("synthetic graph: %d people, %d ties; peak RSS %.0f MB\n", people,
              ties, PeakRssMb());

  networks::NetworkOptions o;
  auto t = Clock::now();
  networks::PeopleGraph pg =
      networks::BuildPeopleGraph(snapshot, interactions, {}, o);
  std::printf("build graph: %.1f s (%zu ties)\n", Seconds(t),
              pg.graph.edges.size());

  for (int seeds : {1, 10}) {
    networks::CommunityOptions co;
    co.seeds = seeds;
    t = Clock::now();
    auto c = networks::FindCommunities(pg.graph, co);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "communities (Leiden, %2d seeds): %.1f s, %d communities, "
        "Q %.3f\n",
        seeds, Seconds(t), c->count, c->modularity);
  }

  networks::BetweennessOptions bo;
  // As AnalyzeNetwork samples: enough sources for its error bound.
  bo.samples = std::min(o.betweenness_samples,
                        networks::BetweennessSamplesFor(
                            people, o.betweenness_relative_error, kDelta));
  bo.threads = 2;
  t = Clock::now();
  auto b = networks::Betweenness(pg.graph, bo);
  std::printf(
      "approximate betweenness (%d sources, 2 threads): %.1f s; 95%% bound "
      "%.3g paths = %.4f of the pairs\n",
      bo.samples, Seconds(t),
      networks::BetweennessErrorBound(people, bo.samples, kDelta),
      networks::BetweennessErrorBound(people, bo.samples, kDelta) /
          ((people - 1.0) * (people - 2.0) / 2));

  MeasureSamplingError(2000, 40000, bo.samples);

  // Everything the Networks service does for one HR request.
  o.person_level = true;
  o.on_stage = [](const char* stage, double seconds) {
    std::printf("  %-28s %6.1f s\n", stage, seconds);
  };
  t = Clock::now();
  auto analysis = networks::AnalyzeNetwork(snapshot, interactions, o);
  if (!analysis.ok()) {
    std::fprintf(stderr, "%s\n", analysis.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "full analysis (person level): %.1f s, modularity %.3f, NMI "
      "%.3f\n",
      Seconds(t), analysis->current.modularity,
      analysis->current.nmi_department.value_or(0));
  std::printf("peak RSS: %.0f MB\n", PeakRssMb());
  return 0;
}
