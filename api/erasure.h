// Erasure: DeletePerson reaching every store that holds something of the
// person, with a journal so that a crash half-way is finished at the next
// start, and a receipt of what was removed.
#ifndef WHOKNOWS_API_ERASURE_H_
#define WHOKNOWS_API_ERASURE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "whoknows/v1/ingest.pb.h"

namespace whoknows::index {
class Catalog;
}

namespace whoknows::ranking {
class ModelStore;
class OutcomeStore;
}  // namespace whoknows::ranking

namespace whoknows::api {

// The stores an erasure goes through, in order. EraserOptions::after_stage
// is called after each one.
enum class ErasureStage {
  kJournalWritten,      // <data>/ERASURE names the person; nothing else changed
  kDerivedFilesHeld,    // graph.tsv, embeddings.bin removed and held back
  kInteractionsErased,  // interactions.tsv and outcomes.jsonl without them
  kCatalogErased,       // posts, people, likes, mentions, manager references
  kGraphPublished,      // a snapshot without them published, graph.tsv saved
  kModelUpdated,        // embeddings.bin rebuilt (or removed) without them
};

// What an erasure removed: the DeletePerson response, for the caller and the
// audit log.
struct ErasureReceipt {
  std::string person_id;
  bool profile_found = false;
  int posts_deleted = 0;
  int likes_removed = 0;
  int mentions_removed = 0;
  int manager_references_cleared = 0;
  int64_t interactions_removed = 0;   // lines they sent or alone received
  int64_t interactions_redacted = 0;  // lines they were one receiver of
  int64_t outcomes_removed = 0;       // outcomes they helped with or asked
  // The expertise model was rebuilt without them and persisted; false when
  // embeddings.bin was removed instead (rebuilt at the next start).
  bool model_updated = false;
  // Whether this finished an erasure a crash had interrupted.
  bool resumed = false;
  absl::Time erased_at;
};

struct EraserOptions {
  // The data folder of the catalog (for the journal, interactions.tsv and
  // embeddings.bin). Required.
  std::string data_dir;
  // The outcomes queries read (the server's); null: outcomes.jsonl is
  // rewritten directly (offline tools).
  ranking::OutcomeStore* outcomes = nullptr;
  // The time written in receipts.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Called with the receipt of each erasure this eraser finished for an
  // earlier one that had not completed (ResumePending, or Erase finishing
  // it first): Server::Start audits it and forgets their exposure counter,
  // as DeletePerson's handler does for the erasure it was asked for.
  std::function<void(const ErasureReceipt&)> on_resumed = nullptr;
  // Called when an erasure did not complete (its journal left; the next
  // erasure, or the next start, finishes it first), with a status that
  // names its code and the files involved, never the person (the caller of
  // DeletePerson gets the full error). Server::Start reports it among the
  // background errors (Admin.GetStatus, source "erasure").
  std::function<void(const absl::Status&)> on_incomplete = nullptr;
  // Test seam: called after each stage; a non-OK status stops the erasure
  // there, as a crash would (the journal stays). Unset in production.
  std::function<absl::Status(ErasureStage)> after_stage = nullptr;
};

// Erases people from a catalog, its interaction log and its derived files.
// Each erasure writes the journal <data>/ERASURE before it touches any
// store and removes it after the last, so `ResumePending` (called by
// Server::Start and `whoknows compact`) can finish one a crash interrupted:
// every stage is idempotent. Erasures run one at a time; an erasure that
// failed (its journal left) is finished before the next one begins, whose
// journal would otherwise replace it.
//
// Once the catalog has committed their erasure, no file in the data folder
// names the person but the Xapian databases' freed blocks (until
// Catalog::Compact), the journals (ERASURE, and BATCH while the catalog's
// own write commits) and audit.jsonl's record of the erasure, even when
// the process dies there: every other store is erased before that commit,
// and the files derived from published snapshots (graph.tsv,
// embeddings.bin) are removed before it and held back until a snapshot
// without them is published (Catalog::HoldDerivedFilesForErasure).
//
// Thread safety: every method may be called from any thread.
class Eraser {
 public:
  // `models` may be null (offline tools): embeddings.bin is then removed
  // rather than rebuilt, and the server rebuilds it at start.
  Eraser(index::Catalog& catalog, ranking::ModelStore* models,
         EraserOptions options);

  // Erases `person_id` from every store; returns when every store is done
  // (the journal gone). An unknown id is not an error: the receipt says
  // what there was. The deleted records stay in freed Xapian blocks until
  // Catalog::Compact.
  absl::StatusOr<ErasureReceipt> Erase(const std::string& person_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Finishes the erasure named by a journal left in the data folder, if
  // any: its receipt, or nullopt when there was none.
  absl::StatusOr<std::optional<ErasureReceipt>> ResumePending()
      ABSL_LOCKS_EXCLUDED(mu_);

  // The Ingest.DeletePerson RPC: validates, erases, fills the receipt.
  absl::StatusOr<v1::DeletePersonResponse> DeletePerson(
      const v1::DeletePersonRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `write`, a write that checks the people it names against the
  // published snapshot (RecordOutcome), never while an erasure goes from
  // its first store to the publish without the person (the model's rebuild
  // after it is not waited for): else it could pass its check while the
  // snapshot still holds someone being erased, after their stage was done,
  // and name them afterwards. Writes that run this way may run together.
  template <typename Write>
  auto OutsideErasures(Write write) ABSL_LOCKS_EXCLUDED(gate_mu_) {
    absl::ReaderMutexLock lock(&gate_mu_);
    return write();
  }

 private:
  // Erase's work: an earlier erasure left unfinished, then this one.
  absl::StatusOr<ErasureReceipt> EraseOrFinish(const std::string& person_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<ErasureReceipt> EraseLocked(const std::string& person_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ResumePending's work.
  absl::StatusOr<std::optional<ErasureReceipt>> ResumePendingLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Stage(ErasureStage stage) const;

  index::Catalog& catalog_;
  ranking::ModelStore* const models_;
  const EraserOptions options_;
  // One erasure at a time; guards the journal file.
  absl::Mutex mu_;
  // Held by an erasure from its first store to its publish (EraseLocked),
  // shared by OutsideErasures. Taken after mu_.
  absl::Mutex gate_mu_ ABSL_ACQUIRED_AFTER(mu_);
};

// The receipt as the DeletePerson response.
v1::DeletePersonResponse ToResponse(const ErasureReceipt& receipt);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_ERASURE_H_
