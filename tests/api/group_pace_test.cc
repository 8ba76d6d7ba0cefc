#include "api/group_pace.h"

#include <gtest/gtest.h>

#include "index/validation.h"

namespace whoknows::api {
namespace {

TEST(GroupPaceTest, NoCapUntilAGroupWasWritten) {
  GroupPace pace(absl::Milliseconds(400), 1000);
  EXPECT_EQ(pace.MaxItems(), index::kMaxBatchItems);
}

TEST(GroupPaceTest, GroupsFitTheBudgetAtTheLearnedRate) {
  GroupPace pace(absl::Milliseconds(400), 1000);
  pace.Wrote(2000, absl::Milliseconds(400));  // 5 items a ms
  EXPECT_EQ(pace.MaxItems(), 2000);
  pace.Wrote(1000, absl::Milliseconds(1000));  // 1 a ms: halfway, 3 a ms
  EXPECT_EQ(pace.MaxItems(), 1200);
  pace.Wrote(1000, absl::Milliseconds(10000));  // slower than the minimum
  EXPECT_EQ(pace.MaxItems(), 1000);
}

// A caller with the ingest role streaming one-post messages to an idle
// writer: each group is one post and one commit, whose fixed cost makes
// the post look slow. Learning from those groups would shrink every
// stream's groups to the minimum (one 1M commit per 1,000 posts).
TEST(GroupPaceTest, TinyGroupsDoNotShrinkEveryonesGroups) {
  GroupPace pace(absl::Milliseconds(400), 1000);
  pace.Wrote(4000, absl::Milliseconds(400));  // 10 items a ms
  ASSERT_EQ(pace.MaxItems(), 4000);
  for (int i = 0; i < 100; ++i) pace.Wrote(1, absl::Milliseconds(200));
  EXPECT_EQ(pace.MaxItems(), 4000);
  // Nor does a burst of them before any full group: the cap stays off.
  GroupPace fresh(absl::Milliseconds(400), 1000);
  for (int i = 0; i < 100; ++i) fresh.Wrote(1, absl::Milliseconds(200));
  EXPECT_EQ(fresh.MaxItems(), index::kMaxBatchItems);
}

}  // namespace
}  // namespace whoknows::api
