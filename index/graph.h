// The colleague graph: who works with whom, from replies, thread
// co-participation, likes, mentions and the manager tree.
#ifndef WHOKNOWS_INDEX_GRAPH_H_
#define WHOKNOWS_INDEX_GRAPH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/graph_options.h"

namespace whoknows::index {

struct PostMeta;

// People are vertices 0..num_people()-1; ties are directed edges, at most one
// per (source, target, kind). The representation (a Boost adjacency list)
// stays in graph.cc.
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

  // Writes the graph as a TSV edge list (atomically: temp file + rename) and
  // reads it back.
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<ColleagueGraph> Load(const std::string& path);

  size_t num_people() const;
  size_t num_edges() const;
  // Person id of vertex `v` (0 <= v < num_people()).
  const std::string& PersonId(int64_t v) const;
  // Vertex of a person, or -1 when they have no ties.
  int64_t VertexOf(const std::string& person_id) const;
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
  std::unique_ptr<Impl> impl_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_GRAPH_H_
