// Tests index/dense_index.cc: the dense numbering of a snapshot's posts and
// people that ranking's vote loop indexes instead of hashing ids.
#include "index/dense_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/catalog.h"
#include "index/people.h"

namespace whoknows::index {
namespace {

std::shared_ptr<const PostMeta> Meta(std::string id, std::string author,
                                     std::string thread, v1::PostKind kind,
                                     bool is_public = true) {
  auto m = std::make_shared<PostMeta>();
  m->id = std::move(id);
  m->author_id = std::move(author);
  m->thread_id = std::move(thread);
  m->kind = kind;
  m->is_public = is_public;
  m->created = 1'700'000'000;
  return m;
}

std::shared_ptr<const v1::Person> Person(std::string id) {
  auto p = std::make_shared<v1::Person>();
  p->set_id(std::move(id));
  return p;
}

// Two threads, an author missing from the directory ("ghost"), a person
// with no posts ("quiet") and a private post.
std::shared_ptr<Snapshot> Company(
    std::shared_ptr<const ColleagueGraph> graph = nullptr) {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (const char* id : {"ann", "bob", "quiet"}) people[id] = Person(id);
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (auto m : {Meta("q1", "ann", "q1", v1::POST_KIND_QUESTION),
                 Meta("a1", "bob", "q1", v1::POST_KIND_ANSWER),
                 Meta("a2", "ghost", "q1", v1::POST_KIND_ANSWER),
                 Meta("q2", "bob", "q2", v1::POST_KIND_QUESTION),
                 Meta("c2", "ann", "q2", v1::POST_KIND_COMMENT, false)})
    posts[m->id] = m;
  return BuildSnapshot(std::move(people), std::move(posts), GraphOptions{}, 0,
                       nullptr, std::move(graph));
}

// A person's PersonFacts, as words.
std::string PersonFactsOf(const DenseIndex& d, uint32_t n) {
  const DenseIndex::PersonFacts& f = d.person_facts(n);
  std::string out = f.suggestable ? " suggestable" : " not suggestable";
  if (f.away_until != std::numeric_limits<int64_t>::min())
    out += " away until " + std::to_string(f.away_until);
  return out;
}

// Everything a numbering holds, by ids: each post's number, author and
// thread, each person's number, record and activity.
std::string Describe(const DenseIndex& d) {
  std::string out;
  for (uint32_t n = 0; n < d.num_posts(); ++n) {
    out += std::to_string(n) + " " + d.post(n).id + " by " +
           std::to_string(d.author(n)) + " thread";
    for (uint32_t t : d.thread_of(n)) out += " " + std::to_string(t);
    out += " answers";
    for (uint32_t a : d.answers_of(n)) out += " " + std::to_string(a);
    out += "\n";
  }
  for (uint32_t n = 0; n < d.num_people(); ++n) {
    const Activity* a = d.activity(n);
    out += std::to_string(n) + " " + d.person_id(n) +
           (d.person(n) ? " listed" : " unlisted") + PersonFactsOf(d, n) +
           (a ? " answers " + std::to_string(a->answers) + " questions " +
                    std::to_string(a->questions)
              : " inactive") +
           "\n";
  }
  return out;
}

TEST(DenseIndexTest, NumbersEveryPostBothWays) {
  auto snap = Company();
  ASSERT_NE(snap->dense, nullptr);
  const DenseIndex& d = *snap->dense;
  ASSERT_EQ(d.num_posts(), snap->posts.size());
  std::set<uint32_t> seen;
  for (const auto& [id, meta] : snap->posts) {
    const uint32_t n = d.PostNumber(id);
    ASSERT_LT(n, d.num_posts()) << id;
    EXPECT_EQ(&d.post(n), meta.get()) << id;
    EXPECT_EQ(d.person_id(d.author(n)), meta->author_id) << id;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), snap->posts.size());
  EXPECT_EQ(d.PostNumber("nope"), DenseIndex::kNone);
}

TEST(DenseIndexTest, NumbersDirectoryPeopleAndAuthorsBothWays) {
  auto snap = Company();
  const DenseIndex& d = *snap->dense;
  // ann, bob, quiet from the directory; ghost only as an author.
  ASSERT_EQ(d.num_people(), 4u);
  for (const std::string id : {"ann", "bob", "quiet", "ghost"}) {
    const uint32_t n = d.PersonNumber(id);
    ASSERT_LT(n, d.num_people()) << id;
    EXPECT_EQ(d.person_id(n), id);
    EXPECT_EQ(d.person(n), snap->FindPerson(id)) << id;
    auto activity = snap->activity.find(id);
    if (activity == snap->activity.end()) {
      EXPECT_EQ(d.activity(n), nullptr) << id;
    } else {
      ASSERT_NE(d.activity(n), nullptr) << id;
      EXPECT_EQ(d.activity(n)->answers, activity->second.answers) << id;
      EXPECT_EQ(d.activity(n)->last_post, activity->second.last_post) << id;
    }
  }
  EXPECT_EQ(d.person(d.PersonNumber("ghost")), nullptr);
  EXPECT_EQ(d.activity(d.PersonNumber("quiet")), nullptr);
  EXPECT_EQ(d.PersonNumber("nobody"), DenseIndex::kNone);
}

// The thread of any of its posts lists Snapshot::threads' ids, in its order
// (credit is summed in that order, so the order is part of the ranking).
TEST(DenseIndexTest, ThreadsListTheSnapshotsPostsInItsOrder) {
  auto snap = Company();
  const DenseIndex& d = *snap->dense;
  for (const auto& [id, meta] : snap->posts) {
    std::vector<std::string> ids;
    for (uint32_t n : d.thread_of(d.PostNumber(id)))
      ids.push_back(d.post(n).id);
    EXPECT_EQ(ids, snap->threads.at(meta->thread_id)) << id;
  }
}

// A thread's answers are its answers alone, in Snapshot::threads' order.
TEST(DenseIndexTest, AnswersAreTheThreadsAnswersInItsOrder) {
  auto snap = Company();
  const DenseIndex& d = *snap->dense;
  int answers = 0;
  for (const auto& [id, meta] : snap->posts) {
    std::vector<std::string> ids, expected;
    for (uint32_t n : d.answers_of(d.PostNumber(id)))
      ids.push_back(d.post(n).id);
    for (const auto& member : snap->threads.at(meta->thread_id))
      if (snap->posts.at(member)->kind == v1::POST_KIND_ANSWER)
        expected.push_back(member);
    EXPECT_EQ(ids, expected) << id;
    answers += meta->kind == v1::POST_KIND_ANSWER;
  }
  EXPECT_GT(answers, 0) << "the company has answers to list";
}

// Every post's Facts (what ranking's vote reads) say what its record says.
void ExpectFactsOfEveryPost(const Snapshot& snap, const DenseIndex& d) {
  for (const auto& [id, meta] : snap.posts) {
    const uint32_t n = d.PostNumber(id);
    ASSERT_NE(n, DenseIndex::kNone) << id;
    const DenseIndex::Facts& f = d.facts(n);
    EXPECT_EQ(f.created, meta->created) << id;
    EXPECT_EQ(d.person_id(f.author), meta->author_id) << id;
    EXPECT_EQ(f.kind(), meta->kind) << id;
    EXPECT_EQ(f.accepted, meta->accepted) << id;
    EXPECT_EQ(f.is_public, meta->is_public) << id;
  }
}

std::shared_ptr<PostMeta> Edited(const Snapshot& snap, const std::string& id) {
  return std::make_shared<PostMeta>(*snap.posts.at(id));
}

TEST(DenseIndexTest, FactsAreThePostsRecordsAlsoAfterAnUpdate) {
  auto snap = Company();
  ExpectFactsOfEveryPost(*snap, *snap->dense);
  // Every field changes on a re-upsert, and a new post by a new author.
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (const auto& [id, p] : snap->people) people[id] = p;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (const auto& [id, m] : snap->posts) posts[id] = m;
  auto a1 = Edited(*snap, "a1");
  a1->accepted = true;
  a1->created += 86'400;
  a1->author_id = "quiet";
  posts["a1"] = a1;
  auto q2 = Edited(*snap, "q2");
  q2->kind = v1::POST_KIND_ARTICLE;
  q2->is_public = false;
  q2->visibility = "group:hr";
  posts["q2"] = q2;
  posts["a3"] = Meta("a3", "newcomer", "q1", v1::POST_KIND_ANSWER);
  posts.erase("c2");
  auto next = BuildSnapshot(std::move(people), std::move(posts), {});
  auto updated = DenseIndex::Update(
      *snap->dense, *next,
      {.posts = {"a1", "q2", "a3", "c2"}, .people = {"quiet", "newcomer"}});
  ExpectFactsOfEveryPost(*next, *updated);
  EXPECT_EQ(updated->num_posts(), snap->dense->num_posts() + 1);
}

// Each person's PersonFacts are what their directory record says, after a
// build and after an update that changes the records: opted out, back,
// away, left, and a ghost author who joins the directory.
TEST(DenseIndexTest, PersonFactsAreTheDirectorysRecordsAlsoAfterAnUpdate) {
  auto snap = Company();
  const DenseIndex& d = *snap->dense;
  auto expect_records = [](const Snapshot& s, const DenseIndex& d) {
    for (uint32_t n = 0; n < d.num_people(); ++n) {
      SCOPED_TRACE(d.person_id(n));
      const v1::Person* p = s.FindPerson(d.person_id(n));
      const DenseIndex::PersonFacts& f = d.person_facts(n);
      EXPECT_EQ(f.suggestable, p && IsSuggestable(*p));
      EXPECT_EQ(f.away_until, p && p->has_away_until()
                                  ? p->away_until().seconds()
                                  : std::numeric_limits<int64_t>::min());
    }
  };
  expect_records(*snap, d);
  EXPECT_TRUE(d.person_facts(d.PersonNumber("ann")).suggestable);
  EXPECT_FALSE(d.person_facts(d.PersonNumber("ghost")).suggestable);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  auto edit = [&](const std::string& id, auto change) {
    auto p = std::make_shared<v1::Person>();
    p->set_id(id);
    change(*p);
    people[id] = std::move(p);
  };
  edit("ann", [](v1::Person& p) { p.set_opted_out(true); });
  edit("bob", [](v1::Person& p) {
    p.mutable_away_until()->set_seconds(1'800'000'000);
  });
  edit("quiet", [](v1::Person& p) { p.set_active(false); });
  edit("ghost", [](v1::Person&) {});
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (const auto& [id, m] : snap->posts) posts[id] = m;
  auto next = BuildSnapshot(people, posts, {});
  auto updated = DenseIndex::Update(
      d, *next, {.posts = {}, .people = {"ann", "bob", "quiet", "ghost"}});
  expect_records(*next, *updated);
  EXPECT_FALSE(updated->person_facts(updated->PersonNumber("ann")).suggestable);
  EXPECT_TRUE(
      updated->person_facts(updated->PersonNumber("ghost")).suggestable);
  EXPECT_EQ(updated->person_facts(updated->PersonNumber("bob")).away_until,
            1'800'000'000);
  // The older numbering still says what its snapshot said.
  expect_records(*snap, d);
  // Back again: ann opts in, bob is back.
  edit("ann", [](v1::Person&) {});
  edit("bob", [](v1::Person&) {});
  auto again = BuildSnapshot(people, posts, {});
  auto back = DenseIndex::Update(*updated, *again,
                                 {.posts = {}, .people = {"ann", "bob"}});
  expect_records(*again, *back);
  EXPECT_TRUE(back->person_facts(back->PersonNumber("ann")).suggestable);
  EXPECT_EQ(back->person_facts(back->PersonNumber("bob")).away_until,
            std::numeric_limits<int64_t>::min());
}

// Numbers stay right across a chain of updates long enough that the id
// table's changes are folded into a new shared table several times: every
// post of each snapshot is found under its number with its own record,
// deleted ones are not found, and older numberings dropped along the way
// (with the records they alone held) take nothing the newest needs.
TEST(DenseIndexTest, ChainedUpdatesNumberEveryPostAcrossFolds) {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (const char* id : {"ann", "bob", "cy"}) people[id] = Person(id);
  const std::vector<std::string> authors = {"ann", "bob", "cy", "ghost"};
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  auto add = [&](const std::string& id, int i) {
    posts[id] = Meta(id, authors[i % authors.size()],
                     "t" + std::to_string(i % 40), v1::POST_KIND_ANSWER);
  };
  for (int i = 0; i < 300; ++i) add("p" + std::to_string(i), i);
  auto snap = BuildSnapshot(people, posts, GraphOptions{});
  std::shared_ptr<const DenseIndex> dense = snap->dense;
  std::vector<std::string> deleted;
  int next_id = 300;
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    DenseIndex::Change change;
    for (int i = 0; i < 80; ++i, ++next_id) {  // new
      const std::string id = "p" + std::to_string(next_id);
      add(id, next_id);
      change.posts.push_back(id);
    }
    for (int i = 0; i < 15; ++i) {  // rewritten: a new record, the same id
      const std::string id = "p" + std::to_string((round * 37 + i * 11) % 300);
      if (!posts.contains(id)) continue;
      posts[id] = std::make_shared<PostMeta>(*posts[id]);
      change.posts.push_back(id);
    }
    for (int i = 0; i < 5; ++i) {  // deleted
      const std::string id = "p" + std::to_string(300 + round * 80 + i * 7);
      if (posts.erase(id) == 0) continue;
      deleted.push_back(id);
      change.posts.push_back(id);
    }
    if (round % 4 == 3 && !deleted.empty()) {  // back after a deletion
      const std::string id = deleted.front();
      deleted.erase(deleted.begin());
      add(id, round);
      change.posts.push_back(id);
    }
    auto next = BuildSnapshot(people, posts, GraphOptions{});
    dense = DenseIndex::Update(*dense, *next, change);
    snap = nullptr;  // the older numbering and snapshot go
    for (const auto& [id, m] : posts) {
      const uint32_t n = dense->PostNumber(id);
      ASSERT_NE(n, DenseIndex::kNone) << id;
      EXPECT_EQ(&dense->post(n), m.get()) << id;
    }
    for (const auto& id : deleted)
      EXPECT_EQ(dense->PostNumber(id), DenseIndex::kNone) << id;
    if (HasFailure()) return;
  }
}

// What a numbering says of `snap`'s posts and people, by ids rather than
// numbers (an updated numbering and a fresh one number them differently):
// each post's facts, author, thread and answers, each person's record and
// activity.
std::string DescribeById(const Snapshot& snap, const DenseIndex& d) {
  std::set<std::string> lines;
  for (const auto& [id, meta] : snap.posts) {
    const uint32_t n = d.PostNumber(id);
    if (n == DenseIndex::kNone) {
      lines.insert(id + " unnumbered");
      continue;
    }
    const DenseIndex::Facts& f = d.facts(n);
    std::string line = id + " by " + d.person_id(f.author) + " at " +
                       std::to_string(f.created) + " kind " +
                       std::to_string(f.kind_value) +
                       (f.accepted ? " accepted" : "") +
                       (f.is_public ? " public" : "") + " thread";
    // A thread's posts are in no particular order (Snapshot::threads).
    std::set<std::string> members, answers;
    for (uint32_t t : d.thread_of(n)) members.insert(d.post(t).id);
    for (uint32_t a : d.answers_of(n)) answers.insert(d.post(a).id);
    for (const std::string& id : members) line += " " + id;
    line += " answers";
    for (const std::string& id : answers) line += " " + id;
    lines.insert(line);
  }
  std::set<std::string> people;
  for (const auto& [id, p] : snap.people) people.insert(id);
  for (const auto& [id, m] : snap.posts) people.insert(m->author_id);
  for (const std::string& id : people) {
    const uint32_t n = d.PersonNumber(id);
    if (n == DenseIndex::kNone) {
      lines.insert(id + " unnumbered");
      continue;
    }
    const Activity* a = d.activity(n);
    lines.insert(id + (d.person(n) ? " listed" : " unlisted") +
                 PersonFactsOf(d, n) +
                 (a ? " answers " + std::to_string(a->answers) + " questions " +
                          std::to_string(a->questions)
                    : " inactive"));
  }
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// A chain of updates over more posts, threads and people than a chunk of
// the arrays and an id table's fold: each numbering says of its snapshot
// what one built from scratch says, and the numberings kept along the way
// (readers holding older snapshots) still say what they said when made,
// though later updates wrote the same positions of their shared chunks.
TEST(DenseIndexTest, ChainedUpdatesEqualAFreshBuildAndLeaveOlderOnesAlone) {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  for (int i = 0; i < 1500; i += 2) {
    const std::string id = "u" + std::to_string(i);
    people[id] = Person(id);
  }
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  // Created apart, so that a thread's order (by creation) has no ties
  // for the maps' order to break, also after a rewrite moves one.
  auto add = [&](const std::string& id, const std::string& author,
                 const std::string& thread, int i) {
    auto m = std::make_shared<PostMeta>(
        *Meta(id, author, thread,
              i % 3 ? v1::POST_KIND_ANSWER : v1::POST_KIND_QUESTION));
    m->created += 1000 * i;
    posts[id] = std::move(m);
  };
  for (int i = 0; i < 2500; ++i) {
    add("p" + std::to_string(i), "u" + std::to_string(i % 1500),
        "t" + std::to_string(i % 1300), i);
  }
  auto snap = BuildSnapshot(people, posts, GraphOptions{});
  struct Kept {
    std::shared_ptr<const Snapshot> snap;
    std::shared_ptr<const DenseIndex> dense;
    std::string said;
  };
  std::vector<Kept> kept;
  std::shared_ptr<const DenseIndex> dense = snap->dense;
  int next_id = 2500;
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    DenseIndex::Change change;
    for (int i = 0; i < 80; ++i, ++next_id) {
      // Half on new threads by new people, half replies in old threads.
      const std::string id = "p" + std::to_string(next_id);
      if (i % 2) {
        add(id, "new" + std::to_string(next_id), "tn" + std::to_string(next_id),
            next_id);
        change.people.push_back("new" + std::to_string(next_id));
      } else {
        add(id, "u" + std::to_string(next_id % 1500),
            "t" + std::to_string((next_id * 7) % 1300), next_id);
        change.people.push_back("u" + std::to_string(next_id % 1500));
      }
      change.posts.push_back(id);
    }
    for (int i = 0; i < 20; ++i) {  // rewritten, some accepted or moved
      const std::string id =
          "p" + std::to_string((round * 131 + i * 97) % 2500);
      if (!posts.contains(id)) continue;
      auto m = std::make_shared<PostMeta>(*posts[id]);
      m->accepted = !m->accepted;
      m->created += round;
      change.people.push_back(m->author_id);
      if (i % 5 == 0) {
        m->author_id = "u" + std::to_string((round + i) % 1500);
        change.people.push_back(m->author_id);
      }
      posts[id] = m;
      change.posts.push_back(id);
    }
    for (int i = 0; i < 6; ++i) {  // deleted
      const std::string id =
          "p" + std::to_string((round * 53 + i * 401) % 2500);
      auto it = posts.find(id);
      if (it == posts.end()) continue;
      change.people.push_back(it->second->author_id);
      posts.erase(it);
      change.posts.push_back(id);
    }
    auto next = BuildSnapshot(people, posts, GraphOptions{});
    dense = DenseIndex::Update(*dense, *next, change);
    const std::string said = DescribeById(*next, *dense);
    EXPECT_EQ(said, DescribeById(*next, *next->dense));
    kept.push_back({next, dense, said});
    if (HasFailure()) return;
  }
  for (size_t i = 0; i < kept.size(); ++i)
    EXPECT_EQ(DescribeById(*kept[i].snap, *kept[i].dense), kept[i].said) << i;
}

// A copy of the snapshot keeps a usable numbering after the original is
// gone (tests and tools copy snapshots).
TEST(DenseIndexTest, OutlivesTheSnapshotItWasBuiltFrom) {
  auto snap = Company();
  auto copy = std::make_shared<Snapshot>(*snap);
  snap.reset();
  const DenseIndex& d = *copy->dense;
  const uint32_t n = d.PostNumber("a2");
  ASSERT_NE(n, DenseIndex::kNone);
  EXPECT_EQ(d.person_id(d.author(n)), "ghost");
  EXPECT_EQ(d.thread_of(n).size(), 3u);
}

// With a graph given (graph.bin at start-up), the numbering's larger part
// runs on a second thread beside the threads and activity: the numbering
// must be the one made after them.
TEST(DenseIndexTest, TheNumberingBesideTheCountsIsTheSame) {
  auto built = Company();
  auto given = Company(built->graph);
  ASSERT_NE(given->dense, nullptr);
  EXPECT_EQ(given->graph, built->graph);
  EXPECT_EQ(Describe(*given->dense), Describe(*built->dense));
}

// Built from scratch, posts and people are numbered in id order, the order
// std::string gives (bytes compared unsigned). The posts are sorted by their
// ids' first eight bytes first: ids that share them, ids shorter than eight
// bytes (one a prefix of another), a byte of zero and bytes past 0x7f
// (UTF-8) must come out as std::sort by id puts them.
TEST(DenseIndexTest, NumbersPostsAndPeopleInIdOrder) {
  std::vector<std::string> ids = {"p0010074",
                                  "p0010074a",
                                  "p001007",
                                  "p0010075",
                                  "p00100740",
                                  "p",
                                  "",
                                  "\xc3\xa5sa",
                                  "\xc3\xa4",
                                  "Zeta",
                                  "zeta",
                                  std::string("p\0", 2),
                                  std::string("p\0\0\0\0\0\0\0x", 9)};
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  for (size_t i = 0; i < ids.size(); ++i) {
    // Authors named like the posts, some in the directory.
    const std::string author = "u" + ids[(i * 5) % ids.size()];
    if (i % 2) people[author] = Person(author);
    posts[ids[i]] = Meta(ids[i], author, ids[i], v1::POST_KIND_QUESTION);
  }
  people["u-listed-only"] = Person("u-listed-only");
  auto snap = BuildSnapshot(std::move(people), std::move(posts), {});
  const DenseIndex& d = *snap->dense;
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(d.num_posts(), ids.size());
  for (uint32_t n = 0; n < d.num_posts(); ++n)
    EXPECT_EQ(d.post(n).id, ids[n]) << n;
  std::set<std::string> want = {"u-listed-only"};
  for (const std::string& id : ids) want.insert("u" + id);
  ASSERT_EQ(d.num_people(), want.size());
  uint32_t n = 0;
  for (const std::string& id : want) EXPECT_EQ(d.person_id(n++), id);
}

// Thousands of posts: ids of one scheme ("p" and seven digits, their
// first bytes shared, so the radix sort skips those passes and runs the
// others), some longer ones that share all eight bytes with another, a
// few of another scheme; threads of one to a dozen posts. Numbered in id
// order, and BuildSnapshot's threads (numbered from the places its counts
// noted, no id looked up) hold what DenseIndex::Build's from
// Snapshot::threads hold, in the same order.
TEST(DenseIndexTest, ManyPostsAreNumberedInIdOrderWithTheirThreads) {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  std::vector<std::string> ids;
  std::string thread;
  for (int i = 0; i < 5000; ++i) {
    // Digits scattered over the id's bytes, not counted up in order.
    const int k = (i * 7919) % 10007;
    std::string id = "p" + std::string(7 - std::to_string(k).size(), '0') +
                     std::to_string(k);
    if (i % 251 == 0) id = "thread-" + std::to_string(i);
    if (i % 13 == 0 || thread.empty()) thread = id;
    const std::string author = "u" + std::to_string(i % 37);
    if (i % 3) people[author] = Person(author);
    // Every 97th also as a longer id in the same thread: two ids whose
    // first eight bytes are one.
    for (const std::string& each :
         i % 97 ? std::vector{id} : std::vector{id, id + "x", id + "\x80"}) {
      posts[each] = Meta(each, author, thread,
                         thread == each ? v1::POST_KIND_QUESTION
                         : i % 2        ? v1::POST_KIND_ANSWER
                                        : v1::POST_KIND_COMMENT);
      ids.push_back(each);
    }
  }
  auto snap = BuildSnapshot(std::move(people), std::move(posts), {});
  const DenseIndex& d = *snap->dense;
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(d.num_posts(), ids.size());
  for (uint32_t n = 0; n < d.num_posts(); ++n)
    ASSERT_EQ(d.post(n).id, ids[n]) << n;
  EXPECT_EQ(Describe(d), Describe(*DenseIndex::Build(*snap)));
  for (uint32_t n = 0; n < d.num_posts(); ++n) {
    std::vector<std::string> thread_ids;
    for (uint32_t t : d.thread_of(n)) thread_ids.push_back(d.post(t).id);
    ASSERT_EQ(thread_ids, snap->threads.at(d.post(n).thread_id)) << n;
  }
}

}  // namespace
}  // namespace whoknows::index
