// Tests index/chunked_array.h: the copy-on-write chunked array behind
// DenseIndex's per-post arrays.
#include "index/chunked_array.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace whoknows::index {
namespace {

// Chunks of 4, so that a few elements span several.
using Small = ChunkedArray<std::string, 2>;

Small Numbered(size_t n) {
  Small a;
  for (size_t i = 0; i < n; ++i) a.push_back(std::to_string(i));
  return a;
}

std::vector<std::string> Elements(const Small& a) {
  std::vector<std::string> out;
  for (size_t i = 0; i < a.size(); ++i) out.push_back(a[i]);
  return out;
}

TEST(ChunkedArrayTest, HoldsWhatWasPushedAcrossChunks) {
  const Small a = Numbered(11);
  ASSERT_EQ(a.size(), 11u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], std::to_string(i));
}

// A write to a copy copies that chunk alone: the original keeps its
// elements (a reader's older snapshot), and the other chunks stay one.
TEST(ChunkedArrayTest, AWriteToACopyLeavesTheOriginalAndSharesTheRest) {
  const Small original = Numbered(11);
  const std::vector<std::string> before = Elements(original);
  const std::string* untouched = &original[0];
  Small copy = original;
  copy.Mutable(5) = "five";
  copy.Mutable(6) = "six";  // same chunk: copied once
  copy.push_back("eleven");
  copy.Mutable(11) = "eleven!";
  EXPECT_EQ(Elements(original), before);
  EXPECT_EQ(&original[0], untouched);
  EXPECT_EQ(copy[5], "five");
  EXPECT_EQ(copy[6], "six");
  EXPECT_EQ(copy[11], "eleven!");
  EXPECT_EQ(copy.size(), 12u);
  EXPECT_TRUE(copy.SharesChunkWith(original, 0));
  EXPECT_FALSE(copy.SharesChunkWith(original, 5));
  EXPECT_FALSE(copy.SharesChunkWith(original, 8));  // the last, appended to
  // A copy of the copy does not write into the copy's own chunk either.
  Small third = copy;
  third.Mutable(4) = "four";
  EXPECT_EQ(copy[4], "4");
  EXPECT_EQ(third[5], "five");
}

TEST(ChunkedArrayTest, AssignFillsEveryElement) {
  ChunkedArray<int, 2> a;
  a.assign(9, 7);
  ASSERT_EQ(a.size(), 9u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], 7);
  a.push_back(3);
  EXPECT_EQ(a[9], 3);
  EXPECT_EQ(a.size(), 10u);
}

// Growing a copy fills the new elements, in the shared last chunk too,
// without writing the original's; shrinking drops the tail.
TEST(ChunkedArrayTest, ResizeGrowsACopyAloneAndShrinks) {
  ChunkedArray<int, 2> original;
  for (int i = 0; i < 6; ++i) original.push_back(i);
  ChunkedArray<int, 2> copy = original;
  copy.resize(11, -1);
  ASSERT_EQ(copy.size(), 11u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(copy[i], static_cast<int>(i));
  for (size_t i = 6; i < 11; ++i) EXPECT_EQ(copy[i], -1);
  ASSERT_EQ(original.size(), 6u);
  EXPECT_TRUE(copy.SharesChunkWith(original, 0));
  EXPECT_FALSE(copy.SharesChunkWith(original, 4));  // grown into
  copy.resize(3, -1);
  ASSERT_EQ(copy.size(), 3u);
  copy.push_back(30);
  EXPECT_EQ(copy[3], 30);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(original[i], static_cast<int>(i));
}

}  // namespace
}  // namespace whoknows::index
