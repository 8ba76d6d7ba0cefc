// Publishing in proportion to the change: the next snapshot made from the
// previous one and what the writer changed since, instead of from every
// post (BuildSnapshot, the reference it must equal).
#ifndef WHOKNOWS_INDEX_SNAPSHOT_DELTA_H_
#define WHOKNOWS_INDEX_SNAPSHOT_DELTA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "index/catalog.h"
#include "index/graph_options.h"

namespace whoknows::index {

// What the writer changed since the last publish.
struct SnapshotChange {
  // Post id -> its record now; null when deleted. A post written or
  // deleted several times is here once, as it is now.
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  // Person id -> their directory record now; null when deleted.
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  // Ids of `posts` that a stored post named as its parent or thread when
  // they were written: a new post may then have replies already, whose ties
  // only the graph's full build finds.
  std::unordered_set<std::string> referenced;

  bool empty() const { return posts.empty() && people.empty(); }
  void clear() {
    posts.clear();
    people.clear();
    referenced.clear();
  }
};

// What UpdateSnapshot did, for PublishTimings.
struct SnapshotUpdateStats {
  bool graph_extended = false;  // false: the graph was built in full
  int64_t graph_us = 0;
};

// The snapshot of the writer's state after `change`, where `prev` is the
// one of its state before (both without a created_before cut). `prev` is
// never modified; its maps' entries (SharedMap), threads' numbering and
// graph vertices are shared, and only the parts the change touches are
// copied, so the cost is that of the change plus one pointer per ~16
// posts and the numbering's per-post arrays (DenseIndex::Update: no text
// read, no sort, no hashing of every post into a graph). The colleague graph is
// extended when the change only adds interactions (new posts, likes and
// mentions appended, a manager set), else built in full from the posts. Null
// when the change is one this path does not follow (someone's opt-out changed,
// or `prev` has no numbering): the caller builds from scratch. `generation` and
// `docids` are left to the caller.
std::shared_ptr<Snapshot> UpdateSnapshot(const Snapshot& prev,
                                         const SnapshotChange& change,
                                         const GraphOptions& graph_options,
                                         SnapshotUpdateStats* stats = nullptr);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_SNAPSHOT_DELTA_H_
