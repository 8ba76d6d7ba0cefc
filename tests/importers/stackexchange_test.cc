// Tests importers/stackexchange.cc: reading and importing dumps.
#include "importers/stackexchange.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/people.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::importers {
namespace {

namespace fs = std::filesystem;
using index::PostMeta;
using index::SearchOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

std::string TestDir() { return testing_util::TestDir(/*create=*/true); }

using testing_util::OpenCatalog;
using testing_util::WriteFile;

std::string Message(const absl::Status& s) { return std::string(s.message()); }
// ---------------------------------------------------------------------------
// Stack Exchange dumps

// A tiny dump: a question (accepted answer 2), its accepted answer, another
// answer, a question with a bad CreationDate (line 6), a duplicate of the
// first question, a tag wiki (ignored) and an answer of a deleted user.
constexpr char kPostsXml[] = R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2017-01-01T10:00:00.000" Score="5" Body="&lt;p&gt;How do I brew a hoppy &lt;b&gt;IPA&lt;/b&gt;?&lt;/p&gt;" OwnerUserId="10" Title="Brewing an IPA" Tags="&lt;ipa&gt;&lt;brewing&gt;" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2017-01-02T10:00:00.000" Score="3" Body="&lt;p&gt;Dry hop with Citra for five days.&lt;/p&gt;" OwnerUserId="11" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2017-01-03T10:00:00.000" Score="1" Body="&lt;p&gt;Use more malt.&lt;/p&gt;" OwnerUserId="12" />
  <row Id="4" PostTypeId="1" CreationDate="last tuesday" Body="&lt;p&gt;Broken row&lt;/p&gt;" OwnerUserId="10" Title="Broken" Tags="|stout|" />
  <row Id="5" PostTypeId="1" CreationDate="2017-01-04T10:00:00.000" Body="&lt;p&gt;Same question again&lt;/p&gt;" OwnerUserId="12" Title="Making a hoppy pale ale" Tags="|ipa|" />
  <row Id="6" PostTypeId="4" CreationDate="2017-01-05T10:00:00.000" Body="Tag wiki" OwnerUserId="10" />
  <row Id="7" PostTypeId="2" ParentId="5" CreationDate="2017-01-05T10:00:00.000" Body="&lt;p&gt;Orphan&lt;/p&gt;" />
</posts>
)";

constexpr char kUsersXml[] = R"(<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="-1" CreationDate="2016-01-01T00:00:00.000" DisplayName="Community" />
  <row Id="10" CreationDate="2016-01-01T00:00:00.000" DisplayName="Asker" Location="Stockholm" />
  <row Id="11" CreationDate="2016-01-02T00:00:00.000" DisplayName="Brewer" />
  <row Id="12" CreationDate="2016-01-03T00:00:00.000" DisplayName="Novice" />
</users>
)";

constexpr char kCommentsXml[] = R"(<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="2" Score="0" Text="Thanks, Citra worked great!" CreationDate="2017-01-02T12:00:00.000" UserId="10" />
  <row Id="101" PostId="1" Score="0" Text="Which yeast do you use?" CreationDate="2017-01-03T12:00:00.000" UserId="12" />
  <row Id="102" PostId="6" Score="0" Text="On a post that is not imported" CreationDate="2017-01-05T12:00:00.000" UserId="12" />
  <row Id="103" PostId="1" Score="0" Text="From a deleted user" CreationDate="2017-01-05T12:00:00.000" />
</comments>
)";

constexpr char kVotesXml[] = R"(<?xml version="1.0" encoding="utf-8"?>
<votes>
  <row Id="1" PostId="2" VoteTypeId="5" UserId="12" CreationDate="2017-01-03T00:00:00.000" />
  <row Id="2" PostId="2" VoteTypeId="2" CreationDate="2017-01-03T00:00:00.000" />
  <row Id="3" PostId="2" VoteTypeId="1" CreationDate="2017-01-03T00:00:00.000" />
</votes>
)";

constexpr char kPostLinksXml[] = R"(<?xml version="1.0" encoding="utf-8"?>
<postlinks>
  <row Id="1" CreationDate="2017-01-04T11:00:00.000" PostId="5" RelatedPostId="1" LinkTypeId="3" />
</postlinks>
)";

// Writes the dump into `root`/dump (a fresh TestDir() when empty).
std::string WriteDump(std::string root = "", bool with_comments = true) {
  if (root.empty()) root = TestDir();
  const std::string dir = root + "/dump";
  fs::create_directories(dir);
  WriteFile(dir + "/Posts.xml", kPostsXml);
  WriteFile(dir + "/Users.xml", kUsersXml);
  if (with_comments) WriteFile(dir + "/Comments.xml", kCommentsXml);
  WriteFile(dir + "/Votes.xml", kVotesXml);
  WriteFile(dir + "/PostLinks.xml", kPostLinksXml);
  return dir;
}

struct Collected {
  std::map<std::string, v1::Person> people;
  std::map<std::string, v1::Post> posts;
  std::map<std::string, v1::Person> authors;  // missing from Users.xml
  std::vector<std::string> empty;             // posts with no text
  StackExchangeSink Sink() {
    return {[this](v1::Person p) {
              people[p.id()] = std::move(p);
              return absl::OkStatus();
            },
            [this](v1::Post p) {
              posts[p.id()] = std::move(p);
              return absl::OkStatus();
            },
            [this](v1::Person p) {
              authors[p.id()] = std::move(p);
              return absl::OkStatus();
            },
            [this](const v1::Post& p) {
              empty.push_back(p.id());
              return absl::OkStatus();
            }};
  }
};

// ImportStackExchange into a catalog in `root`/data, two posts a batch,
// collecting the problems it reports.
struct Import {
  explicit Import(const std::string& root)
      : catalog(OpenCatalog(root + "/data")) {
    options.batch_size = 2;
    options.on_problem = [this](const std::string& p) {
      problems.push_back(p);
    };
  }
  Import(const Import&) = delete;
  Import& operator=(const Import&) = delete;
  absl::StatusOr<ImportStats> Run(const std::string& dump_dir) {
    return ImportStackExchange(dump_dir, *catalog, options);
  }
  std::unique_ptr<index::Catalog> catalog;
  ImportOptions options;
  std::vector<std::string> problems;
};

TEST(StackExchangeTest, ReadStackExchangeReadsPeoplePostsAndComments) {
  const std::string dir = WriteDump();
  Collected got;
  std::vector<std::string> problems;
  ImportOptions o;
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ReadStackExchange(dir, o, got.Sink());
  ASSERT_TRUE(stats.ok()) << stats.status();

  // People: the Community bot is left out; every author is in Users.xml
  // but the deleted account of the orphan answer and comment c103.
  EXPECT_EQ(got.people.size(), 3u);
  ASSERT_EQ(got.authors.size(), 1u);
  EXPECT_EQ(got.authors.begin()->first, kDeletedAccountId);
  EXPECT_EQ(got.people.count("-1"), 0u);
  ASSERT_EQ(got.people.count("10"), 1u);
  EXPECT_EQ(got.people["10"].display_name(), "Asker");
  EXPECT_EQ(got.people["10"].site(), "Stockholm");

  // Posts: 1, 2, 3, 5, the deleted account's 7 and comments c100, c101 and
  // the deleted account's c103.
  std::vector<std::string> ids;
  for (const auto& [id, p] : got.posts) ids.push_back(id);
  EXPECT_THAT(ids, UnorderedElementsAre("1", "2", "3", "5", "7", "c100", "c101",
                                        "c103"));
  EXPECT_EQ(got.posts["7"].author_id(), kDeletedAccountId);

  const v1::Post& q = got.posts["1"];
  EXPECT_EQ(q.kind(), v1::POST_KIND_QUESTION);
  EXPECT_EQ(q.author_id(), "10");
  EXPECT_EQ(q.title(), "Brewing an IPA");
  EXPECT_THAT(q.tags(), ElementsAre("ipa", "brewing"));
  EXPECT_EQ(q.created().seconds(), 1483264800);  // 2017-01-01T10:00:00Z
  EXPECT_FALSE(q.accepted());
  // HTML converted; the duplicate's title folded into the original.
  EXPECT_THAT(q.body(), HasSubstr("How do I brew a hoppy IPA?"));
  EXPECT_THAT(q.body(), HasSubstr("Making a hoppy pale ale"));
  EXPECT_THAT(q.body(), Not(HasSubstr("<")));

  const v1::Post& accepted = got.posts["2"];
  EXPECT_EQ(accepted.kind(), v1::POST_KIND_ANSWER);
  EXPECT_EQ(accepted.parent_id(), "1");
  EXPECT_EQ(accepted.thread_id(), "1");
  EXPECT_TRUE(accepted.accepted());
  EXPECT_EQ(accepted.author_id(), "11");
  EXPECT_EQ(accepted.body(), "Dry hop with Citra for five days.");
  EXPECT_THAT(accepted.liked_by(), ElementsAre("12"));  // a favourite vote

  const v1::Post& other = got.posts["3"];
  EXPECT_EQ(other.kind(), v1::POST_KIND_ANSWER);
  EXPECT_FALSE(other.accepted());

  EXPECT_THAT(got.posts["5"].tags(), ElementsAre("ipa"));

  const v1::Post& comment = got.posts["c100"];
  EXPECT_EQ(comment.kind(), v1::POST_KIND_COMMENT);
  EXPECT_EQ(comment.parent_id(), "2");
  EXPECT_EQ(comment.author_id(), "10");
  EXPECT_EQ(comment.body(), "Thanks, Citra worked great!");
  EXPECT_EQ(got.posts["c101"].parent_id(), "1");

  // The bad row is skipped and reported with its file and line.
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("Posts.xml:6: "));
  EXPECT_THAT(problems[0], HasSubstr("Id=4"));
  EXPECT_THAT(problems[0], HasSubstr("CreationDate"));
}

TEST(StackExchangeTest, ReadStackExchangeStrictFailsOnBadRow) {
  const std::string dir = WriteDump();
  Collected got;
  ImportOptions o;
  o.strict = true;
  auto stats = ReadStackExchange(dir, o, got.Sink());
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(stats.status()), HasSubstr("Posts.xml:6:"));
  // The rows before it were read.
  EXPECT_EQ(got.posts.count("1"), 1u);
  EXPECT_EQ(got.posts.count("5"), 0u);
}

TEST(StackExchangeTest, ReadStackExchangeSinkErrorStopsTheRead) {
  const std::string dir = WriteDump();
  int posts = 0;
  StackExchangeSink sink{[](v1::Person) { return absl::OkStatus(); },
                         [&](v1::Post) {
                           ++posts;
                           return absl::ResourceExhaustedError("disk full");
                         },
                         nullptr, nullptr};
  auto stats = ReadStackExchange(dir, {}, sink);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(posts, 1);
}

TEST(StackExchangeTest, ReadStackExchangeWithoutPostsXmlIsNotFound) {
  const std::string dir = TestDir();
  Collected got;
  auto stats = ReadStackExchange(dir, {}, got.Sink());
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(stats.status()), HasSubstr("Posts.xml"));
}

TEST(StackExchangeTest, ReadStackExchangeMalformedXmlNamesFileAndLine) {
  const std::string dir = TestDir() + "/dump";
  fs::create_directories(dir);
  WriteFile(
      dir + "/Posts.xml",
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<posts>\n"
      "  <row Id=\"1\" PostTypeId=\"1\" CreationDate=\"2017-01-01T10:00:00\""
      " OwnerUserId=\"10\" Title=\"Fine\" Body=\"x\" />\n"
      "  <row Id=\"2\" PostTypeId=\"1\" Title=\"a & b\" />\n"
      "</posts>\n");
  Collected got;
  auto stats = ReadStackExchange(dir, {}, got.Sink());
  ASSERT_FALSE(stats.ok());
  const std::string msg = Message(stats.status());
  EXPECT_THAT(msg, HasSubstr("Posts.xml:4:")) << msg;
  EXPECT_THAT(msg, HasSubstr("XML")) << msg;
}

TEST(StackExchangeTest, ReadStackExchangeMalformedUsersXmlNamesFileAndLine) {
  const std::string dir = WriteDump();
  WriteFile(dir + "/Users.xml",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<users>\n"
            "  <row Id=\"10\" CreationDate=\"2016-01-01T00:00:00\" />\n"
            "</posts>\n");
  Collected got;
  auto stats = ReadStackExchange(dir, {}, got.Sink());
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(Message(stats.status()), HasSubstr("Users.xml:4:"))
      << stats.status();
}

TEST(StackExchangeTest, ImportStackExchangeIntoCatalog) {
  const std::string root = TestDir();
  const std::string dir = WriteDump(root);
  Import in(root);
  ASSERT_NE(in.catalog, nullptr);
  auto stats = in.Run(dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 3);
  EXPECT_EQ(stats->minimal_people, 1);  // the deleted account
  EXPECT_EQ(stats->posts, 8);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_THAT(in.problems[0], HasSubstr("Posts.xml:6: "));

  in.catalog->Refresh();
  auto snap = in.catalog->snapshot();
  EXPECT_EQ(snap->people.size(), 4u);
  EXPECT_EQ(snap->posts.size(), 8u);
  const PostMeta* a = snap->FindPost("2");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->accepted);
  EXPECT_EQ(a->kind, v1::POST_KIND_ANSWER);
  EXPECT_EQ(a->thread_id, "1");
  // A comment on an answer belongs to the question's thread.
  const PostMeta* c = snap->FindPost("c100");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, v1::POST_KIND_COMMENT);
  EXPECT_EQ(c->parent_id, "2");
  EXPECT_EQ(c->thread_id, "1");
  EXPECT_EQ(snap->activity.at("11").accepted_answers, 1);
  SearchOptions s;
  s.query = "citra";
  auto hits = in.catalog->Search(s);
  ASSERT_TRUE(hits.ok());
  std::vector<std::string> ids;
  for (const auto& h : hits->hits) ids.push_back(h.post_id);
  EXPECT_THAT(ids, UnorderedElementsAre("2", "c100"));
}

// A community such as italian writes Italian and English: each post gets
// the language of its text (CLD2 on the title and the body's text, not its
// HTML), and an Italian inflection finds the Italian post.
TEST(StackExchangeTest, ImportStackExchangeDetectsEachPostsLanguage) {
  const std::string root = TestDir();
  const std::string dir = root + "/dump";
  fs::create_directories(dir);
  WriteFile(dir + "/Posts.xml", R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2017-01-01T10:00:00.000" Body="&lt;p&gt;Ho sentito dire che ieri hanno mangiato la pasta al forno con gli amici. Qual &amp;egrave; la forma corretta del participio?&lt;/p&gt;" OwnerUserId="10" Title="Il participio passato di mangiare" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2017-01-02T10:00:00.000" Body="&lt;p&gt;The past participle is regular here, and the auxiliary verb is always avere for this one.&lt;/p&gt;" OwnerUserId="11" />
  <row Id="3" PostTypeId="1" CreationDate="2017-01-03T10:00:00.000" Body="&lt;p&gt;Perch&amp;eacute; si dice che la farina di grano duro &amp;egrave; migliore per la pasta fresca fatta in casa?&lt;/p&gt;" OwnerUserId="10" Title="La farina per la pasta" />
</posts>
)");
  auto catalog = OpenCatalog(root + "/data");
  ASSERT_NE(catalog, nullptr);
  auto stats = ImportStackExchange(dir, *catalog, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  catalog->Refresh();
  auto snap = catalog->snapshot();
  ASSERT_NE(snap->FindPost("1"), nullptr);
  ASSERT_NE(snap->FindPost("2"), nullptr);
  EXPECT_EQ(snap->FindPost("1")->language, "it");
  EXPECT_EQ(snap->FindPost("2")->language, "en");
  SearchOptions s;
  s.query = "mangiando";
  auto hits = catalog->Search(s);
  ASSERT_TRUE(hits.ok());
  std::vector<std::string> ids;
  for (const auto& h : hits->hits) ids.push_back(h.post_id);
  EXPECT_THAT(ids, ElementsAre("1"));
}

TEST(StackExchangeTest, ImportStackExchangeCreatedBeforeFilters) {
  const std::string root = TestDir();
  const std::string dir = WriteDump(root);
  auto catalog = OpenCatalog(root + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  // Between the accepted answer (01-02 10:00) and its comment (01-02 12:00).
  o.created_before = 1483351200 + 3600;  // 2017-01-02T11:00:00Z
  auto stats = ImportStackExchange(dir, *catalog, o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->posts, 2);
  EXPECT_EQ(stats->people, 3);
  catalog->Refresh();
  auto snap = catalog->snapshot();
  std::vector<std::string> ids;
  for (const auto& [id, m] : snap->posts) ids.push_back(id);
  EXPECT_THAT(ids, UnorderedElementsAre("1", "2"));
  // The favourite was cast after the cut-off.
  ASSERT_NE(snap->FindPost("2"), nullptr);
  EXPECT_THAT(snap->FindPost("2")->liked_by, IsEmpty());
  // The asker accepted answer 2 on 01-03, after the cut-off: the import
  // must not know it yet.
  EXPECT_FALSE(snap->FindPost("2")->accepted);
  // The duplicate link was made after the cut-off.
  auto fetched = catalog->Fetch("", {"1"});
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->size(), 1u);
  EXPECT_THAT((*fetched)[0].post.body(), Not(HasSubstr("pale ale")));
}

TEST(StackExchangeTest, ReadStackExchangeKeepsAcceptanceMadeBeforeTheCutOff) {
  const std::string dir = WriteDump();
  Collected got;
  ImportOptions o;
  o.created_before = 1483444800;  // 2017-01-03T12:00:00Z, after the accept
  ASSERT_TRUE(ReadStackExchange(dir, o, got.Sink()).ok());
  ASSERT_EQ(got.posts.count("2"), 1u);
  EXPECT_TRUE(got.posts["2"].accepted());
  EXPECT_FALSE(got.posts["3"].accepted());
}

TEST(StackExchangeTest, ImportStackExchangeStrictKeepsWhatWasRead) {
  const std::string root = TestDir();
  const std::string dir = WriteDump(root);
  auto catalog = OpenCatalog(root + "/data");
  ASSERT_NE(catalog, nullptr);
  ImportOptions o;
  o.strict = true;
  auto stats = ImportStackExchange(dir, *catalog, o);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(stats.status()), HasSubstr("Posts.xml:6:"));
  catalog->Refresh();
  auto snap = catalog->snapshot();
  EXPECT_EQ(snap->people.size(), 3u);
  std::vector<std::string> ids;
  for (const auto& [id, m] : snap->posts) ids.push_back(id);
  EXPECT_THAT(ids, UnorderedElementsAre("1", "2", "3"));
}

// A row dated far ahead is a malformed row, reported with file and line
// (the issue's poisoning post, through a dump).
TEST(StackExchangeTest, ReadStackExchangeSkipsRowsDatedInTheFuture) {
  const std::string dir = TestDir() + "/dump";
  fs::create_directories(dir);
  WriteFile(dir + "/Posts.xml", R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2017-01-01T10:00:00.000" Body="Fine" OwnerUserId="10" Title="Fine" />
  <row Id="2" PostTypeId="1" CreationDate="9999-12-31T00:00:00.000" Body="Poison" OwnerUserId="10" Title="Poison" />
</posts>
)");
  Collected got;
  std::vector<std::string> problems;
  ImportOptions o;
  o.validation.clock = index::FixedClock(1500000000);  // 2017-07-14
  o.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = ReadStackExchange(dir, o, got.Sink());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(got.posts.size(), 1u);
  EXPECT_EQ(stats->skipped, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("Posts.xml:4: "));
  EXPECT_THAT(problems[0], HasSubstr("post.created: 9999-12-31T00:00:00Z is "
                                     "more than 1 day in the future"));
}

// A dump without Users.xml (as dba.meta's): people are known only by the ids
// on their posts and comments. 10 is named on their own question, 11 only as
// the last editor of another post, 13 on their comment; 12 has no name
// anywhere. Answer 4 is only an image: empty once the HTML is gone, and not
// a malformed record; 14 wrote nothing else and so is nobody.
constexpr char kPostsWithoutUsersXml[] =
    R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2017-01-01T10:00:00.000" Body="&lt;p&gt;How do I dry hop?&lt;/p&gt;" OwnerUserId="10" OwnerDisplayName="Asker" LastEditorUserId="11" LastEditorDisplayName="Brewer" Title="Dry hopping" Tags="|hops|" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2017-01-02T10:00:00.000" Body="&lt;p&gt;Citra, five days.&lt;/p&gt;" OwnerUserId="11" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2017-01-03T10:00:00.000" Body="&lt;p&gt;Cold crash first.&lt;/p&gt;" OwnerUserId="12" />
  <row Id="4" PostTypeId="2" ParentId="1" CreationDate="2017-01-04T10:00:00.000" Body="&lt;p&gt;&lt;img src=&quot;https://i.stack.imgur.com/x.png&quot; alt=&quot;&quot;&gt;&lt;/p&gt;" OwnerUserId="14" />
</posts>
)";

constexpr char kCommentsWithoutUsersXml[] =
    R"(<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="2" Text="Which Citra lot?" CreationDate="2017-01-02T12:00:00.000" UserId="13" UserDisplayName="Commenter" />
  <row Id="101" PostId="3" Text="Agreed." CreationDate="2017-01-03T12:00:00.000" UserId="10" />
</comments>
)";

std::string WriteDumpWithoutUsers() {
  const std::string dir = TestDir() + "/dump";
  fs::create_directories(dir);
  WriteFile(dir + "/Posts.xml", kPostsWithoutUsersXml);
  WriteFile(dir + "/Comments.xml", kCommentsWithoutUsersXml);
  return dir;
}

TEST(StackExchangeTest, ReadStackExchangeWithoutUsersXmlSendsEachAuthorOnce) {
  const std::string dir = WriteDumpWithoutUsers();
  std::vector<std::string> order;  // "person:<id>" and "post:<id>"
  std::map<std::string, std::string> names;
  StackExchangeSink sink{[&](v1::Person p) {
                           order.push_back("directory:" + p.id());
                           return absl::OkStatus();
                         },
                         [&](v1::Post p) {
                           order.push_back("post:" + p.id());
                           return absl::OkStatus();
                         },
                         [&](v1::Person p) {
                           order.push_back("author:" + p.id());
                           names[p.id()] = p.display_name();
                           return absl::OkStatus();
                         },
                         [&](const v1::Post& p) {
                           order.push_back("empty:" + p.id());
                           return absl::OkStatus();
                         }};
  auto stats = ReadStackExchange(dir, {}, sink);
  ASSERT_TRUE(stats.ok()) << stats.status();
  // Each author once, before their first post; no directory records; the
  // image-only answer to the empty-post callback (its author 14 nowhere).
  EXPECT_THAT(order, ElementsAre("author:10", "post:1", "author:11", "post:2",
                                 "author:12", "post:3", "empty:4", "author:13",
                                 "post:c100", "post:c101"));
  // Names from wherever the dump gives them: the owner's, the last
  // editor's, the comment's.
  EXPECT_THAT(
      names, UnorderedElementsAre(
                 std::pair<const std::string, std::string>("10", "Asker"),
                 std::pair<const std::string, std::string>("11", "Brewer"),
                 std::pair<const std::string, std::string>("12", ""),
                 std::pair<const std::string, std::string>("13", "Commenter")));
  EXPECT_EQ(stats->empty_posts, 1);
  EXPECT_EQ(stats->skipped, 0);
}

TEST(StackExchangeTest, ImportStackExchangeWithoutUsersXmlKnowsTheAuthors) {
  const std::string root = TestDir();
  const std::string dir = WriteDumpWithoutUsers();
  Import in(root);
  ASSERT_NE(in.catalog, nullptr);
  auto stats = in.Run(dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 0);
  EXPECT_EQ(stats->minimal_people, 4);
  EXPECT_EQ(stats->posts, 5);
  // The image-only answer is counted apart, and is no problem.
  EXPECT_EQ(stats->empty_posts, 1);
  EXPECT_EQ(stats->skipped, 0);
  EXPECT_THAT(in.problems, IsEmpty());

  in.catalog->Refresh();
  auto snap = in.catalog->snapshot();
  std::vector<std::string> people;
  for (const auto& [id, p] : snap->people) people.push_back(id);
  EXPECT_THAT(people, UnorderedElementsAre("10", "11", "12", "13"));
  EXPECT_EQ(snap->FindPerson("11")->display_name(), "Brewer");
  EXPECT_EQ(snap->activity.at("11").accepted_answers, 1);

  // The dump again, now with its Users.xml: the directory records win.
  WriteFile(dir + "/Users.xml", kUsersXml);
  stats = in.Run(dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->people, 3);
  EXPECT_EQ(stats->minimal_people, 0);  // 13 already has a record
  in.catalog->Refresh();
  snap = in.catalog->snapshot();
  EXPECT_EQ(snap->FindPerson("11")->display_name(), "Brewer");
  EXPECT_EQ(snap->FindPerson("12")->display_name(), "Novice");
  EXPECT_EQ(snap->FindPerson("10")->site(), "Stockholm");
  EXPECT_EQ(snap->FindPerson("13")->display_name(), "Commenter");
}

// Posts and comments of deleted accounts: the dump keeps only the name the
// account had, or nothing.
constexpr char kPostsOfDeletedAccountsXml[] =
    R"(<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2017-01-01T10:00:00.000" OwnerDisplayName="user77" Title="Lagering temperature" Body="&lt;p&gt;How cold should a lager ferment?&lt;/p&gt;" Tags="|lager|" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2017-01-01T11:00:00.000" OwnerUserId="5" Body="&lt;p&gt;Ferment lager at ten degrees.&lt;/p&gt;" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2017-01-01T12:00:00.000" Body="&lt;p&gt;Lager likes it cold and slow.&lt;/p&gt;" />
</posts>
)";
constexpr char kCommentsOfDeletedAccountsXml[] =
    R"(<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="2" Text="Ten degrees worked for my lager." CreationDate="2017-01-01T13:00:00.000" UserDisplayName="user88" />
  <row Id="101" PostId="1" Text="Which lager yeast?" CreationDate="2017-01-01T14:00:00.000" />
</comments>
)";

TEST(StackExchangeTest, PostsOfDeletedAccountsAreImportedUnderTheirNames) {
  const std::string root = TestDir();
  const std::string dir = root + "/dump";
  fs::create_directories(dir);
  WriteFile(dir + "/Posts.xml", kPostsOfDeletedAccountsXml);
  WriteFile(dir + "/Comments.xml", kCommentsOfDeletedAccountsXml);
  Import in(root);
  ASSERT_NE(in.catalog, nullptr);
  auto stats = in.Run(dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->posts, 5);
  EXPECT_EQ(stats->skipped, 0);
  EXPECT_THAT(in.problems, IsEmpty());

  in.catalog->Refresh();
  auto snap = in.catalog->snapshot();
  const std::map<std::string, std::string> authors = {
      {"1", "name:user77"},
      {"2", "5"},
      {"3", kDeletedAccountId},
      {"c100", "name:user88"},
      {"c101", kDeletedAccountId}};
  for (const auto& [post, author] : authors) {
    const PostMeta* m = snap->FindPost(post);
    ASSERT_NE(m, nullptr) << post;
    EXPECT_EQ(m->author_id, author) << post;
  }
  // Minimal people: named after the account, and one shared deleted
  // account that is never suggested (inactive).
  ASSERT_NE(snap->FindPerson("name:user77"), nullptr);
  EXPECT_EQ(snap->FindPerson("name:user77")->display_name(), "user77");
  EXPECT_TRUE(index::IsActive(*snap->FindPerson("name:user77")));
  ASSERT_NE(snap->FindPerson(kDeletedAccountId), nullptr);
  EXPECT_FALSE(index::IsActive(*snap->FindPerson(kDeletedAccountId)));
  EXPECT_TRUE(IsDumpUserId("5"));
  EXPECT_FALSE(IsDumpUserId("name:user77"));
  EXPECT_FALSE(IsDumpUserId(kDeletedAccountId));
}

// A name that would make no valid id (longer than an id may be, or with a
// control character) gives a cut id on a character boundary, or the
// deleted account.
TEST(StackExchangeTest, NamesOfDeletedAccountsMakeValidIds) {
  const std::string dir = TestDir() + "/dump";
  fs::create_directories(dir);
  std::string long_name;
  while (long_name.size() < 200) long_name += "Bj\xC3\xB6rn";  // 6 bytes
  WriteFile(dir + "/Posts.xml",
            "<posts>\n"
            "  <row Id=\"1\" PostTypeId=\"1\" CreationDate=\"2017-01-01T10:00:"
            "00.000\" OwnerDisplayName=\"" +
                long_name +
                "\" Title=\"Lager\" Body=\"Lager?\" />\n"
                "  <row Id=\"2\" PostTypeId=\"1\" CreationDate=\"2017-01-01T10:"
                "00:00.000\" OwnerDisplayName=\"a&#9;b\" Title=\"Ale\" "
                "Body=\"Ale?\" />\n"
                "</posts>\n");
  Collected got;
  auto stats = ReadStackExchange(dir, {}, got.Sink());
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(got.posts.count("1"), 1u);
  const std::string& id = got.posts["1"].author_id();
  EXPECT_LE(id.size(), index::kMaxIdBytes);
  // 123 bytes would end inside the 21st "ö": 20 "Björn"s and "Bj".
  EXPECT_EQ(id, "name:" + long_name.substr(0, 122));
  EXPECT_EQ(got.authors.count(id), 1u);
  ASSERT_EQ(got.posts.count("2"), 1u);
  EXPECT_EQ(got.posts["2"].author_id(), kDeletedAccountId);
}

}  // namespace
}  // namespace whoknows::importers
