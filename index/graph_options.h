// The colleague graph's vocabulary without the graph: kinds of interaction,
// their weights and an edge's properties. Boost-free, so that catalog.h and
// its many includers need not see the graph's implementation.
#ifndef WHOKNOWS_INDEX_GRAPH_OPTIONS_H_
#define WHOKNOWS_INDEX_GRAPH_OPTIONS_H_

#include <cstdint>

namespace whoknows::index {

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

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_GRAPH_OPTIONS_H_
