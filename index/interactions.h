// Interactions: who wrote to whom and when (e-mails, chats, meetings), the
// raw material of network analyses besides the posts. They are not posts:
// they carry no text worth indexing, only a sender, receivers and a time.
#ifndef WHOKNOWS_INDEX_INTERACTIONS_H_
#define WHOKNOWS_INDEX_INTERACTIONS_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/validation.h"

namespace whoknows::index {

inline constexpr size_t kMaxReceivers = 1000;
inline constexpr size_t kMaxKindBytes = 32;

// One message from one person to one or more people.
struct Interaction {
  // Optional id; a later interaction with the same non-empty id replaces an
  // earlier one, so re-importing a source is idempotent.
  std::string id;
  std::string from;              // person id, required
  std::vector<std::string> to;   // person ids, 1-1000, none equal to `from`
  int64_t time = 0;              // unix seconds, required (> 0)
  std::string kind = "message";  // e.g. "email", "chat"; 1-32 bytes
};

// INVALID_ARGUMENT naming the field ("interaction.to[2]: ...") or OK. The
// time is checked as every timestamp is (index::CheckTime).
absl::Status ValidateInteraction(const Interaction& interaction,
                                 std::string_view where,
                                 const ValidationOptions& options);

// The interactions of a data folder: an append-only tab-separated file
// `interactions.tsv` beside the Xapian databases (id, time, kind, from,
// receivers...). Appends are single writes of whole lines, so a reader never
// sees half a batch; a torn last line after a crash is ignored by Load and
// cut by the next Append (and by Catalog::Open, index::RecoverDataDir), so
// that new records never land on its fragment.
//
// What InteractionLog::RemovePerson changed.
struct InteractionErasure {
  // Lines dropped: the person sent them, or was their only receiver.
  int64_t removed = 0;
  // Lines kept without the person among their receivers.
  int64_t redacted = 0;
};

// Thread safety: Append from one writer at a time (the importer); Load from
// any thread, also while a writer appends. RemovePerson and Append exclude
// each other, across threads and processes, by an flock on the file.
class InteractionLog {
 public:
  // `validation` checks the times of appended interactions.
  explicit InteractionLog(std::string data_dir,
                          ValidationOptions validation = {});
  // Validates the whole batch first (nothing is written on error), cuts a
  // torn last line left by a crash (index::CutTornLastLine), then appends
  // and fsyncs.
  absl::Status Append(std::span<const Interaction> batch) const;
  // Every interaction, in file order, with later duplicates of an id
  // replacing earlier ones. A missing file is an empty log.
  absl::StatusOr<std::vector<Interaction>> Load() const;
  // Erasure: rewrites the file (index::WriteFileAtomically) without any line
  // that `person_id` sent, and without them among any line's receivers (a
  // line left with no receiver is dropped). A torn last line is dropped
  // too. The file's bytes are replaced, not edited in place, so the old text
  // is no longer in any file of the folder.
  absl::StatusOr<InteractionErasure> RemovePerson(
      const std::string& person_id) const;
  std::string path() const;

 private:
  std::string data_dir_;
  ValidationOptions validation_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_INTERACTIONS_H_
