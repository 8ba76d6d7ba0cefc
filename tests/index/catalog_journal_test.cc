// A write that spans databases (posts/, private_posts/, people/) cut short
// between its commits, as SIGKILL would cut it (CatalogOptions::after_commit
// stops the write there), must be whole or absent once the folder is
// opened again: never half. Real Xapian databases in test folders.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "index/backup.h"
#include "index/batch_journal.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::OpenCatalog;
using testing_util::TestDir;

constexpr int64_t kT0 = 1'700'000'000;

v1::Post Question(const std::string& id, const std::string& author,
                  const std::string& body,
                  const std::string& visibility = "public") {
  v1::Post p = MakePost(id, author, v1::POST_KIND_QUESTION, "about " + body,
                        body, kT0, "", "en");
  p.set_visibility(visibility);
  return p;
}

v1::Post Answer(const std::string& id, const std::string& author,
                const std::string& parent, const std::string& body) {
  return MakePost(id, author, v1::POST_KIND_ANSWER, "", body, kT0 + 60, parent,
                  "en");
}

// A catalog whose writes stop, as a crash would, right after their
// `crash_after`th commit of a database (counted over the catalog's life);
// `commits` records every commit.
struct Crashing {
  std::unique_ptr<Catalog> catalog;
  std::shared_ptr<std::vector<Store>> commits =
      std::make_shared<std::vector<Store>>();
};
Crashing OpenCrashing(const std::string& dir, int crash_after) {
  Crashing c;
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.after_commit = [commits = c.commits, crash_after](Store store) {
    commits->push_back(store);
    return static_cast<int>(commits->size()) == crash_after
               ? absl::AbortedError(
                     absl::StrCat("simulated crash after ", StoreName(store)))
               : absl::OkStatus();
  };
  auto opened = Catalog::Open(o);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (opened.ok()) c.catalog = std::move(*opened);
  return c;
}

// OpenCrashing(dir, 1) and a write of `batch`, which the seam cuts after
// its first commit; a null catalog when the folder did not open or the
// write was not cut (with a failure).
Crashing CutAfterFirstCommit(const std::string& dir,
                             const std::vector<v1::Post>& batch) {
  Crashing c = OpenCrashing(dir, 1);
  if (c.catalog != nullptr && c.catalog->UpsertPosts(batch).ok()) {
    ADD_FAILURE() << "the write was not cut";
    c.catalog.reset();
  }
  return c;
}

// How many times a search of `query` over every post (private ones too)
// finds `id`: 1 when it is stored once, 2 when a move left it in both.
int Copies(const Catalog& c, const std::string& query, const std::string& id) {
  SearchOptions o;
  o.query = query;
  o.public_only = false;
  const std::vector<std::string> ids = testing_util::SearchIds(c, o);
  return static_cast<int>(std::count(ids.begin(), ids.end(), id));
}

std::vector<std::string> PublicHits(const Catalog& c,
                                    const std::string& query) {
  SearchOptions o;
  o.query = query;
  return testing_util::SearchIds(c, o);
}

// Crash points: after the first commit (between databases) and after the
// second (the last one here: committed, the journal not yet removed).
class CutBatchTest : public testing::TestWithParam<int> {};

TEST_P(CutBatchTest, AMixedPublicPrivateBatchIsWholeAfterOpen) {
  const std::string dir = TestDir();
  {
    Crashing c = OpenCrashing(dir, GetParam());
    ASSERT_NE(c.catalog, nullptr);
    std::vector<v1::Post> batch = {
        Question("pub", "u1", "kubernetes deploy"),
        Answer("pub-a", "u2", "pub", "kubernetes helm chart"),
        Question("priv", "u3", "salary review", "group:hr"),
        Answer("priv-a", "u4", "priv", "salary bands"),
    };
    EXPECT_FALSE(c.catalog->UpsertPosts(batch).ok());
    ASSERT_GE(static_cast<int>(c.commits->size()), GetParam());
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  for (const char* id : {"pub", "pub-a", "priv", "priv-a"})
    EXPECT_NE(snap->FindPost(id), nullptr) << id << ": half a batch";
  EXPECT_THAT(PublicHits(*c, "kubernetes"),
              testing::UnorderedElementsAre("pub", "pub-a"));
  EXPECT_THAT(PublicHits(*c, "salary"), testing::IsEmpty());
  EXPECT_EQ(Copies(*c, "salary", "priv"), 1);
  EXPECT_FALSE(fs::exists(DataDir(dir).batch_journal()));
}

TEST_P(CutBatchTest, APostMovingToPublicWithANewPostIsWholeAfterOpen) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    std::vector<v1::Post> before = {
        Question("moved", "u1", "budget forecast", "group:finance")};
    ASSERT_TRUE(c->UpsertPosts(before).ok());
  }
  {
    Crashing c = OpenCrashing(dir, GetParam());
    ASSERT_NE(c.catalog, nullptr);
    std::vector<v1::Post> batch = {
        Question("moved", "u1", "budget forecast published"),
        Question("fresh", "u2", "budget template"),
    };
    EXPECT_FALSE(c.catalog->UpsertPosts(batch).ok());
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  ASSERT_NE(snap->FindPost("fresh"), nullptr);
  ASSERT_NE(snap->FindPost("moved"), nullptr);
  EXPECT_TRUE(snap->FindPost("moved")->is_public) << "half a batch";
  EXPECT_THAT(PublicHits(*c, "budget"),
              testing::UnorderedElementsAre("moved", "fresh"));
  EXPECT_EQ(Copies(*c, "budget", "moved"), 1);
}

TEST_P(CutBatchTest, AnErasureOfAPersonIsWholeAfterOpen) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    v1::Person boss = MakePerson("boss"), report = MakePerson("report");
    report.set_manager_id("boss");
    std::vector<v1::Person> people = {boss, report};
    ASSERT_TRUE(c->UpsertPeople(people).ok());
    v1::Post liked = Question("liked", "report", "printer toner");
    liked.add_liked_by("boss");
    std::vector<v1::Post> posts = {
        Question("own-pub", "boss", "printer queue"),
        Question("own-priv", "boss", "printer lease", "group:board"), liked};
    ASSERT_TRUE(c->UpsertPosts(posts).ok());
  }
  {
    Crashing c = OpenCrashing(dir, GetParam());
    ASSERT_NE(c.catalog, nullptr);
    EXPECT_FALSE(c.catalog->DeletePerson("boss").ok());
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  EXPECT_EQ(snap->FindPost("own-pub"), nullptr);
  EXPECT_EQ(snap->FindPost("own-priv"), nullptr) << "half an erasure";
  EXPECT_EQ(snap->FindPerson("boss"), nullptr) << "half an erasure";
  ASSERT_NE(snap->FindPerson("report"), nullptr);
  EXPECT_EQ(snap->FindPerson("report")->manager_id(), "");
  ASSERT_NE(snap->FindPost("liked"), nullptr);
  EXPECT_THAT(snap->FindPost("liked")->liked_by, testing::IsEmpty());
  EXPECT_EQ(Copies(*c, "printer", "own-priv"), 0);
}

TEST_P(CutBatchTest, PeopleAndPostsInOneWriteAreWholeAfterOpen) {
  const std::string dir = TestDir();
  {
    Crashing c = OpenCrashing(dir, GetParam());
    ASSERT_NE(c.catalog, nullptr);
    std::vector<v1::Person> people = {MakePerson("newcomer"),
                                      MakePerson("mentor")};
    std::vector<v1::Post> posts = {
        Question("hello", "newcomer", "onboarding laptop"),
        Question("notes", "mentor", "onboarding plan", "group:mentors")};
    EXPECT_FALSE(c.catalog->Upsert(people, posts).ok());
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  EXPECT_NE(snap->FindPerson("newcomer"), nullptr) << "half a write";
  EXPECT_NE(snap->FindPerson("mentor"), nullptr) << "half a write";
  EXPECT_NE(snap->FindPost("hello"), nullptr) << "half a write";
  EXPECT_NE(snap->FindPost("notes"), nullptr) << "half a write";
}

INSTANTIATE_TEST_SUITE_P(CrashAfterCommit, CutBatchTest, testing::Values(1, 2),
                         [](const auto& info) {
                           return absl::StrCat("Commit", info.param);
                         });

// The journal exists exactly while a write spanning databases commits: a
// write of one database pays for none.
TEST(BatchJournalTest, OnlyAWriteSpanningDatabasesIsJournaled) {
  const std::string dir = TestDir();
  const std::string journal = DataDir(dir).batch_journal();
  std::vector<std::pair<Store, bool>> seen;  // committed, journal present
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.after_commit = [&](Store s) {
    seen.emplace_back(s, fs::exists(journal));
    return absl::OkStatus();
  };
  auto c = Catalog::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<v1::Post> open_posts = {Question("a", "u1", "vpn token"),
                                      Answer("b", "u2", "a", "vpn client")};
  ASSERT_TRUE((*c)->UpsertPosts(open_posts).ok());
  EXPECT_THAT(seen, testing::ElementsAre(std::pair(Store::kPosts, false)));
  seen.clear();
  std::vector<v1::Person> people = {MakePerson("u1")};
  ASSERT_TRUE((*c)->UpsertPeople(people).ok());
  EXPECT_THAT(seen, testing::ElementsAre(std::pair(Store::kPeople, false)));
  seen.clear();
  std::vector<v1::Post> mixed = {Question("c", "u1", "vpn audit", "group:sec"),
                                 Question("d", "u2", "vpn outage")};
  ASSERT_TRUE((*c)->UpsertPosts(mixed).ok());
  EXPECT_THAT(seen,
              testing::ElementsAre(std::pair(Store::kPosts, true),
                                   std::pair(Store::kPrivatePosts, true)));
  EXPECT_FALSE(fs::exists(journal));
  seen.clear();
  ASSERT_TRUE((*c)->DeletePost("c").ok());
  EXPECT_THAT(seen,
              testing::ElementsAre(std::pair(Store::kPrivatePosts, false)));
}

// The seam stops a write after its first commit, and the same catalog goes
// on: its next write finishes the cut one first, so memory and disk agree.
TEST(BatchJournalTest, TheNextWriteFinishesAnUnfinishedOne) {
  const std::string dir = TestDir();
  Crashing c = CutAfterFirstCommit(
      dir, {Question("pub", "u1", "kafka lag"),
            Question("priv", "u2", "kafka acl", "group:x")});
  ASSERT_NE(c.catalog, nullptr);
  ASSERT_TRUE(fs::exists(DataDir(dir).batch_journal()));
  std::vector<v1::Person> people = {MakePerson("u1")};
  ASSERT_TRUE(c.catalog->UpsertPeople(people).ok());
  EXPECT_FALSE(fs::exists(DataDir(dir).batch_journal()));
  c.catalog->Refresh();
  auto snap = c.catalog->snapshot();
  EXPECT_NE(snap->FindPost("pub"), nullptr);
  EXPECT_NE(snap->FindPost("priv"), nullptr);
  EXPECT_EQ(Copies(*c.catalog, "kafka", "priv"), 1);
}

// A journal that does not decode (torn, damaged) is discarded with a log
// line, and nothing of it is written; the folder opens.
// A write cut right after its commit leaves memory behind the folder: the
// post is stored but memory does not know it. A later write of the same
// id must replace it, not add it as new (the cheaper path for new posts
// asks memory whether an id is stored), here and after a reopen.
TEST(BatchJournalTest, APostCutAfterItsCommitIsReplacedNotAddedAgain) {
  const std::string dir = TestDir();
  {
    Crashing c = CutAfterFirstCommit(dir, {Question("q", "u1", "kettle")});
    ASSERT_NE(c.catalog, nullptr);
    const std::vector<v1::Post> again = {
        Question("q", "u1", "kettle descaling")};
    ASSERT_TRUE(c.catalog->UpsertPosts(again).ok());
    EXPECT_EQ(Copies(*c.catalog, "kettle", "q"), 1);
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Copies(*c, "kettle", "q"), 1);
  EXPECT_THAT(PublicHits(*c, "descaling"), testing::ElementsAre("q"));
}

TEST(BatchJournalTest, ATornOrDamagedJournalIsDiscardedAndLogged) {
  BatchWrites w;
  w[Store::kPosts].posts.push_back(Question("ghost", "u1", "phantom write"));
  w[Store::kPrivatePosts].posts.push_back(
      Question("ghost-priv", "u1", "phantom private", "group:x"));
  const std::string whole = EncodeBatchJournal(w);
  std::string damaged = whole;
  damaged[damaged.size() / 2] ^= 0x20;
  for (const std::string& bytes :
       {whole.substr(0, whole.size() / 2), damaged, std::string("BATCH")}) {
    const std::string dir = TestDir();
    fs::remove_all(dir);
    OpenCatalog(dir).reset();  // an empty folder
    testing_util::WriteFile(DataDir(dir).batch_journal(), bytes);
    testing::internal::CaptureStderr();
    auto c = OpenCatalog(dir);
    const std::string log = testing::internal::GetCapturedStderr();
    ASSERT_NE(c, nullptr);
    EXPECT_THAT(log, testing::HasSubstr("BATCH: discarded"));
    EXPECT_EQ(c->snapshot()->FindPost("ghost"), nullptr);
    EXPECT_EQ(c->snapshot()->FindPost("ghost-priv"), nullptr);
    EXPECT_FALSE(fs::exists(DataDir(dir).batch_journal()));
  }
}

// A backup taken while a write was cut between its commits carries the
// journal, and the restored folder finishes the write when it is opened.
TEST(BatchJournalTest, ABackupCarriesAnUnfinishedWrite) {
  const std::string dir = TestDir();
  {
    Crashing c = CutAfterFirstCommit(
        dir, {Question("pub", "u1", "invoice export"),
              Question("priv", "u2", "invoice fraud", "group:finance")});
    ASSERT_NE(c.catalog, nullptr);
  }
  const std::string tar = dir + "_backup.tar";
  auto m = Backup(DataDir(dir), tar);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(
      std::any_of(m->files.begin(), m->files.end(),
                  [](const BackupFile& f) { return f.path == "BATCH"; }));
  const std::string restored = dir + "_restored";
  fs::remove_all(restored);
  ASSERT_TRUE(Restore(tar, DataDir(restored), false).ok());
  auto c = OpenCatalog(restored);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->snapshot()->FindPost("pub"), nullptr);
  EXPECT_NE(c->snapshot()->FindPost("priv"), nullptr);
  fs::remove_all(restored);
  fs::remove(tar);
}

}  // namespace
}  // namespace whoknows::index
