// Tests index/outcomes.cc: validation and the append-only log (torn lines,
// replacement by id, erasure).
#include "index/outcomes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "index/backup.h"
#include "index/data_dir.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

constexpr int64_t kNow = 1'750'000'000;

v1::Outcome Make(const std::string& id, const std::string& helper,
                 const std::string& asker = "") {
  v1::Outcome o;
  o.set_id(id);
  o.set_title("Why does the build fail?\nline two \"quoted\"");
  o.set_body("It fails\twith tabs");
  o.add_tags("CI");
  o.set_asker_id(asker);
  o.set_helper_id(helper);
  o.set_kind(v1::OUTCOME_KIND_ACCEPTED);
  o.mutable_time()->set_seconds(kNow - 100);
  return o;
}

ValidationOptions Options() {
  ValidationOptions o;
  o.clock = FixedClock(kNow);
  return o;
}

std::string Error(v1::Outcome o) {
  return std::string(ValidateOutcome(&o, "outcome", Options()).message());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(OutcomesTest, ValidationNamesTheField) {
  v1::Outcome ok = Make("o1", "bo");
  EXPECT_EQ(Error(ok), "");
  v1::Outcome o = ok;
  o.clear_helper_id();
  EXPECT_EQ(Error(o), "outcome.helper_id: required");
  o = ok;
  o.set_kind(v1::OUTCOME_KIND_UNSPECIFIED);
  EXPECT_EQ(Error(o), "outcome.kind: required: answered, accepted or thanked");
  o = ok;
  o.clear_time();
  EXPECT_EQ(Error(o), "outcome.time: required");
  o = ok;
  o.mutable_time()->set_seconds(kNow + 10 * 86400);
  EXPECT_NE(Error(o).find("outcome.time: "), std::string::npos) << Error(o);
  o = ok;
  o.clear_title();
  o.clear_body();
  EXPECT_EQ(Error(o),
            "outcome.question_post_id: required (or the question's title or "
            "body)");
  o = ok;
  o.set_body(std::string(kMaxOutcomeBodyBytes + 1, 'x'));
  EXPECT_EQ(Error(o), "outcome.body: longer than 16384 bytes");
  o = ok;
  o.set_title(std::string(kMaxTitleBytes + 1, 'x'));
  EXPECT_EQ(Error(o), "outcome.title: longer than 1024 bytes");
  o = ok;
  o.add_tags("two words");
  EXPECT_EQ(Error(o), "outcome.tags[1]: no spaces or control characters");
  o = ok;
  o.set_asker_id("bo");
  EXPECT_EQ(Error(o),
            "outcome.helper_id: the asker cannot be their own helper");
  o = ok;
  o.set_helper_id(std::string(200, 'h'));
  EXPECT_NE(Error(o).find("outcome.helper_id"), std::string::npos);
}

TEST(OutcomesTest, LogRoundTripsReplacesByIdAndSurvivesReopening) {
  const std::string dir = testing_util::TestDir();
  {
    OutcomeLog log(dir);
    ASSERT_TRUE(log.Append(Make("o1", "bo")).ok());
    ASSERT_TRUE(log.Append(Make("o2", "cy")).ok());
    v1::Outcome again = Make("o1", "dan");  // same id: replaces, in place
    ASSERT_TRUE(log.Append(again).ok());
  }
  auto loaded = OutcomeLog(dir).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].helper_id(), "dan");
  EXPECT_EQ((*loaded)[1].helper_id(), "cy");
  EXPECT_EQ((*loaded)[1].title(), Make("o2", "cy").title());
  EXPECT_EQ((*loaded)[1].body(), "It fails\twith tabs");
  EXPECT_EQ((*loaded)[1].kind(), v1::OUTCOME_KIND_ACCEPTED);
  EXPECT_EQ((*loaded)[1].time().seconds(), kNow - 100);
  // One line each, whatever newlines the text holds.
  const std::string text = ReadAll(OutcomeLog(dir).path());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(OutcomesTest, AppendAfterATornLineKeepsRecordsWhole) {
  const std::string dir = testing_util::TestDir();
  OutcomeLog log(dir);
  ASSERT_TRUE(log.Append(Make("o1", "bo")).ok());
  std::ofstream(log.path(), std::ios::app) << "{\"id\":\"o9\",\"helper";
  auto torn = log.Load();  // the fragment is not read
  ASSERT_TRUE(torn.ok()) << torn.status();
  EXPECT_EQ(torn->size(), 1u);
  ASSERT_TRUE(log.Append(Make("o2", "cy")).ok());
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[1].id(), "o2");
}

TEST(OutcomesTest, AGarbledLineIsDataLossNamingTheLine) {
  const std::string dir = testing_util::TestDir();
  OutcomeLog log(dir);
  ASSERT_TRUE(log.Append(Make("o1", "bo")).ok());
  std::ofstream(log.path(), std::ios::app) << "not json\n";
  auto loaded = log.Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("outcomes.jsonl:2"),
            std::string::npos)
      << loaded.status();
}

TEST(OutcomesTest, RemovePersonDropsTheirOutcomesAsHelperAndAsker) {
  const std::string dir = testing_util::TestDir();
  OutcomeLog log(dir);
  v1::Outcome marked = Make("o1", "erasee");
  marked.set_title("the qzvmarker question");
  ASSERT_TRUE(log.Append(marked).ok());
  ASSERT_TRUE(log.Append(Make("o2", "bo", "erasee")).ok());
  ASSERT_TRUE(log.Append(Make("o3", "bo", "cy")).ok());
  auto removed = log.RemovePerson("erasee");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  const std::string text = ReadAll(log.path());
  EXPECT_EQ(text.find("erasee"), std::string::npos);
  EXPECT_EQ(text.find("qzvmarker"), std::string::npos);
  auto loaded = log.Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id(), "o3");
  auto again = log.RemovePerson("erasee");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST(OutcomesTest, ABackupKeepsTheOutcomes) {
  const std::string dir = testing_util::TestDir();
  auto catalog = testing_util::OpenCatalog(dir);
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(OutcomeLog(dir).Append(Make("o1", "bo")).ok());
  const std::string file = dir + "_backup.tar";
  auto manifest = Backup(DataDir(dir), file);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  const std::string restored = dir + "_restored";
  std::filesystem::remove_all(restored);
  auto back = Restore(file, DataDir(restored), /*force=*/false);
  ASSERT_TRUE(back.ok()) << back.status();
  auto loaded = OutcomeLog(restored).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].helper_id(), "bo");
  std::filesystem::remove_all(restored);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace whoknows::index
