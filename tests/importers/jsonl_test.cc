// Tests importers/jsonl.cc: the JSONL exchange format and its import.
#include "importers/jsonl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/interactions.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::importers {
namespace {

using index::Catalog;
using index::CatalogOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr int64_t k20240301T10 = 1709287200;  // 2024-03-01T10:00:00Z

std::string TestDir() { return testing_util::TestDir(/*create=*/true); }

using testing_util::OpenCatalog;
using testing_util::WriteFile;

std::string Message(const absl::Status& s) { return std::string(s.message()); }
// ---------------------------------------------------------------------------
// ParseJsonlRecord

constexpr char kPersonLine[] =
    R"({"type":"person","id":"u0001","display_name":"Anna Lindqvist",)"
    R"("title":"Platform engineer","department":"Engineering",)"
    R"("site":"Stockholm","country":"SE","manager_id":"u0002",)"
    R"("languages":["sv","en"],"active":false,"opted_out":true})";

constexpr char kPostLine[] =
    R"({"type":"post","id":"p00002","author_id":"u0001","thread_id":"p00001",)"
    R"("parent_id":"p00001","kind":"answer","title":"","body":"Starta om podden.",)"
    R"("tags":["kubernetes","ci"],"language":"sv",)"
    R"("created":"2024-03-01T10:00:00Z","visibility":"group:platform-team",)"
    R"("accepted":true,"liked_by":["u0005","u0006"],"mentioned":["u0007"]})";

TEST(JsonlTest, ParsesPerson) {
  auto r = ParseJsonlRecord(kPersonLine);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(std::holds_alternative<v1::Person>(*r));
  const auto& p = std::get<v1::Person>(*r);
  EXPECT_EQ(p.id(), "u0001");
  EXPECT_EQ(p.display_name(), "Anna Lindqvist");
  EXPECT_EQ(p.title(), "Platform engineer");
  EXPECT_EQ(p.department(), "Engineering");
  EXPECT_EQ(p.site(), "Stockholm");
  EXPECT_EQ(p.country(), "SE");
  EXPECT_EQ(p.manager_id(), "u0002");
  EXPECT_THAT(p.languages(), ElementsAre("sv", "en"));
  ASSERT_TRUE(p.has_active());
  EXPECT_FALSE(p.active());
  EXPECT_TRUE(p.opted_out());
}

// Private-group memberships from the directory, and back out again.
TEST(JsonlTest, ParsesAndWritesGroups) {
  auto r = ParseJsonlRecord(
      R"({"type":"person","id":"u1","groups":["group:hr","group:board"]})");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& p = std::get<v1::Person>(*r);
  EXPECT_THAT(p.groups(), ElementsAre("group:hr", "group:board"));
  auto again = ParseJsonlRecord(ToJsonl(p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(std::get<v1::Person>(*again).groups(),
              ElementsAre("group:hr", "group:board"));
}

TEST(JsonlTest, ParsesMinimalPersonWithDefaults) {
  auto r = ParseJsonlRecord(R"({"type":"person","id":"u9","unknown":42})");
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& p = std::get<v1::Person>(*r);
  EXPECT_EQ(p.id(), "u9");
  EXPECT_TRUE(!p.has_active() || p.active());
  EXPECT_FALSE(p.opted_out());
  EXPECT_THAT(p.languages(), IsEmpty());
}

TEST(JsonlTest, ParsesPost) {
  auto r = ParseJsonlRecord(kPostLine);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(std::holds_alternative<v1::Post>(*r));
  const auto& p = std::get<v1::Post>(*r);
  EXPECT_EQ(p.id(), "p00002");
  EXPECT_EQ(p.author_id(), "u0001");
  EXPECT_EQ(p.thread_id(), "p00001");
  EXPECT_EQ(p.parent_id(), "p00001");
  EXPECT_EQ(p.kind(), v1::POST_KIND_ANSWER);
  EXPECT_EQ(p.body(), "Starta om podden.");
  EXPECT_THAT(p.tags(), ElementsAre("kubernetes", "ci"));
  EXPECT_EQ(p.language(), "sv");
  EXPECT_EQ(p.created().seconds(), k20240301T10);
  EXPECT_EQ(p.visibility(), "group:platform-team");
  EXPECT_TRUE(p.accepted());
  EXPECT_THAT(p.liked_by(), ElementsAre("u0005", "u0006"));
  EXPECT_THAT(p.mentioned(), ElementsAre("u0007"));
}

TEST(JsonlTest, ParsesEveryPostKind) {
  const std::map<std::string, v1::PostKind> kinds = {
      {"question", v1::POST_KIND_QUESTION},
      {"answer", v1::POST_KIND_ANSWER},
      {"comment", v1::POST_KIND_COMMENT},
      {"article", v1::POST_KIND_ARTICLE}};
  for (const auto& [name, kind] : kinds) {
    const std::string parent =
        kind == v1::POST_KIND_ANSWER || kind == v1::POST_KIND_COMMENT
            ? R"(,"parent_id":"p0")"
            : "";
    auto r = ParseJsonlRecord(
        R"({"type":"post","id":"p1","author_id":"u1","kind":")" + name +
        R"(","body":"x","created":"2024-03-01T10:00:00Z")" + parent + "}");
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_EQ(std::get<v1::Post>(*r).kind(), kind) << name;
  }
}

TEST(JsonlTest, ToJsonlRoundTrips) {
  auto post = ParseJsonlRecord(kPostLine);
  ASSERT_TRUE(post.ok());
  auto again = ParseJsonlRecord(ToJsonl(std::get<v1::Post>(*post)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(std::get<v1::Post>(*again).DebugString(),
            std::get<v1::Post>(*post).DebugString());

  auto person = ParseJsonlRecord(kPersonLine);
  ASSERT_TRUE(person.ok());
  auto person_again = ParseJsonlRecord(ToJsonl(std::get<v1::Person>(*person)));
  ASSERT_TRUE(person_again.ok()) << person_again.status();
  EXPECT_EQ(std::get<v1::Person>(*person_again).DebugString(),
            std::get<v1::Person>(*person).DebugString());
}

struct Malformed {
  std::string line;
  std::string expected;  // in the message
};

TEST(JsonlTest, RejectsMalformedLinesNamingTheField) {
  const std::vector<Malformed> cases = {
      {"this is not json", "not valid JSON"},
      {R"({"type":"post","id":)", "not valid JSON"},
      {"[1,2,3]", "not a JSON object"},
      {R"({"type":"group","id":"g1"})", "type"},
      {R"({"id":"u1"})", "type"},
      {R"({"type":5})", "type"},
      {R"({"type":"person","display_name":"No Id"})", "person.id: required"},
      {R"({"type":"person","id":5})", "id: must be a string"},
      {R"({"type":"person","id":"u1","active":"yes"})", "active"},
      {R"({"type":"person","id":"u1","opted_out":1})", "opted_out"},
      {R"({"type":"person","id":"u1","languages":"sv"})", "languages"},
      {R"({"type":"person","id":"u1","languages":["sv",1]})", "languages"},
      {R"({"type":"person","id":"u1","country":"SWE"})", "person.country"},
      {R"({"type":"person","id":"u1","groups":"group:hr"})", "groups"},
      {R"({"type":"person","id":"u1","groups":["hr"]})", "person.groups[0]"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"poll","body":"x","created":"2024-03-01T10:00:00Z"})",
       "post.kind"},
      {R"({"type":"post","id":"p1","author_id":"u1","body":"x","created":"2024-03-01T10:00:00Z"})",
       "post.kind"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"yesterday"})",
       "post.created"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x"})",
       "post.created: required"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":1709287200})",
       "created: must be a string"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z","tags":"ci"})",
       "tags"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z","liked_by":[1]})",
       "liked_by"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z","accepted":"no"})",
       "accepted"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z","accepted":true})",
       "post.accepted"},
      {R"({"type":"post","id":"p1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z"})",
       "post.author_id: required"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"answer","body":"x","created":"2024-03-01T10:00:00Z"})",
       "post.parent_id"},
      {R"({"type":"post","id":"p1","author_id":"u1","kind":"question","body":"x","created":"2024-03-01T10:00:00Z","visibility":"private"})",
       "post.visibility"},
  };
  for (const auto& c : cases) {
    auto r = ParseJsonlRecord(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(Message(r.status()), HasSubstr(c.expected)) << c.line;
  }
}

// ---------------------------------------------------------------------------
// ImportJsonl

// Line 4 is malformed, line 5 is blank.
std::string JsonlWithOneBadLine() {
  return std::string(R"({"type":"person","id":"u1","display_name":"Anna"})") +
         "\n" + R"({"type":"person","id":"u2","display_name":"Bo"})" + "\n" +
         R"({"type":"post","id":"q1","author_id":"u1","kind":"question","title":"VPN","body":"The VPN drops every hour.","language":"en","created":"2024-03-01T10:00:00Z"})" +
         "\n" + R"({"type":"post","id":"broken",)" + "\n" + "\n" +
         R"({"type":"post","id":"a1","author_id":"u2","parent_id":"q1","kind":"answer","body":"Reinstall the VPN client.","language":"en","created":"2024-03-02T10:00:00Z","accepted":true})" +
         "\n";
}

TEST(JsonlTest, ImportJsonlSkipsMalformedLineWhenNotStrict) {
  const std::string dir = TestDir();
  const std::string path = dir + "/company.jsonl";
  WriteFile(path, JsonlWithOneBadLine());
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  std::vector<std::string> problems;
  int progress_calls = 0;
  ImportOptions o;
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  o.on_progress = [&](const ImportProgress& p) {
    ++progress_calls;
    EXPECT_EQ(p.phase, "company.jsonl");
  };
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 2);
  EXPECT_EQ(stats->posts, 2);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StartsWith(path + ":4: "));
  EXPECT_THAT(problems[0], HasSubstr("not valid JSON"));
  EXPECT_GE(progress_calls, 1);

  catalog->Refresh();
  auto snap = catalog->snapshot();
  EXPECT_EQ(snap->people.size(), 2u);
  EXPECT_EQ(snap->posts.size(), 2u);
  ASSERT_NE(snap->FindPost("a1"), nullptr);
  EXPECT_TRUE(snap->FindPost("a1")->accepted);
  EXPECT_EQ(snap->FindPost("a1")->thread_id, "q1");
}

TEST(JsonlTest, ImportJsonlStrictStopsAtMalformedLineKeepingCommitted) {
  const std::string dir = TestDir();
  const std::string path = dir + "/company.jsonl";
  WriteFile(path, JsonlWithOneBadLine());
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  o.strict = true;
  o.batch_size = 1;
  int problems = 0;
  o.on_problem = [&](const std::string&) { ++problems; };
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(stats.status()), HasSubstr(path + ":4:"));
  catalog->Refresh();
  auto snap = catalog->snapshot();
  // Lines 1-3 were committed before the failure; line 6 never was.
  EXPECT_EQ(snap->people.size(), 2u);
  EXPECT_NE(snap->FindPost("q1"), nullptr);
  EXPECT_EQ(snap->FindPost("a1"), nullptr);
}

TEST(JsonlTest, ImportJsonlStrictKeepsThePendingBatchToo) {
  // With a big batch nothing is committed before the bad line is met; the
  // records before it are still written ("nothing valid is lost").
  const std::string dir = TestDir();
  const std::string path = dir + "/company.jsonl";
  WriteFile(path, JsonlWithOneBadLine());
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  o.strict = true;
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_FALSE(stats.ok());
  catalog->Refresh();
  EXPECT_NE(catalog->snapshot()->FindPost("q1"), nullptr);
  EXPECT_EQ(catalog->snapshot()->FindPost("a1"), nullptr);
}

TEST(JsonlTest, ImportJsonlCreatedBeforeFiltersPosts) {
  const std::string dir = TestDir();
  const std::string path = dir + "/company.jsonl";
  WriteFile(path, JsonlWithOneBadLine());
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  o.created_before = k20240301T10 + 1;  // q1 is older, a1 a day newer
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->posts, 1);
  EXPECT_EQ(stats->people, 2);
  catalog->Refresh();
  EXPECT_NE(catalog->snapshot()->FindPost("q1"), nullptr);
  EXPECT_EQ(catalog->snapshot()->FindPost("a1"), nullptr);
}

TEST(JsonlTest, ImportJsonlMissingFileIsNotFound) {
  const std::string dir = TestDir();
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  auto stats = ImportJsonl(dir + "/nope.jsonl", *catalog, {});
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kNotFound);
}

TEST(JsonlTest, ImportJsonlToleratesCrlfAndWhitespaceLines) {
  const std::string dir = TestDir();
  const std::string path = dir + "/crlf.jsonl";
  WriteFile(
      path,
      std::string(R"({"type":"person","id":"u1"})") + "\r\n  \t\r\n" +
          R"({"type":"post","id":"q1","author_id":"u1","kind":"question","body":"VPN drops.","language":"en","created":"2024-03-01T10:00:00Z"})" +
          "\r\n");
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  o.strict = true;
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 1);
  EXPECT_EQ(stats->posts, 1);
  EXPECT_EQ(stats->skipped, 0);
}

TEST(JsonlTest, InteractionParsesRecordWithListOrSingleReceiver) {
  auto a = ParseInteractionRecord(
      R"({"type":"interaction","id":"m1","from":"a","to":["b","c"],)"
      R"("time":"2001-05-01T10:00:00Z","kind":"email"})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->from, "a");
  EXPECT_EQ(a->to, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(a->time, 988711200);
  EXPECT_EQ(a->kind, "email");
  auto b = ParseInteractionRecord(
      R"({"type":"interaction","from":7,"to":8,"time":988711200})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->to, (std::vector<std::string>{"8"}));
  EXPECT_EQ(b->kind, "message");
}

TEST(JsonlTest, InteractionRejectionsNameTheField) {
  struct Case {
    const char* line;
    const char* field;
  } cases[] = {
      {R"({"type":"interaction","to":["b"],"time":5})", "interaction.from"},
      {R"({"type":"interaction","from":"a","time":5})", "interaction.to"},
      {R"({"type":"interaction","from":"a","to":["b","a"],"time":5})",
       "interaction.to[1]"},
      {R"({"type":"interaction","from":"a","to":["b"]})", "interaction.time"},
      {R"({"type":"interaction","from":"a","to":"b","time":"yesterday"})",
       "time"},
  };
  for (const auto& c : cases) {
    auto r = ParseInteractionRecord(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(r.status().message()).rfind(c.field, 0), 0u)
        << r.status() << " for " << c.line;
  }
}

TEST(JsonlTest, InteractionsImportServesPeoplePostsAndInteractions) {
  const std::string dir = TestDir();
  const std::string file = dir + "/in.jsonl";
  std::ofstream(file)
      << R"({"type":"person","id":"a","department":"Sales","team":"North","leaving":true,"joined":"2001-01-01T00:00:00Z","away_until":"9999-12-31T00:00:00Z"})"
      << "\n"
      << R"({"type":"person","id":"b","department":"Legal"})"
      << "\n"
      << R"({"type":"interaction","from":"a","to":"b","time":988711200})"
      << "\n"
      << R"({"type":"interaction","from":"a"})"
      << "\n";
  CatalogOptions co;
  co.data_dir = dir + "/data";
  co.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = Catalog::Open(co);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  std::vector<std::string> problems;
  ImportOptions o;
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ImportInteractionsJsonl(file, **catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 2);
  EXPECT_EQ(stats->interactions, 1);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("in.jsonl:4: interaction.to"), std::string::npos)
      << problems[0];
  (*catalog)->Refresh();
  const v1::Person* a = (*catalog)->snapshot()->FindPerson("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->team(), "North");
  EXPECT_TRUE(a->leaving());
  EXPECT_EQ(a->joined().seconds(), 978307200);
  EXPECT_EQ(a->away_until().seconds(), 253402214400);  // 9999-12-31
  auto log = index::InteractionLog(co.data_dir).Load();
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 1u);
}

// Once accepted: a post dated 9999 (or 2200) poisoned every answer. The
// importer now treats it as a malformed record, with file and line, through
// the one BadRecords policy; so is a person joining in 9999 and an
// interaction dated ahead.
TEST(JsonlTest, ImportSkipsRecordsDatedInTheFutureNamingFileAndLine) {
  const std::string dir = TestDir();
  const std::string file = dir + "/future.jsonl";
  std::ofstream(file)
      << R"({"type":"person","id":"a"})"
      << "\n"
      << R"({"type":"person","id":"b","joined":"9999-12-31T00:00:00Z"})"
      << "\n"
      << R"({"type":"post","id":"q1","author_id":"a","kind":"question","title":"Fine","body":"x","created":"2024-03-01T10:00:00Z"})"
      << "\n"
      << R"({"type":"post","id":"q2","author_id":"a","kind":"question","title":"Poison","body":"x","created":"9999-12-31T00:00:00Z"})"
      << "\n"
      << R"({"type":"post","id":"q3","author_id":"a","kind":"question","title":"Poison","body":"x","created":"2200-01-01T00:00:00Z","visibility":"group:HR Team!"})"
      << "\n"
      << R"({"type":"interaction","from":"a","to":"b","time":"2200-01-01T00:00:00Z"})"
      << "\n";
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  std::vector<std::string> problems;
  ImportOptions o;
  o.validation.clock = index::FixedClock(k20240301T10);
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ImportInteractionsJsonl(file, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 1);
  EXPECT_EQ(stats->posts, 1);
  EXPECT_EQ(stats->interactions, 0);
  EXPECT_EQ(stats->skipped, 4);
  EXPECT_THAT(problems,
              ElementsAre(StartsWith(file + ":2: person.joined: 9999-12-31"),
                          StartsWith(file + ":4: post.created: 9999-12-31"),
                          StartsWith(file + ":5: post.created: 2200-01-01"),
                          StartsWith(file + ":6: interaction.time: 2200")));
  // Strict: the first one ends the import.
  o.strict = true;
  auto strict = ImportJsonl(file, *catalog, o);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(strict.status()), StartsWith(file + ":2: "));
}

// Posts whose authors the directory does not have yet: u1 never gets a
// person record in the first file, u2's comes after their post, u3 is
// stored already, opted out.
TEST(JsonlTest,
     ImportJsonlGivesUnknownAuthorsMinimalRecordsTheDirectoryCompletes) {
  const std::string dir = TestDir();
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  v1::Person opted_out = testing_util::MakePerson("u3", "Legal");
  opted_out.set_opted_out(true);
  ASSERT_TRUE(catalog->UpsertPeople({{opted_out}}).ok());
  catalog->Refresh();
  const std::string posts = dir + "/posts.jsonl";
  WriteFile(
      posts,
      std::string(
          R"({"type":"post","id":"q1","author_id":"u1","kind":"question","title":"VPN","body":"The VPN drops.","language":"en","created":"2024-03-01T10:00:00Z"})") +
          "\n" +
          R"({"type":"post","id":"a1","author_id":"u2","parent_id":"q1","kind":"answer","body":"Reinstall it.","language":"en","created":"2024-03-02T10:00:00Z"})" +
          "\n" + R"({"type":"person","id":"u2","display_name":"Bo"})" + "\n" +
          R"({"type":"post","id":"a2","author_id":"u3","parent_id":"q1","kind":"answer","body":"Ask IT.","language":"en","created":"2024-03-02T11:00:00Z"})" +
          "\n");
  for (int batch_size : {1, 100}) {  // minimal record committed or pending
    SCOPED_TRACE(batch_size);
    ImportOptions o;
    o.batch_size = batch_size;
    auto stats = ImportJsonl(posts, *catalog, o);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->posts, 3);
    EXPECT_EQ(stats->people, 1);
    catalog->Refresh();
    auto snap = catalog->snapshot();
    // u1 is known by their id, so their posts count.
    ASSERT_NE(snap->FindPerson("u1"), nullptr);
    EXPECT_EQ(snap->FindPerson("u1")->display_name(), "");
    EXPECT_EQ(snap->activity.at("u1").questions, 1);
    // u2's directory record won over the minimal one, whatever the batch.
    ASSERT_NE(snap->FindPerson("u2"), nullptr);
    EXPECT_EQ(snap->FindPerson("u2")->display_name(), "Bo");
    // u3's stored record and sticky opt-out are untouched.
    ASSERT_NE(snap->FindPerson("u3"), nullptr);
    EXPECT_EQ(snap->FindPerson("u3")->department(), "Legal");
    EXPECT_TRUE(snap->FindPerson("u3")->opted_out());
  }

  // The directory arrives: u1's record replaces the minimal one.
  const std::string people = dir + "/people.jsonl";
  WriteFile(
      people,
      R"({"type":"person","id":"u1","display_name":"Anna","department":"IT"})");
  auto stats = ImportJsonl(people, *catalog, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  catalog->Refresh();
  auto snap = catalog->snapshot();
  EXPECT_EQ(snap->FindPerson("u1")->display_name(), "Anna");
  EXPECT_EQ(snap->FindPerson("u1")->department(), "IT");
  // Posts again: the minimal record never comes back over the real one.
  stats = ImportJsonl(posts, *catalog, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->minimal_people, 0);
  catalog->Refresh();
  EXPECT_EQ(catalog->snapshot()->FindPerson("u1")->display_name(), "Anna");
}

TEST(JsonlTest, ImportJsonlCountsEmptyPostsApartFromMalformedOnes) {
  const std::string dir = TestDir();
  const std::string path = dir + "/empty.jsonl";
  // Line 2 has no text (a placeholder); line 3 has no text and no kind:
  // malformed.
  WriteFile(
      path,
      std::string(
          R"({"type":"post","id":"q1","author_id":"u1","kind":"question","title":"VPN","body":"The VPN drops.","created":"2024-03-01T10:00:00Z"})") +
          "\n" +
          R"({"type":"post","id":"w1","author_id":"u1","kind":"article","title":"","body":"","created":"2024-03-01T11:00:00Z"})" +
          "\n" +
          R"({"type":"post","id":"w2","author_id":"u1","body":"","created":"2024-03-01T11:00:00Z"})" +
          "\n");
  auto catalog = OpenCatalog(dir + "/data");
  ASSERT_NE(catalog, nullptr);
  std::vector<std::string> problems;
  ImportOptions o;
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ImportJsonl(path, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->posts, 1);
  EXPECT_EQ(stats->empty_posts, 1);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StartsWith(path + ":3: "));
  // Strict mode does not stop at an empty post either.
  o.strict = true;
  WriteFile(
      path,
      std::string(
          R"({"type":"post","id":"w1","author_id":"u1","kind":"article","created":"2024-03-01T11:00:00Z"})") +
          "\n");
  stats = ImportJsonl(path, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->empty_posts, 1);
  // One record alone cannot be stored: ParseJsonlRecord still refuses it.
  auto one = ParseJsonlRecord(
      R"({"type":"post","id":"w1","author_id":"u1","kind":"article","created":"2024-03-01T11:00:00Z"})");
  ASSERT_FALSE(one.ok());
  EXPECT_THAT(Message(one.status()), HasSubstr("post.body"));
}

// On a catalog that defers commits (CatalogOptions::bulk_commit_records, as
// `whoknows import` opens it), an import returns with everything committed,
// and progress reports the posts written so far.
TEST(JsonlTest, ImportJsonlCommitsABulkLoadBeforeItReturns) {
  const std::string dir = TestDir();
  const std::string path = dir + "/company.jsonl";
  WriteFile(path, JsonlWithOneBadLine());
  CatalogOptions co;
  co.data_dir = dir + "/data";
  co.refresh_interval = std::chrono::milliseconds(0);
  co.bulk_commit_records = 1000;
  auto catalog = Catalog::Open(co);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ImportOptions o;
  o.batch_size = 1;
  std::vector<int64_t> posts_seen;
  o.on_progress = [&](const ImportProgress& p) {
    posts_seen.push_back(p.posts);
  };
  auto stats = ImportJsonl(path, **catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->posts, 2);
  ASSERT_FALSE(posts_seen.empty());
  EXPECT_EQ(posts_seen.back(), 2);
  // Another process's view of the folder, with the writer still open.
  auto reader = Catalog::OpenForReading(co.data_dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->snapshot()->posts.size(), 2u);
  EXPECT_EQ((*reader)->snapshot()->people.size(), 2u);
}

}  // namespace
}  // namespace whoknows::importers
