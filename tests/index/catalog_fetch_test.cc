// Tests Catalog::Fetch (index/catalog.cc) against a match Xapian runs
// itself on the same folder: the evidence texts and snippets FindExperts
// shows.
#include <gtest/gtest.h>
#include <xapian.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/language.h"
#include "index/text.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

using testing_util::MakePost;
using testing_util::OpenCatalog;
using testing_util::TestDir;

constexpr int64_t kT0 = 1700000000;

// Posts, most longer than the 300-byte snippet, in English and Swedish whose
// words come capitalised and not, and stemmed alike in other forms (Xapian's
// background model, which Fetch no longer asks for, cached their weights
// across calls, so a snippet depended on those made before it).
std::vector<v1::Post> SnippetPosts(int n) {
  const std::vector<std::string> en = {
      "Queue",   "queue",    "queues",  "Spooler", "spooler", "restart",
      "Printer", "printers", "floor",   "Jams",    "jammed",  "driver",
      "Drivers", "network",  "Network", "cable",   "toner",   "Toner"};
  const std::vector<std::string> sv = {
      "Skrivaren", "skrivare", "skrivarna", "Kön",     "kön",     "köer",
      "starta",    "Starta",   "om",        "Nätverk", "nätverk", "kabel",
      "Kabeln",    "toner",    "Tonern",    "våning",  "Våningen"};
  std::mt19937 random(7);
  std::vector<v1::Post> posts;
  for (int i = 0; i < n; ++i) {
    const bool swedish = i % 3 == 2;
    const auto& words = swedish ? sv : en;
    std::string body;
    // Every fourth post is short: its own snippet, with no match.
    const size_t length = i % 4 == 3 ? 120 : 420;
    while (body.size() < length) {
      body += words[random() % words.size()];
      body += random() % 6 == 0 ? ". " : " ";
    }
    posts.push_back(MakePost("p" + std::to_string(i), "anna",
                             v1::POST_KIND_QUESTION, "Help", body, kT0 + i, "",
                             swedish ? "sv" : "en"));
  }
  return posts;
}

// Anna and 60 SnippetPosts in `c`, published.
void AddSnippetPosts(Catalog* c) {
  ASSERT_NE(c, nullptr);
  const std::vector<v1::Person> people = {testing_util::MakePerson("anna")};
  ASSERT_TRUE(c->UpsertPeople(people).ok());
  const absl::Status upserted = c->UpsertPosts(SnippetPosts(60));
  ASSERT_TRUE(upserted.ok()) << upserted;
  c->Refresh();
}

// The snippets, by post id, of the ids' posts, each made from the MSet of
// the whole folder's match of the query's words, by those words alone.
std::map<std::string, std::string> SnippetsOfTheQueryMatch(
    const std::string& dir, const Catalog& catalog, const std::string& text,
    const std::vector<std::string>& ids) {
  std::vector<Xapian::Query> words;
  for (const auto& variants : catalog.QueryTerms(text))
    words.emplace_back(Xapian::Query::OP_SYNONYM, variants.begin(),
                       variants.end());
  const Xapian::Database db(dir + "/posts");
  Xapian::Enquire enquire(db);
  enquire.set_query(
      Xapian::Query(Xapian::Query::OP_OR, words.begin(), words.end()));
  const Xapian::MSet mset = enquire.get_mset(0, db.get_doccount());
  std::map<std::string, std::string> out;
  for (const auto& id : ids) {
    auto it = db.postlist_begin("Q" + id);
    if (it == db.postlist_end("Q" + id)) continue;
    v1::Post post;
    EXPECT_TRUE(post.ParseFromString(db.get_document(*it).get_data()));
    std::string snippet = HtmlToText(mset.snippet(
        post.body(), 300, Xapian::Stem(StemmerNameFor(post.language())),
        Xapian::MSet::SNIPPET_EXHAUSTIVE |
            Xapian::MSet::SNIPPET_EMPTY_WITHOUT_MATCH,
        "", "", "…"));
    // A text without the query's words: its opening.
    out[post.id()] = snippet.empty() ? Opening(post.body(), 300) : snippet;
  }
  return out;
}

// Fetch reads each post by its id term and weighs the query's words by a
// match that reads no posting, only when a text is longer than the
// snippet: its snippets must still be those of the whole match of the
// query's words, whatever order the ids come in, for posts that match the
// query and posts that do not.
TEST(CatalogFetchTest, SnippetsAreThoseOfTheQueryWordsMatch) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NO_FATAL_FAILURE(AddSnippetPosts(c.get()));
  std::mt19937 random(11);
  for (const std::string query :
       {"restart the spooler", "toner", "starta om skrivaren", "nothing"}) {
    std::vector<std::string> ids;
    for (int i = 0; i < 60; i += 2) ids.push_back("p" + std::to_string(i));
    std::shuffle(ids.begin(), ids.end(), random);
    auto fetched = c->Fetch(query, ids);
    ASSERT_TRUE(fetched.ok()) << fetched.status();
    ASSERT_EQ(fetched->size(), ids.size());
    const auto expected = SnippetsOfTheQueryMatch(dir, *c, query, ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      const PostText& t = (*fetched)[i];
      EXPECT_EQ(t.post.id(), ids[i]);
      auto it = expected.find(t.post.id());
      ASSERT_NE(it, expected.end()) << t.post.id();
      EXPECT_EQ(t.snippet, it->second) << query << ", post " << t.post.id();
    }
  }
}

// A long text that holds none of the query's words shows its opening, not
// the window Xapian would pick among equally weightless ones (its last).
TEST(CatalogFetchTest, ATextWithoutTheQueryWordsShowsItsOpening) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NO_FATAL_FAILURE(AddSnippetPosts(c.get()));
  // "zebrafish" is a word of the index, in this post alone.
  ASSERT_TRUE(c->UpsertPosts(std::vector<v1::Post>{MakePost(
                                 "z", "anna", v1::POST_KIND_QUESTION, "Fish",
                                 "zebrafish tank", kT0, "", "en")})
                  .ok());
  c->Refresh();
  int long_texts = 0;
  // The English words of the third are in the index, but in no Swedish
  // post: Xapian showed a window from their middle.
  for (const std::string query : {"zebrafish", "", "restart the spooler"}) {
    std::vector<std::string> ids;
    for (int i = 0; i < 60; ++i) ids.push_back("p" + std::to_string(i));
    auto fetched = c->Fetch(query, ids);
    ASSERT_TRUE(fetched.ok()) << fetched.status();
    ASSERT_EQ(fetched->size(), ids.size());
    for (const PostText& t : *fetched) {
      const std::string& body = t.post.body();
      if (query == "restart the spooler" && t.post.language() != "sv") continue;
      if (body.size() <= 300) {  // its own snippet, as plain text
        EXPECT_EQ(t.snippet, HtmlToText(body));
        continue;
      }
      ++long_texts;
      ASSERT_TRUE(t.snippet.ends_with("…")) << t.snippet;
      const std::string kept =
          t.snippet.substr(0, t.snippet.size() - std::string("…").size());
      EXPECT_TRUE(body.starts_with(kept)) << "query \"" << query << "\", post "
                                          << t.post.id() << ": " << t.snippet;
      EXPECT_GT(kept.size(), 250u) << t.snippet;
      EXPECT_LE(kept.size(), 300u);
    }
  }
  EXPECT_EQ(long_texts, 105);
}

// A snippet depends on its post and the query alone, not on the posts
// fetched with it nor their order: FindExperts fetches only the evidence of
// the people it shows. (With Xapian's background model, a snippet moved
// with the posts whose snippets were made before it.)
TEST(CatalogFetchTest, ASnippetDependsOnNothingFetchedWithIt) {
  auto c = OpenCatalog(TestDir());
  ASSERT_NO_FATAL_FAILURE(AddSnippetPosts(c.get()));
  std::mt19937 random(5);
  int long_texts = 0;
  for (const std::string query : {"restart the spooler", "nätverk kabel"}) {
    std::vector<std::string> ids;
    for (int i = 0; i < 60; ++i) ids.push_back("p" + std::to_string(i));
    std::shuffle(ids.begin(), ids.end(), random);
    auto together = c->Fetch(query, ids);
    ASSERT_TRUE(together.ok()) << together.status();
    ASSERT_EQ(together->size(), ids.size());
    for (const PostText& t : *together) {
      auto alone = c->Fetch(query, {t.post.id()});
      ASSERT_TRUE(alone.ok()) << alone.status();
      ASSERT_EQ(alone->size(), 1u);
      EXPECT_EQ((*alone)[0].snippet, t.snippet)
          << query << ", post " << t.post.id();
      if (t.post.body().size() > 300) ++long_texts;
    }
  }
  EXPECT_GT(long_texts, 60);
}

}  // namespace
}  // namespace whoknows::index
