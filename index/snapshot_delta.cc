#include "index/snapshot_delta.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "index/graph.h"
#include "index/language.h"

namespace whoknows::index {
namespace {

// A post as the previous and the next snapshot hold it (null: absent).
struct PostDelta {
  const std::string* id = nullptr;
  std::shared_ptr<const PostMeta> was, now;
};

bool OptedOut(const Snapshot& s, const std::string& person_id) {
  return std::binary_search(s.opted_out.begin(), s.opted_out.end(), person_id);
}

// People and opt-outs; false when the opt-outs changed (what the posts and
// the graph leave out changes: a full build's business).
bool ApplyPeople(const Snapshot& prev, const SnapshotChange& change,
                 Snapshot* s) {
  s->people = prev.people;  // shares prev's entries (SharedMap)
  for (const auto& [id, p] : change.people) {
    // A person is in opted_out exactly when their record says so.
    if ((p && p->opted_out()) != OptedOut(prev, id)) return false;
    if (p) {
      s->people.insert_or_assign(id, p);
    } else {
      s->people.erase(id);
    }
  }
  s->opted_out = prev.opted_out;
  return true;
}

// The posts that count, and how each changed one differs from before.
std::vector<PostDelta> ApplyPosts(const Snapshot& prev,
                                  const SnapshotChange& change, Snapshot* s) {
  s->posts = prev.posts;
  std::vector<PostDelta> deltas;
  for (const auto& [id, meta] : change.posts) {
    PostDelta d{&id, nullptr, nullptr};
    if (auto it = prev.posts.find(id); it != prev.posts.end())
      d.was = it->second;
    if (meta && !OptedOut(*s, meta->author_id)) d.now = meta;
    if (d.was == d.now) continue;
    if (d.now) {
      s->posts.insert_or_assign(id, d.now);
    } else {
      s->posts.erase(id);
    }
    deltas.push_back(std::move(d));
  }
  return deltas;
}

void ApplyThreads(const Snapshot& prev, const std::vector<PostDelta>& deltas,
                  Snapshot* s) {
  s->threads = prev.threads;
  for (const auto& d : deltas) {
    if (d.was && d.now && d.was->thread_id == d.now->thread_id) continue;
    if (d.was) {
      std::vector<std::string>& ids = *s->threads.Mutable(d.was->thread_id);
      ids.erase(std::find(ids.begin(), ids.end(), *d.id));
      if (ids.empty()) s->threads.erase(d.was->thread_id);
    }
    if (d.now) s->threads[d.now->thread_id].push_back(*d.id);
  }
}

void ApplyGroups(const Snapshot& prev, const std::vector<PostDelta>& deltas,
                 Snapshot* s) {
  s->group_posts = prev.group_posts;
  std::unordered_map<std::string, std::unordered_set<const PostMeta*>> gone;
  for (const auto& d : deltas)
    if (d.was && !d.was->is_public) gone[d.was->visibility].insert(d.was.get());
  for (const auto& [group, records] : gone) {
    std::vector<const PostMeta*>& posts =
        s->group_posts.Mutable(group)->Mutable();
    const auto& removed = records;  // a lambda may not capture a binding
    std::erase_if(
        posts, [&removed](const PostMeta* m) { return removed.contains(m); });
    if (posts.empty()) s->group_posts.erase(group);
  }
  for (const auto& d : deltas)
    if (d.now && !d.now->is_public)
      s->group_posts[d.now->visibility].push_back(d.now.get());
}

// Adds (sign 1) or takes away (-1) a public post's counts.
void Count(const PostMeta& m, int sign, Activity& a) {
  switch (m.kind) {
    case v1::POST_KIND_QUESTION:
      a.questions += sign;
      break;
    case v1::POST_KIND_ANSWER:
      a.answers += sign;
      if (sign > 0) {
        a.answer_times.push_back(m.created);
      } else {
        a.answer_times.erase(
            std::find(a.answer_times.begin(), a.answer_times.end(), m.created));
      }
      if (m.accepted) a.accepted_answers += sign;
      break;
    case v1::POST_KIND_COMMENT:
      a.comments += sign;
      break;
    case v1::POST_KIND_ARTICLE:
      a.articles += sign;
      break;
    default:
      break;
  }
  if (sign > 0) {
    if (a.first_post == 0 || m.created < a.first_post) a.first_post = m.created;
    a.last_post = std::max(a.last_post, m.created);
  }
}

// Activity of `authors` and newest_post (when `newest`) recomputed from
// every post: after removals that min and max cannot undo.
void Rescan(const std::unordered_set<std::string>& authors, bool newest,
            Snapshot* s) {
  for (const auto& id : authors) s->activity.erase(id);
  if (newest) s->newest_post = 0;
  for (const auto& [id, m] : s->posts) {
    if (!m->is_public) continue;
    if (newest) s->newest_post = std::max(s->newest_post, m->created);
    if (authors.contains(m->author_id)) Count(*m, 1, s->activity[m->author_id]);
  }
}

// Activity, languages and the newest post; returns the authors whose
// activity may have changed.
std::vector<std::string> ApplyActivity(const Snapshot& prev,
                                       const std::vector<PostDelta>& deltas,
                                       Snapshot* s) {
  s->activity = prev.activity;
  s->language_posts = prev.language_posts;
  s->newest_post = prev.newest_post;
  int64_t public_change = 0;
  std::unordered_set<std::string> touched, rescan;
  // (author, created) of the public posts added: what covers a removal of
  // an author's first or last post.
  std::set<std::pair<std::string, int64_t>> added;
  std::set<int64_t> added_times;
  for (const auto& d : deltas) {
    if (!d.now || !d.now->is_public) continue;
    added.emplace(d.now->author_id, d.now->created);
    added_times.insert(d.now->created);
  }
  bool newest = false;
  for (const auto& d : deltas) {
    if (!d.was || !d.was->is_public) continue;
    const PostMeta& m = *d.was;
    touched.insert(m.author_id);
    Activity& a = *s->activity.Mutable(m.author_id);
    if ((m.created == a.first_post || m.created == a.last_post) &&
        !added.contains({m.author_id, m.created}))
      rescan.insert(m.author_id);
    if (m.created == s->newest_post && !added_times.contains(m.created))
      newest = true;
    Count(m, -1, a);
    --public_change;
    if (--s->language_posts[m.language] == 0)
      s->language_posts.erase(m.language);
  }
  for (const auto& d : deltas) {
    if (!d.now || !d.now->is_public) continue;
    const PostMeta& m = *d.now;
    touched.insert(m.author_id);
    Count(m, 1, s->activity[m.author_id]);
    ++public_change;
    ++s->language_posts[m.language];
    s->newest_post = std::max(s->newest_post, m.created);
  }
  for (const auto& id : touched) {
    const Activity& a = s->activity.at(id);
    if (a.questions + a.answers + a.comments + a.articles == 0)
      rescan.insert(id);  // perhaps no public post left (or of no kind)
  }
  if (!rescan.empty() || newest) Rescan(rescan, newest, s);
  s->public_posts =
      prev.public_posts < 0 ? -1 : prev.public_posts + public_change;
  s->query_languages = QueryLanguagesFor(s->language_posts);
  return {touched.begin(), touched.end()};
}

}  // namespace

namespace {

// A thread's participants (authors of its public posts) and its newest
// public post, as Build counts them.
struct Participation {
  std::set<std::string> people;
  int64_t last = 0;
};

// Read from the numbering (the thread's post numbers, each post's facts,
// an author's id once): a reply to a long thread walked the thread twice
// a publish by post id (a hash look-up and a record a post), most of an
// incremental publish's graph time at 1M posts.
Participation ParticipationIn(const Snapshot& s, const std::string& thread) {
  Participation p;
  const DenseIndex& d = *s.dense;
  std::vector<uint32_t> authors;
  for (const uint32_t n : d.thread_posts(thread)) {
    if (n == DenseIndex::kNone) continue;
    const DenseIndex::Facts& f = d.facts(n);
    if (!f.is_public) continue;
    authors.push_back(f.author);
    p.last = std::max(p.last, f.created);
  }
  std::sort(authors.begin(), authors.end());
  authors.erase(std::unique(authors.begin(), authors.end()), authors.end());
  for (const uint32_t a : authors) p.people.insert(d.person_id(a));
  return p;
}

// `now` keeps everything of `was` the graph reads and only appends likes
// or mentions.
bool Appends(const PostMeta& was, const PostMeta& now) {
  auto prefix = [](const InternedList& a, const InternedList& b) {
    return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
  };
  return was.author_id == now.author_id && was.thread_id == now.thread_id &&
         was.parent_id == now.parent_id && was.is_public == now.is_public &&
         was.created == now.created && prefix(was.liked_by, now.liked_by) &&
         prefix(was.mentioned, now.mentioned);
}

// For each pair of `people`, the newest post of the threads of `s` that
// count both (as Build counts them): what their thread edge's last_seen is
// once a thread grown too big no longer counts. Found through the
// numbering's author array (one pass of integer compares), then the few
// threads those people took part in.
std::map<std::pair<std::string, std::string>, int64_t> PairLast(
    const Snapshot& s, const std::set<std::string>& people,
    const GraphOptions& options) {
  const DenseIndex& d = *s.dense;
  std::vector<bool> wanted(d.num_people(), false);
  for (const auto& id : people)
    if (uint32_t k = d.PersonNumber(id); k != DenseIndex::kNone)
      wanted[k] = true;
  std::set<std::string> threads;
  for (uint32_t n = 0; n < d.num_posts(); ++n) {
    if (!wanted[d.author(n)]) continue;
    const PostMeta& m = d.post(n);
    if (m.is_public && d.PostNumber(m.id) == n) threads.insert(m.thread_id);
  }
  std::map<std::pair<std::string, std::string>, int64_t> last;
  for (const auto& thread : threads) {
    const Participation p = ParticipationIn(s, thread);
    if (p.people.size() < 2 ||
        static_cast<int>(p.people.size()) > options.max_thread_participants)
      continue;
    for (auto a = p.people.begin(); a != p.people.end(); ++a) {
      for (auto b = std::next(a); b != p.people.end(); ++b) {
        if (!people.contains(*a) || !people.contains(*b)) continue;
        int64_t& l = last.try_emplace({*a, *b}, -1).first->second;
        l = std::max(l, p.last);
      }
    }
  }
  return last;
}

// The thread ties of `threads` after posts were added to them. A thread
// grown past max_thread_participants takes its pairs away.
void ThreadTies(const Snapshot& prev, const Snapshot& s,
                const std::set<std::string>& threads,
                const GraphOptions& options,
                std::vector<ColleagueGraph::Tie>* ties) {
  using Change = ColleagueGraph::Tie::Change;
  const auto counted = [&](const Participation& p) {
    return p.people.size() >= 2 &&
           static_cast<int>(p.people.size()) <= options.max_thread_participants;
  };
  std::vector<std::set<std::string>> dropped;  // threads grown too big
  for (const auto& thread : threads) {
    Participation before = ParticipationIn(prev, thread);
    const Participation after = ParticipationIn(s, thread);
    const bool had = counted(before);
    if (!counted(after)) {
      if (had) dropped.push_back(std::move(before.people));
      continue;
    }
    for (auto a = after.people.begin(); a != after.people.end(); ++a) {
      for (auto b = std::next(a); b != after.people.end(); ++b) {
        const bool old =
            had && before.people.contains(*a) && before.people.contains(*b);
        if (old && after.last <= before.last) continue;
        ties->push_back({*a, *b, EdgeKind::kThread, after.last,
                         old ? Change::kTouch : Change::kAdd});
      }
    }
  }
  if (dropped.empty()) return;
  std::set<std::string> people;
  for (const auto& p : dropped) people.insert(p.begin(), p.end());
  const auto last = PairLast(s, people, options);
  for (const auto& p : dropped) {
    for (auto a = p.begin(); a != p.end(); ++a) {
      for (auto b = std::next(a); b != p.end(); ++b) {
        auto it = last.find({*a, *b});
        ties->push_back({*a, *b, EdgeKind::kThread,
                         it == last.end() ? -1 : it->second, Change::kRemove});
      }
    }
  }
}

// The ties that `deltas` and the people's changes add to prev's graph (or,
// for threads grown too big, take away); false when they take away what
// only a full build can (a post deleted or changed in what makes ties).
bool AddedTies(const Snapshot& prev, const SnapshotChange& change,
               const std::vector<PostDelta>& deltas, const Snapshot& s,
               const GraphOptions& options,
               std::vector<ColleagueGraph::Tie>* ties) {
  std::set<std::string> threads;
  for (const auto& d : deltas) {
    const bool was = d.was && d.was->is_public, now = d.now && d.now->is_public;
    if (!was && !now) continue;  // private: never in the graph
    if (!now || (was && !Appends(*d.was, *d.now))) return false;
    if (!was && (d.was || change.referenced.contains(*d.id))) return false;
    const PostMeta& m = *d.now;
    const size_t likes = was ? d.was->liked_by.size() : 0;
    const size_t mentions = was ? d.was->mentioned.size() : 0;
    for (size_t i = likes; i < m.liked_by.size(); ++i)
      ties->push_back({m.liked_by[i], m.author_id, EdgeKind::kLike, m.created});
    for (size_t i = mentions; i < m.mentioned.size(); ++i)
      ties->push_back(
          {m.author_id, m.mentioned[i], EdgeKind::kMention, m.created});
    if (was) continue;
    threads.insert(m.thread_id);
    if (const PostMeta* parent = s.FindPost(m.parent_id);
        parent && parent->is_public)
      ties->push_back(
          {m.author_id, parent->author_id, EdgeKind::kReply, m.created});
  }
  for (const auto& [id, p] : change.people) {
    const v1::Person* was = prev.FindPerson(id);
    const std::string before = was ? was->manager_id() : "";
    const std::string after = p ? p->manager_id() : "";
    if (before == after) continue;
    if (!before.empty()) return false;
    ties->push_back({id, after, EdgeKind::kManager, 0});
  }
  ThreadTies(prev, s, threads, options, ties);
  return true;
}

void ApplyGraph(const Snapshot& prev, const SnapshotChange& change,
                const std::vector<PostDelta>& deltas,
                const GraphOptions& options, Snapshot* s,
                SnapshotUpdateStats* stats) {
  const absl::Time started = absl::Now();
  const std::unordered_set<std::string> excluded(s->opted_out.begin(),
                                                 s->opted_out.end());
  std::vector<ColleagueGraph::Tie> ties;
  std::optional<ColleagueGraph> extended;
  if (prev.graph && AddedTies(prev, change, deltas, *s, options, &ties)) {
    if (ties.empty()) {
      s->graph = prev.graph;  // immutable: shared
    } else {
      extended = ColleagueGraph::Extend(*prev.graph, ties, options, excluded);
      if (extended)
        s->graph = std::make_shared<ColleagueGraph>(std::move(*extended));
    }
  }
  stats->graph_extended = s->graph != nullptr;
  if (!s->graph) {
    std::unordered_map<std::string, std::string> managers;
    for (const auto& [id, p] : s->people)
      if (!p->manager_id().empty()) managers[id] = p->manager_id();
    s->graph =
        std::make_shared<ColleagueGraph>(ColleagueGraph::BuildFromSnapshot(
            s->posts, managers, options, excluded));
  }
  stats->graph_us = absl::ToInt64Microseconds(absl::Now() - started);
}

}  // namespace

std::shared_ptr<Snapshot> UpdateSnapshot(const Snapshot& prev,
                                         const SnapshotChange& change,
                                         const GraphOptions& graph_options,
                                         SnapshotUpdateStats* stats) {
  if (!prev.dense) return nullptr;
  auto s = std::make_shared<Snapshot>();
  if (!ApplyPeople(prev, change, s.get())) return nullptr;
  const std::vector<PostDelta> deltas = ApplyPosts(prev, change, s.get());
  ApplyThreads(prev, deltas, s.get());
  ApplyGroups(prev, deltas, s.get());
  DenseIndex::Change numbering;
  numbering.people = ApplyActivity(prev, deltas, s.get());
  for (const auto& d : deltas) numbering.posts.push_back(*d.id);
  for (const auto& [id, p] : change.people) numbering.people.push_back(id);
  s->dense = DenseIndex::Update(*prev.dense, *s, numbering);
  SnapshotUpdateStats ignored;
  ApplyGraph(prev, change, deltas, graph_options, s.get(),
             stats ? stats : &ignored);
  return s;
}

}  // namespace whoknows::index
