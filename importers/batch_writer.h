// The write path shared by every importer. Internal to importers/.
#ifndef WHOKNOWS_IMPORTERS_BATCH_WRITER_H_
#define WHOKNOWS_IMPORTERS_BATCH_WRITER_H_

#include <memory>
#include <string>
#include <unordered_set>
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
  // A directory record: always written, replacing what is stored.
  absl::Status Add(v1::Person p);
  // A minimal record for someone known only from their posts (an id and
  // perhaps a display name): written only when neither the catalog (as it
  // was when the import began) nor this import has a record for the id, and
  // then with UpsertPolicy::only_new, so it never replaces a directory record
  // or its opt-out. A later Add(Person) of the id replaces it.
  absl::Status AddMinimal(v1::Person p);
  // A post; its author, when nobody has a record for them, gets a minimal
  // one (AddMinimal with the id only).
  absl::Status Add(v1::Post p);
  absl::Status Add(index::Interaction i);
  // Writes whatever is pending and commits it (with what the catalog's
  // bulk loading left uncommitted): the end of an import.
  absl::Status Flush();
  // Ends an import that failed with `failure`: commits what was read before
  // it (nothing valid is lost), then returns `failure` (or the commit's own
  // error).
  absl::Status FlushThen(absl::Status failure);
  // True right after a batch was written (nothing pending here; the
  // catalog may still hold it uncommitted, CatalogOptions::
  // bulk_commit_records).
  bool JustFlushed() const;
  // What was committed so far; `skipped` is the importer's to fill.
  ImportStats stats;

 private:
  absl::Status MaybeFlush();
  // Writes the pending records to the catalog (and interactions to the
  // log), one batch.
  absl::Status WriteBatch();
  // Whether someone has a record: stored before the import, or written or
  // pending in it.
  bool Known(const std::string& person_id) const;
  index::Catalog& catalog_;
  index::InteractionLog log_;
  int batch_size_;
  // The catalog when the import began: who had a record then.
  std::shared_ptr<const index::Snapshot> before_;
  // Ids given a record (directory or minimal) by this import.
  std::unordered_set<std::string> known_;
  std::vector<v1::Person> people_;
  std::vector<v1::Person> minimal_;  // written after people_, only_new
  std::vector<v1::Post> posts_;
  std::vector<index::Interaction> interactions_;
};

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_BATCH_WRITER_H_
