// Tests index/catalog.cc against real Xapian databases in temp folders.
#include "index/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "index/change_log.h"
#include "index/data_dir.h"
#include "index/graph.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kT0 = 1'700'000'000;  // 2023-11-14

// A fresh folder per test, named after it.
using testing_util::TestDir;
using testing_util::TheEntryAfter;
using testing_util::WrittenPosts;

using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::OpenCatalog;

v1::Post Question(const std::string& id, const std::string& author,
                  const std::string& title, const std::string& body,
                  int64_t created = kT0, const std::string& language = "") {
  return MakePost(id, author, v1::POST_KIND_QUESTION, title, body, created, "",
                  language);
}

v1::Post Answer(const std::string& id, const std::string& author,
                const std::string& parent, const std::string& body,
                int64_t created = kT0 + 100, const std::string& language = "") {
  return MakePost(id, author, v1::POST_KIND_ANSWER, "", body, created, parent,
                  language);
}

v1::Post Comment(const std::string& id, const std::string& author,
                 const std::string& parent, const std::string& body,
                 int64_t created = kT0 + 200) {
  return MakePost(id, author, v1::POST_KIND_COMMENT, "", body, created, parent,
                  "en");
}

absl::Status Upsert(Catalog& c, std::vector<v1::Post> posts) {
  return c.UpsertPosts(posts);
}

absl::Status UpsertPeople(Catalog& c, std::vector<v1::Person> people) {
  return c.UpsertPeople(people);
}

// Ids of the posts a query finds, best first.
std::vector<std::string> Find(const Catalog& c, const std::string& query,
                              bool public_only = true,
                              const std::string& language = "",
                              int64_t created_before = 0) {
  SearchOptions o;
  o.query = query;
  o.public_only = public_only;
  o.language = language;
  o.created_before = created_before;
  return testing_util::SearchIds(c, o);
}

TEST(CatalogTest, OpenRequiresDataDir) {
  CatalogOptions o;
  auto c = Catalog::Open(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CatalogTest, OpenCreatesTheFolder) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(fs::is_directory(fs::path(dir) / "posts"));
  EXPECT_TRUE(fs::is_directory(fs::path(dir) / "people"));
  EXPECT_TRUE(c->snapshot()->posts.empty());
  EXPECT_THAT(Find(*c, "anything"), IsEmpty());
}

// UpsertPolicy::only_new, for the minimal records importers make of authors
// missing from the directory: new ids are written, stored people (and their
// opt-out) are not touched, and a later plain upsert replaces the minimal
// record. Reopening shows it is what was committed.
TEST(CatalogTest, UpsertPeopleOnlyNewNeverReplacesAStoredPerson) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    v1::Person stored = MakePerson("u1", "Legal");
    stored.set_opted_out(true);
    ASSERT_TRUE(c->UpsertPeople({{stored}}).ok());
    v1::Person minimal1, minimal2;
    minimal1.set_id("u1");
    minimal2.set_id("u2");
    minimal2.set_display_name("From a post");
    UpsertPolicy only_new;
    only_new.only_new = true;
    ASSERT_TRUE(c->UpsertPeople({{minimal1, minimal2}}, only_new).ok());
    // Everything stored already: nothing to write, still OK.
    ASSERT_TRUE(c->UpsertPeople({{minimal1}}, only_new).ok());
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  ASSERT_NE(snap->FindPerson("u1"), nullptr);
  EXPECT_EQ(snap->FindPerson("u1")->department(), "Legal");
  EXPECT_TRUE(snap->FindPerson("u1")->opted_out());
  ASSERT_NE(snap->FindPerson("u2"), nullptr);
  EXPECT_EQ(snap->FindPerson("u2")->display_name(), "From a post");
  // The directory record arrives and replaces the minimal one.
  ASSERT_TRUE(c->UpsertPeople({{MakePerson("u2", "IT")}}).ok());
  c->Refresh();
  EXPECT_EQ(c->snapshot()->FindPerson("u2")->department(), "IT");
}

TEST(CatalogTest, FindsSwedishInflection) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q-sv", "anna", "Problem i produktion",
                           "Servern kraschar varje natt.", kT0, "sv"),
                  Question("q-other", "bo", "Kaffemaskinen",
                           "Kaffemaskinen på plan tre läcker.", kT0, "sv")})
          .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "kraschade"), ElementsAre("q-sv"));
  EXPECT_THAT(Find(*c, "Varför kraschade servrarna?"), ElementsAre("q-sv"));
}

TEST(CatalogTest, FindsEnglishInflection) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q-en", "anna", "Production trouble",
                           "The server crashes every night.", kT0, "en"),
                  Question("q-other", "bo", "Coffee machine",
                           "The coffee machine leaks water.", kT0, "en")})
          .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "crashed"), ElementsAre("q-en"));
  EXPECT_THAT(Find(*c, "crashing"), ElementsAre("q-en"));
}

// Two posts in each of Italian, Norwegian and German beside English ones:
// every language is present (index::QueryLanguagesFor).
absl::Status UpsertEuropean(Catalog& c) {
  return Upsert(
      c,
      {Question("q-it", "anna", "Cena", "Ho mangiato la pasta al forno.", kT0,
                "it"),
       Question("q-it2", "bo", "Pane", "La farina di grano duro.", kT0, "it"),
       Question("q-no", "anna", "Problem i produksjon",
                "Serveren krasjer hver natt og vi vet ikke hvorfor.", kT0,
                "no"),
       Question("q-no2", "bo", "Kaffe", "Kaffemaskinen lekker.", kT0, "no"),
       Question("q-de", "anna", "Drucker", "Der Drucker ist ausgefallen.", kT0,
                "de"),
       Question("q-de2", "bo", "Kaffee", "Die Kaffeemaschine tropft.", kT0,
                "de"),
       Question("q-en", "cy", "Production trouble",
                "The server crashes every night.", kT0, "en"),
       Question("q-en2", "cy", "Coffee machine",
                "The coffee machine leaks water.", kT0, "en")});
}

TEST(CatalogTest, FindsInflectionsInEveryLanguagePresent) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertEuropean(*c).ok());
  c->Refresh();
  EXPECT_THAT(c->snapshot()->query_languages,
              UnorderedElementsAre("it", "no", "de", "en"));
  // Neither the Swedish nor the English stemmer reduces these to the stem
  // the post was indexed under (mang, krasj, ausgefall).
  EXPECT_THAT(Find(*c, "mangiando"), ElementsAre("q-it"));
  EXPECT_THAT(Find(*c, "krasjet"), ElementsAre("q-no"));
  EXPECT_THAT(Find(*c, "ausgefallenen"), ElementsAre("q-de"));
  EXPECT_THAT(Find(*c, "crashed"), ElementsAre("q-en"));
  // Each word is one synonym of its distinct stems.
  EXPECT_THAT(c->QueryTerms("mangiando"),
              ElementsAre(UnorderedElementsAre("Zmang", "Zmangiando")));
}

TEST(CatalogTest, StopwordsOfTheLanguagesPresent) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertEuropean(*c).ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "della di"), IsEmpty());
  EXPECT_THAT(Find(*c, "der ist"), IsEmpty());
  EXPECT_THAT(Find(*c, "og ikke hvorfor"), IsEmpty());
  EXPECT_THAT(Find(*c, "la farina"), ElementsAre("q-it2"));
}

TEST(CatalogTest, QueryNotExpandedWithALanguageNotPresent) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  // One stray Italian post among Swedish and English ones.
  ASSERT_TRUE(
      Upsert(*c, {Question("q-sv", "anna", "Problem i produktion",
                           "Servern kraschar varje natt.", kT0, "sv"),
                  Question("q-sv2", "bo", "Kaffemaskinen",
                           "Kaffemaskinen på plan tre läcker.", kT0, "sv"),
                  Question("q-en", "cy", "Production trouble",
                           "The server crashes every night.", kT0, "en"),
                  Question("q-en2", "cy", "Coffee machine",
                           "The coffee machine leaks water.", kT0, "en"),
                  Question("q-it", "anna", "Cena",
                           "Ho mangiato la pasta al forno.", kT0, "it")})
          .ok());
  c->Refresh();
  auto snap = c->snapshot();
  EXPECT_EQ(snap->language_posts.at("it"), 1);
  EXPECT_THAT(snap->query_languages, UnorderedElementsAre("sv", "en"));
  EXPECT_THAT(c->QueryTerms("mangiando"),
              ElementsAre(ElementsAre("Zmangiando")));
  EXPECT_THAT(Find(*c, "mangiando"), IsEmpty());
  // Swedish and English behave as before.
  EXPECT_THAT(Find(*c, "kraschade"), ElementsAre("q-sv"));
  EXPECT_THAT(Find(*c, "crashed"), ElementsAre("q-en"));
}

TEST(CatalogTest, StopwordsAloneMatchNothing) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Upsert(*c, {Question("q1", "anna", "The server and the backup",
                                   "How is this the way it is?", kT0, "en")})
                  .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "the and is"), IsEmpty());
  EXPECT_THAT(Find(*c, ""), IsEmpty());
  EXPECT_THAT(Find(*c, "the backup"), ElementsAre("q1"));
}

TEST(CatalogTest, DetectsLanguageWhenEmpty) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c,
             {Question("q-sv", "anna", "Servern kraschar",
                       "Servern kraschar varje natt när backupen körs och vi "
                       "vet inte varför. Har någon sett samma sak tidigare?"),
              Question("q-en", "bo", "The server crashes",
                       "The server crashes every night when the backup runs "
                       "and we do not know why. Has anyone seen this before?"),
              Question("q-set", "bo", "Servern",
                       "The language field wins over detection.", kT0, "de")})
          .ok());
  c->Refresh();
  auto snap = c->snapshot();
  ASSERT_NE(snap->FindPost("q-sv"), nullptr);
  ASSERT_NE(snap->FindPost("q-en"), nullptr);
  EXPECT_EQ(snap->FindPost("q-sv")->language, "sv");
  EXPECT_EQ(snap->FindPost("q-en")->language, "en");
  EXPECT_EQ(snap->FindPost("q-set")->language, "de");
  // The detected language is stored with the post and used for stemming.
  auto fetched = c->Fetch("", {"q-sv"});
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->size(), 1u);
  EXPECT_EQ((*fetched)[0].post.language(), "sv");
  EXPECT_THAT(Find(*c, "kraschade", true, "sv"), ElementsAre("q-sv"));
}

TEST(CatalogTest, ShortTextGetsDefaultLanguage) {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  o.default_language = "sv";
  auto c = Catalog::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(Upsert(**c, {Question("q1", "anna", "VPN?", "")}).ok());
  (*c)->Refresh();
  ASSERT_NE((*c)->snapshot()->FindPost("q1"), nullptr);
  EXPECT_EQ((*c)->snapshot()->FindPost("q1")->language, "sv");
}

TEST(CatalogTest, LanguageFilter) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q-sv", "anna", "Kubernetes",
                           "Podden startar inte i kubernetes.", kT0, "sv"),
                  Question("q-en", "bo", "Kubernetes",
                           "The pod does not start in kubernetes.", kT0, "en")})
          .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "kubernetes"), UnorderedElementsAre("q-sv", "q-en"));
  EXPECT_THAT(Find(*c, "kubernetes", true, "sv"), ElementsAre("q-sv"));
  EXPECT_THAT(Find(*c, "kubernetes", true, "en"), ElementsAre("q-en"));
  EXPECT_THAT(Find(*c, "kubernetes", true, "fi"), IsEmpty());
}

TEST(CatalogTest, CreatedBeforeFilter) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("old", "anna", "Printer jam", "The printer jams.",
                           kT0, "en"),
                  Question("new", "bo", "Printer jam",
                           "The printer jams again.", kT0 + 1000, "en")})
          .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "printer", true, "", kT0 + 1000), ElementsAre("old"));
  EXPECT_THAT(Find(*c, "printer", true, "", kT0 + 1001),
              UnorderedElementsAre("old", "new"));
  EXPECT_THAT(Find(*c, "printer", true, "", kT0), IsEmpty());
}

// Search reads the hits' ids from the id slot's value stream in docid
// order, then puts them back in rank order. Posts "z<k>" hold the query word
// k times (BM25 grows with k at this length), written in an order unrelated
// to k, some deleted and written again (new docids, gaps), some private
// (a second database, interleaved docids): each id must stay with its hit.
TEST(CatalogTest, SearchHitsCarryTheirOwnPostIds) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  constexpr int kPosts = 40;
  auto post = [](int k) {
    std::string body;
    for (int i = 0; i < k; ++i) body += "zebra ";
    v1::Post p = Question("z" + std::to_string(k), "anna", "Animals", body);
    p.set_language("en");
    if (k % 5 == 0) p.set_visibility("group:zoo");
    return p;
  };
  std::vector<v1::Post> posts;
  for (int i = 0; i < kPosts; ++i) posts.push_back(post((i * 17) % kPosts + 1));
  ASSERT_TRUE(Upsert(*c, posts).ok());
  for (int k : {3, 22, 39}) {
    ASSERT_TRUE(c->DeletePost("z" + std::to_string(k)).ok());
    ASSERT_TRUE(Upsert(*c, {post(k)}).ok());
  }
  c->Refresh();
  auto expected = [&](bool public_only) {
    std::vector<std::string> ids;
    for (int k = kPosts; k >= 1; --k)
      if (!public_only || k % 5 != 0) ids.push_back("z" + std::to_string(k));
    return ids;
  };
  EXPECT_EQ(Find(*c, "zebra"), expected(true));
  EXPECT_EQ(Find(*c, "zebra", /*public_only=*/false), expected(false));
}

TEST(CatalogTest, UpsertSamePostIdReplacesIt) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Upsert(*c, {Question("q1", "anna", "Printer",
                                   "The printer is jammed.", kT0, "en")})
                  .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "jammed"), ElementsAre("q1"));
  ASSERT_TRUE(Upsert(*c, {Question("q1", "anna", "Scanner",
                                   "The scanner is broken.", kT0, "en")})
                  .ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "broken scanner"), ElementsAre("q1"));
  EXPECT_THAT(Find(*c, "jammed"), IsEmpty());
  EXPECT_THAT(Find(*c, "printer"), IsEmpty());
  auto snap = c->snapshot();
  EXPECT_EQ(snap->posts.size(), 1u);
  ASSERT_NE(snap->FindPost("q1"), nullptr);
  EXPECT_EQ(snap->FindPost("q1")->title, "Scanner");
  EXPECT_EQ(snap->activity.at("anna").questions, 1);
}

TEST(CatalogTest, UpsertSameIdTwiceInOneBatchKeepsTheLast) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Upsert(*c, {Question("q1", "anna", "Printer",
                                   "The printer is jammed.", kT0, "en"),
                          Question("q1", "anna", "Scanner",
                                   "The scanner is broken.", kT0, "en")})
                  .ok());
  c->Refresh();
  EXPECT_EQ(c->snapshot()->posts.size(), 1u);
  EXPECT_THAT(Find(*c, "jammed"), IsEmpty());
  EXPECT_THAT(Find(*c, "scanner"), ElementsAre("q1"));
}

// Posts that no stored post has the id of are added without replace's
// look-up of the id (the ingest's cheaper path); a post written again,
// within one write, in a later write, after a reopen or while bulk loading
// holds it uncommitted, still replaces: one document an id.
TEST(CatalogTest, NewPostsAreAddedOnceAndRewritesReplace) {
  const std::string dir = TestDir();
  auto copies = [](const Catalog& c, const std::string& id) {
    const auto ids = Find(c, "printer scanner", /*public_only=*/false);
    return std::count(ids.begin(), ids.end(), id);
  };
  auto q = [](const std::string& id, const std::string& body) {
    return Question(id, "anna", "Printer", body, kT0, "en");
  };
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(Upsert(*c, {q("q1", "printer jammed"), q("q2", "scanner"),
                            q("q2", "scanner broken")})
                    .ok());
    ASSERT_TRUE(
        Upsert(*c, {q("q1", "printer fixed"), q("q3", "scanner")}).ok());
    EXPECT_EQ(copies(*c, "q1"), 1);
    EXPECT_EQ(copies(*c, "q2"), 1);
    EXPECT_EQ(copies(*c, "q3"), 1);
  }
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(Upsert(*c, {q("q3", "scanner again")}).ok());
    EXPECT_EQ(copies(*c, "q3"), 1);
    EXPECT_THAT(Find(*c, "jammed", false), IsEmpty());
  }
  {
    CatalogOptions o;
    o.data_dir = dir;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.bulk_commit_records = 100;
    auto c = Catalog::Open(o);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE(Upsert(**c, {q("q4", "printer new")}).ok());
    ASSERT_TRUE(Upsert(**c, {q("q4", "printer newer")}).ok());
    ASSERT_TRUE((*c)->Commit().ok());
    EXPECT_EQ(copies(**c, "q4"), 1);
  }
}

TEST(CatalogTest, UpsertPersonReplacesEveryField) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Person p = MakePerson("anna", "IT");
  p.set_site("Stockholm");
  ASSERT_TRUE(UpsertPeople(*c, {p}).ok());
  ASSERT_TRUE(UpsertPeople(*c, {MakePerson("anna", "Finance")}).ok());
  c->Refresh();
  auto snap = c->snapshot();
  EXPECT_EQ(snap->people.size(), 1u);
  ASSERT_NE(snap->FindPerson("anna"), nullptr);
  EXPECT_EQ(snap->FindPerson("anna")->department(), "Finance");
  EXPECT_EQ(snap->FindPerson("anna")->site(), "");
}

TEST(CatalogTest, DeletePostRemovesItEverywhere) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "The VPN drops.", kT0, "en"),
                  Answer("a1", "bo", "q1", "Restart the VPN client.", kT0 + 10,
                         "en")})
          .ok());
  c->Refresh();
  ASSERT_THAT(Find(*c, "vpn"), UnorderedElementsAre("q1", "a1"));
  EXPECT_GT(c->snapshot()->graph->TieStrength("anna", "bo"), 0);

  auto deleted = c->DeletePost("a1");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(*deleted);
  c->Refresh();
  EXPECT_THAT(Find(*c, "vpn"), ElementsAre("q1"));
  auto snap = c->snapshot();
  EXPECT_EQ(snap->FindPost("a1"), nullptr);
  EXPECT_NE(snap->FindPost("q1"), nullptr);
  EXPECT_EQ(snap->activity.count("bo"), 0u);
  // Its graph edges go with it.
  EXPECT_EQ(snap->graph->TieStrength("anna", "bo"), 0);
  auto fetched = c->Fetch("vpn", {"a1"});
  ASSERT_TRUE(fetched.ok());
  EXPECT_THAT(*fetched, IsEmpty());
}

TEST(CatalogTest, DeleteUnknownPostReturnsFalse) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "The VPN drops.")}).ok());
  auto deleted = c->DeletePost("nope");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_FALSE(*deleted);
  // Deleting twice: the second time it is unknown.
  ASSERT_TRUE(c->DeletePost("q1").ok());
  deleted = c->DeletePost("q1");
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);
  EXPECT_EQ(c->DeletePost("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CatalogTest, DeletePersonRemovesTheirPostsAndTheirLikesAndMentions) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertPeople(
                  *c, {MakePerson("anna"), MakePerson("bo"), MakePerson("cia")})
                  .ok());
  v1::Post q = Question("q1", "anna", "Payroll", "Who knows payroll? @bo @cia",
                        kT0, "en");
  q.add_mentioned("bo");
  q.add_mentioned("cia");
  q.add_liked_by("bo");
  q.add_liked_by("cia");
  v1::Post a =
      Answer("a1", "bo", "q1", "Payroll runs on the 25th.", kT0 + 10, "en");
  a.add_liked_by("anna");
  v1::Post a2 = Answer("a2", "bo", "q1", "Overtime is paid the month after.",
                       kT0 + 20, "en");
  ASSERT_TRUE(Upsert(*c, {q, a, a2}).ok());
  c->Refresh();
  ASSERT_GT(c->snapshot()->graph->TieStrength("anna", "bo"), 0);

  auto r = c->DeletePerson("bo");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->found);
  EXPECT_EQ(r->posts_deleted, 2);
  c->Refresh();
  auto snap = c->snapshot();
  EXPECT_EQ(snap->FindPerson("bo"), nullptr);
  EXPECT_NE(snap->FindPerson("anna"), nullptr);
  EXPECT_EQ(snap->FindPost("a1"), nullptr);
  EXPECT_EQ(snap->FindPost("a2"), nullptr);
  const PostMeta* meta = snap->FindPost("q1");
  ASSERT_NE(meta, nullptr);
  EXPECT_THAT(meta->liked_by, ElementsAre("cia"));
  EXPECT_THAT(meta->mentioned, ElementsAre("cia"));
  EXPECT_EQ(snap->graph->TieStrength("anna", "bo"), 0);
  EXPECT_GT(snap->graph->TieStrength("anna", "cia"), 0);
  EXPECT_THAT(Find(*c, "payroll"), ElementsAre("q1"));
  EXPECT_THAT(Find(*c, "overtime"), IsEmpty());
  // The rewritten post is still complete on disk.
  auto fetched = c->Fetch("payroll", {"q1"});
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->size(), 1u);
  EXPECT_EQ((*fetched)[0].post.body(), "Who knows payroll? @bo @cia");
  EXPECT_THAT((*fetched)[0].post.liked_by(), ElementsAre("cia"));

  // And it stays that way after a reopen.
  const std::string dir = c->options().data_dir;
  c.reset();
  c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  snap = c->snapshot();
  EXPECT_EQ(snap->FindPerson("bo"), nullptr);
  EXPECT_EQ(snap->posts.size(), 1u);
  ASSERT_NE(snap->FindPost("q1"), nullptr);
  EXPECT_THAT(snap->FindPost("q1")->liked_by, ElementsAre("cia"));
  EXPECT_THAT(snap->FindPost("q1")->mentioned, ElementsAre("cia"));
}

TEST(CatalogTest, DeletePersonWhoLikedAndMentionedThemselves) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertPeople(*c, {MakePerson("anna"), MakePerson("bo")}).ok());
  v1::Post q =
      Question("q1", "bo", "Note to self", "Remember the VPN, @bo.", kT0, "en");
  q.add_mentioned("bo");
  q.add_liked_by("bo");
  q.add_liked_by("anna");
  ASSERT_TRUE(Upsert(*c, {q}).ok());
  auto r = c->DeletePerson("bo");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->posts_deleted, 1);
  c->Refresh();
  EXPECT_TRUE(c->snapshot()->posts.empty());
  EXPECT_THAT(Find(*c, "vpn"), IsEmpty());
}

TEST(CatalogTest, DeleteUnknownPersonIsNotFound) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertPeople(*c, {MakePerson("anna")}).ok());
  auto r = c->DeletePerson("ghost");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->found);
  EXPECT_EQ(r->posts_deleted, 0);
  c->Refresh();
  EXPECT_NE(c->snapshot()->FindPerson("anna"), nullptr);
  EXPECT_EQ(c->DeletePerson("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CatalogTest, PrivatePostsAreNeverFoundPublicOnly) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post secret = Question("secret", "boss", "Reorganisation",
                             "The reorganisation of the warehouse.", kT0, "en");
  secret.set_visibility("group:ledningsgruppen");
  v1::Post reply =
      Answer("secret-a", "hr", "secret",
             "Warehouse reorganisation starts in May.", kT0 + 5, "en");
  reply.set_visibility("group:ledningsgruppen");
  v1::Post open = Question("open", "anna", "Warehouse shelves",
                           "New shelves in the warehouse.", kT0, "en");
  open.set_visibility("public");
  ASSERT_TRUE(Upsert(*c, {secret, reply, open}).ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "warehouse reorganisation"), ElementsAre("open"));
  EXPECT_THAT(Find(*c, "reorganisation"), IsEmpty());
  // The filter is what hides them: they are indexed.
  EXPECT_THAT(Find(*c, "reorganisation", /*public_only=*/false),
              UnorderedElementsAre("secret", "secret-a"));
  auto snap = c->snapshot();
  ASSERT_NE(snap->FindPost("secret"), nullptr);
  EXPECT_FALSE(snap->FindPost("secret")->is_public);
  EXPECT_TRUE(snap->FindPost("open")->is_public);
  // Private posts count for no one's activity and shape no graph edge.
  EXPECT_EQ(snap->activity.count("boss"), 0u);
  EXPECT_EQ(snap->activity.count("hr"), 0u);
  EXPECT_EQ(snap->graph->TieStrength("boss", "hr"), 0);
}

TEST(CatalogTest, EmptyVisibilityMeansPublic) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post q =
      Question("q1", "anna", "Forklift", "The forklift battery.", kT0, "en");
  q.clear_visibility();
  ASSERT_TRUE(Upsert(*c, {q}).ok());
  c->Refresh();
  EXPECT_THAT(Find(*c, "forklift"), ElementsAre("q1"));
}

TEST(CatalogTest, InvalidPostBatchNamesFieldAndWritesNothing) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post good =
      Question("good", "anna", "Printer", "The printer jams.", kT0, "en");
  v1::Post bad =
      Question("bad", "anna", "Scanner", "The scanner jams.", kT0, "en");
  bad.clear_created();
  absl::Status s = Upsert(*c, {good, bad});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("posts[1].created: required"));
  c->Refresh();
  EXPECT_TRUE(c->snapshot()->posts.empty());
  EXPECT_THAT(Find(*c, "printer"), IsEmpty());
  EXPECT_THAT(Find(*c, "jams"), IsEmpty());
  // Not written to disk either.
  const std::string dir = c->options().data_dir;
  c.reset();
  c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->snapshot()->posts.empty());
}

TEST(CatalogTest, InvalidPostFieldsAreNamed) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  auto message = [&](v1::Post p) {
    absl::Status s = Upsert(*c, {p});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  };
  v1::Post p = Question("q1", "anna", "T", "B", kT0, "en");
  p.clear_id();
  EXPECT_THAT(message(p), HasSubstr("posts[0].id: required"));
  p = Question("q1", "", "T", "B", kT0, "en");
  EXPECT_THAT(message(p), HasSubstr("posts[0].author_id: required"));
  p = Question("q1", "anna", "T", "B", kT0, "en");
  p.set_kind(v1::POST_KIND_UNSPECIFIED);
  EXPECT_THAT(message(p), HasSubstr("posts[0].kind"));
  p = Answer("a1", "anna", "", "B", kT0, "en");
  EXPECT_THAT(message(p), HasSubstr("posts[0].parent_id"));
  p = Question("q1", "anna", "", "", kT0, "en");
  EXPECT_THAT(message(p), HasSubstr("posts[0].body"));
  p = Question("q1", "anna", "T", "B", kT0, "en");
  p.set_visibility("secret");
  EXPECT_THAT(message(p), HasSubstr("posts[0].visibility"));
  p = Question("q1", "anna", "T", "B", kT0, "en");
  p.set_accepted(true);
  EXPECT_THAT(message(p), HasSubstr("posts[0].accepted"));
  p = Question("q1", "anna", "T", "B", kT0, "en");
  p.add_liked_by("ok");
  p.add_liked_by("");
  EXPECT_THAT(message(p), HasSubstr("posts[0].liked_by[1]"));
  c->Refresh();
  EXPECT_TRUE(c->snapshot()->posts.empty());
}

// Found by fuzz/request_validators_fuzzer: a group name long enough to make
// the visibility term longer than Xapian's 245 bytes passed validation and
// failed the write with INTERNAL ("Term too long").
TEST(CatalogTest, LongGroupNameIsInvalidArgumentNotInternal) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post p = Question("q1", "anna", "T", "B", kT0, "en");
  p.set_visibility("group:" + std::string(300, 'a'));
  absl::Status s = Upsert(*c, {p});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("posts[0].visibility"));
  // The longest allowed (64 bytes of [a-z0-9-]) is stored.
  p.set_visibility("group:" + std::string(64, 'a'));
  EXPECT_TRUE(Upsert(*c, {p}).ok());
}

TEST(CatalogTest, InvalidPeopleBatchNamesFieldAndWritesNothing) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Person self_managed = MakePerson("cia");
  self_managed.set_manager_id("cia");
  absl::Status s =
      UpsertPeople(*c, {MakePerson("anna"), MakePerson("bo"), self_managed});
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("people[2].manager_id"));
  s = UpsertPeople(*c, {MakePerson("anna"), MakePerson("")});
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("people[1].id: required"));
  c->Refresh();
  EXPECT_TRUE(c->snapshot()->people.empty());
}

// SetOptOut changes only opted_out, says whether it changed, is durable, and
// is NOT_FOUND for an unknown person.
TEST(CatalogTest, SetOptOutChangesOnlyTheFlagAndPersists) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(UpsertPeople(*c, {MakePerson("anna", "IT")}).ok());
    auto changed = c->SetOptOut("anna", true);
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_TRUE(*changed);
    changed = c->SetOptOut("anna", true);
    ASSERT_TRUE(changed.ok());
    EXPECT_FALSE(*changed);
    EXPECT_EQ(c->SetOptOut("nobody", true).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(c->SetOptOut("", true).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  const v1::Person* anna = c->snapshot()->FindPerson("anna");
  ASSERT_NE(anna, nullptr);
  EXPECT_TRUE(anna->opted_out());
  EXPECT_EQ(anna->department(), "IT");
  ASSERT_TRUE(*c->SetOptOut("anna", false));
  c->Refresh();
  EXPECT_FALSE(c->snapshot()->FindPerson("anna")->opted_out());
}

TEST(CatalogTest, PersistsAcrossReopen) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(
        UpsertPeople(*c, {MakePerson("anna", "IT"), MakePerson("bo")}).ok());
    ASSERT_TRUE(
        Upsert(*c, {Question("q1", "anna", "Printer", "The printer jams.", kT0,
                             "en"),
                    Answer("a1", "bo", "q1", "Open the tray.", kT0 + 10, "en")})
            .ok());
  }  // destroyed: closed
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  auto snap = c->snapshot();
  EXPECT_EQ(snap->people.size(), 2u);
  ASSERT_NE(snap->FindPerson("anna"), nullptr);
  EXPECT_EQ(snap->FindPerson("anna")->department(), "IT");
  EXPECT_EQ(snap->posts.size(), 2u);
  ASSERT_NE(snap->FindPost("a1"), nullptr);
  EXPECT_EQ(snap->FindPost("a1")->thread_id, "q1");
  EXPECT_EQ(snap->FindPost("a1")->kind, v1::POST_KIND_ANSWER);
  EXPECT_EQ(snap->FindPost("a1")->created, kT0 + 10);
  EXPECT_EQ(snap->activity.at("bo").answers, 1);
  EXPECT_GT(snap->graph->TieStrength("anna", "bo"), 0);
  EXPECT_THAT(Find(*c, "printer"), ElementsAre("q1"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "graph.tsv"));
  // Still writable after the reopen.
  ASSERT_TRUE(Upsert(*c, {Question("q2", "bo", "Scanner", "Scanner is slow.",
                                   kT0 + 20, "en")})
                  .ok());
  c->Refresh();
  EXPECT_EQ(c->snapshot()->posts.size(), 3u);
}

TEST(CatalogTest, ResolvesReplyThreadsWithinABatch) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "VPN drops.", kT0, "en"),
                  Answer("a1", "bo", "q1", "Reinstall it.", kT0 + 10, "en"),
                  Comment("c1", "anna", "a1", "Thanks, it works."),
                  Comment("c2", "bo", "c1", "Glad to hear it.")})
          .ok());
  c->Refresh();
  auto snap = c->snapshot();
  for (const char* id : {"q1", "a1", "c1", "c2"}) {
    ASSERT_NE(snap->FindPost(id), nullptr) << id;
    EXPECT_EQ(snap->FindPost(id)->thread_id, "q1") << id;
  }
  ASSERT_EQ(snap->threads.count("q1"), 1u);
  EXPECT_THAT(snap->threads.at("q1"),
              UnorderedElementsAre("q1", "a1", "c1", "c2"));
}

TEST(CatalogTest, ResolvesReplyThreadsAcrossBatches) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "VPN drops.", kT0, "en")})
          .ok());
  ASSERT_TRUE(
      Upsert(*c, {Answer("a1", "bo", "q1", "Reinstall it.", kT0 + 10, "en")})
          .ok());
  ASSERT_TRUE(Upsert(*c, {Comment("c1", "anna", "a1", "Thanks.")}).ok());
  c->Refresh();
  auto snap = c->snapshot();
  ASSERT_NE(snap->FindPost("c1"), nullptr);
  EXPECT_EQ(snap->FindPost("a1")->thread_id, "q1");
  EXPECT_EQ(snap->FindPost("c1")->thread_id, "q1");
  EXPECT_EQ(snap->FindPost("c1")->parent_id, "a1");
}

TEST(CatalogTest, ExplicitThreadIdIsKept) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post comment = Comment("c1", "anna", "a-unknown", "A comment.");
  comment.set_thread_id("t-given");
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "VPN.", kT0, "en"), comment})
          .ok());
  c->Refresh();
  auto snap = c->snapshot();
  EXPECT_EQ(snap->FindPost("q1")->thread_id, "q1");
  EXPECT_EQ(snap->FindPost("c1")->thread_id, "t-given");
}

TEST(CatalogTest, SnapshotCountsPublicActivity) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  v1::Post accepted = Answer("a1", "bo", "q1", "Reinstall it.", kT0 + 10, "en");
  accepted.set_accepted(true);
  v1::Post hidden = Answer("a3", "bo", "q1", "Private note.", kT0 + 50, "en");
  hidden.set_visibility("group:it");
  ASSERT_TRUE(
      Upsert(*c,
             {Question("q1", "anna", "VPN", "VPN drops.", kT0, "en"), accepted,
              Answer("a2", "bo", "q1", "Or reboot.", kT0 + 30, "en"), hidden})
          .ok());
  c->Refresh();
  auto snap = c->snapshot();
  const Activity& bo = snap->activity.at("bo");
  EXPECT_EQ(bo.answers, 2);
  EXPECT_EQ(bo.accepted_answers, 1);
  EXPECT_EQ(bo.first_post, kT0 + 10);
  EXPECT_EQ(bo.last_post, kT0 + 30);
  EXPECT_THAT(bo.answer_times, UnorderedElementsAre(kT0 + 10, kT0 + 30));
  EXPECT_EQ(snap->activity.at("anna").questions, 1);
  EXPECT_EQ(snap->newest_post, kT0 + 30);
}

TEST(CatalogTest, RefreshPublishesNewGeneration) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  const uint64_t before = c->snapshot()->generation;
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "VPN", "VPN.", kT0, "en")}).ok());
  // With refresh_interval 0 nothing is published until Refresh.
  EXPECT_EQ(c->snapshot()->generation, before);
  EXPECT_EQ(c->snapshot()->FindPost("q1"), nullptr);
  c->Refresh();
  EXPECT_GT(c->snapshot()->generation, before);
  EXPECT_NE(c->snapshot()->FindPost("q1"), nullptr);
}

// Open's first publish does not write graph.tsv (O(graph), and answers never
// read it): start-up does not wait for it. The saver thread writes it soon
// after, and the close does when the saver has not.
TEST(CatalogTest, OpenLeavesGraphTsvToTheSaverAndTheClose) {
  const std::string dir = TestDir();
  const fs::path graph = fs::path(dir) / "graph.tsv";
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(UpsertPeople(*c, {MakePerson("anna"), MakePerson("bo")}).ok());
    ASSERT_TRUE(
        Upsert(*c, {Question("q1", "anna", "Printer", "It jams.", kT0, "en"),
                    Answer("a1", "bo", "q1", "Open the tray.", kT0 + 10, "en")})
            .ok());
  }
  ASSERT_TRUE(fs::remove(graph));
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_GT(c->snapshot()->graph->TieStrength("anna", "bo"), 0);
    // (Not fs::exists: the saver thread may write it any moment now.)
    EXPECT_EQ(c->stats().open.first_publish.save_us, 0) << "written by Open";
  }
  EXPECT_TRUE(fs::exists(graph)) << "not written at the close";
  ASSERT_TRUE(fs::remove(graph));
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(10);
  auto c = Catalog::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  for (int i = 0; i < 1000 && !fs::exists(graph); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(fs::exists(graph)) << "not written by the saver";
  EXPECT_TRUE((*c)->background_error().ok()) << (*c)->background_error();
}

// The refresher publishes at most every refresh_interval, counted from
// the start of the previous publish: a write after a quiet spell longer
// than the interval is published at once, not at the next multiple of the
// interval after Open (as when the refresher waited a whole interval
// after each publish and each look), and a write right after a publish
// waits for the interval.
TEST(CatalogTest, AWriteAfterAQuietSpellIsPublishedAtOnce) {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(4000);
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  // Seconds until `id` is published, or -1 after `limit_s`.
  auto seconds_until_published = [&c](const std::string& id, double limit_s) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const double s = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (c.snapshot()->FindPost(id) != nullptr) return s;
      if (s > limit_s) return -1.0;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  // Past the refresher's first look (4 s after Open), with nothing written.
  std::this_thread::sleep_for(std::chrono::milliseconds(4600));
  ASSERT_TRUE(
      Upsert(c, {Question("q1", "anna", "VPN", "VPN.", kT0, "en")}).ok());
  const double first = seconds_until_published("q1", 6);
  ASSERT_GE(first, 0) << "never published";
  // The previous refresher published it at its next look, 8 s after Open.
  EXPECT_LT(first, 2.0) << "published " << first << " s after the write";
  // Just published: the next write waits for the interval.
  ASSERT_TRUE(
      Upsert(c, {Question("q2", "anna", "Wifi", "Wifi.", kT0, "en")}).ok());
  const double second = seconds_until_published("q2", 8);
  ASSERT_GE(second, 0) << "never published";
  EXPECT_GT(second, 2.0) << "published sooner than the interval allows";
}

// Seconds until `id` is in the published snapshot, or -1 after `limit_s`.
double SecondsUntilPublished(const Catalog& c, const std::string& id,
                             double limit_s) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (c.snapshot()->FindPost(id) != nullptr) return s;
    if (s > limit_s) return -1.0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A catalog whose refresh interval (an hour) never comes within a test, so
// that only publish_cpu_share's rule (a cheap publish lets the next one
// start soon after) can publish its writes.
absl::StatusOr<std::unique_ptr<Catalog>> OpenForCheapPublishes() {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::hours(1);
  o.publish_cpu_share = 0.25;
  return Catalog::Open(o);
}

// With publish_cpu_share, a publish need not wait for the interval: one
// that cost little lets the next start soon after.
TEST(CatalogTest, CheapPublishesDoNotWaitForTheInterval) {
  auto opened = OpenForCheapPublishes();
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  for (const char* id : {"q1", "q2", "q3"}) {
    ASSERT_TRUE(
        Upsert(c, {Question(id, "anna", "VPN", "VPN.", kT0, "en")}).ok());
    EXPECT_GE(SecondsUntilPublished(c, id, 60), 0)
        << id << " waits for the hour";
  }
}

// Under writes that never pause, the refresher keeps publishing (the
// writer's lock is taken between its batches, and `dirty` never clears for
// long): a write in the middle of the stream is published while the stream
// goes on, and everything once it stops.
TEST(CatalogTest, PublishesKeepComingUnderContinuousWrites) {
  auto opened = OpenForCheapPublishes();
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int batch = 0; !stop; ++batch) {
      std::vector<v1::Post> posts;
      for (int i = 0; i < 20; ++i) {
        posts.push_back(Question(absl::StrCat("s", batch, "-", i), "bo",
                                 "Coffee", "The coffee is cold.", kT0, "en"));
      }
      if (!Upsert(c, posts).ok()) return;
      written = batch + 1;
    }
  });
  for (int k = 0; k < 3; ++k) {
    const std::string id = absl::StrCat("marker", k);
    ASSERT_TRUE(
        Upsert(c, {Question(id, "anna", "VPN", "VPN.", kT0, "en")}).ok());
    EXPECT_GE(SecondsUntilPublished(c, id, 60), 0) << id << " never published";
  }
  const int before = written;
  stop = true;
  writer.join();
  EXPECT_GT(written, before) << "the writer stalled behind the publishes";
  ASSERT_GT(written, 0);
  EXPECT_GE(SecondsUntilPublished(c, absl::StrCat("s", written - 1, "-19"), 60),
            0)
      << "the stream's last batch never published";
}

// Destroying the catalog while the refresher publishes waits for that
// publish to end (the refresher holds the stop lock through it); a write it
// did not publish is committed all the same, so the next Open has it, and
// what the close saves of the published state (graph.bin) does not stand
// in for the newer records.
TEST(CatalogTest, ClosingDuringARefresherPublishWaitsForIt) {
  std::mutex mu;
  std::condition_variable cv;
  // Armed after Open, whose own publish goes through the hook too.
  bool armed = false, held = false, release = false;
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(10);
  o.publish_cpu_share = 0.25;
  o.publish_hook = [&](PublishStage stage) {
    if (stage != PublishStage::kStateCopied) return;
    std::unique_lock lock(mu);
    if (!armed || release) return;
    held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  {
    auto opened = Catalog::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<Catalog> c = std::move(*opened);
    {
      std::lock_guard lock(mu);
      armed = true;
    }
    ASSERT_TRUE(
        Upsert(*c, {Question("q1", "anna", "VPN", "VPN.", kT0, "en")}).ok());
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return held; });  // the refresher holds q1
    }
    ASSERT_TRUE(
        Upsert(*c, {Question("q2", "bo", "Wifi", "Wifi.", kT0, "en")}).ok());
    std::atomic<bool> closed{false};
    std::thread closing([&] {
      c.reset();
      closed = true;
    });
    // Time for the close to reach the stop lock (not needed for the test
    // to pass: only for it to test the wait).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(closed) << "closed during the publish";
    {
      std::lock_guard lock(mu);
      release = true;
      cv.notify_all();
    }
    closing.join();
  }
  o.publish_hook = nullptr;
  o.refresh_interval = std::chrono::milliseconds(0);
  auto reopened = Catalog::Open(o);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_NE((*reopened)->snapshot()->FindPost("q1"), nullptr);
  EXPECT_NE((*reopened)->snapshot()->FindPost("q2"), nullptr);
}

// Publishing runs beside the writer: snapshots published by two threads at
// once must still appear in the order their state was taken, so a reader
// never sees posts disappear, and nothing written is left unpublished.
TEST(CatalogTest, FailedGraphSaveIsKeptUntilASaveSucceeds) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->background_error().ok()) << c->background_error();
  // A folder where graph.tsv belongs: the save's rename onto it fails.
  const fs::path graph = fs::path(dir) / "graph.tsv";
  fs::remove(graph);
  fs::create_directory(graph);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "Printer", "It jams.", kT0, "en")})
          .ok());
  c->Refresh();
  const absl::Status error = c->background_error();
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("graph.tsv"));
  // The snapshot is published all the same.
  EXPECT_NE(c->snapshot()->FindPost("q1"), nullptr);

  fs::remove(graph);
  c->Refresh();
  EXPECT_TRUE(c->background_error().ok()) << c->background_error();
  EXPECT_TRUE(fs::is_regular_file(graph));
}

// An incremental publish leaves graph.tsv to the graph saver's thread
// (at 1M posts a save takes seconds, during which nothing was published):
// the publish itself writes nothing, and the file catches up within the
// saver's tick once graph_save_interval has passed.
TEST(CatalogTest, AnIncrementalPublishLeavesTheGraphToTheSaver) {
  const std::string dir = TestDir();
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.graph_save_interval = std::chrono::milliseconds(0);
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  std::vector<v1::Post> questions;
  for (int i = 0; i < 30; ++i) {
    questions.push_back(Question(absl::StrCat("q", i), "anna", "VPN",
                                 "The VPN drops.", kT0 + i, "en"));
  }
  ASSERT_TRUE(Upsert(c, questions).ok());
  c.Refresh();  // from scratch: saved at once
  ASSERT_TRUE(
      Upsert(c, {Answer("a1", "bo", "q3", "Restart it.", kT0 + 100, "en")})
          .ok());
  c.Refresh();
  const PublishTimings t = c.stats().last_publish;
  ASSERT_TRUE(t.incremental);
  ASSERT_TRUE(t.graph_extended);
  EXPECT_EQ(t.save_us, 0) << "the publish saved graph.tsv itself";
  auto saved_tie = [&] {
    std::ifstream in(fs::path(dir) / "graph.tsv");
    for (std::string line; std::getline(in, line);)
      if (line.find("bo") != std::string::npos) return true;
    return false;
  };
  bool saved = false;
  for (int i = 0; i < 100 && !saved; ++i) {
    saved = saved_tie();
    if (!saved) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saved) << "graph.tsv lacks bo's tie 5 s after the publish";
}

// The saver also waits the last save's CPU time over graph_save_cpu_share,
// so that at any size it takes at most that share of a core: with a share
// so small that any save's CPU time makes the wait days long, an
// incremental publish's graph is not saved though the interval (0) has
// passed; with 0 (the interval alone) it is, within the saver's ticks. The
// close saves it in either case.
TEST(CatalogTest, TheGraphSaverWaitsItsLastSavesCostOverItsShare) {
  // First 0, to learn how long the saver takes here: the small share is
  // then given three times that (at least 1.5 s) to show it does not save.
  absl::Duration took = absl::Seconds(0.5);
  for (const double share : {0.0, 1e-12}) {
    SCOPED_TRACE(absl::StrCat("graph_save_cpu_share ", share));
    // A folder each: the first's close leaves bo's tie in its graph.tsv.
    const std::string dir =
        (fs::path(TestDir()) / (share == 0 ? "interval" : "share")).string();
    CatalogOptions o;
    o.data_dir = dir;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.graph_save_interval = std::chrono::milliseconds(0);
    o.graph_save_cpu_share = share;
    auto opened = Catalog::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<Catalog> c = *std::move(opened);
    std::vector<v1::Post> questions;
    for (int i = 0; i < 30; ++i) {
      questions.push_back(Question(absl::StrCat("q", i), "anna", "VPN",
                                   "The VPN drops.", kT0 + i, "en"));
    }
    ASSERT_TRUE(Upsert(*c, questions).ok());
    c->Refresh();  // from scratch: saved at once, its CPU time noted
    ASSERT_TRUE(
        Upsert(*c, {Answer("a1", "bo", "q3", "Restart it.", kT0 + 100, "en")})
            .ok());
    c->Refresh();
    ASSERT_TRUE(c->stats().last_publish.incremental);
    auto saved_tie = [&] {
      std::ifstream in(fs::path(dir) / "graph.tsv");
      for (std::string line; std::getline(in, line);)
        if (line.find("bo") != std::string::npos) return true;
      return false;
    };
    // The saver looks every 200 ms, at nice +10; a save fsyncs.
    const absl::Time start = absl::Now();
    const absl::Duration wait = share == 0 ? absl::Seconds(10) : 3 * took;
    bool saved = saved_tie();
    while (!saved && absl::Now() - start < wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      saved = saved_tie();
    }
    if (share == 0) took = std::max(took, absl::Now() - start);
    EXPECT_EQ(saved, share == 0);
    c.reset();
    EXPECT_TRUE(saved_tie()) << "the close did not save the graph";
  }
}

// A publish takes the writer's state between two writes: one that begins
// while a write holds the writer waits for that write to end, and says how
// long (PublishTimings::writer_wait_us, which Admin.GetStatus reports as
// last_publish_writer_wait_ms): under sustained ingest that wait, not the
// publish's own work, is what keeps new posts from queries longest.
// A write held under the writer's lock (the after_commit seam: committed,
// not returned) until the test releases it, or until `deadline` passes.
struct HeldWrite {
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;       // hold the next commit
  bool holding = false;    // a commit is being held
  bool released = false;   // the test let it go
  bool timed_out = false;  // the deadline let it go

  absl::Status Commit(std::chrono::milliseconds deadline) {
    std::unique_lock lock(mu);
    if (!hold) return absl::OkStatus();
    hold = false;
    holding = true;
    cv.notify_all();
    timed_out = !cv.wait_for(lock, deadline, [this] { return released; });
    return absl::OkStatus();
  }
  void Arm() {
    std::lock_guard lock(mu);
    hold = true;
  }
  void AwaitHolding() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return holding; });
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
};

// 30 questions by anna (more than a change of two posts: a change to more
// than a tenth of them is built from scratch).
std::vector<v1::Post> Seed() {
  std::vector<v1::Post> posts;
  for (int i = 0; i < 30; ++i) {
    posts.push_back(Question(absl::StrCat("s", i), "anna", "VPN", "It drops.",
                             kT0 - i, "en"));
  }
  return posts;
}

// A catalog of Seed() (published) whose next write is held under the
// writer's lock (HeldWrite) while the test publishes: q1 is written
// before, q2 is the write held.
class HeldWriteTest : public ::testing::Test {
 protected:
  void Open(bool change_log = false) {
    CatalogOptions o;
    o.data_dir = dir_;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.change_log_on_folder = change_log;  // as for followers of posts/
    o.after_commit = [this](Store) {
      return held_.Commit(std::chrono::seconds(10));
    };
    auto opened = Catalog::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    c_ = std::move(*opened);
    ASSERT_TRUE(Upsert(*c_, Seed()).ok());
    c_->Refresh();
  }
  // Writes q1, then begins q2's write and returns while it is held.
  void HoldAWrite() {
    ASSERT_TRUE(Upsert(*c_, {Question("q1", "anna", "Wifi", "It fails.",
                                      kT0 + 1, "en")})
                    .ok());
    held_.Arm();
    writer_ = std::thread([this] {
      EXPECT_TRUE(Upsert(*c_, {Question("q2", "anna", "Printer", "It jams.",
                                        kT0 + 2, "en")})
                      .ok());
    });
    held_.AwaitHolding();
  }
  // Lets q2's write go and waits for it; whether the hold lasted until then.
  bool Release() {
    held_.Release();
    writer_.join();
    return !held_.timed_out;
  }

  const std::string dir_ = TestDir();
  HeldWrite held_;
  std::unique_ptr<Catalog> c_;
  std::thread writer_;
};

// A publish takes what the writer handed over when it last let go, and
// never waits for the write under way (at 1M posts an ingest group holds
// the writer for its Xapian commits, up to seconds). Here the write is held
// until the publish returns: the publish shows the write before it and
// nothing of the one held (never half a write), and the next one shows
// that. Had the publish waited for the writer, the hold would have ended
// at its deadline, before the publish.
TEST_F(HeldWriteTest, AnIncrementalPublishDoesNotWaitForTheWriteUnderWay) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(HoldAWrite());
  c_->Refresh();  // while q2's write holds the writer
  const std::shared_ptr<const Snapshot> during = c_->snapshot();
  const PublishTimings t = c_->stats().last_publish;
  EXPECT_TRUE(Release()) << "the publish waited for the write";
  EXPECT_TRUE(t.incremental);
  EXPECT_EQ(t.writer_wait_us, 0);
  EXPECT_NE(during->FindPost("q1"), nullptr);
  EXPECT_EQ(during->FindPost("q2"), nullptr);
  c_->Refresh();
  EXPECT_NE(c_->snapshot()->FindPost("q2"), nullptr);
}

// The change log's entry (index/change_log.h) is committed at the publish
// tick; a publish that finds the writer busy leaves it to the writer, which
// commits it when it lets go, with no other publish needed: followers are
// not kept behind by a writer that never rests.
TEST_F(HeldWriteTest, AChangeLogEntryAPublishLeftIsCommittedByTheWriter) {
  ASSERT_NO_FATAL_FAILURE(Open(/*change_log=*/true));
  const std::string people_dir = DataDir(dir_).people();
  const ChangeLogPosition before =
      ReadChangeLogPosition(Xapian::Database(people_dir));
  ASSERT_NO_FATAL_FAILURE(HoldAWrite());
  c_->Refresh();  // finds the writer busy
  EXPECT_EQ(ReadChangeLogPosition(Xapian::Database(people_dir)).head,
            before.head);
  ASSERT_TRUE(Release());
  const std::optional<ChangeLogEntry> entry = TheEntryAfter(people_dir, before);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(WrittenPosts(*entry), (std::vector<std::string>{"q1", "q2"}));
}

// A build from scratch (here after an opt-out) copies the writer's maps:
// it waits for the write under way, takes it whole, and says how long it
// waited (Admin.GetStatus's data.last_publish_writer_wait_ms).
TEST(CatalogTest, ABuildFromScratchSaysHowLongItWaitedForTheWriter) {
  std::atomic<bool> hold{false}, holding{false};
  constexpr auto kHeld = std::chrono::milliseconds(500);
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  // Still under the writer's lock: the write has committed, not returned.
  o.after_commit = [&](Store) {
    if (hold.exchange(false)) {
      holding = true;
      std::this_thread::sleep_for(kHeld);
    }
    return absl::OkStatus();
  };
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  ASSERT_TRUE(Upsert(c, Seed()).ok());
  c.Refresh();
  const PublishTimings idle = c.stats().last_publish;
  EXPECT_LE(idle.writer_wait_us, idle.copy_us);
  ASSERT_TRUE(UpsertPeople(c, {MakePerson("anna", "Legal")}).ok());
  auto opted = c.SetOptOut("anna", true);
  ASSERT_TRUE(opted.ok()) << opted.status();

  hold = true;
  std::thread writer([&] {
    EXPECT_TRUE(
        Upsert(c, {Question("q1", "bo", "Printer", "It jams.", kT0 + 1, "en")})
            .ok());
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  c.Refresh();  // begins while the write holds the writer
  writer.join();
  const PublishTimings t = c.stats().last_publish;
  EXPECT_FALSE(t.incremental);
  // It waited for the rest of the held write (all of kHeld but the moment
  // it took this thread to begin the publish), and then took that write.
  EXPECT_GE(t.writer_wait_us, 250'000);
  EXPECT_LE(t.writer_wait_us, t.copy_us);
  EXPECT_NE(c.snapshot()->FindPost("q1"), nullptr);
}

// `n` questions fill-0.. whose text differs by `round`: enough that
// posts/' tables span many blocks, which commits rewriting them all free
// and reuse (a reader on an older revision then meets
// Xapian::DatabaseModifiedError).
std::vector<v1::Post> Filler(int n, int round) {
  std::vector<v1::Post> posts;
  for (int i = 0; i < n; ++i) {
    posts.push_back(Question(
        absl::StrCat("fill-", i), "anna", absl::StrCat("Kafka ", i, " ", round),
        absl::StrCat("How long do topics keep messages, case ", i, ", take ",
                     round, std::string(200, 'x' + round % 2)),
        kT0 + i, "en"));
  }
  return posts;
}

// A catalog that publishes only when told and allows `read_attempts`
// tries a read, holding Filler(posts, 0).
std::unique_ptr<Catalog> FilledCatalog(int posts, int read_attempts) {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  o.read_attempts = read_attempts;
  auto opened = Catalog::Open(o);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  EXPECT_TRUE(Upsert(**opened, Filler(posts, 0)).ok());
  return std::move(*opened);
}

// A scan of every post's terms (the expertise model's build: a million
// posts at 1M) outlives the revision it began on under sustained ingest,
// whose commits discard it (DatabaseModifiedError). The scan goes on in
// the newest revision from the post it reached: with a single try allowed,
// it ends, and each post comes once. Starting over (as before) needed a
// try per discarded revision, and under ingest the model was never
// rebuilt ("reading post terms: index kept changing"). The same for the
// look-up of given posts (the model's update).
TEST(CatalogTest, AScanOfPostTermsGoesOnWhenCommitsDiscardItsRevision) {
  constexpr int kPosts = 2000;
  std::unique_ptr<Catalog> catalog = FilledCatalog(kPosts, 1);
  ASSERT_NE(catalog, nullptr);
  Catalog& c = *catalog;
  int round = 0;
  // Every post rewritten three times, a commit each: the revision the read
  // is on is discarded.
  auto churn = [&] {
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(Upsert(c, Filler(kPosts, ++round)).ok());
  };

  std::map<std::string, int> seen;
  size_t calls = 0;
  absl::Status read = c.ForEachPostTerms(
      [&](const std::string& id, const std::vector<Catalog::TermCount>& terms) {
        EXPECT_FALSE(terms.empty()) << id;
        ++seen[id];
        ++calls;
        if (calls == 100 || calls == 1000) churn();
      });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(round, 6) << "the scan ended before the churn";
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPosts));
  EXPECT_EQ(calls, static_cast<size_t>(kPosts)) << "a post came twice";

  std::vector<std::string> ids;
  for (int i = 0; i < kPosts; ++i) ids.push_back(absl::StrCat("fill-", i));
  ids.push_back("no-such-post");
  seen.clear();
  calls = 0;
  read = c.ForEachPostTerms(
      ids, [&](const std::string& id, const std::vector<Catalog::TermCount>&) {
        ++seen[id];
        ++calls;
        if (calls == 100 || calls == 1000) churn();
      });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(round, 12);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPosts));
  EXPECT_EQ(calls, static_cast<size_t>(kPosts));
}

// A compaction renumbers the docids into new files: a scan that goes on
// after it starts over instead (posts may come twice, none is missed).
// The first 500 posts are deleted, so that the compacted database's
// docids start 500 lower: going on from the old docid would skip 500.
// And a scan of several databases (private posts beside the public ones,
// whose docids interleave) starts over as before: it never misses a post
// either.
TEST(CatalogTest, AScanOfPostTermsStartsOverOnOtherFilesOrSeveralDatabases) {
  constexpr int kPosts = 2000, kDeleted = 500;
  std::unique_ptr<Catalog> catalog = FilledCatalog(kPosts, 2);
  ASSERT_NE(catalog, nullptr);
  Catalog& c = *catalog;
  for (int i = 0; i < kDeleted; ++i) {
    auto deleted = c.DeletePost(absl::StrCat("fill-", i));
    ASSERT_TRUE(deleted.ok() && *deleted) << i;
  }
  int round = 0;
  std::set<std::string> seen;
  size_t calls = 0;
  absl::Status read = c.ForEachPostTerms(
      [&](const std::string& id, const std::vector<Catalog::TermCount>&) {
        seen.insert(id);
        if (++calls != 100) return;
        // The revision discarded, then the files replaced.
        for (int i = 0; i < 3; ++i)
          ASSERT_TRUE(Upsert(c, Filler(kPosts, ++round)).ok());
        auto compacted = c.Compact();
        ASSERT_TRUE(compacted.ok()) << compacted.status();
      });
  ASSERT_TRUE(read.ok()) << read;
  ASSERT_EQ(round, 3);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPosts));  // rewritten: back
  EXPECT_GT(calls, static_cast<size_t>(kPosts)) << "it went on, not over";

  seen.clear();
  calls = 0;
  read = c.ForEachPostTerms(
      [&](const std::string& id, const std::vector<Catalog::TermCount>&) {
        seen.insert(id);
        if (++calls != 100) return;
        for (int i = 0; i < 3; ++i)
          ASSERT_TRUE(Upsert(c, Filler(kPosts, ++round)).ok());
      },
      /*include_private=*/true);
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPosts));
  EXPECT_GT(calls, static_cast<size_t>(kPosts)) << "it went on, not over";
}

// Two publishes overlap: the first copies the writer's state and is held
// there (the publish hook) while a write lands and a second publish runs.
// Publishing one at a time keeps the second from copying until the first
// has installed its snapshot; without that, the second would install the
// newer state and the first would then install its older one over it.
TEST(CatalogTest, ConcurrentRefreshesNeverPublishAnOlderState) {
  std::mutex mu;
  std::condition_variable cv;
  bool hold_next = false;    // hold the next publish after it copies
  bool first_held = false;   // the first publish is being held
  bool second_done = false;  // the second Refresh has returned
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  o.publish_hook = [&](PublishStage stage) {
    if (stage != PublishStage::kStateCopied) return;
    std::unique_lock lock(mu);
    if (!hold_next) return;
    hold_next = false;
    first_held = true;
    cv.notify_all();
    // Done serially, the second publish cannot finish before this one:
    // wait for it only so long.
    cv.wait_for(lock, std::chrono::seconds(1), [&] { return second_done; });
  };
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Catalog& c = **opened;
  ASSERT_TRUE(Upsert(c, {Question("q1", "anna", "Printer queue",
                                  "The spooler hangs.", kT0, "en")})
                  .ok());
  {
    std::lock_guard lock(mu);
    hold_next = true;
  }
  std::thread first([&] { c.Refresh(); });  // copies {q1}, then is held
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return first_held; });
  }
  EXPECT_TRUE(Upsert(c, {Question("q2", "bo", "Coffee", "The coffee is cold.",
                                  kT0, "en")})
                  .ok());
  std::thread second([&] {
    c.Refresh();  // copies {q1, q2}
    std::lock_guard lock(mu);
    second_done = true;
    cv.notify_all();
  });
  second.join();
  first.join();
  auto s = c.snapshot();
  EXPECT_EQ(s->posts.size(), 2u)
      << "the held publish installed its older state over the newer one";
  EXPECT_NE(s->FindPost("q2"), nullptr);
}

TEST(CatalogTest, FetchReturnsPostsInRequestedOrderWithSnippets) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c, {Question("q1", "anna", "Printer",
                           "The printer on floor two jams every "
                           "morning.",
                           kT0, "en"),
                  Question("q2", "bo", "Coffee", "Coffee is cold.", kT0, "en")})
          .ok());
  c->Refresh();
  auto fetched = c->Fetch("printer jams", {"q2", "missing", "q1"});
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->size(), 2u);
  EXPECT_EQ((*fetched)[0].post.id(), "q2");
  EXPECT_EQ((*fetched)[1].post.id(), "q1");
  EXPECT_THAT((*fetched)[1].snippet, HasSubstr("printer"));
  EXPECT_LE((*fetched)[1].snippet.size(), 300u + 6);  // plus an ellipsis
  EXPECT_EQ((*fetched)[1].post.title(), "Printer");
}

// Fetch moves each text into its answer: an id asked twice still gets it
// twice, whole.
TEST(CatalogTest, FetchAnswersAnIdAskedTwiceTwice) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      Upsert(*c,
             {Question("q1", "anna", "Printer", "The printer jams.", kT0, "en"),
              Question("q2", "bo", "Coffee", "Coffee is cold.", kT0, "en")})
          .ok());
  c->Refresh();
  auto fetched = c->Fetch("printer", {"q1", "q2", "q1"});
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->size(), 3u);
  EXPECT_EQ((*fetched)[0].post.id(), "q1");
  EXPECT_EQ((*fetched)[1].post.id(), "q2");
  EXPECT_EQ((*fetched)[2].post.id(), "q1");
  EXPECT_EQ((*fetched)[2].post.body(), "The printer jams.");
  EXPECT_THAT((*fetched)[2].snippet, HasSubstr("printer"));
  EXPECT_EQ((*fetched)[2].snippet, (*fetched)[0].snippet);
}

TEST(CatalogTest, ReadOnlyCatalogSearchesWhileWriterHoldsFolder) {
  const std::string dir = TestDir();
  auto writer = OpenCatalog(dir);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(UpsertPeople(*writer, {MakePerson("anna")}).ok());
  ASSERT_TRUE(Upsert(*writer, {Question("q1", "anna", "Printer",
                                        "The printer jams.", kT0, "en")})
                  .ok());
  writer->Refresh();

  // A second writer is refused: the folder is locked.
  CatalogOptions second;
  second.data_dir = dir;
  second.refresh_interval = std::chrono::milliseconds(0);
  auto locked = Catalog::Open(second);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kFailedPrecondition);

  // A reader is not.
  auto reader = OpenCatalog(dir, /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_THAT(Find(*reader, "printer"), ElementsAre("q1"));
  EXPECT_NE(reader->snapshot()->FindPerson("anna"), nullptr);
  EXPECT_NE(reader->snapshot()->FindPost("q1"), nullptr);
  // It cannot write.
  EXPECT_EQ(
      Upsert(*reader, {Question("q2", "anna", "T", "B", kT0, "en")}).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UpsertPeople(*reader, {MakePerson("bo")}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->DeletePost("q1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->DeletePerson("anna").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The writer keeps working while the reader is open.
  ASSERT_TRUE(
      Upsert(*writer, {Question("q3", "anna", "Printer toner",
                                "Printer toner is empty.", kT0 + 5, "en")})
          .ok());
  writer->Refresh();
  EXPECT_THAT(Find(*writer, "printer"), UnorderedElementsAre("q1", "q3"));
}

// A post that is not public found among the public ones (a folder written
// before private_posts/ existed, or any other way a group's document lands
// in posts/) is never a public search's hit: a group's post, a post with a
// visibility term the catalog never writes, or with none. Such a post
// brings back the filter by the term of "public" that a search of a wholly
// public database skips (VisibleIn). A reader sees the folder as it is:
// only the writer moves such posts.
TEST(CatalogTest,
     PublicSearchLeavesOutPostsThatAreNotPublicAmongThePublicOnes) {
  const std::string dir = TestDir();
  {
    auto writer = OpenCatalog(dir);
    ASSERT_NE(writer, nullptr);
    std::vector<v1::Post> posts = {
        Question("q1", "anna", "Printer", "The printer jams.", kT0, "en")};
    for (const char* id : {"q2", "q3", "q4"}) {
      posts.push_back(Question(id, "anna", "Printer toner",
                               "The printer toner is low.", kT0 + 1, "en"));
      posts.back().set_visibility("group:hr");
    }
    ASSERT_TRUE(Upsert(*writer, posts).ok());
  }
  {
    // The group's documents, copied into the public database: q2 as it is,
    // q3 with a visibility term no one holds, q4 with none.
    Xapian::Database from((fs::path(dir) / "private_posts").string());
    Xapian::WritableDatabase to((fs::path(dir) / "posts").string(),
                                Xapian::DB_OPEN);
    for (const std::string id : {"q2", "q3", "q4"}) {
      auto it = from.postlist_begin("Q" + id);
      ASSERT_NE(it, from.postlist_end("Q" + id));
      Xapian::Document doc = from.get_document(*it);
      if (id != "q2") doc.remove_term("Vgroup:hr");
      if (id == "q3") doc.add_boolean_term("Vprivate");
      to.add_document(doc);
    }
    to.commit();
    EXPECT_EQ(to.get_termfreq("Vgroup:hr"), 1u);
    EXPECT_EQ(to.get_termfreq("Vprivate"), 1u);
    EXPECT_EQ(to.get_termfreq("Vpublic"), 1u);
    EXPECT_EQ(to.get_doccount(), 4u);
  }
  auto reader = OpenCatalog(dir, /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_THAT(Find(*reader, "printer"), ElementsAre("q1"));
  EXPECT_THAT(Find(*reader, "toner"), IsEmpty());
  SearchOptions o;
  o.query = "printer toner";
  auto only = reader->SearchOnly(o);
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_EQ(*only, 1);
  // The member's search reads their group's posts.
  o.groups = {"group:hr"};
  EXPECT_THAT(testing_util::SearchIds(*reader, o), Contains("q2"));
}

TEST(CatalogTest, ReadOnlyOnEmptyFolderIsNotFound) {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.read_only = true;
  auto c = Catalog::Open(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  // And does not create it.
  EXPECT_FALSE(fs::exists(o.data_dir));
}

// The ids of a search numbered in `snap` (SearchOptions::numbering), read
// back through its DenseIndex ("-" for a post the snapshot lacks).
std::vector<std::string> NumberedIds(const Catalog& c, SearchOptions o,
                                     const Snapshot& snap) {
  o.numbering = &snap;
  auto r = c.Search(o);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> ids;
  if (!r.ok()) return ids;
  EXPECT_TRUE(r->numbered);
  for (const auto& h : r->hits) {
    EXPECT_EQ(h.post_id, "");
    ids.push_back(h.post == DenseIndex::kNone ? "-"
                                              : snap.dense->post(h.post).id);
  }
  return ids;
}

// A publish numbers the public database's documents, so that a search
// numbers its hits without reading their ids; the same posts in the same
// order as the ids read, whether the table covers a hit, is too old for it,
// or belongs to other folders.
TEST(CatalogTest, NumberedSearchFindsTheSamePostsAsTheIds) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(UpsertPeople(*c, {MakePerson("ann"), MakePerson("bo")}).ok());
  std::vector<v1::Post> posts;
  for (int i = 0; i < 6; ++i) {
    posts.push_back(Question("q" + std::to_string(i), i % 2 ? "ann" : "bo",
                             "Centrifuge rotor " + std::string(i, 'x'),
                             "The rotor wobbles " + std::to_string(i)));
  }
  ASSERT_TRUE(Upsert(*c, posts).ok());
  ASSERT_TRUE(c->DeletePost("q0").ok());  // a gap in the document ids
  c->Refresh();
  auto snap = c->snapshot();
  ASSERT_NE(snap->docids, nullptr);
  SearchOptions o;
  o.query = "rotor";
  const std::vector<std::string> ids = testing_util::SearchIds(*c, o);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(NumberedIds(*c, o, *snap), ids);
  // Documents newer than the table (written after the publish): their ids
  // are read.
  Snapshot older = *snap;
  auto part = std::make_shared<PostDocids>(*snap->docids);
  part->number.resize(4, DenseIndex::kNone);
  older.docids = part;
  EXPECT_EQ(NumberedIds(*c, o, older), ids);
  // A table read from another database is not used: every id is read.
  Snapshot other = *snap;
  auto wrong = std::make_shared<PostDocids>(*snap->docids);
  ChunkedArray<uint32_t> reversed;
  for (size_t d = snap->docids->number.size(); d-- > 0;)
    reversed.push_back(snap->docids->number[d]);
  wrong->number = std::move(reversed);
  wrong->uuid = "another database";
  other.docids = wrong;
  EXPECT_EQ(NumberedIds(*c, o, other), ids);
  // A post the snapshot lacks (written after it) numbers kNone.
  ASSERT_TRUE(Upsert(*c, {Question("q9", "ann", "Rotor", "rotor rotor")}).ok());
  c->Refresh();
  std::vector<std::string> expected = testing_util::SearchIds(*c, o);
  ASSERT_EQ(expected.size(), 6u);
  std::replace(expected.begin(), expected.end(), std::string("q9"),
               std::string("-"));
  EXPECT_EQ(NumberedIds(*c, o, *snap), expected);
  // Nor one read before Compact renumbered the documents.
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(NumberedIds(*c, o, *snap), expected);
  c->Refresh();
  auto after = c->snapshot();
  EXPECT_EQ(NumberedIds(*c, o, *after), testing_util::SearchIds(*c, o));
}

TEST(CatalogTest, CompactKeepsEveryRecordAndReadersSeeTheNewFiles) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann")}}).ok());
  ASSERT_TRUE(
      c->UpsertPosts(
           {{MakePost("p1", "ann", v1::POST_KIND_QUESTION, "Centrifuge rotor",
                      "Plasma samples", 1700000000, "", "en"),
             MakePost("p2", "ann", v1::POST_KIND_QUESTION, "Flux capacitor",
                      "It drifts", 1700000100, "", "en")}})
          .ok());
  SearchOptions search;
  search.query = "centrifuge";
  ASSERT_EQ(c->Search(search)->hits.size(), 1u);  // a pooled reader
  ASSERT_TRUE(c->DeletePost("p2").ok());
  auto compacted = c->Compact();
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_GT(compacted->bytes_after, 0);
  EXPECT_FALSE(std::filesystem::exists(dir + "/posts.old"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/posts.compact"));
  auto hits = c->Search(search);
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_EQ(hits->hits.size(), 1u);
  // Still writable, and what was written survives a reopen.
  ASSERT_TRUE(c->UpsertPosts(
                   {{MakePost("p3", "ann", v1::POST_KIND_ANSWER, "",
                              "Slow down the rotor", 1700000200, "p1", "en")}})
                  .ok());
  c.reset();
  auto reopened = OpenCatalog(dir);
  ASSERT_NE(reopened, nullptr);
  EXPECT_NE(reopened->snapshot()->FindPost("p3"), nullptr);
  EXPECT_EQ(reopened->snapshot()->FindPost("p2"), nullptr);
  EXPECT_NE(reopened->snapshot()->FindPerson("ann"), nullptr);
}

TEST(CatalogTest, OpenRepairsACrashInTheMiddleOfACompactionSwap) {
  const std::string dir = TestDir();
  {
    auto c = OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann")}}).ok());
  }
  // The crash: people/ renamed aside, the new copy half-written.
  namespace fs = std::filesystem;
  fs::rename(dir + "/people", dir + "/people.old");
  fs::create_directories(dir + "/people.compact");
  testing_util::WriteFile(dir + "/people.compact/junk", "partial");
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->snapshot()->FindPerson("ann"), nullptr);
  EXPECT_FALSE(fs::exists(dir + "/people.old"));
  EXPECT_FALSE(fs::exists(dir + "/people.compact"));
}

}  // namespace
}  // namespace whoknows::index

namespace whoknows::index {
namespace {

// Bulk loading (CatalogOptions::bulk_commit_records): writes are applied,
// visible in the snapshot, and committed only at the threshold, Commit(),
// a write that deletes, or the destructor.
std::unique_ptr<Catalog> OpenBulk(const std::string& dir, int records) {
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.bulk_commit_records = records;
  auto c = Catalog::Open(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// Posts on disk, as another process sees them.
size_t CommittedPosts(const std::string& dir) {
  auto reader = Catalog::OpenForReading(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? (*reader)->snapshot()->posts.size() : 0;
}

std::vector<v1::Post> Questions(int from, int n,
                                const std::string& visibility = "public") {
  std::vector<v1::Post> posts;
  for (int i = from; i < from + n; ++i) {
    posts.push_back(MakePost(absl::StrCat("q", i), "ann",
                             v1::POST_KIND_QUESTION, "kettle descaling",
                             absl::StrCat("kettle number ", i), kT0 + i));
    posts.back().set_visibility(visibility);
  }
  return posts;
}

TEST(CatalogBulkTest, CommitsAtTheThresholdAndOnCommit) {
  const std::string dir = TestDir();
  auto c = OpenBulk(dir, 25);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann")}}).ok());
  ASSERT_TRUE(c->UpsertPosts(Questions(0, 10)).ok());
  c->Refresh();
  EXPECT_EQ(c->snapshot()->posts.size(), 10u);  // the writer sees them
  EXPECT_EQ(CommittedPosts(dir), 0u);           // the disk does not yet
  ASSERT_TRUE(c->UpsertPosts(Questions(10, 10, "group:hr")).ok());
  EXPECT_EQ(CommittedPosts(dir), 0u);
  // 1 person + 20 posts + 5 more: the threshold commits every database.
  ASSERT_TRUE(c->UpsertPosts(Questions(20, 5)).ok());
  EXPECT_EQ(CommittedPosts(dir), 25u);
  ASSERT_TRUE(c->UpsertPosts(Questions(25, 3)).ok());
  EXPECT_EQ(CommittedPosts(dir), 25u);
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(CommittedPosts(dir), 28u);
  ASSERT_TRUE(c->Commit().ok());  // nothing pending: nothing to do
  SearchOptions o;
  o.query = "kettle";
  EXPECT_EQ(c->Search(o)->hits.size(), 18u);  // the public ones
}

TEST(CatalogBulkTest, TheDestructorCommitsWhatIsPending) {
  const std::string dir = TestDir();
  {
    auto c = OpenBulk(dir, 1000);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann")}}).ok());
    ASSERT_TRUE(c->UpsertPosts(Questions(0, 7)).ok());
  }
  EXPECT_EQ(CommittedPosts(dir), 7u);
}

// A post moving between databases keeps its journaled, committed write,
// after what was pending; deletions too.
TEST(CatalogBulkTest, AWriteThatDeletesCommitsWhatWasPendingFirst) {
  const std::string dir = TestDir();
  auto c = OpenBulk(dir, 1000);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann")}}).ok());
  ASSERT_TRUE(c->UpsertPosts(Questions(0, 5)).ok());
  EXPECT_EQ(CommittedPosts(dir), 0u);
  // q0 turns private: deleted from posts/, written to private_posts/.
  ASSERT_TRUE(c->UpsertPosts(Questions(0, 1, "group:hr")).ok());
  EXPECT_EQ(CommittedPosts(dir), 5u);
  EXPECT_FALSE(fs::exists(DataDir(dir).batch_journal()));
  ASSERT_TRUE(c->UpsertPosts(Questions(5, 2)).ok());
  ASSERT_TRUE(*c->DeletePost("q1"));
  EXPECT_EQ(CommittedPosts(dir), 6u);  // q0-q6 but q1
  auto reader = Catalog::OpenForReading(dir);
  ASSERT_TRUE(reader.ok());
  const PostMeta* q0 = (*reader)->snapshot()->FindPost("q0");
  ASSERT_NE(q0, nullptr);
  EXPECT_FALSE(q0->is_public);
}

// Every document of a folder's posts databases (posts/ and private_posts/),
// by the id its data names: its terms with their wdf, its values and its
// data, as one string to compare.
std::map<std::string, std::string> IndexedPosts(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const char* store : {"posts", "private_posts"}) {
    Xapian::Database db(dir + "/" + store);
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      const Xapian::Document doc = db.get_document(*it);
      v1::Post p;
      EXPECT_TRUE(p.ParseFromString(doc.get_data()));
      std::string& text = out[p.id()];
      EXPECT_TRUE(text.empty()) << p.id() << " is stored twice";
      absl::StrAppend(&text, store, "\n");
      for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
        absl::StrAppend(&text, *t, ":", t.get_wdf(), " ");
      for (auto v = doc.values_begin(); v != doc.values_end(); ++v)
        absl::StrAppend(&text, "\nvalue ", v.get_valueno(), "=", *v);
      absl::StrAppend(&text, "\n", doc.get_data());
    }
  }
  return out;
}

// What is indexed for a post is a function of the post and what is stored
// before it, not of how the write was cut: one batch, one write a post (an
// IngestStream's groups and UpsertPosts' batches cut a stream anywhere) and
// bulk loading (import) store the same documents in the same databases.
// Threads resolved through a parent, a language detected, privacy
// inherited from a private root, and a post written twice are all in it.
TEST(CatalogBulkTest, APostIsIndexedTheSameWhicheverWriteWroteIt) {
  v1::Post secret = Question("p1", "boss", "Reorganisation",
                             "The reorganisation of the warehouse.", kT0, "en");
  secret.set_visibility("group:ledningsgruppen");
  v1::Post inherits = Answer("p1-a", "hr", "p1", "It starts in May.", kT0 + 5);
  inherits.set_language("en");
  v1::Post liked = Question("q1", "anna", "Kettle descaling",
                            "Vinegar or citric acid for the kettle?", kT0);
  liked.add_liked_by("bo");
  liked.add_mentioned("hr");
  liked.add_tags("kitchen");
  const std::vector<v1::Post> posts = {
      liked,
      Answer("a1", "bo", "q1", "Citric acid, and rinse twice afterwards."),
      Comment("c1", "anna", "a1", "Thanks, that worked."),
      Question("q2", "bo", "Kaffebryggare",
               "Hur avkalkar jag kaffebryggaren på kontoret?", kT0 + 9),
      secret,
      inherits,
      Answer("a1", "bo", "q1", "Citric acid; rinse three times.", kT0 + 300,
             "en"),
  };
  const std::string batch = TestDir() + "/batch";
  const std::string one_by_one = TestDir() + "/one";
  const std::string bulk = TestDir() + "/bulk";
  {
    auto c = OpenCatalog(batch);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(Upsert(*c, posts).ok());
  }
  {
    auto c = OpenCatalog(one_by_one);
    ASSERT_NE(c, nullptr);
    for (const auto& p : posts) ASSERT_TRUE(Upsert(*c, {p}).ok()) << p.id();
  }
  {
    auto c = OpenBulk(bulk, 1000);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(Upsert(*c, {posts.begin(), posts.begin() + 3}).ok());
    ASSERT_TRUE(Upsert(*c, {posts.begin() + 3, posts.end()}).ok());
    ASSERT_TRUE(c->Commit().ok());
  }
  const auto indexed = IndexedPosts(batch);
  ASSERT_EQ(indexed.size(), 6u);
  EXPECT_THAT(indexed.at("p1-a"), HasSubstr("private_posts\n"));
  EXPECT_THAT(indexed.at("a1"), HasSubstr("three"));
  EXPECT_EQ(IndexedPosts(one_by_one), indexed);
  EXPECT_EQ(IndexedPosts(bulk), indexed);
}

TEST(CatalogBulkTest, ANegativeThresholdIsInvalid) {
  CatalogOptions o;
  o.data_dir = TestDir();
  o.bulk_commit_records = -1;
  auto c = Catalog::Open(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("bulk_commit_records"));
}

// A private root arriving after its public replies were stored, and after
// the catalog was reopened (what the catalog remembers of parents and
// threads is rebuilt at open), still takes the replies private.
TEST(CatalogTest, APrivateRootPrivatizesRepliesStoredBeforeAReopen) {
  const std::string dir = TestDir();
  v1::Post reply = MakePost("a1", "bob", v1::POST_KIND_ANSWER, "",
                            "kettle answer", kT0 + 60, "q1");
  reply.set_thread_id("q1");
  v1::Post nested = MakePost("c1", "cid", v1::POST_KIND_COMMENT, "",
                             "kettle comment", kT0 + 120, "a1");
  nested.set_thread_id("q1");
  {
    auto c = OpenCatalog(dir);
    ASSERT_TRUE(c->UpsertPeople({{MakePerson("ann"), MakePerson("bob"),
                                  MakePerson("cid")}})
                    .ok());
    ASSERT_TRUE(c->UpsertPosts({{reply, nested}}).ok());
  }
  auto c = OpenCatalog(dir);
  v1::Post root = Questions(1, 1, "group:hr")[0];
  ASSERT_TRUE(c->UpsertPosts({{root}}).ok());
  c->Refresh();
  for (const char* id : {"a1", "c1"}) {
    const PostMeta* m = c->snapshot()->FindPost(id);
    ASSERT_NE(m, nullptr) << id;
    EXPECT_FALSE(m->is_public) << id;
    EXPECT_EQ(m->visibility, "group:hr") << id;
  }
}

}  // namespace
}  // namespace whoknows::index
