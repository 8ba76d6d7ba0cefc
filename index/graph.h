// The colleague graph: who works with whom, from replies, thread
// co-participation, likes, mentions and the manager tree.
#ifndef WHOKNOWS_INDEX_GRAPH_H_
#define WHOKNOWS_INDEX_GRAPH_H_

#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace whoknows::index {

struct PostMeta;

// Kinds of interaction, each with its own weight (GraphOptions).
enum class EdgeKind : uint8_t {
  kReply = 0,    // author of an answer or comment -> author of its parent
  kThread = 1,   // two people took part in the same thread
  kLike = 2,     // liker -> author
  kMention = 3,  // author -> mentioned person
  kManager = 4,  // person -> manager
};
inline constexpr int kNumEdgeKinds = 5;
const char* EdgeKindName(EdgeKind kind);

struct GraphOptions {
  // Weight of one interaction of each kind, indexed by EdgeKind. A reply is
  // direct help; sharing a thread is weaker evidence of working together.
  double kind_weight[kNumEdgeKinds] = {1.0, 0.25, 0.5, 0.75, 1.0};
  // Threads with more participants than this add no kThread edges: in a
  // company-wide announcement thread, participants need not know each other
  // (and the pair count grows quadratically).
  int max_thread_participants = 30;
};

// One aggregated, directed tie: every interaction of one kind from source to
// target folded together.
struct EdgeProps {
  EdgeKind kind = EdgeKind::kReply;
  double weight = 0;      // sum of kind weights over the interactions
  uint32_t count = 0;     // number of interactions
  int64_t last_seen = 0;  // unix seconds of the latest interaction
};

struct VertexProps {
  std::string person_id;
};

// Immutable once built; safe to share between threads for reading.
class ColleagueGraph {
 public:
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                            VertexProps, EdgeProps>;
  using Vertex = Graph::vertex_descriptor;

  // Builds the graph from posts (only public posts contribute, so private
  // groups never show in it) and the manager tree (person id -> manager id).
  static ColleagueGraph Build(
      const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
          posts,
      const std::unordered_map<std::string, std::string>& managers,
      const GraphOptions& options = {});

  // Writes the graph as a TSV edge list (atomically: temp file + rename) and
  // reads it back.
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<ColleagueGraph> Load(const std::string& path);

  const Graph& graph() const { return graph_; }
  size_t num_people() const { return boost::num_vertices(graph_); }
  size_t num_edges() const { return boost::num_edges(graph_); }
  // Vertex of a person, or -1 when they have no ties.
  int64_t VertexOf(const std::string& person_id) const;
  // Sum of edge weights between a and b in both directions, all kinds.
  double TieStrength(const std::string& a, const std::string& b) const;

 private:
  Vertex AddPerson(const std::string& id);
  void AddInteraction(const std::string& from, const std::string& to,
                      EdgeKind kind, double weight, int64_t when);

  Graph graph_;
  std::unordered_map<std::string, Vertex> vertex_of_;
  // (source, target, kind) -> edge, to fold interactions in O(1) while
  // building.
  std::unordered_map<uint64_t, Graph::edge_descriptor> edge_of_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_GRAPH_H_
