// The derived-state file (<data>/derived.bin, index/derived_state.h): an
// Open that loads it gives exactly the records of a full scan, and every
// file that may not match the databases (older than a write, torn, damaged,
// of another version, from another database, from before a restore or a
// crash) is not used: the catalog reads every record instead and removes
// it. Whether a writer's Open used the file shows on disk: a file it did
// not use is removed at once. Real Xapian databases in test folders.
#include "index/derived_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "index/backup.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/dense_index.h"
#include "index/graph.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/state_files.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::OpenCatalog;
using testing_util::ReadBytes;
using testing_util::TestDir;
using testing_util::Varint;
using testing_util::WithBody;
using testing_util::WithVersion;
using testing_util::WriteFile;

constexpr int64_t kT0 = 1'700'000'000;

// Every field of every person and post a snapshot holds, one line each,
// sorted by id.
std::string Dump(const Snapshot& s) {
  std::map<std::string, std::string> lines;
  for (const auto& [id, p] : s.people)
    lines["person " + id] = p->ShortDebugString();
  for (const auto& [id, m] : s.posts) {
    std::string floats;
    for (float f : m->embedding) absl::StrAppend(&floats, f, ",");
    lines["post " + id] = absl::StrCat(
        m->id, "|", m->author_id.str(), "|", m->thread_id.str(), "|",
        m->parent_id.str(), "|", m->kind, "|", m->accepted, "|", m->is_public,
        "|", m->visibility.str(), "|", m->inherited_visibility.str(), "|",
        m->created, "|", m->language.str(), "|", m->title, "|",
        absl::StrJoin(m->tags, ","), "|", absl::StrJoin(m->liked_by, ","), "|",
        absl::StrJoin(m->mentioned, ","), "|", floats);
  }
  std::string out;
  for (const auto& [key, line] : lines)
    absl::StrAppend(&out, key, ": ", line, "\n");
  return out;
}

// A small company with every field set somewhere: a manager and groups,
// a private thread with a public reply under it (inherited visibility),
// an accepted answer, tags, likes, mentions, a client embedding, two
// languages. "Zyxwv" marks what bo wrote or is named by.
void WriteCompany(const std::string& dir) {
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  v1::Person anna = MakePerson("anna", "eng", "lund");
  anna.add_groups("group:hr");
  v1::Person bo = MakePerson("bo", "hr", "malmo");
  bo.set_display_name("Zyxwv Bo");
  bo.set_manager_id("anna");
  ASSERT_TRUE(c->UpsertPeople({{anna, bo, MakePerson("cy")}}).ok());
  v1::Post q =
      MakePost("q1", "anna", v1::POST_KIND_QUESTION, "How to tune the boiler",
               "The boiler is loud.", kT0, "", "en");
  q.add_tags("boiler");
  q.add_tags("heating");
  q.add_embedding(0.25f);
  q.add_embedding(-1.5f);
  v1::Post a = MakePost("a1", "bo", v1::POST_KIND_ANSWER, "Zyxwv answer",
                        "Bleed the radiators.", kT0 + 60, "q1", "en");
  a.set_accepted(true);
  a.add_liked_by("anna");
  a.add_mentioned("cy");
  v1::Post s = MakePost("s1", "cy", v1::POST_KIND_ARTICLE, "Om pannan",
                        "Pannan är högljudd.", kT0 + 120, "", "sv");
  v1::Post p = MakePost("p1", "anna", v1::POST_KIND_QUESTION, "Salary review",
                        "Confidential salary review.", kT0 + 180, "", "en");
  p.set_visibility("group:hr");
  v1::Post r =
      MakePost("r1", "bo", v1::POST_KIND_COMMENT, "",
               "Zyxwv reply in the private thread.", kT0 + 240, "p1", "en");
  ASSERT_TRUE(c->UpsertPosts({{q, a, s, p, r}}).ok());
}

std::string DerivedPath(const std::string& dir) {
  return DataDir(dir).derived_state();
}

// The snapshot an Open of `dir` publishes, dumped.
std::string OpenAndDump(const std::string& dir, bool read_only = false) {
  auto c = OpenCatalog(dir, read_only);
  return c ? Dump(*c->snapshot()) : "(no catalog)";
}

// What a full scan gives: `dir` opened without its file (put back after).
std::string FullScanDump(const std::string& dir) {
  const std::string path = DerivedPath(dir);
  const std::string saved = ReadBytes(path);
  fs::remove(path);
  std::string dump;
  {
    auto c = OpenCatalog(dir, /*read_only=*/true);
    dump = c ? Dump(*c->snapshot()) : "(no catalog)";
  }
  if (!saved.empty()) WriteFile(path, saved);
  return dump;
}

TEST(DerivedStateTest, OpenWithTheFileGivesTheRecordsOfAFullScan) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_TRUE(fs::exists(DerivedPath(dir))) << "written at close";
  const std::string scanned = FullScanDump(dir);
  ASSERT_NE(scanned.find("post r1: r1|bo|p1|p1|"), std::string::npos)
      << scanned;
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(fs::exists(DerivedPath(dir))) << "the file was not used";
  EXPECT_EQ(Dump(*c->snapshot()), scanned);
  c.reset();
  EXPECT_EQ(OpenAndDump(dir, /*read_only=*/true), scanned);
}

// A warm open still knows which stored posts have replies (the catalog's
// `referenced` filter, gathered from derived.bin's string table): a post
// made private after it carries its group down to the replies stored
// before, through the thread's root (named as parent and as thread) and
// through an answer (named as parent only).
TEST(DerivedStateTest, AWarmOpenCarriesPrivacyDownToRepliesStoredBefore) {
  for (const std::string made_private : {"q1", "a1"}) {
    SCOPED_TRACE(made_private);
    const std::string dir = TestDir() + "/" + made_private;
    WriteCompany(dir);
    {
      auto c = OpenCatalog(dir);
      ASSERT_NE(c, nullptr);
      v1::Post c1 = MakePost("c1", "cy", v1::POST_KIND_COMMENT, "",
                             "A comment on the answer.", kT0 + 300, "a1", "en");
      c1.set_thread_id("q1");
      ASSERT_TRUE(c->UpsertPosts({{c1}}).ok());
    }
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(fs::exists(DerivedPath(dir))) << "the file was not used";
    v1::Post p =
        made_private == "q1"
            ? MakePost("q1", "anna", v1::POST_KIND_QUESTION,
                       "How to tune the boiler", "The boiler is loud.", kT0, "",
                       "en")
            : MakePost("a1", "bo", v1::POST_KIND_ANSWER, "Zyxwv answer",
                       "Bleed the radiators.", kT0 + 60, "q1", "en");
    p.set_visibility("group:hr");
    ASSERT_TRUE(c->UpsertPosts({{p}}).ok());
    c.reset();
    const std::string dump = OpenAndDump(dir);
    for (const std::string reply : {"a1", "c1"}) {
      if (reply == made_private) continue;
      const size_t at = dump.find("post " + reply + ": ");
      ASSERT_NE(at, std::string::npos) << dump;
      EXPECT_NE(
          dump.substr(at, dump.find('\n', at) - at).find("|group:hr|group:hr|"),
          std::string::npos)
          << reply << " stayed public:\n"
          << dump;
    }
  }
}

// Everything a published snapshot holds beyond the records, one line each
// and sorted where the snapshot's order is no contract: threads, private
// groups' posts, activity, counts, the dense numbering, the docid table and
// the graph's size.
std::string DumpDerived(const Snapshot& s) {
  std::vector<std::string> lines;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return absl::StrJoin(v, ",");
  };
  for (const auto& [id, members] : s.threads)
    lines.push_back(absl::StrCat("thread ", id, ": ", sorted(members)));
  for (const auto& [group, posts] : s.group_posts) {
    std::vector<std::string> ids;
    for (const PostMeta* m : posts) ids.push_back(m->id);
    lines.push_back(absl::StrCat("group ", group, ": ", sorted(ids)));
  }
  for (const auto& [id, a] : s.activity) {
    std::vector<int64_t> times = a.answer_times;
    std::sort(times.begin(), times.end());
    lines.push_back(absl::StrCat(
        "activity ", id, ": ", a.questions, " ", a.answers, " ",
        a.accepted_answers, " ", a.comments, " ", a.articles, " ", a.first_post,
        " ", a.last_post, " ", absl::StrJoin(times, ",")));
  }
  for (const auto& [language, n] : s.language_posts)
    lines.push_back(absl::StrCat("language ", language, ": ", n));
  std::sort(lines.begin(), lines.end());
  lines.push_back(absl::StrCat("opted out: ", absl::StrJoin(s.opted_out, ",")));
  lines.push_back(absl::StrCat("public ", s.public_posts, " newest ",
                               s.newest_post, " query languages ",
                               absl::StrJoin(s.query_languages, ",")));
  const DenseIndex& d = *s.dense;
  for (uint32_t n = 0; n < d.num_posts(); ++n) {
    const DenseIndex::Facts& f = d.facts(n);
    std::vector<std::string> thread, answers;
    for (uint32_t t : d.thread_of(n)) thread.push_back(d.post(t).id);
    for (uint32_t t : d.answers_of(n)) answers.push_back(d.post(t).id);
    lines.push_back(absl::StrCat(
        "post ", n, " ", d.post(n).id, " by ", d.person_id(f.author), " ",
        f.created, " ", f.kind_value, " ", f.accepted, " ", f.is_public,
        " thread ", sorted(thread), " answers ", sorted(answers)));
  }
  for (uint32_t n = 0; n < d.num_people(); ++n) {
    lines.push_back(absl::StrCat("person ", n, " ", d.person_id(n), " ",
                                 d.person(n) != nullptr, " ",
                                 d.activity(n) != nullptr));
  }
  if (s.docids) {
    for (size_t doc = 0; doc < s.docids->number.size(); ++doc) {
      const uint32_t n = s.docids->number[doc];
      lines.push_back(absl::StrCat(
          "doc ", doc, ": ", n == DenseIndex::kNone ? "-" : d.post(n).id));
    }
  } else {
    lines.push_back("no docids");
  }
  lines.push_back(absl::StrCat("graph ", s.graph->num_people(), " people ",
                               s.graph->num_edges(), " edges"));
  return absl::StrJoin(lines, "\n");
}

// The start-up path (records from derived.bin, graph from graph.bin, the
// first snapshot built from the writer's own maps with the docid table
// beside it) publishes what a cold open (every record scanned, the graph
// built) does, field by field.
TEST(DerivedStateTest, AWarmOpenPublishesTheSnapshotOfAColdOne) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  // graph.bin is the graph of a publish that holds every write: an Open's.
  ASSERT_NE(OpenCatalog(dir), nullptr);
  const std::string derived = DerivedPath(dir);
  const std::string graph = DataDir(dir).graph_state();
  ASSERT_TRUE(fs::exists(derived) && fs::exists(graph))
      << "the test would prove nothing";
  const std::string derived_bytes = ReadBytes(derived);
  const std::string graph_bytes = ReadBytes(graph);
  fs::remove(derived);
  fs::remove(graph);
  std::string cold;
  {
    auto c = OpenCatalog(dir, /*read_only=*/true);
    ASSERT_NE(c, nullptr);
    cold = Dump(*c->snapshot()) + DumpDerived(*c->snapshot());
  }
  WriteFile(derived, derived_bytes);
  WriteFile(graph, graph_bytes);
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(fs::exists(derived) && fs::exists(graph)) << "not used";
  ASSERT_NE(c->snapshot()->docids, nullptr);
  EXPECT_NE(cold.find("group group:hr: p1,r1"), std::string::npos) << cold;
  EXPECT_EQ(Dump(*c->snapshot()) + DumpDerived(*c->snapshot()), cold);
}

// The first snapshot of a warm Open is built from the file's posts listed
// in order (DerivedRecords::posts_in_order), not from the writer's map:
// it must still leave out the posts of whom opted out, as a cold Open's.
TEST(DerivedStateTest, AWarmOpenLeavesOutThePostsOfWhomOptedOut) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->SetOptOut("bo", true).ok());
  }
  ASSERT_NE(OpenCatalog(dir), nullptr);  // a publish that holds every write
  ASSERT_TRUE(fs::exists(DerivedPath(dir)) &&
              fs::exists(DataDir(dir).graph_state()))
      << "the test would prove nothing";
  std::string cold;
  {
    const std::string derived = ReadBytes(DerivedPath(dir));
    const std::string graph = ReadBytes(DataDir(dir).graph_state());
    fs::remove(DerivedPath(dir));
    fs::remove(DataDir(dir).graph_state());
    {
      auto c = OpenCatalog(dir, /*read_only=*/true);
      ASSERT_NE(c, nullptr);
      EXPECT_FALSE(c->stats().open.first_publish.posts_listed);
      cold = Dump(*c->snapshot()) + DumpDerived(*c->snapshot());
    }
    WriteFile(DerivedPath(dir), derived);
    WriteFile(DataDir(dir).graph_state(), graph);
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->stats().open.first_publish.posts_listed) << "the map's path";
  const auto s = c->snapshot();
  EXPECT_EQ(s->FindPost("a1"), nullptr) << "bo's answer";
  EXPECT_EQ(s->FindPost("r1"), nullptr) << "bo's private reply";
  EXPECT_NE(s->FindPost("p1"), nullptr);
  EXPECT_EQ(s->dense->PostNumber("a1"), DenseIndex::kNone);
  EXPECT_EQ(Dump(*s) + DumpDerived(*s), cold);
}

// A warm Open's first publish gives the private groups their records from
// the file's list, not from the writer's map: a member still finds the
// group's posts, and no one else does.
TEST(DerivedStateTest, AWarmOpenSearchesTheGroupsPosts) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_NE(OpenCatalog(dir), nullptr);  // a publish that holds every write
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->stats().open.first_publish.posts_listed) << "not listed";
  SearchOptions o;
  o.query = "confidential salary review";
  EXPECT_THAT(testing_util::SearchIds(*c, o), ::testing::IsEmpty());
  o.groups = {"group:hr"};
  EXPECT_THAT(testing_util::SearchIds(*c, o), ::testing::Contains("p1"));
}

TEST(DerivedStateTest, ReadOnlyOpensUseTheFileButNeverWriteIt) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string scanned = FullScanDump(dir);
  fs::remove(DerivedPath(dir));
  EXPECT_EQ(OpenAndDump(dir, /*read_only=*/true), scanned);
  EXPECT_FALSE(fs::exists(DerivedPath(dir)));
}

TEST(DerivedStateTest, AWriteRemovesTheFileAndCloseWritesItAnew) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPosts({{MakePost("n1", "cy", v1::POST_KIND_QUESTION,
                                          "New question", "Anything new?",
                                          kT0 + 600, "", "en")}})
                    .ok());
    EXPECT_FALSE(fs::exists(DerivedPath(dir)));
  }
  ASSERT_TRUE(fs::exists(DerivedPath(dir)));
  const std::string loaded = OpenAndDump(dir);
  EXPECT_NE(loaded.find("post n1: "), std::string::npos);
  EXPECT_EQ(loaded, FullScanDump(dir));
}

// Opens `dir` with `bytes` as its file: the file must not be used (removed
// at open) and the records must be the full scan's.
void ExpectNotUsed(const std::string& dir, const std::string& bytes) {
  const std::string scanned = FullScanDump(dir);
  WriteFile(DerivedPath(dir), bytes);
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(fs::exists(DerivedPath(dir))) << "a stale file was used";
  EXPECT_EQ(Dump(*c->snapshot()), scanned);
}

TEST(DerivedStateTest, AFileOlderThanAWriteIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(DerivedPath(dir));
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPosts({{MakePost("q1", "anna", v1::POST_KIND_QUESTION,
                                          "Retitled question", "The boiler.",
                                          kT0, "", "en")}})
                    .ok());
  }
  ExpectNotUsed(dir, before);
}

TEST(DerivedStateTest, AFileFromAnotherDatabaseAtTheSameRevisionIsNotUsed) {
  const std::string a = TestDir() + "/a";
  const std::string b = TestDir() + "/b";
  WriteCompany(a);
  WriteCompany(b);
  {
    // The same number of commits each, different content.
    auto ca = OpenCatalog(a);
    auto cb = OpenCatalog(b);
    ASSERT_TRUE(ca && cb);
    ASSERT_TRUE(ca->UpsertPosts({{MakePost("x1", "cy", v1::POST_KIND_QUESTION,
                                           "In a", "a", kT0, "", "en")}})
                    .ok());
    ASSERT_TRUE(cb->UpsertPosts({{MakePost("x1", "cy", v1::POST_KIND_QUESTION,
                                           "In b", "b", kT0, "", "en")}})
                    .ok());
  }
  ExpectNotUsed(b, ReadBytes(DerivedPath(a)));
}

TEST(DerivedStateTest, ATruncatedFileIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DerivedPath(dir));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() / 2));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() - 1));
  ExpectNotUsed(dir, "");
}

TEST(DerivedStateTest, ADamagedFileIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  std::string bytes = ReadBytes(DerivedPath(dir));
  // A title's letter changed: still parsable, wrong.
  const size_t at = bytes.find("How to tune the boiler");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'N';
  ExpectNotUsed(dir, bytes);
}

TEST(DerivedStateTest, AnotherFormatVersionIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DerivedPath(dir));
  // Rewritten as this version, the file is used (the test's crc is right).
  WriteFile(DerivedPath(dir), WithVersion(bytes, kDerivedStateVersion));
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(fs::exists(DerivedPath(dir)));
  }
  ExpectNotUsed(dir, WithVersion(bytes, kDerivedStateVersion + 1));
}

// A file of the version before (no string table: its posts' fields are
// strings where this version reads numbers) is rebuilt from the
// databases, not misread.
TEST(DerivedStateTest, TheVersionBeforeTheStringTableIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DerivedPath(dir));
  ASSERT_EQ(kDerivedStateVersion, 2u);
  // One post as version 1 wrote it, after no people: every field a string.
  const std::string stamps =
      bytes.substr(12, testing_util::StampsEnd(bytes) - 12);
  auto str = [](std::string_view s) {
    return Varint(s.size()) + std::string(s);
  };
  const std::string v1_post = str("q1") + str("anna") + str("q1") + str("") +
                              Varint(1) + Varint(2) + str("public") + str("") +
                              Varint(2 * kT0) + str("en") + str("Boiler") +
                              Varint(0) + Varint(0) + Varint(0) + Varint(0);
  const std::string v1_file =
      WithVersion(WithBody(bytes, stamps + Varint(0) + Varint(1) + v1_post), 1);
  const std::string apart = dir + "/v1.bin";
  WriteFile(apart, v1_file);
  const auto read = ReadDerivedState(apart, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(read.status())) << read.status();
  EXPECT_NE(read.status().message().find("format version 1"), std::string::npos)
      << read.status();
  ExpectNotUsed(dir, v1_file);
}

// A post that names a string past the table, under a right checksum.
TEST(DerivedStateTest, AStringNumberPastTheTableIsDataLoss) {
  const std::string dir = TestDir();
  fs::create_directories(dir);
  const std::string path = dir + "/derived.bin";
  DatabaseStamps stamps;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> one;
  auto m = std::make_shared<PostMeta>();
  m->id = "q1";
  m->author_id = "anna";
  m->title = "Boiler";
  m->tags = {"boiler"};
  one.emplace(m->id, m);
  ASSERT_TRUE(WriteDerivedState(path, stamps, {}, one).ok());
  const std::string bytes = ReadBytes(path);
  ASSERT_TRUE(ReadDerivedState(path, stamps).ok());
  const std::string head =
      bytes.substr(12, testing_util::StampsEnd(bytes) - 12) + Varint(0);
  auto str = [](std::string_view s) {
    return Varint(s.size()) + std::string(s);
  };
  // The table: "anna", "", "public", "boiler"; the post as this version
  // writes it, with the tag's number `tag`.
  auto file = [&](uint64_t tag) {
    const std::string table =
        Varint(4) + str("anna") + str("") + str("public") + str("boiler");
    const std::string post = str("q1") + Varint(0) + Varint(1) + Varint(1) +
                             Varint(0) + Varint(2) + Varint(2) + Varint(1) +
                             Varint(0) + Varint(1) + str("Boiler") + Varint(1) +
                             Varint(tag) + Varint(0) + Varint(0) + Varint(0);
    return WithBody(bytes, head + table + Varint(1) + post);
  };
  WriteFile(path, file(3));
  const auto read = ReadDerivedState(path, stamps);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->posts.size(), 1u);
  EXPECT_EQ(read->posts.at("q1")->tags, InternedList{"boiler"});
  EXPECT_EQ(read->posts.at("q1")->author_id, "anna");
  WriteFile(path, file(4));
  EXPECT_TRUE(absl::IsDataLoss(ReadDerivedState(path, stamps).status()));
}

TEST(DerivedStateTest, AFileFromBeforeARestoreIsNotUsed) {
  const std::string dir = TestDir() + "/live";
  const std::string tar = TestDir() + "/backup.tar";
  WriteCompany(dir);
  ASSERT_TRUE(Backup(DataDir(dir), tar).ok());
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->DeletePost("s1").ok());
  }
  const std::string after = ReadBytes(DerivedPath(dir));
  ASSERT_FALSE(after.empty());
  auto restored = Restore(tar, DataDir(dir), /*force=*/true);
  ASSERT_TRUE(restored.ok()) << restored.status();
  // Whatever the restore left of the folder, the file of the later state
  // is there again, as an operator's copy would put it.
  ExpectNotUsed(dir, after);
  EXPECT_NE(FullScanDump(dir).find("post s1: "), std::string::npos);
}

TEST(DerivedStateTest, AFileFromBeforeACompactionIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(DerivedPath(dir));
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Compact().ok());
    EXPECT_FALSE(fs::exists(DerivedPath(dir)));
  }
  // Written anew, stamped with the compacted databases.
  EXPECT_EQ(OpenAndDump(dir), FullScanDump(dir));
  ExpectNotUsed(dir, before);
}

TEST(DerivedStateTest, ACrashBetweenACommitAndTheFilesRemovalFallsBack) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(DerivedPath(dir));
  ASSERT_FALSE(before.empty());
  {
    CatalogOptions o;
    o.data_dir = dir;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.after_commit = [](Store) {
      return absl::AbortedError("simulated crash after the commit");
    };
    auto c = Catalog::Open(o);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_FALSE(
        (*c)->UpsertPosts(
                {{MakePost("n1", "cy", v1::POST_KIND_QUESTION, "Late",
                           "Committed, then the crash.", kT0, "", "en")}})
            .ok());
  }
  // Removed before the commit, so a kill after it leaves no file that
  // holds what the write replaced or deleted.
  EXPECT_FALSE(fs::exists(DerivedPath(dir)));
  // A removal that failed leaves the file of before the write: its stamps
  // keep it from being used.
  {
    std::ofstream out(DerivedPath(dir), std::ios::binary);
    out << before;
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(fs::exists(DerivedPath(dir))) << "a stale file was used";
  EXPECT_NE(c->snapshot()->FindPost("n1"), nullptr);
}

TEST(DerivedStateTest, AnErasureLeavesNoErasedTextInTheFile) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(DerivedPath(dir));
  ASSERT_NE(before.find("Zyxwv"), std::string::npos) << "the test's marker";
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    auto erased = c->DeletePerson("bo");
    ASSERT_TRUE(erased.ok()) << erased.status();
    // Not left until close: a kill now must not leave bo's records behind.
    EXPECT_EQ(ReadBytes(DerivedPath(dir)).find("Zyxwv"), std::string::npos);
  }
  const std::string after = ReadBytes(DerivedPath(dir));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.find("Zyxwv"), std::string::npos);
  // A file from before the erasure, left by a crash: removed at the next
  // open, never used.
  ExpectNotUsed(dir, before);
}

// The checksum tells damage, not a file written wrong (a bug, another
// build) or on purpose: counts larger than the file, under a right
// checksum. Before, a people or post count near 2^62 went to reserve(),
// whose exception left Open: serve died at every start until the file was
// removed by hand.
TEST(DerivedStateTest, CountsLargerThanTheFileAreNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DerivedPath(dir));
  const std::string stamps =
      bytes.substr(12, testing_util::StampsEnd(bytes) - 12);
  const uint64_t huge = uint64_t{1} << 62;
  for (const std::string& body :
       {stamps + Varint(huge), stamps + Varint(0) + Varint(huge),
        stamps + Varint(0) + Varint(0) + Varint(huge)}) {
    ExpectNotUsed(dir, WithBody(bytes, body));
  }
}

// Many posts, each with its own fields and strings shared through the
// file's string table: the reader must give every record back and the map
// the written one's insertion order builds, iteration order included (the
// snapshot's sums follow it).
std::unordered_map<std::string, std::shared_ptr<const PostMeta>> ManyPosts(
    int n) {
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (int i = 0; i < n; ++i) {
    auto m = std::make_shared<PostMeta>();
    m->id = absl::StrCat("post", i);
    m->author_id = absl::StrCat("person", i % 37);
    m->thread_id = absl::StrCat("post", i - i % 5);
    m->parent_id = i % 5 == 0 ? "" : m->thread_id.str();
    m->kind = i % 5 == 0 ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER;
    m->accepted = i % 7 == 0;
    m->is_public = i % 11 != 0;
    if (!m->is_public) m->visibility = "group:hr";
    m->created = kT0 - 1000 + i;
    m->language = i % 2 ? "en" : "sv";
    m->title = std::string(static_cast<size_t>(i % 200), 'x');
    for (int t = 0; t < i % 4; ++t) m->tags.emplace_back(absl::StrCat("t", t));
    if (i % 3 == 0) m->liked_by.emplace_back("person1");
    if (i % 13 == 0) m->embedding = {0.5f, static_cast<float>(i)};
    posts.emplace(m->id, std::move(m));
  }
  return posts;
}

// Stamps for a file written by hand, and its path in a folder of its own.
DatabaseStamps HandStamps() {
  DatabaseStamps stamps;
  stamps[0] = {"u0", 3};
  return stamps;
}
std::string FreshPath() {
  const std::string dir = TestDir();
  fs::create_directories(dir);
  return dir + "/derived.bin";
}

TEST(DerivedStateTest, ReadsBackEveryPostInTheOrderOfOneReader) {
  const std::string path = FreshPath();
  const DatabaseStamps stamps = HandStamps();
  // Several of the batches the reader hands to its inserting thread.
  const auto written = ManyPosts(10001);
  ASSERT_TRUE(WriteDerivedState(path, stamps, {}, written).ok());
  // What one reader inserting the file's posts in order builds: the
  // written map's order is the file's.
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> one;
  one.reserve(written.size());
  for (const auto& [id, m] : written) one.emplace(id, m);
  auto read = ReadDerivedState(path, stamps);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->posts.size(), written.size());
  auto want = one.begin();
  for (const auto& [id, m] : read->posts) {
    ASSERT_EQ(id, want->first) << "another order";
    const PostMeta& w = *want->second;
    EXPECT_EQ(m->id, w.id);
    EXPECT_EQ(m->author_id, w.author_id);
    EXPECT_EQ(m->thread_id, w.thread_id);
    EXPECT_EQ(m->parent_id, w.parent_id);
    EXPECT_EQ(m->kind, w.kind);
    EXPECT_EQ(m->accepted, w.accepted);
    EXPECT_EQ(m->is_public, w.is_public);
    EXPECT_EQ(m->visibility, w.visibility);
    EXPECT_EQ(m->created, w.created);
    EXPECT_EQ(m->language, w.language);
    EXPECT_EQ(m->title, w.title);
    EXPECT_EQ(m->tags, w.tags);
    EXPECT_EQ(m->liked_by, w.liked_by);
    EXPECT_EQ(m->embedding, w.embedding);
    ++want;
  }
}

// Asked for, the posts come listed too, each once, in the file's order
// (the written map's); not asked for, the list stays empty.
TEST(DerivedStateTest, ListsThePostsInTheFilesOrderWhenAsked) {
  const std::string path = FreshPath();
  const DatabaseStamps stamps = HandStamps();
  const auto written = ManyPosts(10001);
  ASSERT_TRUE(WriteDerivedState(path, stamps, {}, written).ok());
  auto listed = ReadDerivedState(path, stamps, /*for_snapshot=*/true);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->posts_in_order.size(), written.size());
  auto want = written.begin();
  for (const auto& m : listed->posts_in_order) {
    ASSERT_EQ(m->id, want->first) << "another order";
    // The same record as the map's, not a copy.
    EXPECT_EQ(m, listed->posts.at(m->id));
    ++want;
  }
  auto plain = ReadDerivedState(path, stamps);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->posts_in_order.empty());
  EXPECT_EQ(plain->posts.size(), written.size());
}

TEST(DerivedStateTest, ADamagedPostInTheSecondHalfIsDataLoss) {
  const std::string dir = TestDir();
  fs::create_directories(dir);
  const std::string path = dir + "/derived.bin";
  DatabaseStamps stamps;
  ASSERT_TRUE(WriteDerivedState(path, stamps, {}, ManyPosts(2001)).ok());
  std::string bytes = ReadBytes(path);
  // The length of the last post's 199-letter title made longer, the crc
  // made right again: the file parses up to there and no further.
  const size_t at = bytes.rfind(std::string(199, 'x'));
  ASSERT_NE(at, std::string::npos);
  ASSERT_GT(at, bytes.size() / 2);
  ASSERT_EQ(static_cast<unsigned char>(bytes[at - 1]), 1);  // 199: c7 01
  bytes[at - 1] = 2;
  WriteFile(path, WithVersion(bytes, kDerivedStateVersion));
  const auto read = ReadDerivedState(path, stamps);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
}

}  // namespace
}  // namespace whoknows::index
