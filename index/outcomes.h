// Outcomes: who actually helped with a question, as the intranet reports it
// (Ingest.RecordOutcome). They are kept beside the posts, not among them: an
// outcome is not a post of the helper's, and a question it names may not be
// in whoknows at all (then the outcome carries the question's text).
#ifndef WHOKNOWS_INDEX_OUTCOMES_H_
#define WHOKNOWS_INDEX_OUTCOMES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/validation.h"
#include "whoknows/v1/ingest.pb.h"

namespace whoknows::index {

// The body of an outcome's question is matched, never shown: it need not be
// a whole post's.
inline constexpr size_t kMaxOutcomeBodyBytes = 16384;

// INVALID_ARGUMENT naming the field ("outcome.helper_id: required") or OK:
// the outcome on its own (ids, sizes, kind, time against options.clock()).
// Whether the helper and the question exist is the caller's to check.
// Lowercases tags as posts' are.
absl::Status ValidateOutcome(v1::Outcome* outcome, std::string_view where,
                             const ValidationOptions& options);

// The outcomes of a data folder: an append-only file `outcomes.jsonl`, one
// JSON object a line, with the care of interactions.tsv: each append is one
// write of a whole line, fsynced before it returns; a torn last line (a
// crash mid-append) is ignored by Load and cut by the next Append (and by
// index::RecoverDataDir at open). An erasure rewrites the file atomically.
//
// Thread safety: every method may be called from any thread; Append and
// RemovePerson exclude each other (one writer process: the data folder's
// LOCK holder).
class OutcomeLog {
 public:
  explicit OutcomeLog(std::string data_dir);
  // Appends a validated outcome (ValidateOutcome) and fsyncs.
  absl::Status Append(const v1::Outcome& outcome) ABSL_LOCKS_EXCLUDED(mu_);
  // Every outcome in file order, a later line with an id replacing the
  // earlier one in its place. A missing file is no outcome; a line that is
  // not an outcome is DATA_LOSS naming the file and line.
  absl::StatusOr<std::vector<v1::Outcome>> Load() const;
  // Erasure: rewrites the file (index::WriteFileAtomically) without every
  // outcome whose helper or asker is `person_id`; returns how many went.
  // The old bytes are in no file of the folder afterwards.
  absl::StatusOr<int64_t> RemovePerson(const std::string& person_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::string path() const;

 private:
  std::string data_dir_;
  absl::Mutex mu_;  // Append and RemovePerson, one at a time
};

// One outcome as its line in outcomes.jsonl (without the '\n'), and back.
std::string OutcomeToJsonLine(const v1::Outcome& outcome);
absl::StatusOr<v1::Outcome> OutcomeFromJsonLine(std::string_view line);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_OUTCOMES_H_
