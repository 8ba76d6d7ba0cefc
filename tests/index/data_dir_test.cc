// Tests index/data_dir.cc: the folder's names, its lock and atomic writes.
#include "index/data_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "index/catalog.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DataDirTest, NamesEveryFileUnderTheRoot) {
  const DataDir dir("/srv/whoknows");
  for (const std::string& path :
       {dir.posts(), dir.people(), dir.lock(), dir.graph(), dir.interactions(),
        dir.embeddings(), dir.fusion_weights()}) {
    EXPECT_EQ(fs::path(path).parent_path(), "/srv/whoknows") << path;
  }
  EXPECT_EQ(dir.graph(), "/srv/whoknows/graph.tsv");
}

TEST(DataDirTest, LockIsExclusiveAndReleasedWithItsHolder) {
  const DataDir dir(testing_util::TestDir(/*create=*/true));
  auto first = DataDirLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = DataDirLock::Acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("locked by another writer"),
            std::string::npos)
      << second.status();
  first->reset();
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());
}

TEST(DataDirTest, SecondWriterOfACatalogIsRefused) {
  CatalogOptions o;
  o.data_dir = testing_util::TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  auto writer = Catalog::Open(o);
  ASSERT_TRUE(writer.ok()) << writer.status();
  auto second = Catalog::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  // Readers take no lock.
  EXPECT_TRUE(Catalog::OpenForReading(o.data_dir).ok());
}

TEST(DataDirTest, AtomicWriteReplacesTheWholeFile) {
  const std::string path = testing_util::TestDir(true) + "/f.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "a much longer first version").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(Read(path), "second");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(DataDirTest, FailedAtomicWriteLeavesTheOldFileAndNoTemporary) {
  const std::string path = testing_util::TestDir(true) + "/f.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  absl::Status s = WriteFileAtomically(path, [](std::ostream& out) {
    out << "half of the new";
    return absl::DataLossError("writer gave up");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Read(path), "old");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(DataDirTest, AtomicWriteIntoAMissingFolderFails) {
  const std::string path = testing_util::TestDir() + "/missing/f.txt";
  EXPECT_FALSE(WriteFileAtomically(path, "x").ok());
}

TEST(DataDirTest, CutTornLastLineKeepsWholeLinesOnly) {
  const std::string dir = testing_util::TestDir(true);
  struct Case {
    std::string before, after;
  };
  const std::string big(100000, 'x');  // a fragment longer than one block
  for (const Case& c : std::vector<Case>{
           {"", ""},
           {"a\tb\n", "a\tb\n"},
           {"a\tb\nc\t", "a\tb\n"},
           {"no newline at all", ""},
           {"a\n" + big, "a\n"},
           {"a\n" + big + "\n" + big, "a\n" + big + "\n"},
       }) {
    const std::string path = dir + "/log";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.before;
    auto cut = CutTornLastLine(path);
    ASSERT_TRUE(cut.ok()) << cut.status();
    EXPECT_EQ(Read(path), c.after) << c.before.substr(0, 20);
    EXPECT_EQ(*cut, static_cast<int64_t>(c.before.size() - c.after.size()));
  }
  auto missing = CutTornLastLine(dir + "/missing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, 0);
}

// What a crash leaves (a temporary of an atomic write, torn lines of the
// append-only files) is repaired by the writer's Open, before any write.
TEST(DataDirTest, CatalogOpenRepairsWhatACrashLeft) {
  const DataDir dir(testing_util::TestDir(true));
  std::ofstream(dir.graph() + ".tmp") << "a\tb\treply";  // half written
  std::ofstream(dir.embeddings() + ".tmp") << "";
  std::ofstream(dir.interactions(), std::ios::binary)
      << "m1\t100\temail\ta\tb\nm2\t200\tem";
  std::ofstream(dir.audit_log(), std::ios::binary)
      << "{\"method\":\"x\"}\n{\"meth";
  CatalogOptions o;
  o.data_dir = dir.root();
  o.refresh_interval = std::chrono::milliseconds(0);
  o.dictionary_dir.clear();
  auto catalog = Catalog::Open(o);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_FALSE(fs::exists(dir.graph() + ".tmp"));
  EXPECT_FALSE(fs::exists(dir.embeddings() + ".tmp"));
  EXPECT_EQ(Read(dir.interactions()), "m1\t100\temail\ta\tb\n");
  EXPECT_EQ(Read(dir.audit_log()), "{\"method\":\"x\"}\n");
}

TEST(DataDirTest, RecoverDataDirCountsWhatItRepaired) {
  const DataDir dir(testing_util::TestDir(true));
  auto clean = RecoverDataDir(dir);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->temporaries_removed, 0);
  EXPECT_EQ(clean->torn_bytes_cut, 0);
  std::ofstream(dir.fusion_weights() + ".tmp") << "{";
  std::ofstream(dir.erasure_journal() + ".tmp") << "u1";
  std::ofstream(dir.interactions(), std::ios::binary) << "abc";
  auto repaired = RecoverDataDir(dir);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ(repaired->temporaries_removed, 2);
  EXPECT_EQ(repaired->torn_bytes_cut, 3);
  EXPECT_FALSE(fs::exists(dir.erasure_journal()));  // never installed
}

}  // namespace
}  // namespace whoknows::index
