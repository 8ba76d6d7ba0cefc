// Restore of crafted archives (review-attack findings, issue 11): every
// hostile tar is DATA_LOSS with a message naming what is wrong, nothing
// is left in `<dir>.restoring`, and no size in a header is allocated before
// it is checked against the file and the manifest. The round trip of a
// real backup is in tests/api/backup_test.cc.
#include "index/backup.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "index/data_dir.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

// One ustar header block for `name` claiming `octal_size` bytes.
std::string TarHeader(const std::string& name, const std::string& octal_size,
                      char type = '0', const std::string& link = "") {
  std::array<char, 512> h{};
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(h.data() + 100, "0000644", 7);
  std::memcpy(h.data() + 124, octal_size.data(), octal_size.size());
  std::memcpy(h.data() + 136, "00000000000", 11);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return std::string(h.data(), h.size());
}

std::string TarEntry(const std::string& name, const std::string& data,
                     char type = '0', const std::string& link = "") {
  char size[12];
  std::snprintf(size, sizeof size, "%011zo", data.size());
  std::string out = TarHeader(name, size, type, link) + data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out;
}

// SHA-256 of "x" and "y", the only contents used below.
constexpr char kShaX[] =
    "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
constexpr char kShaY[] =
    "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa";

std::string Manifest(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::string list;
  for (const auto& [path, data] : files)
    absl::StrAppend(&list, list.empty() ? "" : ",", R"({"path":")", path,
                    R"(","bytes":)", data.size(), R"(,"sha256":")",
                    data == "x" ? kShaX : kShaY, R"("})");
  return absl::StrCat(
      R"({"format":"whoknows-backup-1","created":"2026-01-01T00:00:00Z",)",
      R"("xapian_version":"1.4.22","counts":{"posts":0,"private_posts":0,)",
      R"("people":0,"interactions":0},"files":[)", list, "]}");
}

std::string Write(const std::string& dir, const std::string& tar) {
  const std::string archive = dir + "/hostile.tar";
  std::ofstream(archive, std::ios::binary) << tar;
  return archive;
}

// Restores `tar` in `dir`; expects DATA_LOSS whose message holds `why`,
// and neither the target nor `<target>.restoring` left behind. `dir` comes
// from the test's own process: a death test's child that named one would
// leave it behind (it ends with _Exit, and the name carries its pid).
void ExpectDataLoss(const std::string& dir, const std::string& tar,
                    const std::string& why) {
  const std::string target = dir + "/restored";
  auto r = Restore(Write(dir, tar), DataDir(target), false);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status();
  EXPECT_FALSE(fs::exists(target + ".restoring"));
  EXPECT_FALSE(fs::exists(target));
}

// Reviewer's finding: "a" and then "a/b" made fs::create_directories
// throw; `whoknows restore` died with std::terminate and left
// DIR.restoring behind. Run in a child: before the fix it aborts.
TEST(RestoreAttackTest, AFileThenAFileBelowItIsDataLoss) {
  const std::vector<std::pair<std::string, std::string>> files = {{"a", "x"},
                                                                  {"a/b", "y"}};
  std::string tar = TarEntry("MANIFEST.json", Manifest(files));
  for (const auto& [path, data] : files) tar += TarEntry(path, data);
  tar.append(1024, '\0');
  const std::string dir = testing_util::TestDir(true);
  EXPECT_EXIT(
      {
        ExpectDataLoss(dir, tar, "a/b");
        std::_Exit(::testing::Test::HasFailure() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

// A symbolic link entry (here to /tmp) and then a file below it: links
// are not part of a backup, so the link is refused before anything is
// written through it.
TEST(RestoreAttackTest, ASymlinkEntryIsDataLoss) {
  const std::vector<std::pair<std::string, std::string>> files = {{"a/b", "y"}};
  std::string tar = TarEntry("MANIFEST.json", Manifest(files));
  tar += TarEntry("a", "", '2', "/tmp");
  tar += TarEntry("a/b", "y");
  tar.append(1024, '\0');
  const std::string dir = testing_util::TestDir(true);
  EXPECT_EXIT(
      {
        ExpectDataLoss(dir, tar, "not a regular file");
        std::_Exit(::testing::Test::HasFailure() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

// In a death test's child: restores with 1 GiB more address space than
// the child has now, and exits 0 when the answer is DATA_LOSS.
void RestoreWithinOneMoreGiB(const std::string& archive,
                             const std::string& target) {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  const rlim_t limit =
      static_cast<rlim_t>(pages) * ::sysconf(_SC_PAGESIZE) + (1L << 30);
  const rlimit rl{limit, limit};
  ::setrlimit(RLIMIT_AS, &rl);
  auto r = Restore(archive, DataDir(target), false);
  std::_Exit(r.status().code() == absl::StatusCode::kDataLoss &&
                     !fs::exists(target + ".restoring")
                 ? 0
                 : 1);
}

// Reviewer's finding: a 1.5 KB archive whose MANIFEST.json header claims
// 8 GiB made restore allocate and zero 8 GiB before "truncated tar".
TEST(RestoreAttackTest, AForgedManifestSizeIsNotAllocated) {
  const std::string dir = testing_util::TestDir(true);
  std::string tar = TarHeader("MANIFEST.json", "77777777777") + "{}";
  tar.append(1022 + 1024, '\0');
  EXPECT_EXIT(RestoreWithinOneMoreGiB(Write(dir, tar), dir + "/restored"),
              ::testing::ExitedWithCode(0), "");
}

// The same for a file entry: the manifest says 1 byte, the header 8 GiB.
TEST(RestoreAttackTest, AForgedFileSizeIsNotAllocated) {
  const std::string dir = testing_util::TestDir(true);
  std::string tar = TarEntry("MANIFEST.json", Manifest({{"a", "x"}}));
  tar += TarHeader("a", "77777777777") + "x";
  tar.append(511 + 1024, '\0');
  EXPECT_EXIT(RestoreWithinOneMoreGiB(Write(dir, tar), dir + "/restored"),
              ::testing::ExitedWithCode(0), "");
}

TEST(RestoreAttackTest, SizesBeyondTheFileOrTheManifestAreDataLoss) {
  // The header claims more than the archive holds.
  std::string tar = TarEntry("MANIFEST.json", Manifest({{"a", "x"}}));
  tar += TarHeader("a", "00000001000") + "x";
  ExpectDataLoss(testing_util::TestDir(true), tar, "beyond the end");
  // The header and the manifest disagree (both within the file).
  tar = TarEntry("MANIFEST.json", Manifest({{"a", "x"}}));
  tar += TarEntry("a", "xy");
  tar.append(1024, '\0');
  ExpectDataLoss(testing_util::TestDir(true), tar, "the manifest says 1");
  // A size that is not octal.
  tar = TarHeader("MANIFEST.json", "0000000009z") + std::string(2048, '\0');
  ExpectDataLoss(testing_util::TestDir(true), tar, "size");
  // A manifest bigger than any real one (the cap is 16 MiB).
  tar = TarHeader("MANIFEST.json", "00200000001");
  tar.append(32 << 20, ' ');
  ExpectDataLoss(testing_util::TestDir(true), tar, "MANIFEST.json");
}

TEST(RestoreAttackTest, UnsafeOrDuplicatePathsInTheManifestAreDataLoss) {
  for (const std::string path : {"../a", "/a", "a//b", "./a", "a/"}) {
    std::string tar = TarEntry("MANIFEST.json", Manifest({{path, "x"}}));
    tar.append(1024, '\0');
    ExpectDataLoss(testing_util::TestDir(true), tar, "MANIFEST.json");
  }
  std::string tar =
      TarEntry("MANIFEST.json", Manifest({{"a", "x"}, {"a", "x"}}));
  tar.append(1024, '\0');
  ExpectDataLoss(testing_util::TestDir(true), tar, "twice");
}

}  // namespace
}  // namespace whoknows::index
