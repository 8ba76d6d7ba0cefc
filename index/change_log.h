// The writer's change log, by which followers (`serve --follow`) follow it
// incrementally: the writer lists the ids it wrote and deleted since the
// last entry, one entry a publish tick (or a commit of people/) and
// sequence number, in people/'s metadata. people/ is replicated to
// followers with xapian-replicate (as is private_posts/) and never goes to
// the shards, so the log puts no private post's id where only public posts
// are; and since an entry is committed after the posts it names, it is
// never visible before them. Entries hold ids and fingerprints only, never
// text.
//
// Keys: `whoknows.log.epoch` (a log's identity: a follower that followed
// another log reads everything again), `whoknows.log.head` (the newest
// sequence number), `whoknows.log.e<20 digits>` (the entries) and
// `whoknows.log.covers` (what the newest entry covers). The writer keeps
// the newest `keep` entries and removes older ones as it writes.
#ifndef WHOKNOWS_INDEX_CHANGE_LOG_H_
#define WHOKNOWS_INDEX_CHANGE_LOG_H_

#include <xapian.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace whoknows::index {

// What one commit changed.
struct ChangeLogEntry {
  // Too much to list (a bulk load, a repair at open): followers read every
  // record again.
  bool full = false;
  // With `full`: why, as the follower's reload line prints it ("a bulk
  // load"). Empty in entries written before stop 26, which hold none.
  std::string why;
  // Posts written (public or private), each with the fingerprint
  // (RecordFingerprint) of the record stored: a follower reading a replica
  // that lags tells the version it expects from an older one.
  std::vector<std::pair<std::string, uint64_t>> posts;
  std::vector<std::string> deleted_posts;
  std::vector<std::string> people;  // written (read from people/ itself)
  std::vector<std::string> deleted_people;

  // An entry that says only `full`, and why.
  static ChangeLogEntry Full(std::string why) {
    ChangeLogEntry e;
    e.full = true;
    e.why = std::move(why);
    return e;
  }

  bool empty() const {
    return !full && posts.empty() && deleted_posts.empty() && people.empty() &&
           deleted_people.empty();
  }
};

// Where a log stands: its identity and newest sequence number (0: none).
struct ChangeLogPosition {
  std::string epoch;  // empty: there is no log
  uint64_t head = 0;
};

// 64-bit FNV-1a of a stored record's bytes (stable across processes).
uint64_t RecordFingerprint(std::string_view bytes);

std::string EncodeChangeLogEntry(const ChangeLogEntry& entry);
// DATA_LOSS naming what is wrong when `bytes` is not an entry.
absl::StatusOr<ChangeLogEntry> DecodeChangeLogEntry(std::string_view bytes);

// The log's position in `people`. May throw Xapian::Error.
ChangeLogPosition ReadChangeLogPosition(const Xapian::Database& people);

// Writes `entry` as the next sequence number into `people` (uncommitted: it
// goes with people/'s next commit), starting a log (a new epoch) when
// `pos` has none, and removes the entry that falls out of the newest
// `keep`. Advances `pos`. May throw Xapian::Error.
void AppendChangeLog(Xapian::WritableDatabase& people, ChangeLogPosition& pos,
                     const ChangeLogEntry& entry, int keep);

// Removes every entry older than the newest `keep` (uncommitted): at open,
// when `keep` may have shrunk. May throw Xapian::Error.
void PruneChangeLog(Xapian::WritableDatabase& people,
                    const ChangeLogPosition& pos, int keep);

// Removes every entry, the head and the epoch (uncommitted): the log
// starts anew (a new epoch) at the next AppendChangeLog, and a follower
// of the old one reads everything. At an erasure: the ids the entries
// name (the erased person's, their posts') leave people/'s metadata, so
// that a compaction leaves no byte of them. May throw Xapian::Error.
void ResetChangeLog(Xapian::WritableDatabase& people, ChangeLogPosition& pos);

// What the newest entry covers (an opaque state of the other databases,
// which the writer compares at open to tell whether commits went
// unlogged), set with the entry (uncommitted), and read back ("" when
// never set). May throw Xapian::Error.
void SetChangeLogCovers(Xapian::WritableDatabase& people,
                        const std::string& state);
std::string ReadChangeLogCovers(const Xapian::Database& people);

// The entries after `from` up to `to` (a position read from the same
// `people`), oldest first. OUT_OF_RANGE when they cannot be followed from
// `from` (another epoch, a head behind it, an entry pruned), DATA_LOSS
// when an entry is damaged: the follower then reads everything again. May
// throw Xapian::Error.
absl::StatusOr<std::vector<ChangeLogEntry>> ReadChangeLog(
    const Xapian::Database& people, const ChangeLogPosition& from,
    const ChangeLogPosition& to);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_CHANGE_LOG_H_
