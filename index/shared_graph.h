// A directed graph whose copies share their vertices until one is written
// (copy on write), modelling Boost.Graph's concepts: what lets a snapshot's
// colleague graph (index/graph.cc) be extended into the next one at the
// cost of the vertices a publish touches, not of the whole graph, while
// every read and write still goes through the Boost.Graph interface and
// Boost's algorithms run on it as on an adjacency_list.
//
// The free functions follow "How to Convert Existing Graphs to BGL"
// (Boost's LEDA adaptor, boost/graph/leda_graph.hpp): declared in this
// namespace, so that Boost's algorithms find them by argument-dependent
// lookup, and brought into namespace boost by using-declarations, so that
// qualified calls (boost::out_edges(u, g)) find them too.
#ifndef WHOKNOWS_INDEX_SHARED_GRAPH_H_
#define WHOKNOWS_INDEX_SHARED_GRAPH_H_

#include <algorithm>
#include <boost/graph/adjacency_iterator.hpp>
#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/iterator_facade.hpp>
#include <boost/property_map/property_map.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "index/shared_map.h"

namespace whoknows::index {

// Vertices 0..n-1, each with its bundled property V, its out-edges (in the
// order they were added, each with its bundled property E) and its
// in-edges. Each vertex is held on its own behind a shared_ptr, the
// pointers in chunks of kChunk (ChunkedVector): a copy of the graph copies
// one pointer per chunk; a write to a vertex (its property, an out-edge's
// property, an edge added or removed at it) first copies the vertex's
// chunk of pointers and the vertex itself when another graph shares them.
// A copy changed at k vertices therefore costs O(n / kChunk + k * (kChunk +
// their degree)).
//
// Like adjacency_list<vecS, vecS, bidirectionalS>: vertex descriptors are
// indexes (never removed); an edge descriptor names its source and its
// place among the source's out-edges, so removing an edge invalidates the
// descriptors of the source's later out-edges.
//
// Thread safety: as a standard container. Distinct graphs sharing vertices
// may be read and written from different threads: a shared vertex or
// chunk is never written.
template <typename V, typename E>
class SharedGraph {
 public:
  using vertex_descriptor = uint32_t;
  struct edge_descriptor {
    vertex_descriptor source = 0;
    vertex_descriptor target = 0;
    uint32_t index = 0;  // among the source's out-edges
    friend bool operator==(const edge_descriptor& a, const edge_descriptor& b) {
      return a.source == b.source && a.index == b.index;
    }
  };
  struct OutEdge {
    vertex_descriptor target;
    E props;
  };
  struct InEdge {
    vertex_descriptor source;
    uint32_t index;  // among the source's out-edges
  };
  struct Vertex {
    V props;
    std::vector<OutEdge> out;
    std::vector<InEdge> in;
  };
  static constexpr size_t kChunk = 64;

  size_t vertex_count() const { return vertices_.size(); }
  size_t edge_count() const { return num_edges_; }
  // The vertex to read (the free functions' storage).
  const Vertex& vertex(vertex_descriptor u) const { return *vertices_[u]; }

  // Bundled properties, as adjacency_list's g[v] and g[e]. The non-const
  // ones copy the vertex (the edge's source) first when it is shared.
  const V& operator[](vertex_descriptor u) const { return vertex(u).props; }
  V& operator[](vertex_descriptor u) { return Mutable(u).props; }
  const E& operator[](const edge_descriptor& e) const {
    return vertex(e.source).out[e.index].props;
  }
  E& operator[](const edge_descriptor& e) {
    return Mutable(e.source).out[e.index].props;
  }

  vertex_descriptor AddVertex(V props) {
    const auto u = static_cast<vertex_descriptor>(vertices_.size());
    vertices_.push_back(
        std::make_shared<Vertex>(Vertex{std::move(props), {}, {}}));
    return u;
  }
  edge_descriptor AddEdge(vertex_descriptor u, vertex_descriptor v, E props) {
    std::vector<OutEdge>& out = Mutable(u).out;
    const auto index = static_cast<uint32_t>(out.size());
    out.push_back({v, std::move(props)});
    Mutable(v).in.push_back({u, index});
    ++num_edges_;
    return {u, v, index};
  }
  // Appends a vertex with its edges as they were written (the persisted
  // graph, index/derived_state.h), in one allocation per list. The caller
  // keeps the graph consistent: each in-edge names an out-edge of its source
  // that targets this vertex, and each out-edge is named by one in-edge.
  // Counts `out` towards edge_count().
  vertex_descriptor AddVertexWithEdges(V props, std::vector<OutEdge> out,
                                       std::vector<InEdge> in) {
    const auto u = static_cast<vertex_descriptor>(vertices_.size());
    num_edges_ += out.size();
    vertices_.push_back(std::make_shared<Vertex>(
        Vertex{std::move(props), std::move(out), std::move(in)}));
    return u;
  }
  // Removes `e`; the source's later out-edges move down one place (their
  // targets' in-edges are renumbered: a copy of each of those targets when
  // shared).
  void RemoveEdge(const edge_descriptor& e) {
    std::vector<OutEdge>& out = Mutable(e.source).out;
    out.erase(out.begin() + e.index);
    std::vector<InEdge>& in = Mutable(e.target).in;
    in.erase(std::find_if(in.begin(), in.end(), [&](const InEdge& x) {
      return x.source == e.source && x.index == e.index;
    }));
    for (uint32_t j = e.index; j < vertex(e.source).out.size(); ++j) {
      for (InEdge& x : Mutable(vertex(e.source).out[j].target).in) {
        if (x.source == e.source && x.index == j + 1) {
          x.index = j;
          break;
        }
      }
    }
    --num_edges_;
  }

  // Whether vertex `u` is the very object `other` holds (not a copy): how
  // tests see what a copy shares.
  bool SharesVertex(const SharedGraph& other, vertex_descriptor u) const {
    return u < vertices_.size() && u < other.vertices_.size() &&
           vertices_[u] == other.vertices_[u];
  }

 private:
  Vertex& Mutable(vertex_descriptor u) {
    std::shared_ptr<Vertex>& v = vertices_.Mutable(u);  // chunk copied first
    if (v.use_count() > 1) v = std::make_shared<Vertex>(*v);
    return *v;
  }

  ChunkedVector<std::shared_ptr<Vertex>, kChunk> vertices_;
  size_t num_edges_ = 0;
};

namespace shared_graph_internal {

// Out-edges of one vertex, as edge descriptors.
template <typename G>
class OutEdgeIterator
    : public boost::iterator_facade<
          OutEdgeIterator<G>, typename G::edge_descriptor,
          boost::forward_traversal_tag, typename G::edge_descriptor> {
 public:
  OutEdgeIterator() = default;
  OutEdgeIterator(const typename G::Vertex* v, typename G::vertex_descriptor u,
                  uint32_t i)
      : v_(v), u_(u), i_(i) {}

 private:
  friend class boost::iterator_core_access;
  typename G::edge_descriptor dereference() const {
    return {u_, v_->out[i_].target, i_};
  }
  bool equal(const OutEdgeIterator& o) const { return i_ == o.i_; }
  void increment() { ++i_; }

  const typename G::Vertex* v_ = nullptr;
  typename G::vertex_descriptor u_ = 0;
  uint32_t i_ = 0;
};

// In-edges of one vertex, as edge descriptors.
template <typename G>
class InEdgeIterator
    : public boost::iterator_facade<
          InEdgeIterator<G>, typename G::edge_descriptor,
          boost::forward_traversal_tag, typename G::edge_descriptor> {
 public:
  InEdgeIterator() = default;
  InEdgeIterator(const typename G::Vertex* v, typename G::vertex_descriptor u,
                 uint32_t i)
      : v_(v), u_(u), i_(i) {}

 private:
  friend class boost::iterator_core_access;
  typename G::edge_descriptor dereference() const {
    return {v_->in[i_].source, u_, v_->in[i_].index};
  }
  bool equal(const InEdgeIterator& o) const { return i_ == o.i_; }
  void increment() { ++i_; }

  const typename G::Vertex* v_ = nullptr;
  typename G::vertex_descriptor u_ = 0;
  uint32_t i_ = 0;
};

// Every edge: by source vertex, then in the order the source's edges were
// added (as adjacency_list's edges()).
template <typename G>
class EdgeIterator
    : public boost::iterator_facade<
          EdgeIterator<G>, typename G::edge_descriptor,
          boost::forward_traversal_tag, typename G::edge_descriptor> {
 public:
  EdgeIterator() = default;
  // At the first edge from vertex `u` on.
  EdgeIterator(const G* g, typename G::vertex_descriptor u) : g_(g), u_(u) {
    SkipEmpty();
  }

 private:
  friend class boost::iterator_core_access;
  typename G::edge_descriptor dereference() const {
    return {u_, g_->vertex(u_).out[i_].target, i_};
  }
  bool equal(const EdgeIterator& o) const { return u_ == o.u_ && i_ == o.i_; }
  void increment() {
    ++i_;
    SkipEmpty();
  }
  void SkipEmpty() {
    while (u_ < g_->vertex_count() && i_ >= g_->vertex(u_).out.size()) {
      ++u_;
      i_ = 0;
    }
  }

  const G* g_ = nullptr;
  typename G::vertex_descriptor u_ = 0;
  uint32_t i_ = 0;
};

struct TraversalCategory : virtual boost::bidirectional_graph_tag,
                           virtual boost::adjacency_graph_tag,
                           virtual boost::vertex_list_graph_tag,
                           virtual boost::edge_list_graph_tag {};

// A readable property map of one member of the edges' bundled property:
// get(&E::weight, g), as adjacency_list's bundled maps.
template <typename G, typename T, typename E>
class EdgeMemberMap
    : public boost::put_get_helper<const T&, EdgeMemberMap<G, T, E>> {
 public:
  using key_type = typename G::edge_descriptor;
  using value_type = T;
  using reference = const T&;
  using category = boost::readable_property_map_tag;

  EdgeMemberMap() = default;
  EdgeMemberMap(const G* g, T E::*member) : g_(g), member_(member) {}
  reference operator[](const key_type& e) const { return (*g_)[e].*member_; }

 private:
  const G* g_ = nullptr;
  T E::*member_ = nullptr;
};

}  // namespace shared_graph_internal
}  // namespace whoknows::index

namespace boost {

template <typename V, typename E>
struct graph_traits<whoknows::index::SharedGraph<V, E>> {
  using G = whoknows::index::SharedGraph<V, E>;
  using vertex_descriptor = typename G::vertex_descriptor;
  using edge_descriptor = typename G::edge_descriptor;
  using directed_category = directed_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  using traversal_category =
      whoknows::index::shared_graph_internal::TraversalCategory;
  using vertex_iterator = counting_iterator<vertex_descriptor>;
  using out_edge_iterator =
      whoknows::index::shared_graph_internal::OutEdgeIterator<G>;
  using in_edge_iterator =
      whoknows::index::shared_graph_internal::InEdgeIterator<G>;
  using edge_iterator = whoknows::index::shared_graph_internal::EdgeIterator<G>;
  using adjacency_iterator =
      typename adjacency_iterator_generator<G, vertex_descriptor,
                                            out_edge_iterator>::type;
  using vertices_size_type = size_t;
  using edges_size_type = size_t;
  using degree_size_type = size_t;
  static vertex_descriptor null_vertex() { return UINT32_MAX; }
};

template <typename V, typename E>
struct property_map<whoknows::index::SharedGraph<V, E>, vertex_index_t> {
  using type = typed_identity_property_map<
      typename whoknows::index::SharedGraph<V, E>::vertex_descriptor>;
  using const_type = type;
};

}  // namespace boost

namespace whoknows::index {

template <typename V, typename E>
using SharedGraphTraits = boost::graph_traits<SharedGraph<V, E>>;

// VertexListGraph
template <typename V, typename E>
std::pair<typename SharedGraphTraits<V, E>::vertex_iterator,
          typename SharedGraphTraits<V, E>::vertex_iterator>
vertices(const SharedGraph<V, E>& g) {
  using It = typename SharedGraphTraits<V, E>::vertex_iterator;
  return {It(0), It(static_cast<uint32_t>(g.vertex_count()))};
}
template <typename V, typename E>
size_t num_vertices(const SharedGraph<V, E>& g) {
  return g.vertex_count();
}

// IncidenceGraph, BidirectionalGraph
template <typename V, typename E>
uint32_t source(const typename SharedGraph<V, E>::edge_descriptor& e,
                const SharedGraph<V, E>&) {
  return e.source;
}
template <typename V, typename E>
uint32_t target(const typename SharedGraph<V, E>::edge_descriptor& e,
                const SharedGraph<V, E>&) {
  return e.target;
}
template <typename V, typename E>
std::pair<typename SharedGraphTraits<V, E>::out_edge_iterator,
          typename SharedGraphTraits<V, E>::out_edge_iterator>
out_edges(uint32_t u, const SharedGraph<V, E>& g) {
  using It = typename SharedGraphTraits<V, E>::out_edge_iterator;
  const auto& v = g.vertex(u);
  return {It(&v, u, 0), It(&v, u, static_cast<uint32_t>(v.out.size()))};
}
template <typename V, typename E>
size_t out_degree(uint32_t u, const SharedGraph<V, E>& g) {
  return g.vertex(u).out.size();
}
template <typename V, typename E>
std::pair<typename SharedGraphTraits<V, E>::in_edge_iterator,
          typename SharedGraphTraits<V, E>::in_edge_iterator>
in_edges(uint32_t u, const SharedGraph<V, E>& g) {
  using It = typename SharedGraphTraits<V, E>::in_edge_iterator;
  const auto& v = g.vertex(u);
  return {It(&v, u, 0), It(&v, u, static_cast<uint32_t>(v.in.size()))};
}
template <typename V, typename E>
size_t in_degree(uint32_t u, const SharedGraph<V, E>& g) {
  return g.vertex(u).in.size();
}
template <typename V, typename E>
size_t degree(uint32_t u, const SharedGraph<V, E>& g) {
  return g.vertex(u).in.size() + g.vertex(u).out.size();
}

// AdjacencyGraph
template <typename V, typename E>
std::pair<typename SharedGraphTraits<V, E>::adjacency_iterator,
          typename SharedGraphTraits<V, E>::adjacency_iterator>
adjacent_vertices(uint32_t u, const SharedGraph<V, E>& g) {
  using It = typename SharedGraphTraits<V, E>::adjacency_iterator;
  auto [first, last] = out_edges(u, g);
  return {It(first, &g), It(last, &g)};
}

// EdgeListGraph
template <typename V, typename E>
std::pair<typename SharedGraphTraits<V, E>::edge_iterator,
          typename SharedGraphTraits<V, E>::edge_iterator>
edges(const SharedGraph<V, E>& g) {
  using It = typename SharedGraphTraits<V, E>::edge_iterator;
  return {It(&g, 0), It(&g, static_cast<uint32_t>(g.vertex_count()))};
}
template <typename V, typename E>
size_t num_edges(const SharedGraph<V, E>& g) {
  return g.edge_count();
}

// The parts of MutableGraph and MutablePropertyGraph the colleague graph
// uses (no remove_vertex, no clear_vertex).
template <typename V, typename E>
uint32_t add_vertex(V props, SharedGraph<V, E>& g) {
  return g.AddVertex(std::move(props));
}
template <typename V, typename E>
std::pair<typename SharedGraph<V, E>::edge_descriptor, bool> add_edge(
    uint32_t u, uint32_t v, E props, SharedGraph<V, E>& g) {
  return {g.AddEdge(u, v, std::move(props)), true};
}
template <typename V, typename E>
void remove_edge(const typename SharedGraph<V, E>::edge_descriptor& e,
                 SharedGraph<V, E>& g) {
  g.RemoveEdge(e);
}

// Property maps: the vertex index (the identity, as vecS's), and a member
// of the edges' bundled property.
template <typename V, typename E>
boost::typed_identity_property_map<uint32_t> get(boost::vertex_index_t,
                                                 const SharedGraph<V, E>&) {
  return {};
}
template <typename V, typename E>
uint32_t get(boost::vertex_index_t, const SharedGraph<V, E>&, uint32_t v) {
  return v;
}
template <typename V, typename E, typename T>
shared_graph_internal::EdgeMemberMap<SharedGraph<V, E>, T, E> get(
    T E::*member, const SharedGraph<V, E>& g) {
  return {&g, member};
}

}  // namespace whoknows::index

namespace boost {
using whoknows::index::add_edge;
using whoknows::index::add_vertex;
using whoknows::index::adjacent_vertices;
using whoknows::index::degree;
using whoknows::index::edges;
using whoknows::index::get;
using whoknows::index::in_degree;
using whoknows::index::in_edges;
using whoknows::index::num_edges;
using whoknows::index::num_vertices;
using whoknows::index::out_degree;
using whoknows::index::out_edges;
using whoknows::index::remove_edge;
using whoknows::index::source;
using whoknows::index::target;
using whoknows::index::vertices;
}  // namespace boost

#endif  // WHOKNOWS_INDEX_SHARED_GRAPH_H_
