// What every importer shares: its options, its statistics, its progress
// reports and its one policy for malformed records.
#ifndef WHOKNOWS_IMPORTERS_IMPORT_H_
#define WHOKNOWS_IMPORTERS_IMPORT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "index/validation.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::importers {

struct ImportProgress {
  std::string phase;        // e.g. "Posts.xml"
  int64_t records = 0;      // records read so far in this phase
  int64_t bytes_done = 0;   // bytes of input consumed in this phase
  int64_t bytes_total = 0;  // size of the phase's input, 0 if unknown
  int64_t posts = 0;        // posts written so far (JSONL; 0 elsewhere)
};

struct ImportOptions {
  // Fail on the first malformed record instead of skipping it. Batches
  // committed before it stay.
  bool strict = false;
  // Records written per commit. Bigger batches import faster and lose more
  // work to a crash mid-batch.
  int batch_size = 2000;
  // Only records created before this time (unix seconds); 0 means all. Used
  // by evaluation to ingest only what existed at a cut-off.
  int64_t created_before = 0;
  // The clock and future tolerance that records' timestamps are checked
  // against (a record dated too far ahead is malformed: skipped, or the end
  // of a strict import). The catalog checks again with its own
  // CatalogOptions::validation, so the two should agree.
  index::ValidationOptions validation;
  // Called after each batch and at the end of each phase. Optional.
  std::function<void(const ImportProgress&)> on_progress;
  // Called with "file:line: reason" (or "file row Id=N: reason") for each
  // skipped record. Optional.
  std::function<void(const std::string&)> on_problem;
};

struct ImportStats {
  int64_t people = 0;  // people written from directory records
  // People known only as the author of a post (a dump without Users.xml, a
  // post whose author the directory does not have yet): written as minimal
  // records, an id and a display name when the input has one. A later
  // directory record replaces them; they never replace one.
  int64_t minimal_people = 0;
  int64_t posts = 0;         // posts written (comments included)
  int64_t interactions = 0;  // interactions appended to the data folder's log
  int64_t skipped = 0;       // malformed records skipped
  // Well-formed posts with no text (no title and no body once the HTML is
  // gone: a placeholder, an answer that is only an image): not written, and
  // not malformed either, so they do not count as skipped.
  int64_t empty_posts = 0;
};

// True when `post` has neither a title nor a body and is otherwise valid
// (index::ValidatePost would accept it with a title): one of
// ImportStats::empty_posts rather than a malformed record.
bool IsEmptyPost(const v1::Post& post, const index::ValidationOptions& options);

// The one policy for malformed records, shared by every reader: in strict
// mode the first one stops the import with INVALID_ARGUMENT; otherwise it is
// counted, passed to on_problem, and the import goes on.
// Not thread-safe; one per import.
class BadRecords {
 public:
  explicit BadRecords(const ImportOptions& options) : options_(options) {}
  // `where_and_why` is "file:line: reason". OK when the import may go on.
  absl::Status Report(const std::string& where_and_why);
  int64_t skipped() const { return skipped_; }

 private:
  const ImportOptions& options_;
  int64_t skipped_ = 0;
};

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_IMPORT_H_
