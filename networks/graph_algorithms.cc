#include "networks/graph_algorithms.h"

#include <igraph/igraph.h>

#include <algorithm>
#include <atomic>
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

// Adjacency in compressed rows: neighbours of v are adj[start[v]..start[v+1]),
// with the length of the tie to each.
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

// igraph_cmp_epsilon for path lengths (never negative): equal when the
// difference is below eps relative to the sum, as igraph compares them
// (a multiplication instead of igraph's division: this runs twice per tie
// and source).
int ComparePaths(double a, double b, double eps) {
  if (a == b) return 0;
  const double diff = a - b;
  if (std::fabs(diff) < eps * (a + b)) return 0;
  return diff < 0 ? -1 : 1;
}

constexpr double kPathEpsilon = 1e-10;  // IGRAPH_SHORTEST_PATH_EPSILON

// One worker's Brandes state, reused across sources: nothing is allocated
// per source. What the forward search reads for every tie is one 16-byte
// record per vertex (dist, heap position, predecessor); the heap is
// indexed (each vertex in it once, its key lowered in place). A vertex
// reached by a single shortest path's last tie keeps that predecessor;
// only one with several (a tie within igraph's epsilon, or equal hop
// counts) has its neighbours tested again in the backward pass, so that
// pass costs O(vertices) on weighted graphs rather than O(ties).
class BrandesWorker {
 public:
  BrandesWorker(const Csr& csr, int n, bool weighted)
      : result(n, 0),
        csr_(csr),
        weighted_(weighted),
        state_(n),
        sigma_(n, 0),
        delta_(n, 0) {
    heap_.reserve(n);
    order_.reserve(n);
  }

  void Source(int s) {
    order_.clear();
    state_[s].dist = 0;
    sigma_[s] = 1;
    if (weighted_)
      Dijkstra(s);
    else
      Bfs(s);
    Accumulate(s);
    for (int v : order_) {
      state_[v] = State{};
      sigma_[v] = 0;
      delta_[v] = 0;
    }
  }

  std::vector<double> result;

 private:
  static constexpr int kUnreached = -1;
  static constexpr int kSettled = -2;
  static constexpr int kNone = -1;  // pred: the source
  static constexpr int kMany = -2;  // pred: several, tested in Accumulate
  struct State {
    double dist = -1;       // -1: unreached
    int heap = kUnreached;  // position in heap_, or kUnreached / kSettled
    int pred = kNone;       // the predecessor, or kNone / kMany
  };

  // Whether v precedes w on a shortest path (both reached, v nearer).
  bool Precedes(const State& v, const State& w, double length) const {
    // Most neighbours' paths through the tie are clearly longer (the same
    // test as ComparePaths(v.dist + length, w.dist) > 0, first).
    const double through = v.dist + length;
    if (weighted_ && through - w.dist >= kPathEpsilon * (through + w.dist))
      return false;
    if (v.dist >= w.dist) return false;
    return weighted_ ? ComparePaths(v.dist + length, w.dist, kPathEpsilon) == 0
                     : v.dist + 1 == w.dist;
  }

  // Sends w's dependency back to its predecessors, farthest vertex first.
  void Accumulate(int s) {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      const int w = *it;
      const State& sw = state_[w];
      const double coeff = (1 + delta_[w]) / sigma_[w];
      if (sw.pred >= 0) {
        delta_[sw.pred] += sigma_[sw.pred] * coeff;
      } else if (sw.pred == kMany) {
        for (int64_t e = csr_.start[w]; e < csr_.start[w + 1]; ++e) {
          const int v = csr_.adj[e];
          if (Precedes(state_[v], sw, csr_.length[e]))
            delta_[v] += sigma_[v] * coeff;
        }
      }
      if (w != s) result[w] += delta_[w];
    }
  }

  // A path of `v`'s to `w` as short as w's shortest so far: one more.
  void AddPath(int v, int w) {
    sigma_[w] += sigma_[v];
    state_[w].pred = kMany;
  }

  void Bfs(int s) {
    order_.push_back(s);
    for (size_t head = 0; head < order_.size(); ++head) {
      const int v = order_[head];
      const double next = state_[v].dist + 1;
      for (int64_t e = csr_.start[v]; e < csr_.start[v + 1]; ++e) {
        const int w = csr_.adj[e];
        State& sw = state_[w];
        if (sw.dist < 0) {
          sw.dist = next;
          sw.pred = v;
          sigma_[w] = sigma_[v];
          order_.push_back(w);
        } else if (sw.dist == next) {
          AddPath(v, w);
        }
      }
    }
  }

  void Dijkstra(int s) {
    Push(s);
    while (!heap_.empty()) {
      const int v = PopMin();
      State& sv = state_[v];
      sv.heap = kSettled;
      order_.push_back(v);
      for (int64_t e = csr_.start[v]; e < csr_.start[v + 1]; ++e) {
        const int w = csr_.adj[e];
        State& sw = state_[w];
        const double alt = sv.dist + csr_.length[e];
        // Most ties lead farther than w's path so far (w settled, or
        // reached by a shorter path): ComparePaths(alt, w's dist) > 0,
        // tested first in one branch that is rarely mispredicted (testing
        // "settled" first went either way about half the time).
        if (sw.dist >= 0 && alt - sw.dist >= kPathEpsilon * (alt + sw.dist))
          continue;
        if (sw.heap == kSettled) continue;
        // Unreached (dist -1) counts as farther than any path.
        const int cmp =
            sw.dist < 0 ? -1 : ComparePaths(alt, sw.dist, kPathEpsilon);
        if (cmp < 0) {
          sw.dist = alt;
          sw.pred = v;
          sigma_[w] = sigma_[v];
          if (sw.heap == kUnreached)
            Push(w);
          else
            SiftUp(sw.heap);
        } else if (cmp == 0) {
          AddPath(v, w);
        }
      }
    }
    // Unreached vertices keep dist -1 and are not in order_.
  }

  // A binary min-heap of vertices by (dist, vertex), each entry holding its
  // key (no lookup per comparison): the order in which equally distant
  // vertices settle does not change the result.
  struct Entry {
    double dist;
    int v;
    bool operator<(const Entry& o) const {
      return dist != o.dist ? dist < o.dist : v < o.v;
    }
  };
  void Place(size_t i, Entry x) {
    heap_[i] = x;
    state_[x.v].heap = static_cast<int>(i);
  }
  void Push(int v) {
    heap_.push_back({state_[v].dist, v});
    SiftUp(heap_.size() - 1);
  }
  // After v's dist was lowered.
  void SiftUp(size_t i) {
    const Entry x{state_[heap_[i].v].dist, heap_[i].v};
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!(x < heap_[parent])) break;
      Place(i, heap_[parent]);
      i = parent;
    }
    Place(i, x);
  }
  int PopMin() {
    const int top = heap_[0].v;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      size_t i = 0;
      const size_t n = heap_.size();
      for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && heap_[child + 1] < heap_[child]) ++child;
        if (!(heap_[child] < last)) break;
        Place(i, heap_[child]);
        i = child;
      }
      Place(i, last);
    }
    return top;
  }

  const Csr& csr_;
  bool weighted_;
  std::vector<State> state_;
  std::vector<double> sigma_;  // shortest paths from the source
  std::vector<double> delta_;  // dependency of the source on each vertex
  std::vector<Entry> heap_;
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
