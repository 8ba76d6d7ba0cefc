// Tests index/interactions.cc: validation and the append-only log.
#include "index/interactions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "index/catalog.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

std::string FreshDir(const std::string& name) {
  std::string dir = testing_util::TestDir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(InteractionsTest, LogRoundTripsAndReplacesById) {
  InteractionLog log(FreshDir("log"));
  std::vector<Interaction> batch = {{"m1", "a", {"b", "c"}, 100, "email"},
                                    {"", "b", {"a"}, 200, "chat"}};
  ASSERT_TRUE(log.Append(batch).ok());
  batch[0].to = {"d"};  // same id again: replaces
  ASSERT_TRUE(log.Append(std::span(batch).first(1)).ok());
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].to, (std::vector<std::string>{"d"}));
  EXPECT_EQ((*loaded)[1].kind, "chat");
  EXPECT_EQ((*loaded)[1].time, 200);
}

TEST(InteractionsTest, InvalidBatchWritesNothingAndTornLineIsIgnored) {
  InteractionLog log(FreshDir("torn"));
  std::vector<Interaction> bad = {{"", "a", {"b"}, 100, "email"},
                                  {"", "a", {}, 100, "email"}};
  auto s = log.Append(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("interactions[1].to"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(log.path()));
  ASSERT_TRUE(log.Append(std::span(bad).first(1)).ok());
  std::ofstream(log.path(), std::ios::app) << "x\t1\temail\ta";  // no newline
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u);
}

// Regression (issue 11): the next append used to glue its first record onto
// the fragment a crash left, giving wrong receivers (or a DATA_LOSS on every
// later Load when the glued line lost its columns).
TEST(InteractionsTest, AppendAfterATornLineKeepsRecordsWhole) {
  InteractionLog log(FreshDir("torn_append"));
  std::vector<Interaction> first = {{"m1", "a", {"b"}, 100, "email"}};
  ASSERT_TRUE(log.Append(first).ok());
  {
    std::ofstream torn(log.path(), std::ios::app | std::ios::binary);
    torn << "m2\t200\temail\tx";  // a crash mid-append: no newline
  }
  std::vector<Interaction> next = {{"m3", "c", {"d", "e"}, 300, "chat"}};
  ASSERT_TRUE(log.Append(next).ok());
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[1].id, "m3");
  EXPECT_EQ((*loaded)[1].from, "c");
  EXPECT_EQ((*loaded)[1].to, (std::vector<std::string>{"d", "e"}));
  std::ifstream in(log.path(), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "m1\t100\temail\ta\tb\nm3\t300\tchat\tc\td\te\n");
}

// A fragment without a single tab glued to the next record made a line of
// fewer than 5 columns: DATA_LOSS on every analysis, for ever.
TEST(InteractionsTest, AppendAfterAShortTornLineLeavesTheLogReadable) {
  InteractionLog log(FreshDir("torn_short"));
  std::vector<Interaction> first = {{"", "a", {"b"}, 100, "email"}};
  ASSERT_TRUE(log.Append(first).ok());
  std::ofstream(log.path(), std::ios::app | std::ios::binary) << "m2\t2";
  std::vector<Interaction> next = {{"", "c", {"d"}, 300, "chat"}};
  ASSERT_TRUE(log.Append(next).ok());
  std::ofstream(log.path(), std::ios::app | std::ios::binary) << "\t";
  ASSERT_TRUE(log.Append(next).ok());
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->size(), 3u);
}

TEST(InteractionsTest, RemovePersonDropsTheirLinesAndRedactsReceivers) {
  InteractionLog log(FreshDir("erase"));
  std::vector<Interaction> batch = {{"m1", "x", {"a"}, 100, "email"},
                                    {"m2", "a", {"x", "b"}, 200, "email"},
                                    {"m3", "b", {"x"}, 300, "chat"},
                                    {"m4", "a", {"b"}, 400, "chat"}};
  ASSERT_TRUE(log.Append(batch).ok());
  {
    std::ofstream torn(log.path(), std::ios::app | std::ios::binary);
    torn << "m5\t500\tchat\tx";  // a crash mid-append
  }
  auto erased = log.RemovePerson("x");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->removed, 2);   // m1 (sender), m3 (only receiver)
  EXPECT_EQ(erased->redacted, 1);  // m2
  std::ifstream in(log.path(), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "m2\t200\temail\ta\tb\nm4\t400\tchat\ta\tb\n");
  // Appends go to the new file, after the rewrite.
  std::vector<Interaction> later = {{"m6", "b", {"a"}, 600, "chat"}};
  ASSERT_TRUE(log.Append(later).ok());
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[2].id, "m6");
  // A missing log has nothing to erase.
  auto none = InteractionLog(FreshDir("erase_none")).RemovePerson("x");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->removed + none->redacted, 0);
}

}  // namespace
}  // namespace whoknows::index
