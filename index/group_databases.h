// The read side of private groups: one in-memory Xapian database a group,
// holding copies of that group's posts from private_posts/, so that a
// member's search reads posts/ plus their own groups' databases and nothing
// of any other group, not even in BM25's term statistics
// (docs/ranking.md, "Private groups").
#ifndef WHOKNOWS_INDEX_GROUP_DATABASES_H_
#define WHOKNOWS_INDEX_GROUP_DATABASES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace Xapian {
class Database;
}

namespace whoknows::index {

struct PostMeta;  // index/catalog.h

// Thread safety: every method may be called from any thread. Xapian handles
// are not thread-safe (even their reference counts are plain integers), so a
// group's database is read by one search at a time: members of the same
// group search it one after another, for the time of the Xapian search.
class GroupDatabases {
 public:
  // `max_posts`: the cached databases hold at most about this many posts in
  // all; the least recently used group is dropped (and built again when
  // next asked for) past it. A group larger than the bound alone is still
  // built, for the search that asks for it.
  // `visibility_prefix`: the boolean term prefix that, with a group's name,
  // marks its posts in private_posts/ ("V": "Vgroup:hr"); `id_prefix` the
  // one that, with a post's id, names its document ("Q": "Qp1").
  GroupDatabases(int64_t max_posts, std::string visibility_prefix,
                 std::string id_prefix = "Q")
      : max_posts_(max_posts),
        prefix_(std::move(visibility_prefix)),
        id_prefix_(std::move(id_prefix)) {}

  // Called at each publish with the writer's post records (all of them,
  // those of people who opted out too: they are in the full-text index).
  // A group whose set of records changed (a post added or replaced) keeps
  // its database with those posts marked stale: the next member's search
  // copies them again before it reads, so a change costs its own posts, not
  // the group's. A group that lost a post (deleted, erased, moved out)
  // drops its database at once, so that the post's text does not stay in
  // memory until a member searches; the next member's search builds it
  // again. Other groups are not touched.
  // `pending`: the records include writes not committed yet (bulk loading),
  // which a database built now would miss, so every group is taken as
  // changed at the next call.
  void Update(const std::unordered_map<std::string,
                                       std::shared_ptr<const PostMeta>>& posts,
              bool pending) ABSL_LOCKS_EXCLUDED(mu_);
  // The same with the records listed, each once (a warm Open's, in the
  // order they lie in memory: a pass over them costs less than over a map).
  void Update(std::span<const std::shared_ptr<const PostMeta>> posts,
              bool pending) ABSL_LOCKS_EXCLUDED(mu_);

  // Update's result from the previous call's records and the posts that
  // changed since (id -> record now, null when deleted: Catalog's
  // SnapshotChange::posts): costs the private posts' records, not every
  // post's.
  void UpdateChanged(const std::unordered_map<
                         std::string, std::shared_ptr<const PostMeta>>& changed,
                     bool pending) ABSL_LOCKS_EXCLUDED(mu_);

  // Marks posts stale now, (group, post id) each: a write changed them in
  // private_posts/ (committed: added, replaced, moved out of or into the
  // group, deleted), and the next search must not read the old copies, even
  // before the next publish. Never waits for a search or a build.
  void Invalidate(
      const std::vector<std::pair<std::string, std::string>>& changed)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Drops every group's database (after a failed write).
  void InvalidateAll() ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `read(db)`, db = `pub` plus the databases of `groups` that have
  // private posts, building those not cached from the database at
  // `private_path` (its newest revision). Groups are added in sorted order,
  // so a member's docids do not depend on any group they are not in. May throw
  // Xapian::Error (the caller retries a DatabaseModifiedError).
  absl::Status Read(
      const Xapian::Database& pub, const std::string& private_path,
      const std::vector<std::string>& groups,
      const std::function<absl::Status(const Xapian::Database&)>& read)
      ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    int64_t groups = 0;   // groups with private posts
    int64_t cached = 0;   // of those, with a built database
    int64_t posts = 0;    // posts in the built databases
    int64_t builds = 0;   // databases built since construction
    int64_t updated = 0;  // stale posts copied again or removed in place
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 public:
  struct Entry;  // one group's database (group_databases.cc)

 private:
  struct Group {
    // The group's post records, sorted by address: held, so an address is
    // never reused while compared.
    std::vector<std::shared_ptr<const PostMeta>> records;
    bool settled = true;           // false: see Update's `pending`
    std::shared_ptr<Entry> entry;  // null until a member searches
    uint64_t last_used = 0;
  };

  // Makes `next` (each group's records, sorted) the groups, keeping each
  // one's database with its changed posts marked stale.
  void Install(std::map<std::string, Group> next, bool pending)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The entries of `groups` (created where missing), marked as used.
  std::vector<std::shared_ptr<Entry>> Acquire(
      const std::vector<std::string>& groups) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops least recently used entries, not `in_use`, past max_posts_.
  void Evict(const std::vector<std::shared_ptr<Entry>>& in_use)
      ABSL_LOCKS_EXCLUDED(mu_);

  const int64_t max_posts_;
  const std::string prefix_;
  const std::string id_prefix_;
  mutable absl::Mutex mu_;
  std::map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t updated_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_GROUP_DATABASES_H_
