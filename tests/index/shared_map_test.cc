// SharedMap, SharedVector and ChunkedVector (index/shared_map.h): a copy
// reads as the original, and a write to either leaves the other as it was,
// through growth, erasure and replacement.
#include "index/shared_map.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace whoknows::index {
namespace {

std::map<std::string, int> Contents(const SharedMap<int>& m) {
  std::map<std::string, int> out;
  for (const auto& [k, v] : m) {
    EXPECT_TRUE(out.emplace(k, v).second) << "iterated twice: " << k;
  }
  EXPECT_EQ(out.size(), m.size());
  return out;
}

TEST(SharedMapTest, CopiesReadAsTheOriginalAndWritesStayApart) {
  std::mt19937_64 rng(3);
  SharedMap<int> map;
  std::map<std::string, int> want;
  std::vector<std::pair<SharedMap<int>, std::map<std::string, int>>> copies;
  for (int round = 0; round < 4000; ++round) {
    const std::string key = "k" + std::to_string(rng() % 1500);
    switch (rng() % 4) {
      case 0:
        map.erase(key);
        want.erase(key);
        break;
      case 1:
        map.insert_or_assign(key, round);
        want[key] = round;
        break;
      case 2:
        if (int* v = map.Mutable(key)) *v += 1;
        if (auto it = want.find(key); it != want.end()) it->second += 1;
        break;
      default:
        map[key] += 2;
        want[key] += 2;
    }
    if (round % 500 == 0) copies.emplace_back(map, want);
  }
  EXPECT_EQ(Contents(map), want);
  for (const auto& [copy, then] : copies) {
    EXPECT_EQ(Contents(copy), then);  // untouched by later writes
    for (const auto& [k, v] : then) {
      ASSERT_TRUE(copy.contains(k)) << k;
      EXPECT_EQ(copy.at(k), v);
    }
  }
  EXPECT_EQ(map.find("absent"), map.end());
  EXPECT_THROW(map.at("absent"), std::out_of_range);
}

// BuildSnapshot moves the entries of an unordered_map in whole: the map
// (iteration order included, which ties in ranking may follow) is the one
// emplacing copies of them in the same order makes, and a key already
// there keeps its entry.
TEST(SharedMapTest, InsertingNodesMakesTheMapOfEmplacing) {
  std::unordered_map<std::string, int> from;
  for (int i = 0; i < 3000; ++i) from.emplace("p" + std::to_string(i * 7), i);
  SharedMap<int> emplaced, moved;
  emplaced.reserve(from.size());
  moved.reserve(from.size());
  for (const auto& [k, v] : from) emplaced.emplace(k, v);
  while (!from.empty()) {
    EXPECT_TRUE(moved.insert(from.extract(from.begin())));
  }
  ASSERT_EQ(moved.size(), emplaced.size());
  for (auto a = moved.begin(), b = emplaced.begin(); a != moved.end();
       ++a, ++b) {
    ASSERT_EQ(a->first, b->first);
    EXPECT_EQ(a->second, b->second);
  }
  std::unordered_map<std::string, int> again = {{"p7", -1}, {"new", 5}};
  EXPECT_FALSE(moved.insert(again.extract("p7")));
  EXPECT_TRUE(moved.insert(again.extract("new")));
  EXPECT_EQ(moved.at("p7"), 1);
  EXPECT_EQ(moved.at("new"), 5);
  EXPECT_EQ(moved.size(), emplaced.size() + 1);
}

// InsertAll (two threads, each its half of the chunks) makes the map that
// reserving room and inserting the same nodes one by one makes, iteration
// order included, into an empty map and into one that holds entries.
TEST(SharedMapTest, InsertingAllNodesAtOnceMakesTheMapOfInsertingEach) {
  for (const int before : {0, 1, 700}) {
    for (const int count : {1, 2, 3000, 70000}) {
      std::unordered_map<std::string, int> a_from, b_from;
      for (int i = 0; i < count; ++i) {
        a_from.emplace("p" + std::to_string(i * 7), i);
        b_from.emplace("p" + std::to_string(i * 7), i);
      }
      SharedMap<int> each, all;
      for (int i = 0; i < before; ++i) {
        each.emplace("q" + std::to_string(i), -i);
        all.emplace("q" + std::to_string(i), -i);
      }
      const SharedMap<int> all_before = all;  // shares every chunk
      each.reserve(each.size() + count);
      while (!a_from.empty()) each.insert(a_from.extract(a_from.begin()));
      std::vector<SharedMap<int>::node_type> nodes;
      while (!b_from.empty()) nodes.push_back(b_from.extract(b_from.begin()));
      EXPECT_EQ(all.InsertAll(std::move(nodes)), static_cast<size_t>(count));
      ASSERT_EQ(all.size(), each.size());
      for (auto a = all.begin(), b = each.begin(); a != all.end(); ++a, ++b) {
        ASSERT_EQ(a->first, b->first) << before << " then " << count;
        ASSERT_EQ(a->second, b->second);
      }
      EXPECT_EQ(all_before.size(), static_cast<size_t>(before));
      EXPECT_EQ(Contents(all_before).count("p0"), 0u)
          << "a shared chunk written";
    }
  }
}

// EmplaceAll as InsertAll, from values: the map of emplacing each in the
// order given, a key given twice keeping its first value, the values
// copied (the list is left as it was).
TEST(SharedMapTest, EmplacingAllAtOnceMakesTheMapOfEmplacingEach) {
  using Value = std::shared_ptr<const std::string>;
  for (const int before : {0, 1, 700}) {
    for (const int count : {1, 2, 3000, 70000}) {
      std::vector<Value> values;
      for (int i = 0; i < count; ++i)
        values.push_back(
            std::make_shared<std::string>("p" + std::to_string(i * 7)));
      values.push_back(std::make_shared<std::string>("p0"));  // again
      auto key_of = [](const Value& v) noexcept -> const std::string& {
        return *v;
      };
      SharedMap<Value> each, all;
      for (int i = 0; i < before; ++i) {
        each.emplace("q" + std::to_string(i), nullptr);
        all.emplace("q" + std::to_string(i), nullptr);
      }
      const SharedMap<Value> all_before = all;  // shares every chunk
      each.reserve(each.size() + values.size());
      for (const Value& v : values) each.emplace(*v, v);
      EXPECT_EQ(all.EmplaceAll(std::span<const Value>(values), key_of),
                static_cast<size_t>(count));
      ASSERT_EQ(all.size(), each.size());
      for (auto a = all.begin(), b = each.begin(); a != all.end(); ++a, ++b) {
        ASSERT_EQ(a->first, b->first) << before << " then " << count;
        ASSERT_EQ(a->second, b->second);
      }
      EXPECT_EQ(all.at("p0"), values.front()) << "the first kept";
      // Each value copied into the map (each, apart from the second "p0",
      // held by the list, `each` and `all`): none moved, none left out.
      for (size_t i = 0; i + 1 < values.size(); ++i)
        ASSERT_EQ(values[i].use_count(), 3) << *values[i];
      EXPECT_EQ(values.back().use_count(), 1);
      EXPECT_EQ(all_before.size(), static_cast<size_t>(before));
      EXPECT_FALSE(all_before.contains("p0")) << "a shared chunk written";
    }
  }
}

// Growing moves entries between chunks: nodes inserted past the reserved
// size are all found.
TEST(SharedMapTest, InsertingNodesGrowsTheMap) {
  std::unordered_map<std::string, int> from;
  for (int i = 0; i < 5000; ++i) from.emplace("k" + std::to_string(i), i);
  SharedMap<int> map;
  while (!from.empty()) map.insert(from.extract(from.begin()));
  EXPECT_EQ(map.size(), 5000u);
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(map.at("k" + std::to_string(i)), i);
}

TEST(SharedMapTest, EmptyMapIteratesNothing) {
  SharedMap<int> map;
  EXPECT_EQ(map.begin(), map.end());
  EXPECT_FALSE(map.contains("x"));
  EXPECT_EQ(map.Mutable("x"), nullptr);
  map["x"] = 1;
  EXPECT_EQ(map.erase("x"), 1u);
  EXPECT_EQ(map.begin(), map.end());
  EXPECT_TRUE(map.empty());
}

TEST(SharedVectorTest, AWriteCopiesOnlyWhenShared) {
  SharedVector<int> a{1, 2};
  SharedVector<int> b = a;
  b.push_back(3);
  EXPECT_EQ(a.items(), (std::vector<int>{1, 2}));
  EXPECT_EQ(b.items(), (std::vector<int>{1, 2, 3}));
  const int* before = b.items().data();
  b.Mutable()[0] = 7;  // b's own now: written in place
  EXPECT_EQ(b.items().data(), before);
  EXPECT_EQ(a[0], 1);
}

TEST(ChunkedVectorTest, CopiesShareUntilWritten) {
  ChunkedVector<std::string, 4> a;
  for (int i = 0; i < 10; ++i) a.push_back(std::to_string(i));
  ChunkedVector<std::string, 4> b = a;
  b.Mutable(5) = "five";
  b.push_back("10");
  a.push_back("x");
  ASSERT_EQ(a.size(), 11u);
  ASSERT_EQ(b.size(), 11u);
  EXPECT_EQ(a[5], "5");
  EXPECT_EQ(b[5], "five");
  EXPECT_EQ(a[10], "x");
  EXPECT_EQ(b[10], "10");
  EXPECT_EQ(&a[0], &b[0]);  // the untouched first chunk is shared
}

}  // namespace
}  // namespace whoknows::index
