#include "index/graph.h"

#include <boost/graph/graph_concepts.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/shared_graph.h"

namespace whoknows::index {

// The graph is a SharedGraph (index/shared_graph.h): read and written
// through Boost.Graph's interface like the adjacency_list it replaced, and
// shared vertex by vertex between a graph and its extensions (Extend).
struct ColleagueGraph::Impl {
  using Graph = SharedGraph<std::string, EdgeProps>;  // vertex: person id
  using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
  using Edge = boost::graph_traits<Graph>::edge_descriptor;
  BOOST_CONCEPT_ASSERT((boost::VertexListGraphConcept<Graph>));
  BOOST_CONCEPT_ASSERT((boost::BidirectionalGraphConcept<Graph>));
  BOOST_CONCEPT_ASSERT((boost::EdgeListGraphConcept<Graph>));

  Vertex AddPerson(const std::string& id);
  void AddInteraction(const std::string& from, const std::string& to,
                      EdgeKind kind, double weight, int64_t when);
  // The u->v edge of `kind` among u's out-edges, for a graph without
  // edge_of (Extend's); none when there is none.
  std::optional<Edge> FindEdge(Vertex u, Vertex v, EdgeKind kind) const;

  Graph graph;
  SharedMap<Vertex> vertex_of;  // shared with extensions, as the graph
  // (source, target, kind) -> edge, to fold interactions in O(1) while
  // building; empty once built (Build clears it, Extend never fills it).
  std::unordered_map<uint64_t, Edge> edge_of;
  bool building = false;  // Build fills edge_of
};

ColleagueGraph::ColleagueGraph() : impl_(std::make_unique<Impl>()) {}
ColleagueGraph::~ColleagueGraph() = default;
ColleagueGraph::ColleagueGraph(ColleagueGraph&&) noexcept = default;
ColleagueGraph& ColleagueGraph::operator=(ColleagueGraph&&) noexcept = default;

const char* EdgeKindName(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kReply:
      return "reply";
    case EdgeKind::kThread:
      return "thread";
    case EdgeKind::kLike:
      return "like";
    case EdgeKind::kMention:
      return "mention";
    case EdgeKind::kManager:
      return "manager";
  }
  return "unknown";
}

ColleagueGraph::Impl::Vertex ColleagueGraph::Impl::AddPerson(
    const std::string& id) {
  auto [vertex, added] = vertex_of.emplace(id, 0);
  if (added) *vertex = boost::add_vertex(id, graph);
  return *vertex;
}

std::optional<ColleagueGraph::Impl::Edge> ColleagueGraph::Impl::FindEdge(
    Vertex u, Vertex v, EdgeKind kind) const {
  for (auto [e, end] = boost::out_edges(u, graph); e != end; ++e) {
    if (boost::target(*e, graph) == v && graph[*e].kind == kind) return *e;
  }
  return std::nullopt;
}

void ColleagueGraph::Impl::AddInteraction(const std::string& from,
                                          const std::string& to, EdgeKind kind,
                                          double weight, int64_t when) {
  if (from.empty() || to.empty() || from == to) return;
  Vertex u = AddPerson(from), v = AddPerson(to);
  // Parallel edges are folded per kind: at most one u->v edge of each kind.
  const uint64_t key = (static_cast<uint64_t>(u) << 35) |
                       (static_cast<uint64_t>(v) << 3) |
                       static_cast<uint64_t>(kind);
  std::optional<Edge> found;
  if (auto it = edge_of.find(key); it != edge_of.end()) {
    found = it->second;
  } else if (!building) {
    found = FindEdge(u, v, kind);  // an Extend: no edge_of to look in
  }
  if (found) {
    EdgeProps& p = graph[*found];  // u copied first when shared
    p.weight += weight;
    p.count += 1;
    p.last_seen = std::max(p.last_seen, when);
    return;
  }
  auto added = boost::add_edge(u, v, EdgeProps{kind, weight, 1, when}, graph);
  if (building) edge_of[key] = added.first;
}

ColleagueGraph ColleagueGraph::Build(
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        posts,
    const std::unordered_map<std::string, std::string>& managers,
    const GraphOptions& options,
    const std::unordered_set<std::string>& excluded) {
  return BuildFrom(posts, managers, options, excluded);
}

ColleagueGraph ColleagueGraph::BuildFromSnapshot(
    const SharedMap<std::shared_ptr<const PostMeta>>& posts,
    const std::unordered_map<std::string, std::string>& managers,
    const GraphOptions& options,
    const std::unordered_set<std::string>& excluded) {
  return BuildFrom(posts, managers, options, excluded);
}

template <typename Posts>
ColleagueGraph ColleagueGraph::BuildFrom(
    const Posts& posts,
    const std::unordered_map<std::string, std::string>& managers,
    const GraphOptions& options,
    const std::unordered_set<std::string>& excluded) {
  ColleagueGraph result;
  Impl& g = *result.impl_;
  g.building = true;
  auto tie = [&](const std::string& from, const std::string& to, EdgeKind kind,
                 int64_t when) {
    if (excluded.contains(from) || excluded.contains(to)) return;
    g.AddInteraction(from, to, kind,
                     options.kind_weight[static_cast<int>(kind)], when);
  };
  std::unordered_map<std::string, std::set<std::string>> participants;
  std::unordered_map<std::string, int64_t> thread_last;
  for (const auto& [id, m] : posts) {
    if (!m->is_public) continue;  // private groups never shape the graph
    // An opted-out author's post makes no tie, as if it had been deleted:
    // the others in its thread still tie to each other.
    if (excluded.contains(m->author_id)) continue;
    if (!m->parent_id.empty()) {
      auto parent = posts.find(m->parent_id);
      if (parent != posts.end() && parent->second->is_public) {
        tie(m->author_id, parent->second->author_id, EdgeKind::kReply,
            m->created);
      }
    }
    for (const auto& liker : m->liked_by) {
      tie(liker, m->author_id, EdgeKind::kLike, m->created);
    }
    for (const auto& mentioned : m->mentioned) {
      tie(m->author_id, mentioned, EdgeKind::kMention, m->created);
    }
    participants[m->thread_id].insert(m->author_id);
    thread_last[m->thread_id] = std::max(thread_last[m->thread_id], m->created);
  }
  for (const auto& [thread, people] : participants) {
    if (people.size() < 2 ||
        static_cast<int>(people.size()) > options.max_thread_participants)
      continue;
    for (auto a = people.begin(); a != people.end(); ++a) {
      for (auto b = std::next(a); b != people.end(); ++b) {
        tie(*a, *b, EdgeKind::kThread, thread_last[thread]);
      }
    }
  }
  for (const auto& [person, manager] : managers) {
    tie(person, manager, EdgeKind::kManager, 0);
  }
  g.building = false;
  g.edge_of = {};
  return result;
}

std::optional<ColleagueGraph> ColleagueGraph::Extend(
    const ColleagueGraph& prev, const std::vector<Tie>& ties,
    const GraphOptions& options,
    const std::unordered_set<std::string>& excluded) {
  ColleagueGraph result;
  Impl& g = *result.impl_;
  g.graph = prev.impl_->graph;  // shared until written
  g.vertex_of = prev.impl_->vertex_of;
  std::vector<Impl::Vertex> loose;  // lost an edge: may have none left
  // Removals last: an edge's last_seen then already holds every
  // interaction that stays or comes.
  std::vector<const Tie*> order;
  for (const Tie& t : ties)
    if (t.change != Tie::Change::kRemove) order.push_back(&t);
  for (const Tie& t : ties)
    if (t.change == Tie::Change::kRemove) order.push_back(&t);
  for (const Tie* tie : order) {
    const Tie& t = *tie;
    if (excluded.contains(t.from) || excluded.contains(t.to)) continue;
    const double weight = options.kind_weight[static_cast<int>(t.kind)];
    if (t.change == Tie::Change::kAdd) {
      g.AddInteraction(t.from, t.to, t.kind, weight, t.when);
      continue;
    }
    const int64_t u = result.VertexOf(t.from), v = result.VertexOf(t.to);
    const std::optional<Impl::Edge> e =
        u < 0 || v < 0 ? std::nullopt : g.FindEdge(u, v, t.kind);
    if (t.change == Tie::Change::kTouch) {
      // Written (and u copied) only when it changes.
      if (e && std::as_const(g.graph)[*e].last_seen < t.when)
        g.graph[*e].last_seen = t.when;
      continue;
    }
    if (!e) return std::nullopt;  // not counted after all: rebuild
    EdgeProps& p = g.graph[*e];
    p.weight -= weight;
    p.count -= 1;
    if (p.count > 0) {
      if (t.when < 0) return std::nullopt;
      p.last_seen = t.when;
      continue;
    }
    if (t.when >= 0) return std::nullopt;
    boost::remove_edge(*e, g.graph);
    loose.push_back(u);
    loose.push_back(v);
  }
  for (Impl::Vertex x : loose) {
    if (boost::degree(x, g.graph) == 0) return std::nullopt;
  }
  return result;
}

size_t ColleagueGraph::num_people() const {
  return boost::num_vertices(impl_->graph);
}

size_t ColleagueGraph::num_edges() const {
  return boost::num_edges(impl_->graph);
}

const std::string& ColleagueGraph::PersonId(int64_t v) const {
  const Impl::Graph& g = impl_->graph;  // never the copying operator[]
  return g[static_cast<Impl::Vertex>(v)];
}

size_t ColleagueGraph::SharedPeople(const ColleagueGraph& other) const {
  size_t shared = 0;
  for (auto [v, end] = boost::vertices(impl_->graph); v != end; ++v)
    shared += impl_->graph.SharesVertex(other.impl_->graph, *v);
  return shared;
}

int64_t ColleagueGraph::VertexOf(const std::string& person_id) const {
  auto it = impl_->vertex_of.find(person_id);
  return it == impl_->vertex_of.end() ? -1 : static_cast<int64_t>(it->second);
}

void ColleagueGraph::ForEachEdge(const EdgeFn& fn) const {
  const Impl::Graph& g = impl_->graph;
  for (auto [e, end] = boost::edges(g); e != end; ++e) {
    fn(static_cast<int64_t>(boost::source(*e, g)),
       static_cast<int64_t>(boost::target(*e, g)), g[*e]);
  }
}

void ColleagueGraph::ForEachOutEdge(int64_t v, const EdgeFn& fn) const {
  const Impl::Graph& g = impl_->graph;
  for (auto [e, end] = boost::out_edges(static_cast<Impl::Vertex>(v), g);
       e != end; ++e) {
    fn(v, static_cast<int64_t>(boost::target(*e, g)), g[*e]);
  }
}

double ColleagueGraph::TieStrength(const std::string& a,
                                   const std::string& b) const {
  int64_t u = VertexOf(a), v = VertexOf(b);
  if (u < 0 || v < 0) return 0;
  const Impl::Graph& g = impl_->graph;
  double sum = 0;
  for (auto [e, end] = boost::out_edges(u, g); e != end; ++e) {
    if (static_cast<int64_t>(boost::target(*e, g)) == v) sum += g[*e].weight;
  }
  for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
    if (static_cast<int64_t>(boost::target(*e, g)) == u) sum += g[*e].weight;
  }
  return sum;
}

void ColleagueGraph::Store(int64_t v, StoredVertex* out) const {
  const Impl::Graph& g = impl_->graph;
  const auto& vertex = g.vertex(static_cast<Impl::Vertex>(v));
  out->id = vertex.props;
  out->out.clear();
  out->in.clear();
  out->out.reserve(vertex.out.size());
  for (const auto& e : vertex.out) out->out.emplace_back(e.target, e.props);
  out->in.reserve(vertex.in.size());
  for (const auto& e : vertex.in) out->in.emplace_back(e.source, e.index);
}

namespace {

absl::Status NotAGraph(size_t v, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("stored graph, vertex ", v, ": ", std::string(why)));
}

// Whether every in-edge names an out-edge of its source that targets its
// vertex, each out-edge named once (FromStored's check).
template <typename Graph>
absl::Status CheckInEdges(const Graph& g) {
  const size_t n = g.vertex_count();
  std::vector<size_t> first(n + 1, 0);  // of each vertex's out-edges
  for (size_t v = 0; v < n; ++v)
    first[v + 1] = first[v] + g.vertex(v).out.size();
  std::vector<bool> named(first[n], false);
  size_t in_edges = 0;
  for (size_t v = 0; v < n; ++v) {
    for (const auto& e : g.vertex(v).in) {
      if (e.source >= n || e.index >= g.vertex(e.source).out.size() ||
          g.vertex(e.source).out[e.index].target != v ||
          named[first[e.source] + e.index])
        return NotAGraph(v, "an in-edge names no out-edge of it");
      named[first[e.source] + e.index] = true;
      ++in_edges;
    }
  }
  if (in_edges != first[n]) return NotAGraph(n, "out-edges without in-edge");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ColleagueGraph> ColleagueGraph::FromStored(
    size_t count,
    const std::function<absl::Status(size_t v, StoredVertex& vertex)>& next) {
  ColleagueGraph result;
  Impl& g = *result.impl_;
  using OutEdge = Impl::Graph::OutEdge;
  using InEdge = Impl::Graph::InEdge;
  StoredVertex stored;
  for (size_t v = 0; v < count; ++v) {
    stored.out.clear();
    stored.in.clear();
    if (absl::Status s = next(v, stored); !s.ok()) return s;
    if (stored.id.empty() ||
        !g.vertex_of.emplace(stored.id, static_cast<Impl::Vertex>(v)).second)
      return NotAGraph(v, "an empty or repeated person id");
    if (stored.out.empty() && stored.in.empty())
      return NotAGraph(v, "a person without a tie");
    std::vector<OutEdge> out;
    out.reserve(stored.out.size());
    for (const auto& [target, props] : stored.out) {
      if (target >= count || target == v ||
          static_cast<int>(props.kind) >= kNumEdgeKinds ||
          !std::isfinite(props.weight))
        return NotAGraph(
            v, "an edge to no vertex, to itself, of no kind or no weight");
      out.push_back({target, props});
    }
    std::vector<InEdge> in;
    in.reserve(stored.in.size());
    for (const auto& [source, index] : stored.in) in.push_back({source, index});
    g.graph.AddVertexWithEdges(std::move(stored.id), std::move(out),
                               std::move(in));
  }
  if (absl::Status s = CheckInEdges(g.graph); !s.ok()) return s;
  return result;
}

// A change to this format must come with a new kGraphStateVersion
// (index/derived_state.h): a start trusts graph.tsv as graph.bin's close
// left it, so only a graph.bin this build does not read makes it write the
// file again, in the new format.
absl::Status ColleagueGraph::Save(const std::string& path) const {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    const Impl::Graph& g = impl_->graph;
    out.precision(17);  // weights round-trip exactly
    out << "# whoknows colleague graph v1: "
           "source\ttarget\tkind\tweight\tcount\t"
           "last_seen_unix\n";
    for (auto [e, end] = boost::edges(g); e != end; ++e) {
      const EdgeProps& p = g[*e];
      out << g[boost::source(*e, g)] << '\t' << g[boost::target(*e, g)] << '\t'
          << EdgeKindName(p.kind) << '\t' << p.weight << '\t' << p.count << '\t'
          << p.last_seen << '\n';
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ColleagueGraph> ColleagueGraph::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  ColleagueGraph result;
  Impl& g = *result.impl_;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    std::string from, to, kind_name;
    EdgeProps p;
    if (!std::getline(row, from, '\t') || !std::getline(row, to, '\t') ||
        !std::getline(row, kind_name, '\t') ||
        !(row >> p.weight >> p.count >> p.last_seen)) {
      return absl::DataLossError(
          absl::StrCat(path, ":", line_no, ": malformed edge"));
    }
    bool known = false;
    for (int k = 0; k < kNumEdgeKinds; ++k) {
      if (kind_name == EdgeKindName(static_cast<EdgeKind>(k))) {
        p.kind = static_cast<EdgeKind>(k);
        known = true;
      }
    }
    if (!known) {
      return absl::DataLossError(
          absl::StrCat(path, ":", line_no, ": unknown edge kind ", kind_name));
    }
    boost::add_edge(g.AddPerson(from), g.AddPerson(to), p, g.graph);
  }
  return result;
}

}  // namespace whoknows::index
