// Scratch folders for tests: one per test and process under
// testing::TempDir(), never a fixed /tmp path, so that parallel ctest
// processes (or two checkouts testing at once) never share a folder.
#ifndef WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_
#define WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

namespace whoknows::testing_util {

// "<TempDir>/whoknows_<Suite>_<Test>_<pid>". Emptied on the first call of each
// test only (a test may ask twice, e.g. for a dump and a data folder side by
// side); created when `create` is set, else left for the code under test.
inline std::string TestDir(bool create = false) {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) /
      (std::string("whoknows_") + info->test_suite_name() + "_" + info->name() +
       "_" + std::to_string(::getpid()));
  static std::set<std::string> cleaned;
  if (cleaned.insert(dir.string()).second) std::filesystem::remove_all(dir);
  if (create) std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_TEST_DIRS_H_
