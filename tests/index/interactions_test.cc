// Tests index/interactions.cc: validation and the append-only log.
#include "index/interactions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace whoknows::index
