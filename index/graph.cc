#include "index/graph.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "index/catalog.h"
#include "index/data_dir.h"

namespace whoknows::index {
// Vertices in chunks shared between a graph and its extensions (Extend):
// a vertex with its out-edges, in the order they were added.
struct ColleagueGraph::Impl {
  struct OutEdge {
    uint32_t target = 0;
    EdgeProps props;
  };
  struct Vertex {
    std::string person_id;
    std::vector<OutEdge> out;
    uint32_t in_degree = 0;
  };

  uint32_t AddPerson(const std::string& id);
  void AddInteraction(const std::string& from, const std::string& to,
                      EdgeKind kind, double weight, int64_t when);
  // The u->v edge of `kind` among u's out-edges, for a graph without
  // edge_of (Extend's), made writable (u's chunk copied when shared); null
  // when there is none.
  EdgeProps* FindEdge(uint32_t u, uint32_t v, EdgeKind kind);

  // The vertex `u` to change: copied first (and its chunk of pointers)
  // when another graph shares it.
  Vertex& Mutable(uint32_t u) {
    std::shared_ptr<Vertex>& v = vertices.Mutable(u);
    if (v.use_count() > 1) v = std::make_shared<Vertex>(*v);
    return *v;
  }

  // Each vertex shared on its own, pointers in chunks of 64: an extension
  // copies the chunk pointers, the chunks of the vertices it changes (64
  // pointers each) and those vertices with their out-edges, not the graph.
  ChunkedVector<std::shared_ptr<Vertex>, 64> vertices;
  SharedMap<uint32_t> vertex_of;
  size_t num_edges = 0;
  // (source, target, kind) -> index in the source's out-edges, to fold
  // interactions in O(1) while building; empty once built (Build clears
  // it, Extend never fills it).
  std::unordered_map<uint64_t, uint32_t> edge_of;
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

uint32_t ColleagueGraph::Impl::AddPerson(const std::string& id) {
  const uint32_t next = static_cast<uint32_t>(vertices.size());
  auto [v, added] = vertex_of.emplace(id, next);
  if (added) vertices.push_back(std::make_shared<Vertex>(Vertex{id, {}, 0}));
  return *v;
}

EdgeProps* ColleagueGraph::Impl::FindEdge(uint32_t u, uint32_t v,
                                          EdgeKind kind) {
  const std::vector<OutEdge>& out = vertices[u]->out;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].target == v && out[i].props.kind == kind)
      return &Mutable(u).out[i].props;
  }
  return nullptr;
}

void ColleagueGraph::Impl::AddInteraction(const std::string& from,
                                          const std::string& to, EdgeKind kind,
                                          double weight, int64_t when) {
  if (from.empty() || to.empty() || from == to) return;
  const uint32_t u = AddPerson(from), v = AddPerson(to);
  // Parallel edges are folded per kind: at most one u->v edge of each kind.
  const uint64_t key = (static_cast<uint64_t>(u) << 35) |
                       (static_cast<uint64_t>(v) << 3) |
                       static_cast<uint64_t>(kind);
  EdgeProps* p = nullptr;
  if (auto it = edge_of.find(key); it != edge_of.end()) {
    p = &Mutable(u).out[it->second].props;
  } else if (!building) {
    p = FindEdge(u, v, kind);  // an Extend: no edge_of to look in
  }
  if (p) {
    p->weight += weight;
    p->count += 1;
    p->last_seen = std::max(p->last_seen, when);
    return;
  }
  std::vector<OutEdge>& out = Mutable(u).out;
  if (building) edge_of[key] = static_cast<uint32_t>(out.size());
  out.push_back({v, EdgeProps{kind, weight, 1, when}});
  ++Mutable(v).in_degree;
  ++num_edges;
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
  g.vertices = prev.impl_->vertices;  // shared until written
  g.vertex_of = prev.impl_->vertex_of;
  g.num_edges = prev.impl_->num_edges;
  std::vector<uint32_t> loose;  // lost an edge: may have none left
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
    EdgeProps* p = u < 0 || v < 0 ? nullptr : g.FindEdge(u, v, t.kind);
    if (t.change == Tie::Change::kTouch) {
      if (p) p->last_seen = std::max(p->last_seen, t.when);
      continue;
    }
    if (!p) return std::nullopt;  // not counted after all: rebuild
    p->weight -= weight;
    p->count -= 1;
    if (p->count > 0) {
      if (t.when < 0) return std::nullopt;
      p->last_seen = t.when;
      continue;
    }
    if (t.when >= 0) return std::nullopt;
    std::vector<Impl::OutEdge>& out = g.Mutable(u).out;
    out.erase(std::find_if(out.begin(), out.end(),
                           [p](const auto& e) { return &e.props == p; }));
    --g.Mutable(v).in_degree;
    --g.num_edges;
    loose.push_back(u);
    loose.push_back(v);
  }
  for (uint32_t x : loose) {
    if (g.vertices[x]->out.empty() && g.vertices[x]->in_degree == 0)
      return std::nullopt;
  }
  return result;
}

size_t ColleagueGraph::num_people() const { return impl_->vertices.size(); }

size_t ColleagueGraph::num_edges() const { return impl_->num_edges; }

const std::string& ColleagueGraph::PersonId(int64_t v) const {
  return impl_->vertices[static_cast<size_t>(v)]->person_id;
}

int64_t ColleagueGraph::VertexOf(const std::string& person_id) const {
  auto it = impl_->vertex_of.find(person_id);
  return it == impl_->vertex_of.end() ? -1 : static_cast<int64_t>(it->second);
}

void ColleagueGraph::ForEachEdge(const EdgeFn& fn) const {
  const auto& vertices = impl_->vertices;
  for (size_t u = 0; u < vertices.size(); ++u) {
    for (const auto& e : vertices[u]->out)
      fn(static_cast<int64_t>(u), static_cast<int64_t>(e.target), e.props);
  }
}

void ColleagueGraph::ForEachOutEdge(int64_t v, const EdgeFn& fn) const {
  for (const auto& e : impl_->vertices[static_cast<size_t>(v)]->out)
    fn(v, static_cast<int64_t>(e.target), e.props);
}

double ColleagueGraph::TieStrength(const std::string& a,
                                   const std::string& b) const {
  int64_t u = VertexOf(a), v = VertexOf(b);
  if (u < 0 || v < 0) return 0;
  const auto& vertices = impl_->vertices;
  double sum = 0;
  for (const auto& e : vertices[static_cast<size_t>(u)]->out)
    if (static_cast<int64_t>(e.target) == v) sum += e.props.weight;
  for (const auto& e : vertices[static_cast<size_t>(v)]->out)
    if (static_cast<int64_t>(e.target) == u) sum += e.props.weight;
  return sum;
}

absl::Status ColleagueGraph::Save(const std::string& path) const {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    const auto& vertices = impl_->vertices;
    out.precision(17);  // weights round-trip exactly
    out << "# whoknows colleague graph v1: "
           "source\ttarget\tkind\tweight\tcount\t"
           "last_seen_unix\n";
    for (size_t u = 0; u < vertices.size(); ++u) {
      for (const auto& [v, p] : vertices[u]->out) {
        out << vertices[u]->person_id << '\t' << vertices[v]->person_id << '\t'
            << EdgeKindName(p.kind) << '\t' << p.weight << '\t' << p.count
            << '\t' << p.last_seen << '\n';
      }
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
    const uint32_t u = g.AddPerson(from), v = g.AddPerson(to);
    g.Mutable(u).out.push_back({v, p});
    ++g.Mutable(v).in_degree;
    ++g.num_edges;
  }
  return result;
}

}  // namespace whoknows::index
