#include "api/erasure.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/interactions.h"
#include "index/outcomes.h"
#include "ranking/expertise_model.h"
#include "ranking/outcomes.h"

namespace whoknows::api {
namespace {

// The person id a journal names; NOT_FOUND when there is no journal.
absl::StatusOr<std::string> ReadJournal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no journal at ", path));
  std::stringstream text;
  text << in.rdbuf();
  // The id exactly as written (ids may begin or end with spaces): only the
  // one newline the writer adds is taken off.
  std::string id = text.str();
  if (id.ends_with('\n')) id.pop_back();
  if (id.empty()) {
    // Torn before the rename cannot happen (it is written atomically), so
    // an empty journal was never ours: nothing to finish.
    return std::string();
  }
  return id;
}

}  // namespace

Eraser::Eraser(index::Catalog& catalog, ranking::ModelStore* models,
               EraserOptions options)
    : catalog_(catalog), models_(models), options_(std::move(options)) {}

absl::Status Eraser::Stage(ErasureStage stage) const {
  return options_.after_stage ? options_.after_stage(stage) : absl::OkStatus();
}

absl::StatusOr<ErasureReceipt> Eraser::Erase(const std::string& person_id) {
  if (person_id.empty())
    return absl::InvalidArgumentError("person_id: required");
  absl::StatusOr<ErasureReceipt> erased = EraseOrFinish(person_id);
  if (!erased.ok() && options_.on_incomplete) {
    options_.on_incomplete(absl::Status(
        erased.status().code(),
        "an erasure did not complete (DeletePerson's caller got the error): "
        "while ERASURE is in the data folder, the next erasure (or the next "
        "start) finishes it first, and graph.tsv and embeddings.bin may be "
        "held back until then"));
  }
  return erased;
}

absl::StatusOr<ErasureReceipt> Eraser::EraseOrFinish(
    const std::string& person_id) {
  absl::MutexLock lock(&mu_);
  // An earlier erasure of someone else that failed half-way left its
  // journal: finished first, since this one's journal would replace it.
  auto pending =
      ReadJournal(index::DataDir(options_.data_dir).erasure_journal());
  if (pending.ok() && *pending != person_id) {
    if (auto resumed = ResumePendingLocked(); !resumed.ok()) {
      return absl::Status(
          resumed.status().code(),
          absl::StrCat("finishing an earlier erasure that did not complete: ",
                       resumed.status().message()));
    }
  }
  return EraseLocked(person_id);
}

absl::StatusOr<std::optional<ErasureReceipt>> Eraser::ResumePending() {
  absl::MutexLock lock(&mu_);
  return ResumePendingLocked();
}

absl::StatusOr<std::optional<ErasureReceipt>> Eraser::ResumePendingLocked() {
  const std::string journal =
      index::DataDir(options_.data_dir).erasure_journal();
  auto id = ReadJournal(journal);
  if (absl::IsNotFound(id.status())) return std::nullopt;
  if (!id.ok()) return id.status();
  if (id->empty()) {
    WK_RETURN_IF_ERROR(index::RemoveFileDurably(journal));
    return std::nullopt;
  }
  WK_ASSIGN_OR_RETURN(ErasureReceipt receipt, EraseLocked(*id));
  receipt.resumed = true;
  if (options_.on_resumed) options_.on_resumed(receipt);
  return receipt;
}

absl::StatusOr<ErasureReceipt> Eraser::EraseLocked(
    const std::string& person_id) {
  const index::DataDir dir(options_.data_dir);
  ErasureReceipt receipt;
  receipt.person_id = person_id;
  // 1. The journal, before any store changes: a crash from here on is
  //    finished by ResumePending. Every stage below is idempotent.
  WK_RETURN_IF_ERROR(
      index::WriteFileAtomically(dir.erasure_journal(), person_id + "\n"));
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kJournalWritten));

  // 2. The files derived from what is published, removed and held back
  //    until stage 5 publishes a snapshot without them, before the catalog
  //    forgets them: a crash after stage 4's commit leaves no file that
  //    names them, and no graph save or model build that began before can
  //    write them back.
  WK_RETURN_IF_ERROR(catalog_.HoldDerivedFilesForErasure());
  WK_RETURN_IF_ERROR(models_ != nullptr
                         ? models_->RemovePersisted()
                         : index::RemoveFileDurably(dir.embeddings()));
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kDerivedFilesHeld));

  // From here to the publish, writes that check people against the
  // published snapshot wait (OutsideErasures).
  absl::ReleasableMutexLock gate(&gate_mu_);

  // 3. Their e-mails and chats.
  WK_ASSIGN_OR_RETURN(
      index::InteractionErasure interactions,
      index::InteractionLog(options_.data_dir).RemovePerson(person_id));
  receipt.interactions_removed = interactions.removed;
  receipt.interactions_redacted = interactions.redacted;
  // ... and the outcomes they helped with or asked.
  WK_ASSIGN_OR_RETURN(
      receipt.outcomes_removed,
      options_.outcomes != nullptr
          ? options_.outcomes->RemovePerson(person_id)
          : index::OutcomeLog(options_.data_dir).RemovePerson(person_id));
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kInteractionsErased));

  // 4. The catalog: their posts, profile, likes, mentions, manager links.
  //    Last of the stores, so that once it has forgotten them (and
  //    queries, after the publish, cannot find them) no file does.
  WK_ASSIGN_OR_RETURN(index::DeletePersonResult deleted,
                      catalog_.DeletePerson(person_id));
  receipt.profile_found = deleted.found;
  receipt.posts_deleted = deleted.posts_deleted;
  receipt.likes_removed = deleted.likes_removed;
  receipt.mentions_removed = deleted.mentions_removed;
  receipt.manager_references_cleared = deleted.manager_references_cleared;
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kCatalogErased));

  // 5. A snapshot without them, which rewrites graph.tsv; its failure to
  //    save is kept as the catalog's background error.
  catalog_.Refresh();
  if (absl::Status graph = catalog_.background_error(); !graph.ok()) {
    return absl::Status(
        graph.code(),
        absl::StrCat("erasing ", person_id,
                     " from the colleague graph: ", graph.message()));
  }
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kGraphPublished));
  gate.Release();

  // 6. The expertise model: rebuilt from that snapshot and persisted, so
  //    embeddings.bin holds neither their vector nor their posts' terms.
  //    Without a model store, or when the rebuild fails (e.g. nothing left
  //    to learn from), the file is removed: it is derived data, rebuilt when
  //    missing.
  if (models_ != nullptr) {
    absl::Status rebuilt = models_->RebuildNow();
    receipt.model_updated = rebuilt.ok();
    if (!rebuilt.ok()) {
      std::fprintf(stderr,
                   "whoknows: erasure: rebuilding the expertise model failed "
                   "(%s); removing %s instead\n",
                   rebuilt.ToString().c_str(), dir.embeddings().c_str());
    }
  }
  if (!receipt.model_updated)
    WK_RETURN_IF_ERROR(index::RemoveFileDurably(dir.embeddings()));
  WK_RETURN_IF_ERROR(Stage(ErasureStage::kModelUpdated));

  // 7. Done everywhere: the journal goes.
  WK_RETURN_IF_ERROR(index::RemoveFileDurably(dir.erasure_journal()));
  receipt.erased_at = options_.clock();
  return receipt;
}

absl::StatusOr<v1::DeletePersonResponse> Eraser::DeletePerson(
    const v1::DeletePersonRequest& request) {
  WK_ASSIGN_OR_RETURN(ErasureReceipt receipt, Erase(request.person_id()));
  return ToResponse(receipt);
}

v1::DeletePersonResponse ToResponse(const ErasureReceipt& r) {
  v1::DeletePersonResponse out;
  out.set_found(r.profile_found);
  out.set_posts_deleted(r.posts_deleted);
  out.set_likes_removed(r.likes_removed);
  out.set_mentions_removed(r.mentions_removed);
  out.set_manager_references_cleared(r.manager_references_cleared);
  out.set_interactions_removed(r.interactions_removed);
  out.set_interactions_redacted(r.interactions_redacted);
  out.set_outcomes_removed(r.outcomes_removed);
  out.set_model_updated(r.model_updated);
  const int64_t nanos = absl::ToUnixNanos(r.erased_at);
  out.mutable_erased_at()->set_seconds(nanos / 1000000000);
  out.mutable_erased_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return out;
}

}  // namespace whoknows::api
