#include "networks/graph_algorithms.h"

#include <igraph/igraph.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <queue>
#include <random>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace whoknows::networks {
namespace {

// Debian's igraph is built without thread-local state (IGRAPH_THREAD_SAFE
// is 0): every call into it holds this lock.
absl::Mutex& IgraphMutex() {
  static absl::Mutex m(absl::kConstInit);
  return m;
}

// What igraph's interruption handler asks on this thread (igraph calls it
// from its long loops, on the calling thread); null: never interrupted.
thread_local const std::function<bool()>* igraph_cancelled = nullptr;

igraph_error_t AskCancelled(void* /*data*/) {
  return igraph_cancelled && *igraph_cancelled && (*igraph_cancelled)()
             ? IGRAPH_INTERRUPTED
             : IGRAPH_SUCCESS;
}

// Sets igraph_cancelled for one igraph call.
class CancelledDuring {
 public:
  explicit CancelledDuring(const std::function<bool()>& cancelled) {
    igraph_cancelled = &cancelled;
  }
  ~CancelledDuring() { igraph_cancelled = nullptr; }
  CancelledDuring(const CancelledDuring&) = delete;
  CancelledDuring& operator=(const CancelledDuring&) = delete;
};

void InitIgraphLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(IgraphMutex()) {
  static bool done = false;
  if (done) return;
  done = true;
  // The default handler aborts the process; we check return codes instead.
  igraph_set_error_handler(igraph_error_handler_ignore);
  igraph_set_warning_handler(igraph_warning_handler_ignore);
  igraph_set_interruption_handler(AskCancelled);
}

// RAII owners of igraph objects. IGraph holds the igraph lock for its
// lifetime: create it first, and make every other igraph call (IVector
// included) while it exists.
struct IGraph {
  absl::MutexLock lock{&IgraphMutex()};
  igraph_t g;
  bool ok = false;
  explicit IGraph(const UndirectedGraph& graph) {
    InitIgraphLocked();
    igraph_vector_int_t edges;
    igraph_vector_int_init(&edges, 2 * graph.edges.size());
    for (size_t i = 0; i < graph.edges.size(); ++i) {
      VECTOR(edges)[2 * i] = graph.edges[i].first;
      VECTOR(edges)[2 * i + 1] = graph.edges[i].second;
    }
    ok = igraph_create(&g, &edges, graph.num_vertices, IGRAPH_UNDIRECTED) ==
         IGRAPH_SUCCESS;
    igraph_vector_int_destroy(&edges);
  }
  ~IGraph() {
    if (ok) igraph_destroy(&g);
  }
};

struct IVector {
  igraph_vector_t v;
  explicit IVector(const std::vector<double>& values) {
    igraph_vector_init(&v, values.size());
    for (size_t i = 0; i < values.size(); ++i) VECTOR(v)[i] = values[i];
  }
  ~IVector() { igraph_vector_destroy(&v); }
};

// Adjacency in compressed rows: neighbours of v are adj[start[v]..start[v+1]).
struct Csr {
  std::vector<int64_t> start;
  std::vector<int> adj;
  std::vector<double> length;
};

Csr BuildCsr(const UndirectedGraph& g, bool weighted) {
  Csr c;
  c.start.assign(g.num_vertices + 1, 0);
  for (auto [u, v] : g.edges) {
    ++c.start[u + 1];
    ++c.start[v + 1];
  }
  for (int v = 0; v < g.num_vertices; ++v) c.start[v + 1] += c.start[v];
  c.adj.resize(c.start.back());
  c.length.resize(c.start.back());
  std::vector<int64_t> fill(c.start.begin(), c.start.end() - 1);
  for (size_t i = 0; i < g.edges.size(); ++i) {
    auto [u, v] = g.edges[i];
    const double len = weighted ? 1.0 / g.weights[i] : 1.0;
    c.adj[fill[u]] = v;
    c.length[fill[u]++] = len;
    c.adj[fill[v]] = u;
    c.length[fill[v]++] = len;
  }
  return c;
}

// igraph_cmp_epsilon: equal when the difference is below eps relative to
// the sum of magnitudes.
int CmpEpsilon(double a, double b, double eps) {
  if (a == b) return 0;
  const double diff = std::fabs(a - b);
  const double sum = std::fabs(a) + std::fabs(b);
  if (a == 0 || b == 0 || sum < DBL_MIN) {
    if (diff < eps * DBL_MIN) return 0;
  } else if (diff / std::min(sum, DBL_MAX) < eps) {
    return 0;
  }
  return a < b ? -1 : 1;
}

constexpr double kPathEpsilon = 1e-10;  // IGRAPH_SHORTEST_PATH_EPSILON

// One worker's Brandes state, reused across sources.
class BrandesWorker {
 public:
  BrandesWorker(const Csr& csr, int n, bool weighted)
      : result(n, 0),
        csr_(csr),
        weighted_(weighted),
        dist_(n, -1),
        sigma_(n, 0),
        delta_(n, 0),
        settled_(n, 0),
        preds_(n) {}

  void Source(int s) {
    order_.clear();
    dist_[s] = 0;
    sigma_[s] = 1;
    if (weighted_)
      Dijkstra(s);
    else
      Bfs(s);
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      const int w = *it;
      for (int v : preds_[w])
        delta_[v] += sigma_[v] / sigma_[w] * (1 + delta_[w]);
      if (w != s) result[w] += delta_[w];
    }
    for (int v : order_) {
      dist_[v] = -1;
      sigma_[v] = 0;
      delta_[v] = 0;
      settled_[v] = 0;
      preds_[v].clear();
    }
  }

  std::vector<double> result;

 private:
  void Bfs(int s) {
    std::queue<int> q;
    q.push(s);
    while (!q.empty()) {
      const int v = q.front();
      q.pop();
      order_.push_back(v);
      for (int64_t e = csr_.start[v]; e < csr_.start[v + 1]; ++e) {
        const int w = csr_.adj[e];
        if (dist_[w] < 0) {
          dist_[w] = dist_[v] + 1;
          q.push(w);
        }
        if (dist_[w] == dist_[v] + 1) {
          sigma_[w] += sigma_[v];
          preds_[w].push_back(v);
        }
      }
    }
  }

  void Dijkstra(int s) {
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
    heap.push({0.0, s});
    while (!heap.empty()) {
      auto [d, v] = heap.top();
      heap.pop();
      if (settled_[v] || d != dist_[v]) continue;
      settled_[v] = 1;
      order_.push_back(v);
      for (int64_t e = csr_.start[v]; e < csr_.start[v + 1]; ++e) {
        const int w = csr_.adj[e];
        if (settled_[w]) continue;
        const double alt = d + csr_.length[e];
        // Unreached (dist -1) counts as farther than any path.
        const int cmp =
            dist_[w] < 0 ? -1 : CmpEpsilon(alt, dist_[w], kPathEpsilon);
        if (cmp < 0) {
          dist_[w] = alt;
          sigma_[w] = sigma_[v];
          preds_[w].assign(1, v);
          heap.push({alt, w});
        } else if (cmp == 0) {
          sigma_[w] += sigma_[v];
          preds_[w].push_back(v);
        }
      }
    }
    // Unreached vertices keep dist -1 and are not in order_.
  }

  const Csr& csr_;
  bool weighted_;
  std::vector<double> dist_;
  std::vector<double> sigma_;
  std::vector<double> delta_;
  std::vector<char> settled_;
  std::vector<std::vector<int>> preds_;
  std::vector<int> order_;
};

// Graphs with more ties than this run Leiden one iteration per igraph call,
// asking `cancelled` in between (an iteration takes well under a second at
// a million ties); smaller ones in one call, as igraph iterates.
constexpr size_t kIteratedLeidenEdges = 100000;

bool SameMembership(const igraph_vector_int_t& a, const igraph_vector_int_t& b,
                    int n) {
  for (int v = 0; v < n; ++v)
    if (VECTOR(a)[v] != VECTOR(b)[v]) return false;
  return true;
}

// One Leiden run from `seed`: each vertex's community. With node weights =
// strengths and resolution gamma/2m, Leiden's quality function is
// modularity (igraph documentation). Iterates until the partition stops
// changing; CANCELLED once `cancelled` says so between iterations.
absl::StatusOr<std::vector<int>> LeidenRun(
    const UndirectedGraph& graph, const std::vector<double>& strength,
    double resolution, uint64_t seed, const std::function<bool()>& cancelled) {
  const int n = graph.num_vertices;
  std::vector<int> membership(n);
  IGraph ig(graph);
  if (!ig.ok) return absl::InternalError("igraph: cannot build the graph");
  IVector weights(graph.weights), nodes(strength);
  igraph_vector_int_t out, before;
  igraph_vector_int_init(&out, n);
  igraph_vector_int_init(&before, n);
  igraph_integer_t clusters = 0;
  igraph_real_t quality = 0;
  igraph_rng_seed(igraph_rng_default(), seed);
  const bool iterated = graph.edges.size() > kIteratedLeidenEdges;
  igraph_error_t err = IGRAPH_SUCCESS;
  bool stopped = false;
  // Not under igraph's interruption handler: Debian's igraph 0.10.2 frees
  // a vector twice when Leiden is interrupted.
  for (int i = 0; err == IGRAPH_SUCCESS; ++i) {
    if (iterated && cancelled && cancelled()) {
      stopped = true;
      break;
    }
    igraph_vector_int_update(&before, &out);
    err = igraph_community_leiden(
        &ig.g, &weights.v, &nodes.v, resolution, /*beta=*/0.01,
        /*start=*/i > 0, /*n_iterations=*/iterated ? 1 : -1, &out, &clusters,
        &quality);
    if (!iterated || (i > 0 && SameMembership(out, before, n))) break;
  }
  for (int v = 0; v < n; ++v) membership[v] = static_cast<int>(VECTOR(out)[v]);
  igraph_vector_int_destroy(&before);
  igraph_vector_int_destroy(&out);
  if (err != IGRAPH_SUCCESS)
    return absl::InternalError(
        absl::StrCat("igraph_community_leiden: ", igraph_strerror(err)));
  if (stopped)
    return absl::CancelledError(
        "analysis stopped before the communities were found");
  return membership;
}

// Renumbers communities by size, biggest first (ties by smallest member),
// so that community 0 is the same group from run to run; returns how many
// there are.
int RenumberBySize(int num_vertices, std::vector<int>& membership) {
  int k = 0;
  for (int c : membership) k = std::max(k, c + 1);
  std::vector<int> size(k, 0), first(k, num_vertices);
  for (int v = 0; v < num_vertices; ++v) {
    ++size[membership[v]];
    first[membership[v]] = std::min(first[membership[v]], v);
  }
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return size[a] != size[b] ? size[a] > size[b] : first[a] < first[b];
  });
  std::vector<int> rename(k);
  for (int i = 0; i < k; ++i) rename[order[i]] = i;
  for (int& c : membership) c = rename[c];
  return k;
}

}  // namespace

double UndirectedGraph::total_weight() const {
  return std::accumulate(weights.begin(), weights.end(), 0.0);
}

double Modularity(const UndirectedGraph& g, const std::vector<int>& membership,
                  double resolution) {
  const double m = g.total_weight();
  if (m <= 0) return 0;
  const int k =
      membership.empty()
          ? 0
          : *std::max_element(membership.begin(), membership.end()) + 1;
  std::vector<double> inside(k, 0), strength(k, 0);
  for (size_t i = 0; i < g.edges.size(); ++i) {
    const int a = membership[g.edges[i].first];
    const int b = membership[g.edges[i].second];
    if (a == b) inside[a] += g.weights[i];
    strength[a] += g.weights[i];
    strength[b] += g.weights[i];
  }
  double q = 0;
  for (int c = 0; c < k; ++c)
    q += inside[c] / m - resolution * std::pow(strength[c] / (2 * m), 2);
  return q;
}

absl::StatusOr<Communities> FindCommunities(const UndirectedGraph& graph,
                                            const CommunityOptions& options) {
  if (options.seeds < 1)
    return absl::InvalidArgumentError("seeds: must be at least 1");
  if (!(options.resolution > 0))
    return absl::InvalidArgumentError("resolution: must be positive");
  Communities best;
  const double m = graph.total_weight();
  if (graph.edges.empty() || m <= 0) {
    // Nothing to optimize (igraph's Leiden never settles on an empty
    // graph): everyone is their own community.
    best.membership.resize(graph.num_vertices);
    std::iota(best.membership.begin(), best.membership.end(), 0);
    best.count = graph.num_vertices;
    return best;
  }
  best.modularity = -1;
  std::vector<double> strength(graph.num_vertices, 0);
  for (size_t i = 0; i < graph.edges.size(); ++i) {
    strength[graph.edges[i].first] += graph.weights[i];
    strength[graph.edges[i].second] += graph.weights[i];
  }
  for (int run = 0; run < options.seeds; ++run) {
    if (run > 0 && options.cancelled && options.cancelled())
      return absl::CancelledError(
          "analysis stopped before the communities were found");
    auto membership = LeidenRun(graph, strength, options.resolution / (2 * m),
                                options.seed + run, options.cancelled);
    if (!membership.ok()) return membership.status();
    const double q = Modularity(graph, *membership, options.resolution);
    if (q > best.modularity) {
      best.modularity = q;
      best.membership = std::move(*membership);
    }
  }
  best.count = RenumberBySize(graph.num_vertices, best.membership);
  if (best.modularity < -0.5) best.modularity = 0;  // no vertices
  return best;
}

std::vector<double> Betweenness(const UndirectedGraph& graph,
                                const BetweennessOptions& options) {
  const int n = graph.num_vertices;
  std::vector<double> result(n, 0);
  if (n == 0) return result;
  const Csr csr = BuildCsr(graph, options.weighted);
  std::vector<int> sources(n);
  std::iota(sources.begin(), sources.end(), 0);
  double scale = 0.5;  // each undirected pair is seen from both ends
  if (options.samples > 0 && options.samples < n) {
    std::mt19937_64 rng(options.seed);
    std::shuffle(sources.begin(), sources.end(), rng);
    sources.resize(options.samples);
    std::sort(sources.begin(), sources.end());
    scale *= static_cast<double>(n) / options.samples;
  }
  const int threads = std::max(
      1, std::min<int>(options.threads, static_cast<int>(sources.size())));
  std::vector<std::unique_ptr<BrandesWorker>> workers;
  for (int t = 0; t < threads; ++t)
    workers.push_back(
        std::make_unique<BrandesWorker>(csr, n, options.weighted));
  // The caller's `cancelled` is asked by one worker at a time.
  std::mutex ask;
  std::atomic<bool> stop{false};
  auto stopped = [&] {
    if (stop.load(std::memory_order_relaxed)) return true;
    if (!options.cancelled) return false;
    std::lock_guard<std::mutex> lock(ask);
    if (options.cancelled()) stop = true;
    return stop.load();
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < sources.size() && !stopped(); i += threads)
        workers[t]->Source(sources[i]);
    });
  }
  for (auto& th : pool) th.join();
  if (stop) return {};
  for (const auto& w : workers)
    for (int v = 0; v < n; ++v) result[v] += w->result[v];
  for (double& b : result) b *= scale;
  return result;
}

double BetweennessErrorBound(int n, int k, double delta) {
  if (k <= 0 || k >= n) return 0;
  return 0.5 * n * (n - 2) * std::sqrt(std::log(2.0 * n / delta) / (2.0 * k));
}

int BetweennessSamplesFor(int n, double relative_error, double delta) {
  if (n < 3) return n;
  const double stretch = static_cast<double>(n) / (n - 1);
  const double k = stretch * stretch * std::log(2.0 * n / delta) /
                   (2 * relative_error * relative_error);
  return static_cast<int>(std::min<double>(std::ceil(k), n));
}

double NormalizedMutualInformation(const std::vector<int>& a,
                                   const std::vector<int>& b) {
  const double n = static_cast<double>(a.size());
  if (a.empty()) return 1;
  std::map<int, double> pa, pb;
  std::map<std::pair<int, int>, double> pab;
  for (size_t i = 0; i < a.size(); ++i) {
    pa[a[i]] += 1;
    pb[b[i]] += 1;
    pab[{a[i], b[i]}] += 1;
  }
  auto entropy = [n](const std::map<int, double>& p) {
    double h = 0;
    for (const auto& [_, c] : p) h -= c / n * std::log(c / n);
    return h;
  };
  const double ha = entropy(pa), hb = entropy(pb);
  if (ha + hb == 0) return 1;
  double mi = 0;
  for (const auto& [k, c] : pab)
    mi += c / n * std::log(c * n / (pa[k.first] * pb[k.second]));
  return std::clamp(2 * mi / (ha + hb), 0.0, 1.0);
}

absl::StatusOr<std::vector<std::pair<double, double>>> ForceLayout(
    const UndirectedGraph& graph, uint64_t seed, int iterations,
    const std::function<bool()>& cancelled) {
  const int n = graph.num_vertices;
  std::vector<std::pair<double, double>> pos(n, {0.5, 0.5});
  if (n <= 1) return pos;
  // Attraction grows with the tie, damped so that a pair exchanging
  // hundreds of messages does not collapse onto one point.
  std::vector<double> damped(graph.weights.size());
  for (size_t i = 0; i < damped.size(); ++i)
    damped[i] = std::log1p(graph.weights[i]);
  {
    IGraph ig(graph);
    if (!ig.ok) return absl::InternalError("igraph: cannot build the graph");
    IVector weights(damped);
    igraph_matrix_t res;
    igraph_matrix_init(&res, n, 2);
    igraph_rng_seed(igraph_rng_default(), seed);
    CancelledDuring asking(cancelled);
    const igraph_error_t err = igraph_layout_fruchterman_reingold(
        &ig.g, &res, /*use_seed=*/false, iterations,
        /*start_temp=*/std::sqrt(static_cast<double>(n)) / 10,
        IGRAPH_LAYOUT_AUTOGRID, &weights.v, nullptr, nullptr, nullptr, nullptr);
    if (err == IGRAPH_INTERRUPTED) {
      igraph_matrix_destroy(&res);
      return absl::CancelledError(
          "analysis stopped before the drawing was done");
    }
    if (err != IGRAPH_SUCCESS) {
      igraph_matrix_destroy(&res);
      return absl::InternalError(absl::StrCat(
          "igraph_layout_fruchterman_reingold: ", igraph_strerror(err)));
    }
    for (int v = 0; v < n; ++v) pos[v] = {MATRIX(res, v, 0), MATRIX(res, v, 1)};
    igraph_matrix_destroy(&res);
  }
  double minx = pos[0].first, maxx = minx, miny = pos[0].second, maxy = miny;
  for (auto [x, y] : pos) {
    minx = std::min(minx, x);
    maxx = std::max(maxx, x);
    miny = std::min(miny, y);
    maxy = std::max(maxy, y);
  }
  // Each axis fills the unit interval: drawings are wider than tall, and a
  // slight stretch shows more than empty margins.
  const double spanx = std::max(maxx - minx, 1e-12);
  const double spany = std::max(maxy - miny, 1e-12);
  for (auto& [x, y] : pos) {
    x = (x - minx) / spanx;
    y = (y - miny) / spany;
  }
  return pos;
}

}  // namespace whoknows::networks
