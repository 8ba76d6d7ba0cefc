// Tests cli/eval_command.cc with the real binary: one dump prints its report
// as before; several print each community's report and one pooled table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "run_binary.h"
#include "tests/testing/test_dirs.h"
#include "tests/testing/tiny_dump.h"

namespace whoknows::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(EvalCommandTest, OneDumpPrintsItsReportAsBefore) {
  const std::string root = testing_util::TestDir(true);
  const std::string dump =
      testing_util::WriteTinyDump(root + "/first.stackexchange.com", 16, 0);
  const Ran ran =
      RunWhoknows("eval stackexchange '" + dump + "' --work '" + root +
                  "/eval' --no-learn --test-fraction 0.5 2>/dev/null");
  EXPECT_EQ(ran.exit_status, 0) << ran.out;
  EXPECT_THAT(ran.out, StartsWith("8 test questions (cut-off "));
  EXPECT_THAT(ran.out, HasSubstr("whoknows (default weights)"));
  EXPECT_THAT(ran.out, Not(HasSubstr("pooled")));
}

TEST(EvalCommandTest, SeveralDumpsPrintEachCommunityAndThePool) {
  const std::string root = testing_util::TestDir(true);
  const std::string first =
      testing_util::WriteTinyDump(root + "/first.stackexchange.com", 16, 0);
  const std::string second =
      testing_util::WriteTinyDump(root + "/second", 24, 1, /*upset=*/3);
  const Ran ran = RunWhoknows(
      "eval stackexchange '" + first + "' '" + second + "' --work '" + root +
      "/eval' --no-learn --test-fraction 0.5 --features-tsv '" + root +
      "/f.tsv' 2>/dev/null");
  EXPECT_EQ(ran.exit_status, 0) << ran.out;
  EXPECT_THAT(ran.out, HasSubstr("== first\n8 test questions"));
  EXPECT_THAT(ran.out, HasSubstr("== second\n12 test questions"));
  EXPECT_THAT(ran.out, HasSubstr("pooled over their 20 test questions"));
  EXPECT_THAT(ran.out,
              HasSubstr("pooled (20)          whoknows (default weights)    "
                        "              0.900  0.800"));
  EXPECT_THAT(ran.out, HasSubstr("popularity (answers before cut-off)"));
  EXPECT_TRUE(std::filesystem::exists(root + "/f.first.tsv"));
  EXPECT_TRUE(std::filesystem::exists(root + "/f.second.tsv"));
}

}  // namespace
}  // namespace whoknows::cli
