// Scratch folders for tests: one per test and process under
// testing::TempDir(), never a fixed /tmp path, so that parallel ctest
// processes (or two checkouts testing at once) never share a folder.
// Removed when the process ends, with what a test put beside them under
// the same name and a suffix, unless a test failed (kept to be looked at,
// and named on stderr) or WHOKNOWS_KEEP_TEST_DIRS is set: with the pid in
// every name, each run of the suite used to leave all of them behind.
#ifndef WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_
#define WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace whoknows::testing_util {

namespace test_dirs_internal {

class Scratch {
 public:
  // Made on first use, after gtest's UnitTest (GetInstance below), so
  // destroyed before it at exit, while its results can still be read.
  static Scratch& Get() {
    testing::UnitTest::GetInstance();
    static Scratch scratch;
    return scratch;
  }

  // True the first time `dir` is seen in this process.
  bool Add(const std::string& dir) {
    std::lock_guard<std::mutex> lock(mu_);
    return dirs_.insert(dir).second;
  }

  ~Scratch() {
    // A forked child (a death test) must not remove its parent's folders.
    if (::getpid() != owner_ || dirs_.empty()) return;
    const auto* unit = testing::UnitTest::GetInstance();
    if (std::getenv("WHOKNOWS_KEEP_TEST_DIRS") != nullptr || unit->Failed()) {
      for (const auto& d : Everything())
        std::fprintf(stderr, "whoknows tests: kept %s\n", d.c_str());
      return;
    }
    for (const auto& d : Everything()) {
      std::error_code ignored;  // a server thread may still write into it
      std::filesystem::remove_all(d, ignored);
    }
  }

 private:
  Scratch() : owner_(::getpid()) {}

  // The folders, and the files and folders tests put beside them with a
  // suffix ("<dir>_pki", "<dir>_backup.tar"): the pid ends each name, so
  // "<name>_" names only this process's.
  std::vector<std::filesystem::path> Everything() const {
    std::vector<std::filesystem::path> out;
    std::set<std::filesystem::path> parents;
    for (const auto& d : dirs_)
      parents.insert(std::filesystem::path(d).parent_path());
    std::error_code ec;
    for (const auto& parent : parents) {
      for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
        const std::string name = e.path().filename().string();
        for (const auto& d : dirs_) {
          const std::string base = std::filesystem::path(d).filename().string();
          if (name == base || name.starts_with(base + "_")) {
            out.push_back(e.path());
            break;
          }
        }
      }
    }
    return out;
  }

  const pid_t owner_;
  std::mutex mu_;
  std::set<std::string> dirs_;
};

}  // namespace test_dirs_internal

// "<TempDir>/whoknows_<name>_<pid>", emptied the first time this process
// asks for it and removed at its end (see above): for folders a whole
// suite shares, made in SetUpTestSuite, before there is a current test.
inline std::string SuiteDir(const std::string& name, bool create = false) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) /
      ("whoknows_" + name + "_" + std::to_string(::getpid()));
  if (test_dirs_internal::Scratch::Get().Add(dir.string()))
    std::filesystem::remove_all(dir);
  if (create) std::filesystem::create_directories(dir);
  return dir.string();
}

// "<TempDir>/whoknows_<Suite>_<Test>_<pid>". Emptied on the first call of each
// test only (a test may ask twice, e.g. for a dump and a data folder side by
// side); created when `create` is set, else left for the code under test.
// A parameterized test's names hold '/' ("Prefix/Suite", "Test/0"), which
// would nest the folder under parents nobody removes: '.' stands for it.
inline std::string TestDir(bool create = false) {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  std::replace(name.begin(), name.end(), '/', '.');
  return SuiteDir(name, create);
}

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_
