// Tests index/batch_journal.cc: the journal's bytes round-trip, and a torn,
// damaged or foreign file is DATA_LOSS, never a partial batch.
#include "index/batch_journal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/fixtures.h"

namespace whoknows::index {
namespace {

BatchWrites Sample() {
  BatchWrites w;
  w[Store::kPosts].deleted = {"moved"};
  w[Store::kPosts].posts.push_back(
      testing_util::MakePost("p1", "u1", v1::POST_KIND_QUESTION, "Skrivare",
                             "Skrivaren i Malmö", 1, "", "sv"));
  v1::Post moved = testing_util::MakePost("moved", "u2", v1::POST_KIND_ANSWER,
                                          "", "now private", 2, "p1", "en");
  moved.set_visibility("group:hr");
  w[Store::kPrivatePosts].posts.push_back(moved);
  w[Store::kPeople].deleted = {"gone"};
  w[Store::kPeople].people.push_back(testing_util::MakePerson("u1", "IT"));
  return w;
}

TEST(BatchJournalCodecTest, RoundTrips) {
  const BatchWrites w = Sample();
  EXPECT_EQ(w.StoresTouched(), 3);
  auto back = DecodeBatchJournal(EncodeBatchJournal(w));
  ASSERT_TRUE(back.ok()) << back.status();
  for (int i = 0; i < kStoreCount; ++i) {
    const Store s = static_cast<Store>(i);
    EXPECT_EQ((*back)[s].deleted, w[s].deleted) << StoreName(s);
    ASSERT_EQ((*back)[s].posts.size(), w[s].posts.size()) << StoreName(s);
    for (size_t j = 0; j < w[s].posts.size(); ++j)
      EXPECT_EQ((*back)[s].posts[j].SerializeAsString(),
                w[s].posts[j].SerializeAsString());
    ASSERT_EQ((*back)[s].people.size(), w[s].people.size()) << StoreName(s);
    for (size_t j = 0; j < w[s].people.size(); ++j)
      EXPECT_EQ((*back)[s].people[j].SerializeAsString(),
                w[s].people[j].SerializeAsString());
  }
  EXPECT_EQ(back->Describe(),
            "1 posts, 1 private posts, 1 people, 2 deletions");
}

TEST(BatchJournalCodecTest, EveryCutAndEveryFlippedByteIsDataLoss) {
  const std::string bytes = EncodeBatchJournal(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto cut = DecodeBatchJournal(bytes.substr(0, n));
    EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss) << n;
    std::string flipped = bytes;
    flipped[n] ^= 0x01;
    auto damaged = DecodeBatchJournal(flipped);
    EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss) << n;
  }
  EXPECT_THAT(std::string(DecodeBatchJournal("{\"id\":1}").status().message()),
              testing::HasSubstr("not a batch journal"));
}

TEST(BatchJournalCodecTest, AnEmptyBatchTouchesNothing) {
  auto back = DecodeBatchJournal(EncodeBatchJournal(BatchWrites{}));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->StoresTouched(), 0);
}

}  // namespace
}  // namespace whoknows::index
