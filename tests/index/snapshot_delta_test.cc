// The incremental publish (index/snapshot_delta.h) against the reference,
// a snapshot built from scratch: random sequences of batches (new posts,
// re-upserts changing thread, parent, visibility, likes and mentions,
// deletions, people and opt-outs, private groups) published one by one
// must give snapshots equal in everything ranking reads.
#include "index/snapshot_delta.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "index/catalog.h"
#include "index/graph.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/state_files.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

using testing_util::Edges;
using testing_util::EdgesOf;
using testing_util::TestDir;

constexpr int64_t kT0 = 1'700'000'000;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void ExpectSamePost(const PostMeta& a, const PostMeta& b) {
  EXPECT_EQ(std::tie(a.id, a.author_id, a.thread_id, a.parent_id, a.kind,
                     a.accepted, a.is_public, a.visibility, a.created,
                     a.language, a.title, a.tags, a.liked_by, a.mentioned),
            std::tie(b.id, b.author_id, b.thread_id, b.parent_id, b.kind,
                     b.accepted, b.is_public, b.visibility, b.created,
                     b.language, b.title, b.tags, b.liked_by, b.mentioned))
      << a.id;
}

void ExpectSameActivity(const Activity& a, const Activity& b,
                        const std::string& who) {
  std::vector<int64_t> at = a.answer_times, bt = b.answer_times;
  std::sort(at.begin(), at.end());
  std::sort(bt.begin(), bt.end());
  EXPECT_EQ(std::tie(a.questions, a.answers, a.accepted_answers, a.comments,
                     a.articles, a.first_post, a.last_post, at),
            std::tie(b.questions, b.answers, b.accepted_answers, b.comments,
                     b.articles, b.first_post, b.last_post, bt))
      << who;
}

void ExpectSameGraph(const ColleagueGraph& want, const ColleagueGraph& got) {
  const Edges a = EdgesOf(want), b = EdgesOf(got);
  EXPECT_EQ(want.num_edges(), got.num_edges());
  ASSERT_EQ(a.size(), b.size());
  for (auto x = a.begin(), y = b.begin(); x != a.end(); ++x, ++y) {
    ASSERT_EQ(x->first, y->first);
    const auto& [w1, c1, l1] = x->second;
    const auto& [w2, c2, l2] = y->second;
    EXPECT_NEAR(w1, w2, 1e-9) << std::get<0>(x->first);
    EXPECT_EQ(c1, c2) << std::get<0>(x->first) << "->" << std::get<1>(x->first);
    EXPECT_EQ(l1, l2) << std::get<0>(x->first) << "->" << std::get<1>(x->first);
  }
}

// The numbering: every post and person of `want` numbered in `got` with
// its record, author, thread and answers, activity.
void ExpectSameNumbering(const Snapshot& want, const Snapshot& got) {
  const DenseIndex& d = *got.dense;
  for (const auto& [id, m] : want.posts) {
    const uint32_t n = d.PostNumber(id);
    ASSERT_NE(n, DenseIndex::kNone) << id;
    ASSERT_EQ(d.post(n).id, id);
    EXPECT_EQ(d.person_id(d.author(n)), m->author_id);
    std::vector<std::string> thread, answers, want_answers;
    for (uint32_t p : d.thread_of(n)) thread.push_back(d.post(p).id);
    for (uint32_t p : d.answers_of(n)) answers.push_back(d.post(p).id);
    for (const auto& t : want.threads.at(m->thread_id))
      if (want.posts.at(t)->kind == v1::POST_KIND_ANSWER)
        want_answers.push_back(t);
    EXPECT_EQ(Sorted(thread), Sorted(want.threads.at(m->thread_id))) << id;
    EXPECT_EQ(Sorted(answers), Sorted(want_answers)) << id;
  }
  for (uint32_t n = 0; n < d.num_posts(); ++n) {
    const bool live = d.PostNumber(d.post(n).id) == n;
    EXPECT_EQ(live, want.posts.contains(d.post(n).id)) << d.post(n).id;
  }
  const DenseIndex& w = *want.dense;
  for (uint32_t k = 0; k < w.num_people(); ++k) {
    const std::string& id = w.person_id(k);
    const uint32_t n = d.PersonNumber(id);
    ASSERT_NE(n, DenseIndex::kNone) << id;
    EXPECT_EQ(d.person_id(n), id);
    EXPECT_EQ(d.person(n) == nullptr, w.person(k) == nullptr) << id;
    if (d.person(n) && w.person(k)) {
      EXPECT_EQ(d.person(n)->SerializeAsString(),
                w.person(k)->SerializeAsString());
    }
    ASSERT_EQ(d.activity(n) == nullptr, w.activity(k) == nullptr) << id;
    if (d.activity(n)) ExpectSameActivity(*w.activity(k), *d.activity(n), id);
  }
}

void ExpectSameSnapshot(const Snapshot& want, const Snapshot& got) {
  ASSERT_EQ(want.people.size(), got.people.size());
  for (const auto& [id, p] : want.people) {
    const v1::Person* q = got.FindPerson(id);
    ASSERT_NE(q, nullptr) << id;
    EXPECT_EQ(p->SerializeAsString(), q->SerializeAsString()) << id;
  }
  ASSERT_EQ(want.posts.size(), got.posts.size());
  for (const auto& [id, m] : want.posts) {
    const PostMeta* g = got.FindPost(id);
    ASSERT_NE(g, nullptr) << id;
    ExpectSamePost(*m, *g);
  }
  ASSERT_EQ(want.threads.size(), got.threads.size());
  for (const auto& [id, ids] : want.threads) {
    ASSERT_TRUE(got.threads.contains(id)) << id;
    EXPECT_EQ(Sorted(ids), Sorted(got.threads.at(id))) << id;
  }
  ASSERT_EQ(want.group_posts.size(), got.group_posts.size());
  for (const auto& [group, records] : want.group_posts) {
    std::vector<std::string> a, b;
    for (const PostMeta* m : records) a.push_back(m->id);
    for (const PostMeta* m : got.group_posts.at(group)) b.push_back(m->id);
    EXPECT_EQ(Sorted(a), Sorted(b)) << group;
  }
  EXPECT_EQ(want.opted_out, got.opted_out);
  ASSERT_EQ(want.activity.size(), got.activity.size());
  for (const auto& [id, a] : want.activity) {
    ASSERT_TRUE(got.activity.contains(id)) << id;
    ExpectSameActivity(a, got.activity.at(id), id);
  }
  EXPECT_EQ(want.newest_post, got.newest_post);
  int64_t public_posts = 0;
  for (const auto& [id, m] : want.posts) public_posts += m->is_public;
  EXPECT_EQ(want.public_posts, public_posts);
  EXPECT_EQ(got.public_posts, public_posts);
  EXPECT_EQ(want.language_posts, got.language_posts);
  EXPECT_EQ(want.query_languages, got.query_languages);
  ExpectSameGraph(*want.graph, *got.graph);
  ExpectSameNumbering(want, got);
}

// The docid tables number each existing document's post alike.
void ExpectSameDocids(const Snapshot& want, const Snapshot& got) {
  ASSERT_NE(want.docids, nullptr);
  ASSERT_NE(got.docids, nullptr);
  const auto& a = want.docids->number;
  const auto& b = got.docids->number;
  ASSERT_EQ(a.size(), b.size());
  for (size_t d = 0; d < a.size(); ++d) {
    if (a[d] == DenseIndex::kNone) continue;
    ASSERT_NE(b[d], DenseIndex::kNone) << "docid " << d;
    EXPECT_EQ(want.dense->post(a[d]).id, got.dense->post(b[d]).id)
        << "docid " << d;
  }
}

// A random company and random batches of writes to it.
class RandomWrites {
 public:
  explicit RandomWrites(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 24; ++i) people_.push_back("u" + std::to_string(i));
  }

  std::vector<v1::Person> People() {
    std::vector<v1::Person> out;
    for (size_t i = 0; i < people_.size(); ++i)
      out.push_back(Person(people_[i], i > 0 && i % 3 ? people_[i / 3] : ""));
    return out;
  }

  v1::Person Person(const std::string& id, const std::string& manager) {
    v1::Person p = testing_util::MakePerson(id, "dept");
    p.set_manager_id(manager);
    if (id.back() < '4') p.add_groups("group:hr");
    return p;
  }

  // A post new to the catalog: a root, or a reply in a known thread.
  v1::Post NewPost() {
    const std::string id = "p" + std::to_string(next_++);
    const bool root = posts_.empty() || Chance(0.3);
    v1::Post p = testing_util::MakePost(
        id, Any(people_), root ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER,
        "Printer " + id, "It jams, says " + id, kT0 + next_ * 60, "", "en");
    if (root) {
      p.set_thread_id(id);
    } else {
      const v1::Post& parent = posts_.at(Any(Ids()));
      p.set_parent_id(parent.id());
      p.set_thread_id(parent.thread_id());
      if (Chance(0.3)) p.set_kind(v1::POST_KIND_COMMENT);
      if (p.kind() == v1::POST_KIND_ANSWER && Chance(0.2)) p.set_accepted(true);
    }
    if (Chance(0.1)) p.set_visibility("group:hr");
    Decorate(&p);
    posts_[id] = p;
    return p;
  }

  // A stored post written again, changed in one of several ways.
  v1::Post Rewrite() {
    v1::Post p = posts_.at(Any(Ids()));
    switch (rng_() % 6) {
      case 0:
      case 1:  // a like appended: the common case
        p.add_liked_by(Any(people_));
        break;
      case 2:
        p.add_mentioned(Any(people_));
        break;
      case 3:  // likes replaced
        p.clear_liked_by();
        p.add_liked_by(Any(people_));
        break;
      case 4:
        p.set_visibility(p.visibility() == "group:hr" ? "public" : "group:hr");
        break;
      case 5:
        if (!p.parent_id().empty()) {
          const v1::Post& parent = posts_.at(Any(Ids()));
          if (parent.id() != p.id() && parent.parent_id().empty()) {
            p.set_parent_id(parent.id());
            p.set_thread_id(parent.thread_id());
          }
        }
        p.mutable_created()->set_seconds(p.created().seconds() + 7);
        break;
    }
    posts_[p.id()] = p;
    return p;
  }

  // A leaf post to delete (so no stored reply loses its parent).
  std::string Deletable() {
    std::set<std::string> parents;
    for (const auto& [id, p] : posts_) parents.insert(p.parent_id());
    std::vector<std::string> leaves;
    for (const auto& [id, p] : posts_)
      if (!parents.contains(id)) leaves.push_back(id);
    if (leaves.empty()) return "";
    const std::string id = Any(leaves);
    posts_.erase(id);
    return id;
  }

  // A manager is always someone earlier in people_, so no cycle closes.
  v1::Person NewOrChangedPerson() {
    if (Chance(0.5)) people_.push_back("n" + std::to_string(next_++));
    const size_t at =
        Chance(0.5) ? people_.size() - 1 : rng_() % people_.size();
    const std::string manager =
        at > 0 && Chance(0.7) ? people_[rng_() % at] : "";
    return Person(people_[at], manager);
  }

  std::string Any(const std::vector<std::string>& v) {
    return v[rng_() % v.size()];
  }
  bool Chance(double p) {
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }

 private:
  void Decorate(v1::Post* p) {
    for (int i = 0; i < 3; ++i) {
      if (Chance(0.3)) p->add_liked_by(Any(people_));
      if (Chance(0.15)) p->add_mentioned(Any(people_));
    }
  }
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, p] : posts_) ids.push_back(id);
    return ids;
  }

  std::mt19937_64 rng_;
  std::vector<std::string> people_;
  std::map<std::string, v1::Post> posts_;
  int next_ = 0;
};

// BuildSnapshot groups the posts by thread, author and language before it
// fills the snapshot's maps (an entry each, not one a post). What it fills
// must be what counting post by post in the order of s.posts filled: each
// thread's ids in that order, each map in the same iteration order (what
// reads them in order, ranking's sums included, must not change), every
// count; and the numbering's threads in the snapshot's order.
TEST(SnapshotDeltaTest, BuildSnapshotCountsAsPostByPost) {
  RandomWrites w(11);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (auto p : w.People()) {
    if (p.id() == "u5") p.set_opted_out(true);
    people[p.id()] = std::make_shared<v1::Person>(p);
  }
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  const char* languages[] = {"en", "sv", "de"};
  for (int i = 0; i < 2000; ++i) {
    auto m = std::make_shared<PostMeta>(*MetaOf(w.NewPost()));
    m->language = languages[i % 3 == 0 ? 1 + i % 2 : 0];
    if (i % 13 == 0) m->kind = v1::POST_KIND_ARTICLE;
    posts[m->id] = m;
  }
  const auto s = BuildSnapshot(people, posts, GraphOptions{});

  // The reference: BuildSnapshot's loop before the grouping.
  SharedMap<std::vector<std::string>> threads;
  SharedMap<Activity> activity;
  std::unordered_map<std::string, int64_t> language_posts;
  int64_t public_posts = 0, newest_post = 0;
  for (const auto& [id, m] : s->posts) {
    threads[m->thread_id].push_back(id);
    if (!m->is_public) continue;
    ++public_posts;
    Activity& a = activity[m->author_id];
    a.questions += m->kind == v1::POST_KIND_QUESTION;
    a.comments += m->kind == v1::POST_KIND_COMMENT;
    a.articles += m->kind == v1::POST_KIND_ARTICLE;
    if (m->kind == v1::POST_KIND_ANSWER) {
      ++a.answers;
      a.answer_times.push_back(m->created);
      a.accepted_answers += m->accepted;
    }
    ++language_posts[m->language];
    if (a.first_post == 0 || m->created < a.first_post)
      a.first_post = m->created;
    a.last_post = std::max(a.last_post, m->created);
    newest_post = std::max(newest_post, m->created);
  }
  ASSERT_GT(threads.size(), 300u);
  ASSERT_EQ(language_posts.size(), 3u);

  auto thread = s->threads.begin();
  for (const auto& [id, ids] : threads) {
    ASSERT_NE(thread, s->threads.end());
    EXPECT_EQ(thread->first, id);
    EXPECT_EQ(thread->second, ids) << id;
    ++thread;
  }
  EXPECT_EQ(thread, s->threads.end());
  auto counted = s->activity.begin();
  for (const auto& [id, a] : activity) {
    ASSERT_NE(counted, s->activity.end());
    ASSERT_EQ(counted->first, id);
    const Activity& b = counted->second;
    EXPECT_EQ(std::tie(a.questions, a.answers, a.accepted_answers, a.comments,
                       a.articles, a.first_post, a.last_post, a.answer_times),
              std::tie(b.questions, b.answers, b.accepted_answers, b.comments,
                       b.articles, b.first_post, b.last_post, b.answer_times))
        << id;
    ++counted;
  }
  EXPECT_EQ(counted, s->activity.end());
  EXPECT_EQ(std::vector(s->language_posts.begin(), s->language_posts.end()),
            std::vector(language_posts.begin(), language_posts.end()));
  EXPECT_EQ(s->public_posts, public_posts);
  EXPECT_EQ(s->newest_post, newest_post);

  const DenseIndex& d = *s->dense;
  for (const auto& [id, m] : s->posts) {
    std::vector<std::string> numbered, answers, want_answers;
    for (uint32_t p : d.thread_of(d.PostNumber(id)))
      numbered.push_back(d.post(p).id);
    for (uint32_t p : d.answers_of(d.PostNumber(id)))
      answers.push_back(d.post(p).id);
    for (const auto& t : threads.at(m->thread_id))
      if (s->posts.at(t)->kind == v1::POST_KIND_ANSWER)
        want_answers.push_back(t);
    EXPECT_EQ(numbered, threads.at(m->thread_id)) << id;
    EXPECT_EQ(answers, want_answers) << id;
  }
}

// BuildSnapshot from a list of posts (a warm Open's, in the order the
// file holds them): the snapshot of the map in everything ranking reads,
// with its counts made in the list's order instead of the map's (each
// thread's ids, each person's answer times, the numbering's threads). An
// id listed twice counts once.
TEST(SnapshotDeltaTest, BuildSnapshotFromAListCountsInTheListsOrder) {
  RandomWrites w(13);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (auto p : w.People()) {
    if (p.id() == "u5") p.set_opted_out(true);
    people[p.id()] = std::make_shared<v1::Person>(p);
  }
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (int i = 0; i < 2000; ++i) {
    auto m = MetaOf(w.NewPost());
    posts[m->id] = m;
  }
  std::vector<std::shared_ptr<const PostMeta>> list;
  for (const auto& [id, m] : posts) list.push_back(m);
  std::shuffle(list.begin(), list.end(), std::mt19937(5));
  const auto from_map = BuildSnapshot(people, posts, GraphOptions{});
  const auto from_list = BuildSnapshot(people, list, GraphOptions{});
  ExpectSameSnapshot(*from_map, *from_list);
  ASSERT_GT(from_list->group_posts.size(), 0u) << "no private post";

  std::map<std::string, std::vector<std::string>> threads;
  std::map<std::string, std::vector<int64_t>> answer_times;
  int left_out = 0;
  for (const auto& m : list) {
    if (m->author_id == "u5") {
      ++left_out;
      continue;
    }
    threads[m->thread_id].push_back(m->id);
    if (m->is_public && m->kind == v1::POST_KIND_ANSWER)
      answer_times[m->author_id].push_back(m->created);
  }
  ASSERT_GT(left_out, 0);
  const DenseIndex& d = *from_list->dense;
  for (const auto& [thread, ids] : threads) {
    EXPECT_EQ(from_list->threads.at(thread), ids) << thread;
    std::vector<std::string> numbered;
    for (uint32_t n : d.thread_of(d.PostNumber(ids.front())))
      numbered.push_back(d.post(n).id);
    EXPECT_EQ(numbered, ids) << thread;
  }
  for (const auto& [author, times] : answer_times)
    EXPECT_EQ(from_list->activity.at(author).answer_times, times) << author;

  list.push_back(list[list.size() / 2]);
  ExpectSameSnapshot(*from_map, *BuildSnapshot(people, list, GraphOptions{}));

  // An id listed twice with two records keeps the first, as a map of the
  // list would: whether its author opted out decides, not the second's.
  for (const std::string first_author : {"u5", "u6"}) {
    SCOPED_TRACE(first_author);
    auto first = std::make_shared<PostMeta>(*list.front());
    first->author_id = first_author;
    auto second = std::make_shared<PostMeta>(*list.front());
    second->author_id = first_author == "u5" ? "u6" : "u5";
    std::vector<std::shared_ptr<const PostMeta>> twice(list.begin() + 1,
                                                       list.end() - 1);
    twice.insert(twice.begin(), first);
    twice.push_back(second);
    std::unordered_map<std::string, std::shared_ptr<const PostMeta>> map;
    for (const auto& m : twice) map.emplace(m->id, m);
    ExpectSameSnapshot(*BuildSnapshot(people, map, GraphOptions{}),
                       *BuildSnapshot(people, twice, GraphOptions{}));
  }
}

// UpdateSnapshot alone, chained over many batches, with threads small
// enough to grow past max_thread_participants (their pairs taken away).
TEST(SnapshotDeltaTest, ChainedUpdatesEqualBuildSnapshot) {
  GraphOptions options;
  options.max_thread_participants = 4;
  RandomWrites w(7);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  std::unordered_set<std::string> referenced;
  SnapshotChange change;
  auto write = [&](const v1::Post& p) {
    posts[p.id()] = change.posts[p.id()] = MetaOf(p);
    if (referenced.contains(p.id())) change.referenced.insert(p.id());
    referenced.insert(p.parent_id());
    referenced.insert(p.thread_id());
  };
  for (const auto& p : w.People())
    people[p.id()] = std::make_shared<v1::Person>(p);
  for (int i = 0; i < 150; ++i) write(w.NewPost());
  std::shared_ptr<const Snapshot> prev = BuildSnapshot(people, posts, options);
  change = {};
  int extended = 0;
  const int rounds = 150;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    for (int i = 0; i < 3; ++i) write(w.NewPost());
    if (round % 3 == 0) {
      write(w.Rewrite());
      const std::string gone = w.Deletable();
      if (!gone.empty()) {
        posts.erase(gone);
        change.posts[gone] = nullptr;
      }
      const v1::Person p = w.NewOrChangedPerson();
      people[p.id()] = change.people[p.id()] = std::make_shared<v1::Person>(p);
    }
    SnapshotUpdateStats stats;
    auto got = UpdateSnapshot(*prev, change, options, &stats);
    ASSERT_NE(got, nullptr);
    extended += stats.graph_extended;
    const auto want = BuildSnapshot(people, posts, options);
    ExpectSameSnapshot(*want, *got);
    if (HasFailure()) return;
    prev = got;
    change = {};
  }
  EXPECT_GT(extended, rounds / 2);
}

// The next snapshot shares what did not change with the previous one
// instead of copying it (what makes a publish cost the change): most
// entries of its maps are the very same objects.
TEST(SnapshotDeltaTest, UpdateSharesWhatDidNotChange) {
  RandomWrites w(21);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (const auto& p : w.People())
    people[p.id()] = std::make_shared<v1::Person>(p);
  for (int i = 0; i < 2000; ++i) {
    const v1::Post p = w.NewPost();
    posts[p.id()] = MetaOf(p);
  }
  const auto prev = BuildSnapshot(people, posts, GraphOptions{});
  SnapshotChange change;
  for (int i = 0; i < 3; ++i) {
    const v1::Post p = w.NewPost();
    change.posts[p.id()] = MetaOf(p);
  }
  const Edges prev_edges = EdgesOf(*prev->graph);
  SnapshotUpdateStats stats;
  const auto next = UpdateSnapshot(*prev, change, GraphOptions{}, &stats);
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(stats.graph_extended);
  EXPECT_EQ(EdgesOf(*prev->graph), prev_edges);
  size_t posts_shared = 0, threads_shared = 0;
  for (const auto& [id, m] : prev->posts)
    posts_shared += &next->posts.at(id) == &m;
  for (const auto& [id, ids] : prev->threads)
    threads_shared += &next->threads.at(id) == &ids;
  EXPECT_GT(posts_shared, prev->posts.size() * 9 / 10);
  EXPECT_GT(threads_shared, prev->threads.size() * 9 / 10);
  // And the previous snapshot reads as before.
  EXPECT_EQ(prev->posts.size(), 2000u);
  for (const auto& [id, m] : change.posts)
    EXPECT_FALSE(prev->posts.contains(id));
}

// In a company bigger than a change, the extended colleague graph is the
// previous one's people but for the two an answer ties: only those are
// copied.
TEST(SnapshotDeltaTest, TheGraphSharesThePeopleAChangeDoesNotTouch) {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (int i = 0; i < 600; ++i) {
    v1::Person p = testing_util::MakePerson("u" + std::to_string(i));
    if (i > 0) p.set_manager_id("u" + std::to_string(i / 4));
    people[p.id()] = std::make_shared<v1::Person>(p);
    const std::string q = "q" + std::to_string(i);
    posts[q] =
        testing_util::MakeMeta(q, p.id(), v1::POST_KIND_QUESTION, "", kT0 + i);
  }
  const auto prev = BuildSnapshot(people, posts, GraphOptions{});
  ASSERT_EQ(prev->graph->num_people(), 600u);
  SnapshotChange change;
  change.posts["a1"] = testing_util::MakeMeta("a1", "u17", v1::POST_KIND_ANSWER,
                                              "q500", kT0 + 1000);
  SnapshotUpdateStats stats;
  const auto next = UpdateSnapshot(*prev, change, GraphOptions{}, &stats);
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(stats.graph_extended);
  // u17 -> u500 (reply) and u17 - u500 (thread): u17 and u500 copied.
  EXPECT_EQ(next->graph->SharedPeople(*prev->graph), 600u - 2);
  EXPECT_EQ(next->graph->num_edges(), prev->graph->num_edges() + 2);
  posts["a1"] = change.posts["a1"];
  ExpectSameGraph(*BuildSnapshot(people, posts, GraphOptions{})->graph,
                  *next->graph);
}

// A reader holding a snapshot keeps reading its colleague graph as it was
// while later publishes extend it (they share its vertices and never write
// them): through the catalog, with the graph written to on every round.
TEST(SnapshotDeltaTest, AnOldSnapshotsGraphStaysAsItWasAfterLaterPublishes) {
  RandomWrites w(33);
  CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Catalog> c = std::move(*opened);
  ASSERT_TRUE(c->UpsertPeople(w.People()).ok());
  std::vector<v1::Post> seed;
  for (int i = 0; i < 300; ++i) seed.push_back(w.NewPost());
  ASSERT_TRUE(c->UpsertPosts(seed).ok());
  c->Refresh();
  std::vector<std::pair<std::shared_ptr<const Snapshot>, Edges>> held;
  int extended = 0;
  for (int round = 0; round < 12; ++round) {
    const auto s = c->snapshot();
    held.emplace_back(s, EdgesOf(*s->graph));
    std::vector<v1::Post> posts;
    for (int i = 0; i < 5; ++i) posts.push_back(w.NewPost());
    ASSERT_TRUE(c->UpsertPosts(posts).ok());
    c->Refresh();
    extended += c->stats().last_publish.graph_extended;
    const auto now = c->snapshot();
    EXPECT_GT(now->graph->SharedPeople(*s->graph), 0u);
    EXPECT_NE(EdgesOf(*now->graph), held.back().second);
  }
  EXPECT_GT(extended, 6);
  for (size_t i = 0; i < held.size(); ++i)
    EXPECT_EQ(EdgesOf(*held[i].first->graph), held[i].second) << "round " << i;
}

// Through the catalog: the writer's change, the incremental publish and
// the docid table, against a read-only open of the same folder (built from
// scratch).
TEST(SnapshotDeltaTest, IncrementalPublishesEqualFullBuilds) {
  const std::string dir = TestDir();
  RandomWrites w(14);
  // Armed, the hook writes a post while a publish is under way: committed
  // after the state was taken, before the docid table is read.
  Catalog* catalog = nullptr;
  std::vector<v1::Post> sneak;
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.publish_hook = [&](PublishStage) {
    if (sneak.empty()) return;
    const std::vector<v1::Post> posts = std::move(sneak);
    sneak.clear();
    EXPECT_TRUE(catalog->UpsertPosts(posts).ok());
  };
  auto opened = Catalog::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Catalog> c = std::move(*opened);
  catalog = c.get();
  ASSERT_TRUE(c->UpsertPeople(w.People()).ok());
  std::vector<v1::Post> seed;
  for (int i = 0; i < 200; ++i) seed.push_back(w.NewPost());
  ASSERT_TRUE(c->UpsertPosts(seed).ok());
  c->Refresh();
  int incremental = 0, extended = 0;
  const int rounds = 40;
  // Every docid table published, and what it held then: a reader's older
  // snapshot must not see a later publish's writes (the tables share
  // chunks).
  std::vector<
      std::pair<std::shared_ptr<const PostDocids>, std::vector<uint32_t>>>
      published;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<v1::Post> posts;
    for (int i = 0; i < 4; ++i) posts.push_back(w.NewPost());
    const bool grow_only = round % 2 == 0;  // the graph can be extended
    if (!grow_only) {
      for (int i = 0; i < 3; ++i) posts.push_back(w.Rewrite());
    }
    ASSERT_TRUE(c->UpsertPosts(posts).ok());
    if (!grow_only) {
      const std::string gone = w.Deletable();
      if (!gone.empty()) {
        ASSERT_TRUE(c->DeletePost(gone).ok());
      }
      const std::vector<v1::Person> person = {w.NewOrChangedPerson()};
      const absl::Status written = c->UpsertPeople(person);
      ASSERT_TRUE(written.ok()) << written;
    }
    if (round % 9 == 8) {
      ASSERT_TRUE(c->SetOptOut(w.Any({"u5", "u7"}), round % 2 == 0).ok());
    }
    if (round % 5 == 4) {
      sneak = {w.NewPost()};
      c->Refresh();  // publishes without it, numbering its document none
    }
    c->Refresh();
    const PublishTimings t = c->stats().last_publish;
    incremental += t.incremental;
    extended += t.graph_extended;
    auto fresh = Catalog::OpenForReading(dir);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    const auto want = (*fresh)->snapshot();
    const auto got = c->snapshot();
    ExpectSameSnapshot(*want, *got);
    ExpectSameDocids(*want, *got);
    if (HasFatalFailure() || HasFailure()) return;
    std::vector<uint32_t> held(got->docids->number.size());
    for (size_t d = 0; d < held.size(); ++d) held[d] = got->docids->number[d];
    published.emplace_back(got->docids, std::move(held));
  }
  for (size_t i = 0; i < published.size(); ++i) {
    const auto& [table, held] = published[i];
    ASSERT_EQ(table->number.size(), held.size()) << "round " << i;
    for (size_t d = 0; d < held.size(); ++d)
      ASSERT_EQ(table->number[d], held[d]) << "round " << i << ", docid " << d;
  }
  // Most publishes took the incremental path, and growth extended the
  // graph instead of building it.
  EXPECT_GT(incremental, rounds * 3 / 4);
  EXPECT_GT(extended, rounds / 3);
}

}  // namespace
}  // namespace whoknows::index
