// The batch journal: what a write that spans more than one of a data
// folder's Xapian databases does to each, written (atomically, fsynced) to
// <data>/BATCH before its first commit and removed after its last, so that
// Catalog::Open can finish a write that a crash cut between two commits.
// Xapian commits each database on its own; the journal makes the set of
// commits all-or-nothing. Replaying it is idempotent: records are replaced
// by id and ids deleted, whatever state each database is in.
#ifndef WHOKNOWS_INDEX_BATCH_JOURNAL_H_
#define WHOKNOWS_INDEX_BATCH_JOURNAL_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "index/data_dir.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {

// What one write does to one database: ids deleted first, then records
// replaced (or added) by id. Posts for kPosts and kPrivatePosts, people for
// kPeople; a record is stored as given (already normalized).
struct StoreWrites {
  std::vector<std::string> deleted;
  std::vector<v1::Post> posts;
  std::vector<v1::Person> people;

  bool empty() const {
    return deleted.empty() && posts.empty() && people.empty();
  }
};

// One write to a data folder, database by database.
struct BatchWrites {
  std::array<StoreWrites, kStoreCount> stores;

  StoreWrites& operator[](Store s) { return stores[static_cast<int>(s)]; }
  const StoreWrites& operator[](Store s) const {
    return stores[static_cast<int>(s)];
  }
  // How many databases the write changes: more than one needs the journal.
  int StoresTouched() const;
  // "2 posts, 1 private post, 0 people, 3 deletions", for log lines.
  std::string Describe() const;
};

// The journal's bytes: a magic line, the records (database, kind, length,
// serialized record or id), then the records' length and a CRC-32 of all
// that comes before it.
std::string EncodeBatchJournal(const BatchWrites& writes);

// The writes of a journal; DATA_LOSS, saying why, when it is torn (shorter
// than its trailer says), damaged (checksum) or not a batch journal.
absl::StatusOr<BatchWrites> DecodeBatchJournal(std::string_view bytes);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_BATCH_JOURNAL_H_
