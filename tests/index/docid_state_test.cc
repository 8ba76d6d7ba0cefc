// The docid file (<data>/docids.bin, index/derived_state.h): an Open that
// reads it publishes the docid table reading every document's id gives,
// entry for entry, also when the close wrote it from a numbering that
// incremental publishes (new posts, re-upserts, deletions, an opt-out)
// had moved away from the id order; and every file that may not be the
// table of the folder's records (older than a write, from another folder,
// truncated, damaged, of another version, naming a post past its count,
// for another post count, without derived.bin's records) is not used: the
// ids are read instead, and the writer removes a file it cannot read. Real
// Xapian databases in test folders.
#include <gtest/gtest.h>
#include <xapian.h>

#include <filesystem>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/derived_state.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/state_files.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::ReadBytes;
using testing_util::StampsEnd;
using testing_util::TestDir;
using testing_util::WithBody;
using testing_util::WithVersion;
using testing_util::WriteFile;

constexpr int64_t kT0 = 1'700'000'000;

std::string DocidPath(const std::string& dir) {
  return DataDir(dir).docid_state();
}

// Ids not in byte order of their numbers' creation ("p10" before "p2"),
// threads of replies, every seventh post private.
std::vector<v1::Post> Posts(int from, int to, const std::string& prefix) {
  std::vector<v1::Post> posts;
  for (int i = from; i < to; ++i) {
    const std::string id = prefix + std::to_string(i);
    const bool root = i % 4 == 0;
    const std::string parent = root ? "" : prefix + std::to_string(i - i % 4);
    v1::Post p = MakePost(id, "u" + std::to_string(i % 9),
                          root ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER,
                          "Printer " + id, "It jams, says " + id, kT0 + i * 60,
                          parent, "en");
    p.set_thread_id(root ? id : parent);
    if (i % 7 == 3) p.set_visibility("group:hr");
    posts.push_back(std::move(p));
  }
  return posts;
}

// A company written through a catalog, published, closed: the close
// writes derived.bin, graph.bin and docids.bin.
void WriteCompany(const std::string& dir, const std::string& prefix = "p") {
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  std::vector<v1::Person> people;
  for (int i = 0; i < 9; ++i)
    people.push_back(MakePerson("u" + std::to_string(i), "dept"));
  ASSERT_TRUE(c->UpsertPeople(people).ok());
  ASSERT_TRUE(c->UpsertPosts(Posts(0, 120, prefix)).ok());
  c->Refresh();
}

bool DocidsFromFile(const Catalog& c) {
  return c.stats().open.first_publish.docids_from_file;
}

std::vector<uint32_t> Table(const Snapshot& s) {
  std::vector<uint32_t> out;
  if (!s.docids) return out;
  for (size_t d = 0; d < s.docids->number.size(); ++d)
    out.push_back(s.docids->number[d]);
  return out;
}

// Checks `s`'s table against the public database itself: each of the
// snapshot's public posts' document numbers that post, and no other
// document numbers anything.
void ExpectTableOfTheDatabase(const std::string& dir, const Snapshot& s) {
  ASSERT_NE(s.docids, nullptr);
  ASSERT_NE(s.dense, nullptr);
  Xapian::Database db(DataDir(dir).posts());
  ASSERT_EQ(s.docids->number.size(), db.get_lastdocid() + 1);
  std::vector<bool> named(s.docids->number.size(), false);
  size_t public_posts = 0;
  for (const auto& [id, meta] : s.posts) {
    auto d = db.postlist_begin("Q" + id);
    if (d == db.postlist_end("Q" + id)) {
      EXPECT_FALSE(meta->is_public) << id << " is public and not in posts/";
      continue;
    }
    ++public_posts;
    named[*d] = true;
    EXPECT_EQ(s.docids->number[*d], s.dense->PostNumber(id)) << id;
  }
  EXPECT_GT(public_posts, 50u);
  for (size_t d = 0; d < named.size(); ++d) {
    if (!named[d]) {
      EXPECT_EQ(s.docids->number[d], DenseIndex::kNone) << d;
    }
  }
}

// The table an Open of `dir` reads from the documents (docids.bin set
// aside and put back).
std::vector<uint32_t> ReadFromDocuments(const std::string& dir) {
  const std::string path = DocidPath(dir);
  const std::string kept = path + ".kept";
  fs::rename(path, kept);
  auto c = testing_util::OpenCatalog(dir, /*read_only=*/true);
  EXPECT_NE(c, nullptr);
  if (!c) return {};
  EXPECT_FALSE(DocidsFromFile(*c));
  std::vector<uint32_t> table = Table(*c->snapshot());
  c.reset();
  fs::rename(kept, path);
  return table;
}

TEST(DocidStateTest, OpenReadsTheTableTheCloseWroteAndItIsTheReadOne) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_TRUE(fs::exists(DocidPath(dir))) << "written at close";
  const std::vector<uint32_t> read = ReadFromDocuments(dir);
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(DocidsFromFile(*c));
  const auto s = c->snapshot();
  EXPECT_EQ(Table(*s), read);
  ExpectTableOfTheDatabase(dir, *s);
  c.reset();
  auto r = testing_util::OpenCatalog(dir, /*read_only=*/true);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(DocidsFromFile(*r)) << "a read-only Open reads it too";
}

// Publishes that number incrementally: a new post takes the next number,
// whatever its id; a deleted one leaves a tombstone; an opt-out takes a
// person's posts out. The close writes the numbers a numbering from
// scratch gives, which is what the next Open builds.
TEST(DocidStateTest, TheCloseWritesTheIdOrdersNumbersAfterIncrementalOnes) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPosts(Posts(120, 124, "p")).ok());  // "p120" < "p13"
    c->Refresh();
    ASSERT_TRUE(c->stats().last_publish.incremental);
    std::vector<v1::Post> again = Posts(8, 9, "p");
    again[0].set_title("Printer p8, edited");
    ASSERT_TRUE(c->UpsertPosts(again).ok());
    ASSERT_TRUE(c->UpsertPosts(Posts(0, 1, "a")).ok());  // first in id order
    c->Refresh();
    auto deleted = c->DeletePost("p10");
    ASSERT_TRUE(deleted.ok()) << deleted.status();
    ASSERT_TRUE(*deleted);
    c->Refresh();
    const auto s = c->snapshot();
    ASSERT_NE(s->dense->num_posts(), s->posts.size()) << "no tombstone";
    ExpectTableOfTheDatabase(dir, *s);
  }
  ASSERT_TRUE(fs::exists(DocidPath(dir)));
  const std::vector<uint32_t> read = ReadFromDocuments(dir);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(DocidsFromFile(*c));
    EXPECT_EQ(Table(*c->snapshot()), read);
    ExpectTableOfTheDatabase(dir, *c->snapshot());
    // An opt-out: the next publish builds from scratch, without u3's posts.
    auto changed = c->SetOptOut("u3", true);
    ASSERT_TRUE(changed.ok()) << changed.status();
    c->Refresh();
    ExpectTableOfTheDatabase(dir, *c->snapshot());
  }
  const std::vector<uint32_t> without_u3 = ReadFromDocuments(dir);
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(DocidsFromFile(*c));
  EXPECT_EQ(Table(*c->snapshot()), without_u3);
  ExpectTableOfTheDatabase(dir, *c->snapshot());
}

TEST(DocidStateTest, AWriteRemovesTheFileAndAnUnpublishedCloseWritesNone) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPosts(Posts(120, 121, "p")).ok());
    EXPECT_FALSE(fs::exists(DocidPath(dir)));
    // Not published: the close has no table of what it holds to write.
  }
  EXPECT_FALSE(fs::exists(DocidPath(dir)));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_FALSE(DocidsFromFile(*c));
    ExpectTableOfTheDatabase(dir, *c->snapshot());
  }
  ASSERT_TRUE(fs::exists(DocidPath(dir))) << "the read table, at close";
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(DocidsFromFile(*c));
  ExpectTableOfTheDatabase(dir, *c->snapshot());
}

// Opens `dir` with `bytes` as its docids.bin: the file must not be used
// and the table must be the documents' own. `removed`: whether the writer
// removes it (a file it cannot read or whose stamps are not the folder's).
void ExpectNotUsed(const std::string& dir, const std::string& bytes,
                   bool removed = true) {
  WriteFile(DocidPath(dir), bytes);
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(DocidsFromFile(*c)) << "a file not of these records was used";
  EXPECT_EQ(fs::exists(DocidPath(dir)), !removed);
  ExpectTableOfTheDatabase(dir, *c->snapshot());
}

TEST(DocidStateTest, AFileOlderThanAWriteIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(DocidPath(dir));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPosts(Posts(0, 1, "a")).ok());
    c->Refresh();
  }
  ASSERT_NE(ReadBytes(DocidPath(dir)), before);
  ExpectNotUsed(dir, before);
}

TEST(DocidStateTest, AFileFromAnotherFolderIsNotUsed) {
  const std::string a = TestDir() + "/a";
  const std::string b = TestDir() + "/b";
  WriteCompany(a, "p");
  WriteCompany(b, "q");
  ExpectNotUsed(b, ReadBytes(DocidPath(a)));
}

TEST(DocidStateTest, ATruncatedDamagedOrOtherVersionsFileIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DocidPath(dir));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() / 2));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() - 1));
  ExpectNotUsed(dir, "");
  std::string damaged = bytes;
  damaged[damaged.size() - 20] ^= 0x01;  // a number: crc32 says so
  ExpectNotUsed(dir, damaged);
  ExpectNotUsed(dir, WithVersion(bytes, kDocidStateVersion + 1));
  // Rewritten as this version, the file is used (the test's crc is right).
  WriteFile(DocidPath(dir), WithVersion(bytes, kDocidStateVersion));
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(DocidsFromFile(*c));
}

// A checksummed file of the folder's stamps whose content is not what the
// records number: a post past its count, or another count, is not used.
TEST(DocidStateTest, ANumberPastThePostsOrAnotherCountIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DocidPath(dir));
  const size_t at = StampsEnd(bytes);
  const std::string stamps = bytes.substr(12, at - 12);
  const std::string body = bytes.substr(at, bytes.size() - 12 - at);
  // body: posts (a varint), documents (a varint), 4 bytes each.
  const auto posts = static_cast<unsigned char>(body[0]);
  ASSERT_LT(posts, 0x80) << "the test's company has fewer than 128 posts";
  std::string past = body;
  const size_t last = past.size() - 4;
  past[last] = static_cast<char>(posts);  // the post count itself: past it
  past[last + 1] = past[last + 2] = past[last + 3] = 0;
  ExpectNotUsed(dir, WithBody(bytes, stamps + past));
  // One post fewer: every number still below it once the largest is gone,
  // but not the records' count, so the table is not theirs.
  std::string fewer = body;
  fewer[0] = static_cast<char>(posts - 1);
  for (size_t d = 2; d + 4 <= fewer.size(); d += 4) {
    if (static_cast<unsigned char>(fewer[d]) == posts - 1 && fewer[d + 1] == 0)
      fewer[d] = fewer[d + 1] = fewer[d + 2] = fewer[d + 3] = '\xff';
  }
  ExpectNotUsed(dir, WithBody(bytes, stamps + fewer), /*removed=*/false);
}

TEST(DocidStateTest, AWriteCutShortByACrashLeavesNoHalfFileUsed) {
  // WriteFileAtomically writes docids.bin.tmp and renames it: a kill -9
  // before the rename leaves the old file (or none) and the temporary,
  // which the next writer's Open removes without reading.
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DocidPath(dir));
  WriteFile(DocidPath(dir) + ".tmp", bytes.substr(0, bytes.size() / 3));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(DocidsFromFile(*c)) << "the old file, whole";
    EXPECT_FALSE(fs::exists(DocidPath(dir) + ".tmp"));
  }
  // The half file renamed into place (as no crash can do) is still refused.
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() / 3));
}

// A table of the right stamps, count and checksum whose numbers are not
// the documents' posts (as a numbering in another order would leave) is
// caught by the sample Open checks against the documents.
TEST(DocidStateTest, ATableNumberingOtherPostsIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(DocidPath(dir));
  const size_t at = StampsEnd(bytes);
  const std::string stamps = bytes.substr(12, at - 12);
  std::string body = bytes.substr(at, bytes.size() - 12 - at);
  // Documents 1 and 2 (4 bytes each after the two one-byte counts and
  // document 0's): their posts swapped.
  ASSERT_GT(body.size(), 2u + 12u);
  for (int i = 0; i < 4; ++i) std::swap(body[2 + 4 + i], body[2 + 8 + i]);
  ASSERT_NE(body, bytes.substr(at, bytes.size() - 12 - at));
  ExpectNotUsed(dir, WithBody(bytes, stamps + body), /*removed=*/false);
}

TEST(DocidStateTest, WithoutDerivedRecordsTheIdsAreRead) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_TRUE(fs::remove(DataDir(dir).derived_state()));
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->stats().open.records_from_file);
  EXPECT_FALSE(DocidsFromFile(*c));
  ExpectTableOfTheDatabase(dir, *c->snapshot());
}

TEST(DocidStateTest, ReadRefusesANumberPastItsPostsWithTheDocument) {
  const std::string dir = TestDir(/*create=*/true);
  const std::string path = dir + "/docids.bin";
  DatabaseStamps stamps;
  stamps[0] = {"uuid-a", 3};
  DocidState state;
  state.posts = 2;
  state.number = {DenseIndex::kNone, 1, 0, DenseIndex::kNone};
  ASSERT_TRUE(WriteDocidState(path, stamps, state).ok());
  auto read = ReadDocidState(path, stamps);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->posts, 2u);
  EXPECT_EQ(read->number, state.number);
  DatabaseStamps other = stamps;
  other[0].revision = 4;
  EXPECT_EQ(ReadDocidState(path, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadDocidState(dir + "/none.bin", stamps).status().code(),
            absl::StatusCode::kNotFound);
  state.number[2] = 2;
  ASSERT_TRUE(WriteDocidState(path, stamps, state).ok());
  read = ReadDocidState(path, stamps);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(read.status().message().find("document 2"), std::string::npos)
      << read.status();
}

}  // namespace
}  // namespace whoknows::index
