// The write path shared by every importer. Internal to importers/.
#ifndef WHOKNOWS_IMPORTERS_BATCH_WRITER_H_
#define WHOKNOWS_IMPORTERS_BATCH_WRITER_H_

#include <vector>

#include "absl/status/status.h"
#include "importers/import.h"
#include "index/catalog.h"
#include "index/interactions.h"

namespace whoknows::importers {

// Collects imported records into batches and commits them: people and posts
// to the catalog, interactions to the data folder's interaction log. The one
// write path of every importer (JSONL, Stack Exchange, Enron, interactions).
// Not thread-safe; one per import.
class BatchWriter {
 public:
  BatchWriter(index::Catalog& catalog, int batch_size);
  absl::Status Add(v1::Person p);
  absl::Status Add(v1::Post p);
  absl::Status Add(index::Interaction i);
  // Commits whatever is pending.
  absl::Status Flush();
  // Ends an import that failed with `failure`: commits what was read before
  // it (nothing valid is lost), then returns `failure` (or the commit's own
  // error).
  absl::Status FlushThen(absl::Status failure);
  // True right after a batch was committed (nothing pending).
  bool JustFlushed() const;
  // What was committed so far; `skipped` is the importer's to fill.
  ImportStats stats;

 private:
  absl::Status MaybeFlush();
  index::Catalog& catalog_;
  index::InteractionLog log_;
  int batch_size_;
  std::vector<v1::Person> people_;
  std::vector<v1::Post> posts_;
  std::vector<index::Interaction> interactions_;
};

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_BATCH_WRITER_H_
