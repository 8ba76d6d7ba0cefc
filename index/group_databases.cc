#include "index/group_databases.h"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "index/catalog.h"

namespace whoknows::index {

struct GroupDatabases::Entry {
  absl::Mutex mu;
  // The group's posts, copied from private_posts/; null until built.
  std::unique_ptr<Xapian::WritableDatabase> db ABSL_GUARDED_BY(mu);
  std::atomic<int64_t> posts{0};  // in `db`, once built
  std::string group;
  // Posts whose copies in `db` are stale (Invalidate, Update): applied by
  // the next search under `mu`. Its own lock, so that marking never waits
  // for a search or a build.
  absl::Mutex stale_mu;
  std::vector<std::string> stale ABSL_GUARDED_BY(stale_mu);
  // More changed than a copy afresh would cost (a group written to while
  // none of its members searched): the copy is dropped at the next search
  // and the list no longer grows.
  bool rebuild ABSL_GUARDED_BY(stale_mu) = false;

  void MarkStale(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&stale_mu);
    if (rebuild) return;
    stale.insert(stale.end(), ids.begin(), ids.end());
    if (static_cast<int64_t>(stale.size()) > std::max<int64_t>(1024, posts)) {
      rebuild = true;
      stale.clear();
      stale.shrink_to_fit();
    }
  }
};

namespace {

using Entries = std::vector<std::shared_ptr<GroupDatabases::Entry>>;

bool SameRecords(const std::vector<std::shared_ptr<const PostMeta>>& a,
                 const std::vector<std::shared_ptr<const PostMeta>>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return x == y; });
}

// Whether a record of `a` has no record of the same id in `b`.
bool LostAPost(const std::vector<std::shared_ptr<const PostMeta>>& a,
               const std::vector<std::shared_ptr<const PostMeta>>& b) {
  std::unordered_set<std::string_view> now;
  for (const auto& m : b) now.insert(m->id);
  for (const auto& m : a)
    if (!now.contains(m->id)) return true;
  return false;
}

// The ids of posts whose record differs between `a` and `b` (added,
// replaced or gone).
std::vector<std::string> ChangedIds(
    const std::vector<std::shared_ptr<const PostMeta>>& a,
    const std::vector<std::shared_ptr<const PostMeta>>& b) {
  std::unordered_map<std::string_view, const PostMeta*> before;
  for (const auto& m : a) before[m->id] = m.get();
  std::vector<std::string> out;
  for (const auto& m : b) {
    auto it = before.find(m->id);
    if (it == before.end() || it->second != m.get()) out.push_back(m->id);
    if (it != before.end()) before.erase(it);
  }
  for (const auto& [id, m] : before) out.emplace_back(id);
  return out;
}

}  // namespace

void GroupDatabases::Update(
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        posts,
    bool pending) {
  std::map<std::string, Group> next;
  for (const auto& [id, m] : posts)
    if (!m->is_public) next[m->visibility].records.push_back(m);
  Install(std::move(next), pending);
}

void GroupDatabases::Update(
    std::span<const std::shared_ptr<const PostMeta>> posts, bool pending) {
  std::map<std::string, Group> next;
  for (const auto& m : posts)
    if (!m->is_public) next[m->visibility].records.push_back(m);
  Install(std::move(next), pending);
}

void GroupDatabases::UpdateChanged(
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        changed,
    bool pending) {
  std::map<std::string, Group> next;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, g] : groups_)
      if (!g.records.empty()) next[name].records = g.records;
  }
  for (auto& [name, g] : next) {
    std::erase_if(g.records,
                  [&](const auto& m) { return changed.contains(m->id); });
  }
  for (const auto& [id, m] : changed)
    if (m && !m->is_public) next[m->visibility].records.push_back(m);
  std::erase_if(next, [](const auto& g) { return g.second.records.empty(); });
  Install(std::move(next), pending);
}

void GroupDatabases::Install(std::map<std::string, Group> next, bool pending) {
  for (auto& [name, g] : next) {
    std::sort(g.records.begin(), g.records.end());
    g.settled = !pending;
  }
  // What is replaced is freed after mu_ is released (a database's copies
  // may take a while to free); a search still reading one keeps it alive
  // until it is done.
  std::map<std::string, Group> replaced;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, g] : next) {
      auto old = groups_.find(name);
      if (old == groups_.end() || !old->second.settled || !g.settled) continue;
      if (old->second.entry && !SameRecords(old->second.records, g.records)) {
        // A post that left the group (deleted, erased, moved) would stay in
        // the copy, its text in memory, until a member searched: the copy
        // goes now instead (freed below, or by the search reading it), and
        // the next member's search builds it again.
        if (LostAPost(old->second.records, g.records)) continue;
        old->second.entry->MarkStale(
            ChangedIds(old->second.records, g.records));
      }
      g.entry = std::move(old->second.entry);
      g.last_used = old->second.last_used;
    }
    replaced.swap(groups_);
    groups_.swap(next);
  }
}

void GroupDatabases::Invalidate(
    const std::vector<std::pair<std::string, std::string>>& changed) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, id] : changed) {
    auto it = groups_.find(name);
    if (it != groups_.end() && it->second.entry)
      it->second.entry->MarkStale({id});
  }
}

void GroupDatabases::InvalidateAll() {
  Entries dropped;  // freed after mu_ is released
  absl::MutexLock lock(&mu_);
  for (auto& [name, g] : groups_)
    if (g.entry) dropped.push_back(std::move(g.entry));
}

GroupDatabases::Stats GroupDatabases::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  s.builds = builds_;
  s.updated = updated_;
  for (const auto& [name, g] : groups_) {
    ++s.groups;
    if (!g.entry) continue;
    const int64_t n = g.entry->posts.load();
    if (n > 0) {
      ++s.cached;
      s.posts += n;
    }
  }
  return s;
}

Entries GroupDatabases::Acquire(const std::vector<std::string>& groups) {
  // Sorted and distinct: the order entries are locked in (the same for
  // every search, so no two wait for each other) and added in.
  std::vector<std::string> names = groups;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  Entries out;
  absl::MutexLock lock(&mu_);
  for (const auto& name : names) {
    auto it = groups_.find(name);
    if (it == groups_.end()) continue;  // no private post
    Group& g = it->second;
    if (!g.entry) {
      g.entry = std::make_shared<Entry>();
      g.entry->group = name;
    }
    g.last_used = ++clock_;
    out.push_back(g.entry);
  }
  return out;
}

void GroupDatabases::Evict(const Entries& in_use) {
  Entries dropped;  // freed after mu_ is released
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  std::vector<std::pair<uint64_t, Group*>> built;
  for (auto& [name, g] : groups_) {
    if (!g.entry || g.entry->posts.load() == 0) continue;
    total += g.entry->posts.load();
    if (std::find(in_use.begin(), in_use.end(), g.entry) == in_use.end())
      built.emplace_back(g.last_used, &g);
  }
  std::sort(built.begin(), built.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [used, g] : built) {
    if (total <= max_posts_) break;
    total -= g->entry->posts.load();
    dropped.push_back(std::move(g->entry));
  }
}

namespace {

// Copies the posts marked `term` in the database at `path` into a new
// in-memory database: the same terms, frequencies, values and data, so a
// post weighs there what it weighs in private_posts/.
std::unique_ptr<Xapian::WritableDatabase> CopyGroup(const std::string& path,
                                                    const std::string& term,
                                                    int64_t* posts) {
  auto out = std::make_unique<Xapian::WritableDatabase>(
      std::string(), Xapian::DB_BACKEND_INMEMORY);
  Xapian::Database from(path);
  *posts = 0;
  for (auto it = from.postlist_begin(term); it != from.postlist_end(term);
       ++it) {
    out->add_document(from.get_document(*it));
    ++*posts;
  }
  out->commit();  // a no-op in memory; says the copy is complete
  return out;
}

// Copies the stale posts of `e` again from the database at `path` (its
// newest revision), or removes them where they are no longer in the group;
// how many. On a failure the copy is dropped whole (built again at the next
// search), never left half updated.
int64_t ApplyStale(GroupDatabases::Entry& e, const std::string& path,
                   const std::string& group_term, const std::string& id_prefix)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(e.mu) {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&e.stale_mu);
    ids.swap(e.stale);
    if (e.rebuild) {
      e.db.reset();  // copied afresh below
      e.posts = 0;
    }
  }
  if (ids.empty() || !e.db) return 0;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  try {
    Xapian::Database from(path);
    for (const std::string& id : ids) {
      const std::string term = id_prefix + id;
      e.db->delete_document(term);
      auto it = from.postlist_begin(term);
      if (it == from.postlist_end(term)) continue;
      Xapian::Document doc = from.get_document(*it);
      Xapian::TermIterator t = doc.termlist_begin();
      t.skip_to(group_term);
      if (t != doc.termlist_end() && *t == group_term) e.db->add_document(doc);
    }
    e.db->commit();
    e.posts = static_cast<int64_t>(e.db->get_doccount());
  } catch (...) {
    e.db.reset();
    e.posts = 0;
    throw;
  }
  return static_cast<int64_t>(ids.size());
}

// Locks entries[i..] in order, building those not built, and runs `read`
// over `pub` and their databases once all are held. The combined handle is
// made and destroyed under every lock: Xapian's reference counts are not
// atomic.
absl::Status ReadLocked(
    const Entries& entries, size_t i, const std::string& prefix,
    const std::string& private_path, std::vector<const Xapian::Database*>& held,
    const Xapian::Database& pub,
    const std::function<absl::Status(const Xapian::Database&)>& read,
    const std::string& id_prefix, int64_t* built, int64_t* updated) {
  if (i == entries.size()) {
    Xapian::Database db(pub);
    for (const Xapian::Database* g : held) db.add_database(*g);
    return read(db);
  }
  GroupDatabases::Entry& e = *entries[i];
  absl::MutexLock lock(&e.mu);
  *updated += ApplyStale(e, private_path, prefix + e.group, id_prefix);
  if (!e.db) {
    {
      absl::MutexLock stale(&e.stale_mu);  // a new copy has them all
      e.stale.clear();
      e.rebuild = false;
    }
    int64_t posts = 0;
    e.db = CopyGroup(private_path, prefix + e.group, &posts);
    e.posts = posts;
    ++*built;
  }
  held.push_back(e.db.get());
  return ReadLocked(entries, i + 1, prefix, private_path, held, pub, read,
                    id_prefix, built, updated);
}

}  // namespace

absl::Status GroupDatabases::Read(
    const Xapian::Database& pub, const std::string& private_path,
    const std::vector<std::string>& groups,
    const std::function<absl::Status(const Xapian::Database&)>& read) {
  const Entries entries = Acquire(groups);
  std::vector<const Xapian::Database*> held;
  int64_t built = 0, updated = 0;
  absl::Status status = ReadLocked(entries, 0, prefix_, private_path, held, pub,
                                   read, id_prefix_, &built, &updated);
  if (built > 0 || updated > 0) {
    {
      absl::MutexLock lock(&mu_);
      builds_ += built;
      updated_ += updated;
    }
    Evict(entries);
  }
  return status;
}

}  // namespace whoknows::index
