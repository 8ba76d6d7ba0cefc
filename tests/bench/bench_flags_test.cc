// The benches' shared command-line rules (bench/bench_flags.h): a flag
// without its value is an error, not a silent default, and two runs never
// share a scratch folder.
#include "bench/bench_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/test_dirs.h"

namespace whoknows::bench {
namespace {

bool Pairs(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return FlagsArePairs(static_cast<int>(argv.size()), argv.data(), "usage");
}

TEST(BenchFlagsTest, PairsPassAndALoneOrHelpFlagStops) {
  EXPECT_TRUE(Pairs({"bench"}));
  EXPECT_TRUE(Pairs({"bench", "--replicate", "30"}));
  EXPECT_TRUE(Pairs({"bench", "--replicate", "30", "--work", "w"}));
  // A value forgotten at the end used to be dropped with its flag.
  EXPECT_FALSE(Pairs({"bench", "--replicate", "30", "--work"}));
  EXPECT_FALSE(Pairs({"bench", "--help"}));
  EXPECT_FALSE(Pairs({"bench", "-h"}));
  EXPECT_FALSE(Pairs({"bench", "--work", "w", "--help", "x"}));
  // A value that looks like a flag is still a value.
  EXPECT_TRUE(Pairs({"bench", "--work", "--help"}));
}

TEST(BenchFlagsTest, ASecondRunCannotTakeAHeldScratchFolder) {
  const std::string work = testing_util::TestDir(true) + "/work";
  // The lock is held by an open file description: a second open of the
  // same lock file, even in this process, is refused, as another run's is.
  ASSERT_TRUE(LockScratchFolder(work));
  EXPECT_FALSE(LockScratchFolder(work));
  EXPECT_TRUE(LockScratchFolder(work + "-other"));
}

}  // namespace
}  // namespace whoknows::bench
