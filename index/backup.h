// Backup and restore of a data folder, also while a server writes it.
//
// A backup is one POSIX tar file (`tar tf` lists it): MANIFEST.json first,
// then the primary data at one consistent cut:
//   posts/, private_posts/, people/   Xapian databases, compacted copies of
//                                     one revision each
//   interactions.tsv                  its whole lines
//   outcomes.jsonl, audit.jsonl,      when present (whole lines of the
//   fusion.json                       logs)
//   ERASURE                           when an erasure was in progress: the
//                                     restored folder finishes it at start
//   BATCH                             when the cut fell between the commits
//                                     of a write spanning databases: the
//                                     restored folder's open finishes it
// Derived files (graph.tsv, embeddings.bin) are left out: the server
// rebuilds them from the posts.
//
// The cut, taken as a reader (no lock; the server keeps serving and
// writing): the three databases' revisions are read, the batch journal
// (index/batch_journal.h) if there is one, the erasure journal
// and interactions.tsv (under the flock appends and erasures take) are
// copied, the three databases are opened, the journal is read again and
// the revisions compared with the first ones. Equal revisions mean no
// commit landed in between, so the copy is what a crash at that moment
// would have left, which Catalog::Open repairs like any crash; otherwise
// it starts over (up to BackupOptions::attempts). Each database is then
// compacted from its open revision (a writer committing meanwhile can
// invalidate it: that attempt starts over too).
#ifndef WHOKNOWS_INDEX_BACKUP_H_
#define WHOKNOWS_INDEX_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/data_dir.h"

namespace whoknows::index {

struct BackupOptions {
  // Cuts tried before giving up with UNAVAILABLE. Each failed one costs a
  // reread of interactions.tsv and, late, part of a compaction; more ride
  // out heavier write traffic.
  int attempts = 50;
};

// One file of a backup.
struct BackupFile {
  std::string path;  // relative to the data folder, '/'-separated
  int64_t bytes = 0;
  std::string sha256;  // hex
};

// MANIFEST.json: what a backup holds, written first in the tar.
struct BackupManifest {
  std::string format = "whoknows-backup-1";
  std::string created;         // UTC, RFC 3339
  std::string xapian_version;  // of the writer of the copies
  int64_t posts = 0;           // public posts
  int64_t private_posts = 0;
  int64_t people = 0;
  int64_t interactions = 0;  // lines of interactions.tsv
  std::string erasure;       // the journalled id, when one was pending
  int attempts = 0;          // cuts it took
  std::vector<BackupFile> files;
};

// Writes a consistent copy of `dir` to the tar `out` (replaced atomically;
// a staging folder `<out>.staging` is used and removed). FAILED_PRECONDITION
// when `dir` holds no whoknows data; UNAVAILABLE when no cut held still.
absl::StatusOr<BackupManifest> Backup(const DataDir& dir,
                                      const std::string& out,
                                      const BackupOptions& options = {});

// Unpacks the tar `in` into `dir` after checking every file against the
// manifest (size and SHA-256; DATA_LOSS naming the file otherwise). A
// crafted archive is DATA_LOSS too, before anything is allocated or
// written for it: an entry that is not a regular file (links, folders), a
// size field that is not octal or reaches past the end of the file or
// differs from the manifest's, a manifest over 16 MiB, a path that is
// unsafe, listed twice or below another file's. Entries are streamed to
// disk, never held whole in memory. `dir`
// must be missing or empty unless `force`, which replaces what is there
// (FAILED_PRECONDITION while another process holds its LOCK). The files
// go to `<dir>.restoring` first, fsynced, and are renamed into place.
absl::StatusOr<BackupManifest> Restore(const std::string& in,
                                       const DataDir& dir, bool force);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_BACKUP_H_
