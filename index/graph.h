// The colleague graph: who works with whom, from replies, thread
// co-participation, likes, mentions and the manager tree.
#ifndef WHOKNOWS_INDEX_GRAPH_H_
#define WHOKNOWS_INDEX_GRAPH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/graph_options.h"
#include "index/shared_map.h"

namespace whoknows::index {

struct PostMeta;

// People are vertices 0..num_people()-1; ties are directed edges, at most one
// per (source, target, kind). The representation stays in graph.cc: a
// SharedGraph (index/shared_graph.h), read and written through Boost.Graph's
// interface, whose vertices a graph shares with its extensions (Extend).
//
// Immutable once built; safe to share between threads for reading.
class ColleagueGraph {
 public:
  ColleagueGraph();
  ~ColleagueGraph();
  ColleagueGraph(ColleagueGraph&&) noexcept;
  ColleagueGraph& operator=(ColleagueGraph&&) noexcept;

  // Builds the graph from posts (only public posts contribute, so private
  // groups never show in it) and the manager tree (person id -> manager id).
  // People in `excluded` (those who opted out) are not vertices: their posts,
  // likes, mentions and manager links make no tie, so no proximity, PageRank
  // or path can pass through them.
  static ColleagueGraph Build(
      const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
          posts,
      const std::unordered_map<std::string, std::string>& managers,
      const GraphOptions& options = {},
      const std::unordered_set<std::string>& excluded = {});
  // The same from a snapshot's posts.
  static ColleagueGraph BuildFromSnapshot(
      const SharedMap<std::shared_ptr<const PostMeta>>& posts,
      const std::unordered_map<std::string, std::string>& managers,
      const GraphOptions& options = {},
      const std::unordered_set<std::string>& excluded = {});

  // One interaction to fold into a graph (Extend).
  struct Tie {
    enum class Change {
      kAdd,     // one more interaction: its kind's weight, one to the count
      kTouch,   // already counted: only raise last_seen to `when`
      kRemove,  // one fewer (a thread grown past max_thread_participants)
    };
    std::string from, to;
    EdgeKind kind = EdgeKind::kReply;
    // Unix seconds. For kRemove: the edge's last_seen over the
    // interactions that remain, -1 when none does.
    int64_t when = 0;
    Change change = Change::kAdd;
  };
  // A copy of `prev` with `ties` folded in as Build folds interactions;
  // people in `excluded` make no tie, as in Build. `prev` is left as it is
  // (it may be read meanwhile): the result shares prev's vertices and
  // copies only those the ties write (with their edges), so it costs the
  // ties, each found among its source's out-edges, plus a pointer per 64
  // people and per ~16 in the id map: what lets a publish extend the
  // previous snapshot's graph instead of building it from every post
  // (index/snapshot_delta.h). Removals are applied after the rest. None when a
  // removal does not match the edge (no such edge, or `when` says none remains
  // while some do, or the reverse) or leaves a person with no tie (Build would
  // not make them a vertex).
  static std::optional<ColleagueGraph> Extend(
      const ColleagueGraph& prev, const std::vector<Tie>& ties,
      const GraphOptions& options = {},
      const std::unordered_set<std::string>& excluded = {});

  // Writes the graph as a TSV edge list (atomically: temp file + rename) and
  // reads it back.
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<ColleagueGraph> Load(const std::string& path);

  // One vertex as persisted (index/derived_state.h): its person id, its
  // out-edges (target, properties) in the order they were added and its
  // in-edges (source, place among the source's out-edges) in the order they
  // were added: what makes a graph read back equal to the one written,
  // vertex for vertex and edge for edge.
  struct StoredVertex {
    std::string id;
    std::vector<std::pair<uint32_t, EdgeProps>> out;
    std::vector<std::pair<uint32_t, uint32_t>> in;
  };
  // Vertex `v` (0 <= v < num_people()) into `out`, whose lists are reused.
  void Store(int64_t v, StoredVertex* out) const;
  // The graph of `count` vertices, vertex v filled by next(v, vertex) (its
  // lists cleared first, reused from call to call). A status other than OK
  // from `next` is returned as is; DATA_LOSS when the vertices do not make
  // a graph Build could have made (an id twice or empty, an edge to no
  // vertex or to itself, an unknown kind, in-edges that do not name each
  // out-edge once, a person without a tie).
  static absl::StatusOr<ColleagueGraph> FromStored(
      size_t count,
      const std::function<absl::Status(size_t v, StoredVertex& vertex)>& next);

  size_t num_people() const;
  size_t num_edges() const;
  // Person id of vertex `v` (0 <= v < num_people()).
  const std::string& PersonId(int64_t v) const;
  // Vertex of a person, or -1 when they have no ties.
  int64_t VertexOf(const std::string& person_id) const;
  // How many of this graph's people are the very vertex objects (with
  // their edges) that `other` holds, not copies: what an extension shares
  // with the graph it extends (tests, figures).
  size_t SharedPeople(const ColleagueGraph& other) const;
  // Sum of edge weights between a and b in both directions, all kinds.
  double TieStrength(const std::string& a, const std::string& b) const;

  using EdgeFn =
      std::function<void(int64_t from, int64_t to, const EdgeProps& props)>;
  // Calls `fn` for every edge: by source vertex, then in the order the
  // source's edges were added. The order is stable, and sums over it (such
  // as PageRank's) are reproducible.
  void ForEachEdge(const EdgeFn& fn) const;
  // Calls `fn` for every edge out of vertex `v`, in the order they were added.
  void ForEachOutEdge(int64_t v, const EdgeFn& fn) const;

 private:
  struct Impl;
  template <typename Posts>
  static ColleagueGraph BuildFrom(
      const Posts& posts,
      const std::unordered_map<std::string, std::string>& managers,
      const GraphOptions& options,
      const std::unordered_set<std::string>& excluded);

  std::unique_ptr<Impl> impl_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_GRAPH_H_
