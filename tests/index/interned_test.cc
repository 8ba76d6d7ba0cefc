// Tests index/interned.h, and that post records hold it.
#include "index/interned.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "index/catalog.h"

namespace whoknows::index {
namespace {

TEST(InternedTest, EqualValuesAreStoredOnce) {
  std::string a = "u0";
  a += "42";
  const Interned x = a, y = std::string_view("u042"), z = "u043";
  EXPECT_EQ(&x.str(), &y.str());
  EXPECT_NE(&x.str(), &z.str());
  EXPECT_TRUE(x == y);
  EXPECT_FALSE(x == z);
  EXPECT_TRUE(x == "u042");
  EXPECT_TRUE(x == std::string("u042"));
  EXPECT_TRUE(x < z);
  EXPECT_TRUE(Interned().empty());
  EXPECT_EQ(Interned(""), Interned());
  const std::string& read = x;  // reads as a std::string
  EXPECT_EQ(read, "u042");
  EXPECT_EQ(x + "/1", "u042/1");
}

TEST(InternedTest, MapsKeyedByStringsFindIt) {
  absl::flat_hash_map<std::string, int> by_id = {{"u7", 7}};
  EXPECT_EQ(by_id.find(Interned("u7"))->second, 7);
  std::unordered_map<std::string, int> std_map = {{"u7", 7}};
  EXPECT_EQ(std_map.at(Interned("u7")), 7);
  absl::flat_hash_map<Interned, int> by_interned = {{Interned("u8"), 8}};
  EXPECT_EQ(by_interned.at(Interned(std::string("u8"))), 8);
}

TEST(InternedTest, ThreadsInterningAtOnceGetOneCopy) {
  std::vector<const std::string*> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < 2000; ++i) Interned(std::to_string(i) + "-x");
      seen[t] = &Interned("1999-x").str();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);
}

// The records of a 1M-post company are most of the server's memory: the
// shared fields take a pointer each, not a std::string (368 bytes a record
// before, 224 now on 64-bit Linux).
TEST(InternedTest, PostRecordsAreCompact) {
  EXPECT_LE(sizeof(PostMeta), 224u);
  PostMeta m;
  m.tags = {"sap", "excel"};
  m.tags.push_back(std::string("sap"));
  EXPECT_EQ(&m.tags[0].str(), &m.tags[2].str());
  EXPECT_EQ(m.visibility, "public");
}

}  // namespace
}  // namespace whoknows::index
