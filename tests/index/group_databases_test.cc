// Tests index/group_databases.cc (and the member's search in
// index/catalog.cc that reads it) against real Xapian databases on disk.
#include "index/group_databases.h"

#include <gtest/gtest.h>
#include <xapian.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

// A snapshot's posts as GroupDatabases::Update takes them.
std::unordered_map<std::string, std::shared_ptr<const PostMeta>> PostsOf(
    const Snapshot& snap) {
  return {snap.posts.begin(), snap.posts.end()};
}

using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::OpenCatalog;
using testing_util::TestDir;

constexpr int64_t kT0 = 1'700'000'000;

v1::Post Private(const std::string& id, const std::string& group,
                 const std::string& body, int64_t created) {
  v1::Post p =
      MakePost(id, "a", v1::POST_KIND_ARTICLE, "", body, created, "", "en");
  p.set_visibility(group);
  return p;
}

// Public posts and group:hr's, the same in every catalog of these tests.
void WritePublicAndHr(Catalog& c) {
  ASSERT_TRUE(c.UpsertPeople(std::vector<v1::Person>{MakePerson("a")}).ok());
  std::vector<v1::Post> posts;
  for (int i = 0; i < 6; ++i) {
    posts.push_back(MakePost(
        absl::StrCat("pub", i), "a", v1::POST_KIND_ARTICLE, "",
        i % 2 ? "payroll salary review" : "vpn printer", kT0 + i, "", "en"));
  }
  posts.push_back(Private("hr1", "group:hr", "salary dispute", kT0 + 10));
  posts.push_back(
      Private("hr2", "group:hr", "payroll salary salary", kT0 + 11));
  ASSERT_TRUE(c.UpsertPosts(posts).ok());
}

// group:board's posts: the same words, more of them.
void WriteBoard(Catalog& c, int n) {
  std::vector<v1::Post> posts;
  for (int i = 0; i < n; ++i) {
    posts.push_back(Private(absl::StrCat("board", i), "group:board",
                            "salary salary salary merger layoff",
                            kT0 + 20 + i));
  }
  ASSERT_TRUE(c.UpsertPosts(posts).ok());
}

// A member of group:hr searches as if no other group existed: the same
// hits with the same BM25 weights (to the bit) and the same snippets as in
// a catalog that never held group:board's posts.
TEST(GroupDatabasesTest, AMembersSearchWeighsAsIfOtherGroupsDidNotExist) {
  auto with_board = OpenCatalog(TestDir() + "/with_board");
  auto without = OpenCatalog(TestDir() + "/without");
  ASSERT_TRUE(with_board && without);
  WritePublicAndHr(*with_board);
  WritePublicAndHr(*without);
  WriteBoard(*with_board, 40);
  with_board->Refresh();
  without->Refresh();
  SearchOptions o;
  o.query = "salary payroll";
  o.groups = {"group:hr"};
  auto a = with_board->Search(o);
  auto b = without->Search(o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->hits.size(), b->hits.size());
  ASSERT_GE(a->hits.size(), 5u);
  bool hr = false;
  for (size_t i = 0; i < a->hits.size(); ++i) {
    EXPECT_EQ(a->hits[i].post_id, b->hits[i].post_id) << i;
    EXPECT_EQ(a->hits[i].weight, b->hits[i].weight) << i;
    hr |= a->hits[i].post_id.rfind("hr", 0) == 0;
    EXPECT_EQ(a->hits[i].post_id.rfind("board", 0), std::string::npos);
  }
  EXPECT_TRUE(hr) << "the member's own group is searched";
  auto fa = with_board->Fetch(o.query, {"hr2", "pub1", "board0"}, 40, false,
                              o.groups);
  auto fb = without->Fetch(o.query, {"hr2", "pub1"}, 40, false, o.groups);
  ASSERT_TRUE(fa.ok() && fb.ok());
  ASSERT_EQ(fa->size(), 2u) << "board0 is not the member's";
  for (size_t i = 0; i < fa->size(); ++i)
    EXPECT_EQ((*fa)[i].snippet, (*fb)[i].snippet) << (*fa)[i].post.id();
}

// GroupDatabases alone, on the catalog's private_posts/: a group's
// database is built at its first search, kept while its posts stay the
// same (whatever other groups do), updated in place when they change (only
// the changed posts), dropped when one of its posts leaves it, and the cache
// bound drops the least recently searched group.
class GroupDatabasesCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    catalog_ = OpenCatalog(dir_);
    ASSERT_TRUE(catalog_);
    WritePublicAndHr(*catalog_);
    WriteBoard(*catalog_, 3);
    catalog_->Refresh();
    pub_ = Xapian::Database(DataDir(dir_).posts());
  }
  // How many documents a search over pub + `groups` sees.
  Xapian::doccount Count(GroupDatabases& g,
                         const std::vector<std::string>& groups) {
    Xapian::doccount n = 0;
    absl::Status s = g.Read(pub_, DataDir(dir_).private_posts(), groups,
                            [&](const Xapian::Database& db) {
                              n = db.get_doccount();
                              return absl::OkStatus();
                            });
    EXPECT_TRUE(s.ok()) << s;
    return n;
  }
  void Update(GroupDatabases& g) {
    catalog_->Refresh();
    g.Update(PostsOf(*catalog_->snapshot()), /*pending=*/false);
  }
  // (post id, BM25 weight) of every hit of `query` over pub + `groups`.
  std::vector<std::pair<std::string, double>> Hits(
      GroupDatabases& g, const std::vector<std::string>& groups,
      const std::string& query) {
    std::vector<std::pair<std::string, double>> out;
    absl::Status s = g.Read(
        pub_, DataDir(dir_).private_posts(), groups,
        [&](const Xapian::Database& db) {
          Xapian::Enquire e(db);
          Xapian::QueryParser qp;
          qp.set_database(db);
          e.set_query(qp.parse_query(query));
          Xapian::MSet m = e.get_mset(0, 100);
          for (auto it = m.begin(); it != m.end(); ++it)
            out.emplace_back(it.get_document().get_value(1),  // the id slot
                             it.get_weight());
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
  std::unique_ptr<Catalog> catalog_;
  Xapian::Database pub_;
};

TEST_F(GroupDatabasesCacheTest, BuildsAGroupOnceAndUpdatesOnlyWhatChanged) {
  GroupDatabases g(1000, "V");
  Update(g);
  EXPECT_EQ(Count(g, {"group:hr"}), 6u + 2u);
  EXPECT_EQ(Count(g, {"group:board", "group:hr"}), 6u + 2u + 3u);
  EXPECT_EQ(g.stats().builds, 2);
  EXPECT_EQ(g.stats().posts, 5);
  Update(g);  // nothing changed
  EXPECT_EQ(Count(g, {"group:hr"}), 8u);
  EXPECT_EQ(g.stats().builds, 2);

  WriteBoard(*catalog_, 5);  // board changes (3 replaced, 2 new), hr does not
  Update(g);
  EXPECT_EQ(Count(g, {"group:hr"}), 8u);
  EXPECT_EQ(g.stats().updated, 0) << "hr's copy is not touched";
  EXPECT_EQ(Count(g, {"group:board"}), 6u + 5u);
  EXPECT_EQ(g.stats().builds, 2) << "board's copy is updated, not built again";
  EXPECT_EQ(g.stats().updated, 5);

  ASSERT_TRUE(*catalog_->DeletePost("hr1"));  // hr loses a post
  Update(g);
  // Its copy is dropped at the publish, not kept with the deleted post's
  // text until a member searches (erasure: docs/operations.md).
  EXPECT_EQ(g.stats().cached, 1) << "hr's copy, holding hr1, is gone";
  EXPECT_EQ(g.stats().posts, 5) << "board's";
  EXPECT_EQ(Count(g, {"group:hr"}), 6u + 1u);
  EXPECT_EQ(g.stats().builds, 3);
  EXPECT_EQ(g.stats().updated, 5);
  EXPECT_EQ(Count(g, {"group:nobody"}), 6u) << "a group with no post";
}

TEST_F(GroupDatabasesCacheTest,
       InvalidateReachesTheNextSearchBeforeThePublish) {
  GroupDatabases g(1000, "V");
  Update(g);
  EXPECT_EQ(Count(g, {"group:hr"}), 8u);
  ASSERT_TRUE(*catalog_->DeletePost("hr1"));
  g.Invalidate({{"group:hr", "hr1"}});
  EXPECT_EQ(Count(g, {"group:hr"}), 7u);
  EXPECT_EQ(g.stats().builds, 1);
}

// Posts added and replaced (copies updated in place), then moved between
// groups, made public and deleted (the copies that lost a post dropped and
// built again): either way every hit weighs as in copies built afresh.
TEST_F(GroupDatabasesCacheTest, UpdatedInPlaceWeighsAsBuiltAfresh) {
  GroupDatabases g(1000, "V");
  Update(g);
  const std::vector<std::string> hr = {"group:hr"},
                                 both = {"group:board", "group:hr"};
  const std::vector<std::string> queries = {"salary", "payroll",
                                            "merger layoff", "bonus salary"};
  auto same_as_fresh = [&] {
    GroupDatabases fresh(1000, "V");
    fresh.Update(PostsOf(*catalog_->snapshot()), /*pending=*/false);
    for (const std::string& q : queries) {
      EXPECT_EQ(Hits(g, hr, q), Hits(fresh, hr, q)) << q;
      EXPECT_EQ(Hits(g, both, q), Hits(fresh, both, q)) << q;
    }
    EXPECT_EQ(fresh.stats().builds, 2);
  };
  Count(g, both);  // both built
  ASSERT_TRUE(
      catalog_
          ->UpsertPosts({{
              Private("hr3", "group:hr", "salary salary bonus", kT0 + 30),
              Private("hr2", "group:hr", "payroll only",
                      kT0 + 31),  // replaced
              Private("board9", "group:board", "merger salary layoff",
                      kT0 + 32),
          }})
          .ok());
  Update(g);
  same_as_fresh();
  EXPECT_EQ(g.stats().builds, 2);
  EXPECT_GE(g.stats().updated, 3);

  ASSERT_TRUE(catalog_
                  ->UpsertPosts({{
                      Private("board0", "group:hr", "merger salary",
                              kT0 + 33),  // moved
                      Private("board1", "public", "layoff", kT0 + 34),
                  }})
                  .ok());
  ASSERT_TRUE(*catalog_->DeletePost("hr1"));
  pub_.reopen();
  Update(g);
  same_as_fresh();
  EXPECT_EQ(g.stats().builds, 4);
}

// A group written to more than a copy afresh would cost, while none of its
// members searched: the stale list stops growing and the copy is made
// again, with every post.
TEST_F(GroupDatabasesCacheTest, ManyChangesWithoutASearchCopyAfresh) {
  GroupDatabases g(100000, "V");
  Update(g);
  EXPECT_EQ(Count(g, {"group:hr"}), 8u);
  std::vector<v1::Post> batch;
  std::vector<std::pair<std::string, std::string>> changed;
  for (int i = 0; i < 1100; ++i) {
    batch.push_back(
        Private(absl::StrCat("many", i), "group:hr", "salary", kT0 + 100 + i));
    changed.emplace_back("group:hr", batch.back().id());
  }
  ASSERT_TRUE(catalog_->UpsertPosts(batch).ok());
  g.Invalidate(changed);
  EXPECT_EQ(Count(g, {"group:hr"}), 8u + 1100u);
  EXPECT_EQ(g.stats().builds, 2);
  EXPECT_EQ(g.stats().updated, 0);
}

TEST_F(GroupDatabasesCacheTest, TheBoundDropsTheLeastRecentlySearched) {
  GroupDatabases g(/*max_posts=*/3, "V");
  Update(g);
  Count(g, {"group:hr"});     // 2 posts
  Count(g, {"group:board"});  // 3 more: hr, the older, is dropped
  EXPECT_EQ(g.stats().cached, 1);
  EXPECT_EQ(g.stats().posts, 3);
  Count(g, {"group:board"});
  EXPECT_EQ(g.stats().builds, 2);
  Count(g, {"group:hr"});  // built again; board dropped
  EXPECT_EQ(g.stats().builds, 3);
  EXPECT_EQ(g.stats().posts, 2);
}

}  // namespace
}  // namespace whoknows::index
