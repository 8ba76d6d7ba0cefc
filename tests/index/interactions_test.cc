#include "index/interactions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "index/catalog.h"

namespace whoknows::index {
namespace {

std::string FreshDir(const std::string& name) {
  std::string dir = testing::TempDir() + "/interactions_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(InteractionsTest, ParsesRecordWithListOrSingleReceiver) {
  auto a = ParseInteractionRecord(
      R"({"type":"interaction","id":"m1","from":"a","to":["b","c"],)"
      R"("time":"2001-05-01T10:00:00Z","kind":"email"})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->from, "a");
  EXPECT_EQ(a->to, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(a->time, 988711200);
  EXPECT_EQ(a->kind, "email");
  auto b = ParseInteractionRecord(
      R"({"type":"interaction","from":7,"to":8,"time":988711200})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->to, (std::vector<std::string>{"8"}));
  EXPECT_EQ(b->kind, "message");
}

TEST(InteractionsTest, RejectionsNameTheField) {
  struct Case {
    const char* line;
    const char* field;
  } cases[] = {
      {R"({"type":"interaction","to":["b"],"time":5})", "interaction.from"},
      {R"({"type":"interaction","from":"a","time":5})", "interaction.to"},
      {R"({"type":"interaction","from":"a","to":["b","a"],"time":5})",
       "interaction.to[1]"},
      {R"({"type":"interaction","from":"a","to":["b"]})", "interaction.time"},
      {R"({"type":"interaction","from":"a","to":"b","time":"yesterday"})",
       "time"},
  };
  for (const auto& c : cases) {
    auto r = ParseInteractionRecord(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(r.status().message()).rfind(c.field, 0), 0u)
        << r.status() << " for " << c.line;
  }
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

TEST(InteractionsTest, JsonlImportServesPeoplePostsAndInteractions) {
  const std::string dir = FreshDir("jsonl");
  const std::string file = dir + "/in.jsonl";
  std::ofstream(file)
      << R"({"type":"person","id":"a","department":"Sales","team":"North","leaving":true,"joined":"2001-01-01T00:00:00Z"})"
      << "\n"
      << R"({"type":"person","id":"b","department":"Legal"})"
      << "\n"
      << R"({"type":"interaction","from":"a","to":"b","time":988711200})"
      << "\n"
      << R"({"type":"interaction","from":"a"})"
      << "\n";
  CatalogOptions co;
  co.data_dir = dir + "/data";
  co.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = Catalog::Open(co);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  std::vector<std::string> problems;
  ImportOptions o;
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ImportInteractionsJsonl(file, **catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 2);
  EXPECT_EQ(stats->interactions, 1);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("in.jsonl:4: interaction.to"), std::string::npos)
      << problems[0];
  (*catalog)->Refresh();
  const v1::Person* a = (*catalog)->snapshot()->FindPerson("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->team(), "North");
  EXPECT_TRUE(a->leaving());
  EXPECT_EQ(a->joined().seconds(), 978307200);
  auto log = InteractionLog(co.data_dir).Load();
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 1u);
}

}  // namespace
}  // namespace whoknows::index
