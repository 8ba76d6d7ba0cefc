// The layout of a data folder: the one place that names its files, holds its
// lock and writes its small files atomically (leveldb's filename.h).
//
//   <root>/posts/            Xapian database of public posts (index/catalog.cc)
//   <root>/private_posts/    Xapian database of non-public posts (groups):
//                            kept apart so that no statistic of posts/
//                            (BM25, snippets) depends on private content
//   <root>/people/           Xapian database of people
//   <root>/LOCK              held (flock) by the one process that writes
//   <root>/graph.tsv         the colleague graph, derived, for inspection
//   <root>/interactions.tsv  append-only e-mails and chats (index/interactions)
//   <root>/outcomes.jsonl    append-only: who helped with which question
//                            (index/outcomes)
//   <root>/embeddings.bin    the learned term space and people's vectors
//   <root>/derived.bin       the catalog's records, derived, stamped with the
//                            databases' revisions (index/derived_state.h)
//   <root>/graph.bin         the colleague graph, derived, stamped as
//                            derived.bin (index/derived_state.h)
//   <root>/docids.bin        the public database's docid table, derived,
//                            stamped as derived.bin (index/derived_state.h)
//   <root>/fusion.json       fusion weights from `whoknows learn`, optional
//   <root>/ERASURE           journal of an erasure in progress (api/erasure)
//   <root>/BATCH             journal of a write spanning databases, while it
//                            commits (index/batch_journal.h)
//   <root>/posts.compact/    a compaction's new copy, before it is swapped in
//   <root>/posts.old/        the copy it replaces, until it is removed
//   <root>/audit.jsonl       append-only log of privileged calls
//   (api/audit_log)
#ifndef WHOKNOWS_INDEX_DATA_DIR_H_
#define WHOKNOWS_INDEX_DATA_DIR_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace whoknows::index {

// The Xapian databases of a data folder, in the order a write that spans
// several of them commits them (index/catalog.cc).
enum class Store { kPosts = 0, kPrivatePosts = 1, kPeople = 2 };
inline constexpr int kStoreCount = 3;
// "posts", "private_posts", "people": the folder's name.
const char* StoreName(Store store);

// Paths of a data folder's files. Cheap to copy; touches no file.
class DataDir {
 public:
  explicit DataDir(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string posts() const { return Join("posts"); }
  std::string private_posts() const { return Join("private_posts"); }
  std::string people() const { return Join("people"); }
  std::string database(Store store) const { return Join(StoreName(store)); }
  std::string lock() const { return Join("LOCK"); }
  std::string graph() const { return Join("graph.tsv"); }
  std::string interactions() const { return Join("interactions.tsv"); }
  std::string outcomes() const { return Join("outcomes.jsonl"); }
  std::string embeddings() const { return Join("embeddings.bin"); }
  // The catalog's in-memory records, persisted so that Open need not scan
  // every document (index/derived_state.h). Derived: removed at the first
  // write after it was written, and rewritten when the writer closes.
  std::string derived_state() const { return Join("derived.bin"); }
  // The first snapshot's colleague graph, persisted beside derived.bin with
  // its stamps so that Open need not build it from every post (index/
  // derived_state.h). Derived, as derived.bin.
  std::string graph_state() const { return Join("graph.bin"); }
  // The public database's docid table as the first snapshot numbers its
  // posts, persisted beside derived.bin so that Open need not read every
  // document's id (index/derived_state.h). Derived, as derived.bin.
  std::string docid_state() const { return Join("docids.bin"); }
  std::string fusion_weights() const { return Join("fusion.json"); }
  // Present only while an erasure is in progress: the id of the person
  // being erased, written before the first store is touched and removed
  // after the last, so that a crash in between is finished at the next
  // start (api/erasure.h).
  std::string erasure_journal() const { return Join("ERASURE"); }
  // Present only while a write that changes more than one database commits
  // (or after a crash cut it): what it does to each, written before the
  // first commit and removed after the last; Catalog::Open replays it.
  std::string batch_journal() const { return Join("BATCH"); }
  // Where Catalog::Compact builds the new copy of a Xapian database
  // (`posts()` or `people()`), and where the old one waits for removal.
  static std::string CompactionCopy(const std::string& database) {
    return database + ".compact";
  }
  static std::string CompactionOld(const std::string& database) {
    return database + ".old";
  }
  std::string audit_log() const { return Join("audit.jsonl"); }

 private:
  std::string Join(std::string_view name) const;
  std::string root_;
};

// The writer's hold on a data folder: an exclusive flock on <root>/LOCK,
// released when destroyed (or when the process dies, however it dies).
// Readers take no lock.
class DataDirLock {
 public:
  // Exclusive: one process per folder, the writer or a follower (`serve
  // --follow`, whose model store writes embeddings.bin in its folder).
  // FAILED_PRECONDITION when another process holds it.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(
      const DataDir& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Replaces `path` atomically: `write` fills <path>.tmp, which is flushed and
// fsynced, then renamed over `path`, and the folder is fsynced. A crash
// leaves either the old file or the new one, never a part. An error before
// the rename removes the temporary file and leaves `path` untouched; a
// failed fsync of the folder after it is reported with the new file in
// place. One writer per path at a time (the temporary name is fixed).
absl::Status WriteFileAtomically(
    const std::string& path,
    const std::function<absl::Status(std::ostream&)>& write);
absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view contents);

// Removes `path` (a missing file is fine) and fsyncs its folder, so that the
// removal survives a crash.
absl::Status RemoveFileDurably(const std::string& path);
// Fsyncs the folder `path`: makes renames and removals in it durable.
absl::Status SyncFolder(const std::string& path);

// Append-only files of whole lines (interactions.tsv, audit.jsonl): a crash
// or power cut mid-append can leave a last line without its '\n', and the
// next append would glue a new record onto that fragment. Cuts the file open
// on `fd` (readable and writable) back to its last '\n' (to empty if it has
// none), fsyncs it, and logs to stderr what was cut. Returns the bytes cut,
// 0 when the file ends with a whole line. The caller excludes appenders.
absl::StatusOr<int64_t> CutTornLastLine(int fd, const std::string& path);
// The same on `path`; a missing file has nothing to cut.
absl::StatusOr<int64_t> CutTornLastLine(const std::string& path);

// What RecoverDataDir repaired.
struct DataDirRecovery {
  // Leftover temporaries of WriteFileAtomically that a crash left behind
  // (graph.tsv.tmp, ...): removed, they are never read and may hold data of
  // an erased person.
  int temporaries_removed = 0;
  // Bytes of torn last lines cut from interactions.tsv, outcomes.jsonl and
  // audit.jsonl.
  int64_t torn_bytes_cut = 0;
};

// Repairs what a crash leaves in a data folder's files outside the Xapian
// databases. Called by the writer (Catalog::Open, under the LOCK) before
// anything else writes.
absl::StatusOr<DataDirRecovery> RecoverDataDir(const DataDir& dir);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_DATA_DIR_H_
