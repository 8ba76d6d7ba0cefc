// How many items a group of IngestStream messages may hold
// (api/server.cc's stream reader writes one group per commit).
#ifndef WHOKNOWS_API_GROUP_PACE_H_
#define WHOKNOWS_API_GROUP_PACE_H_

#include <algorithm>
#include <atomic>

#include "absl/time/time.h"
#include "index/validation.h"

namespace whoknows::api {

// The most items a group of IngestStream messages may hold, so that writing
// one takes about a budget (ServerOptions::ingest_group_budget). A write
// queued behind a stream (an UpsertPosts, another stream) waits for the
// group being written: groups grew with the write time (what arrives while
// one is written is the next one), to 5,000 posts and seconds at 100k-1M
// posts, and that wait was most of a marker post's time from sending to
// found. Smaller groups cost more commits (never fewer than a minimum of
// items). The rate is what the last groups' writes took an item, commit
// included: with F the commit's own cost and c an item's, groups settle
// where F + c * items = budget (or at the minimum when F is over it).
//
// Only groups of at least the minimum teach the rate: a smaller group is
// mostly the commit's fixed cost, so its rate says little about what a
// full group costs, and a caller sending tiny messages to an idle writer
// would otherwise drag everyone's groups down to the minimum (more commits,
// less throughput). Groups smaller than the minimum only happen when fewer
// items were waiting, and then the cap did not bind anyway.
// Thread-safe.
class GroupPace {
 public:
  GroupPace(absl::Duration budget, int min_items)
      : budget_ms_(absl::ToDoubleMilliseconds(budget)),
        min_items_(std::clamp(min_items, 1, index::kMaxBatchItems)) {}

  // The most items a group may hold now: kMaxBatchItems until a group of
  // at least the minimum was written.
  int MaxItems() const {
    const double rate = items_per_ms_.load(std::memory_order_relaxed);
    if (rate <= 0) return index::kMaxBatchItems;
    return static_cast<int>(std::clamp<double>(rate * budget_ms_, min_items_,
                                               index::kMaxBatchItems));
  }
  // A group of `items` was written (and committed) in `took`.
  void Wrote(int items, absl::Duration took) {
    if (items < min_items_) return;
    const double rate = items / std::max(absl::ToDoubleMilliseconds(took), 1.0);
    const double was = items_per_ms_.load(std::memory_order_relaxed);
    items_per_ms_.store(was <= 0 ? rate : (was + rate) / 2,
                        std::memory_order_relaxed);
  }

 private:
  const double budget_ms_;
  const int min_items_;
  std::atomic<double> items_per_ms_{0};  // 0: nothing written yet
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_GROUP_PACE_H_
