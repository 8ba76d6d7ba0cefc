// Tests cli/import_command.cc with the real binary: the summary line and
// the exit status (0 clean, 3 when malformed records were skipped).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "index/catalog.h"
#include "index/graph.h"
#include "run_binary.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_util::WriteFile;

// Posts.xml only (no Users.xml): a question, an answer, an answer that is
// only an image (empty once the HTML is gone) and, unless `clean`, a row
// with a bad date.
std::string WriteDump(const std::string& root, bool clean) {
  const std::string dir = root + "/dump";
  std::filesystem::create_directories(dir);
  std::string posts = R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2017-01-01T10:00:00.000" Body="How do I dry hop?" OwnerUserId="10" Title="Dry hopping" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2017-01-02T10:00:00.000" Body="Citra, five days." OwnerUserId="11" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2017-01-03T10:00:00.000" Body="&lt;p&gt;&lt;img src=&quot;x.png&quot;&gt;&lt;/p&gt;" OwnerUserId="12" />
)";
  if (!clean) {
    posts +=
        R"(  <row Id="4" PostTypeId="2" ParentId="1" CreationDate="someday" Body="Bad date" OwnerUserId="12" />
)";
  }
  WriteFile(dir + "/Posts.xml", posts + "</posts>\n");
  return dir;
}

TEST(ImportCommandTest, EmptyPostsAreCountedAndTheExitStatusStaysClean) {
  const std::string root = testing_util::TestDir(true);
  const std::string dump = WriteDump(root, /*clean=*/true);
  const Ran ran = RunWhoknows("import stackexchange '" + dump + "' --data '" +
                              root + "/data'");
  EXPECT_EQ(ran.exit_status, 0) << ran.out;
  EXPECT_THAT(ran.out, HasSubstr("imported 0 people and 2 posts"));
  EXPECT_THAT(ran.out, HasSubstr("2 people known only from their posts"));
  EXPECT_THAT(ran.out, HasSubstr("left out 1 empty posts"));
  EXPECT_THAT(ran.out, Not(HasSubstr("skipped")));
  // What the publish before the close costs, and the close.
  EXPECT_THAT(ran.out, HasSubstr(", publish "));
}

TEST(ImportCommandTest, MalformedRecordsStillMakeTheExitStatus3) {
  const std::string root = testing_util::TestDir(true);
  const std::string dump = WriteDump(root, /*clean=*/false);
  const Ran ran = RunWhoknows("import stackexchange '" + dump + "' --data '" +
                              root + "/data' 2>/dev/null");
  EXPECT_EQ(ran.exit_status, 3) << ran.out;
  EXPECT_THAT(ran.out, HasSubstr("left out 1 empty posts"));
  EXPECT_THAT(ran.out, HasSubstr("skipped 1 malformed records"));
}

// --rate-every N: a line per N posts written and one for the rest, on
// stderr; importing the same file twice (what a killed import is restarted
// with) leaves the same folder.
TEST(ImportCommandTest, RateEveryPrintsALinePerNPostsAndAReImportIsTheSame) {
  const std::string root = testing_util::TestDir(true);
  std::string jsonl = R"({"type":"person","id":"u1","display_name":"Anna"})"
                      "\n";
  for (int i = 0; i < 5; ++i) {
    jsonl +=
        R"({"type":"post","id":"q)" + std::to_string(i) +
        R"(","author_id":"u1","kind":"question","title":"VPN","body":"The VPN drops.","language":"en","created":"2024-03-01T10:00:00Z"})"
        "\n";
  }
  WriteFile(root + "/c.jsonl", jsonl);
  const std::string cmd = "import jsonl '" + root + "/c.jsonl' --data '" +
                          root + "/data' --rate-every 2 --commit-every 3 2>&1";
  for (int run = 0; run < 2; ++run) {
    const Ran ran = RunWhoknows(cmd);
    EXPECT_EQ(ran.exit_status, 0) << ran.out;
    EXPECT_THAT(ran.out, HasSubstr("imported 1 people and 5 posts"));
    EXPECT_THAT(ran.out, HasSubstr("posts 0-"));
    EXPECT_THAT(ran.out, HasSubstr("-5: "));
    EXPECT_THAT(ran.out, HasSubstr("per CPU-second"));
  }
  const Ran asked = RunWhoknows("ask VPN --data '" + root + "/data' --json");
  EXPECT_EQ(asked.exit_status, 0) << asked.out;
  EXPECT_THAT(asked.out, HasSubstr("u1"));
}

// The first serve after an import starts warm: the import leaves the
// records (derived.bin), the colleague graph (graph.bin) and the docid
// table (docids.bin) stamped with the folder's databases, and the next
// Open reads them instead of scanning every document, building the graph
// from every post and reading every document's id.
TEST(ImportCommandTest, LeavesAFolderThatOpensWarm) {
  const std::string root = testing_util::TestDir(true);
  std::string jsonl = R"({"type":"person","id":"u1","display_name":"Anna"})"
                      "\n"
                      R"({"type":"person","id":"u2","display_name":"Ben"})"
                      "\n";
  jsonl +=
      R"({"type":"post","id":"q1","author_id":"u1","kind":"question","title":"VPN","body":"The VPN drops.","language":"en","created":"2024-03-01T10:00:00Z"})"
      "\n"
      R"({"type":"post","id":"a1","author_id":"u2","kind":"answer","parent_id":"q1","body":"Renew the certificate.","language":"en","created":"2024-03-02T10:00:00Z"})"
      "\n";
  WriteFile(root + "/c.jsonl", jsonl);
  const Ran ran = RunWhoknows("import jsonl '" + root + "/c.jsonl' --data '" +
                              root + "/data' 2>&1");
  ASSERT_EQ(ran.exit_status, 0) << ran.out;
  EXPECT_TRUE(std::filesystem::exists(root + "/data/derived.bin"));
  EXPECT_TRUE(std::filesystem::exists(root + "/data/graph.bin"));
  EXPECT_TRUE(std::filesystem::exists(root + "/data/docids.bin"));

  index::CatalogOptions options;
  options.data_dir = root + "/data";
  auto catalog = index::Catalog::Open(options);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const index::OpenTimings open = (*catalog)->stats().open;
  EXPECT_TRUE(open.records_from_file);
  EXPECT_TRUE(open.first_publish.graph_from_file);
  EXPECT_TRUE(open.first_publish.docids_from_file);
  // The graph read is the one the posts make: the answer ties u2 to u1.
  const auto snapshot = (*catalog)->snapshot();
  ASSERT_NE(snapshot->graph, nullptr);
  EXPECT_EQ(snapshot->graph->num_people(), 2u);
}

}  // namespace
}  // namespace whoknows::cli
