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

}  // namespace
}  // namespace whoknows::index
