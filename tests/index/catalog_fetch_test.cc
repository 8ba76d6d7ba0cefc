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
// words come capitalised and not, and stemmed alike in other forms: the words
// whose background weights MSet::snippet caches across calls.
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

// The snippets, by post id, of the single match Fetch stands for: the query
// filtered to the ids, or-ed with the ids at weight 0, each post's snippet
// made from that MSet in its order.
std::map<std::string, std::string> SnippetsOfOneMatch(
    const std::string& dir, const Catalog& catalog, const std::string& text,
    const std::vector<std::string>& ids) {
  std::vector<Xapian::Query> words, id_terms;
  for (const auto& variants : catalog.QueryTerms(text))
    words.emplace_back(Xapian::Query::OP_SYNONYM, variants.begin(),
                       variants.end());
  for (const auto& id : ids) id_terms.emplace_back("Q" + id);
  const Xapian::Query q(Xapian::Query::OP_OR, words.begin(), words.end());
  const Xapian::Query filter(Xapian::Query::OP_OR, id_terms.begin(),
                             id_terms.end());
  const Xapian::Database db(dir + "/posts");
  Xapian::Enquire enquire(db);
  enquire.set_query(Xapian::Query(
      Xapian::Query::OP_OR, Xapian::Query(Xapian::Query::OP_FILTER, q, filter),
      Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, filter, 0)));
  const Xapian::MSet mset = enquire.get_mset(0, db.get_doccount());
  std::map<std::string, std::string> out;
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    v1::Post post;
    EXPECT_TRUE(post.ParseFromString(it.get_document().get_data()));
    out[post.id()] = HtmlToText(mset.snippet(
        post.body(), 300, Xapian::Stem(StemmerNameFor(post.language())),
        Xapian::MSet::SNIPPET_BACKGROUND_MODEL |
            Xapian::MSet::SNIPPET_EXHAUSTIVE,
        "", "", "…"));
  }
  return out;
}

// Fetch reads each post by its id term and matches the query only among
// them, and only when a text is longer than the snippet: its snippets must
// still be those of the one match it stands for, whatever order the ids
// come in, for posts that match the query and posts that do not.
TEST(CatalogFetchTest, SnippetsAreThoseOfOneMatchOfTheIds) {
  const std::string dir = TestDir();
  auto c = OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  const std::vector<v1::Person> people = {testing_util::MakePerson("anna")};
  ASSERT_TRUE(c->UpsertPeople(people).ok());
  const std::vector<v1::Post> posts = SnippetPosts(60);
  const absl::Status upserted = c->UpsertPosts(posts);
  ASSERT_TRUE(upserted.ok()) << upserted;
  c->Refresh();
  std::mt19937 random(11);
  for (const std::string query :
       {"restart the spooler", "toner", "starta om skrivaren", "nothing"}) {
    std::vector<std::string> ids;
    for (int i = 0; i < 60; i += 2) ids.push_back("p" + std::to_string(i));
    std::shuffle(ids.begin(), ids.end(), random);
    auto fetched = c->Fetch(query, ids);
    ASSERT_TRUE(fetched.ok()) << fetched.status();
    ASSERT_EQ(fetched->size(), ids.size());
    const auto expected = SnippetsOfOneMatch(dir, *c, query, ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      const PostText& t = (*fetched)[i];
      EXPECT_EQ(t.post.id(), ids[i]);
      auto it = expected.find(t.post.id());
      ASSERT_NE(it, expected.end()) << t.post.id();
      EXPECT_EQ(t.snippet, it->second) << query << ", post " << t.post.id();
    }
  }
}

}  // namespace
}  // namespace whoknows::index
