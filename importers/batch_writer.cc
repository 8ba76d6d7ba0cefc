#include "importers/batch_writer.h"

#include <algorithm>

#include "common/status_macros.h"

namespace whoknows::importers {

BatchWriter::BatchWriter(index::Catalog& catalog, int batch_size)
    : catalog_(catalog),
      log_(catalog.options().data_dir, catalog.options().validation),
      batch_size_(std::max(1, batch_size)),
      before_(catalog.snapshot()) {}

bool BatchWriter::Known(const std::string& person_id) const {
  return known_.contains(person_id) ||
         (before_ && before_->FindPerson(person_id) != nullptr);
}

absl::Status BatchWriter::Add(v1::Person p) {
  // A minimal record still pending for this id is superseded.
  if (!known_.insert(p.id()).second) {
    std::erase_if(minimal_,
                  [&](const v1::Person& m) { return m.id() == p.id(); });
  }
  people_.push_back(std::move(p));
  return MaybeFlush();
}

absl::Status BatchWriter::AddMinimal(v1::Person p) {
  if (Known(p.id())) return absl::OkStatus();
  known_.insert(p.id());
  minimal_.push_back(std::move(p));
  return MaybeFlush();
}

absl::Status BatchWriter::Add(v1::Post p) {
  if (!p.author_id().empty() && !Known(p.author_id())) {
    v1::Person author;
    author.set_id(p.author_id());
    WK_RETURN_IF_ERROR(AddMinimal(std::move(author)));
  }
  posts_.push_back(std::move(p));
  return MaybeFlush();
}

absl::Status BatchWriter::Add(index::Interaction i) {
  interactions_.push_back(std::move(i));
  return MaybeFlush();
}

absl::Status BatchWriter::Flush() {
  WK_RETURN_IF_ERROR(WriteBatch());
  // What the catalog's bulk loading (CatalogOptions::bulk_commit_records)
  // left pending.
  return catalog_.Commit();
}

absl::Status BatchWriter::WriteBatch() {
  // People first, then posts, then interactions: a reader never sees a post
  // or a message whose author the same batch brings before that author.
  if (!people_.empty()) {
    WK_RETURN_IF_ERROR(catalog_.UpsertPeople(people_));
    stats.people += static_cast<int64_t>(people_.size());
    people_.clear();
  }
  if (!minimal_.empty()) {
    index::UpsertPolicy only_new;
    only_new.only_new = true;
    WK_RETURN_IF_ERROR(catalog_.UpsertPeople(minimal_, only_new));
    stats.minimal_people += static_cast<int64_t>(minimal_.size());
    minimal_.clear();
  }
  if (!posts_.empty()) {
    WK_RETURN_IF_ERROR(catalog_.UpsertPosts(posts_));
    stats.posts += static_cast<int64_t>(posts_.size());
    posts_.clear();
  }
  if (!interactions_.empty()) {
    // Committed first, so that no message in the log names someone the
    // catalog's bulk loading has not committed yet.
    WK_RETURN_IF_ERROR(catalog_.Commit());
    WK_RETURN_IF_ERROR(log_.Append(interactions_));
    stats.interactions += static_cast<int64_t>(interactions_.size());
    interactions_.clear();
  }
  return absl::OkStatus();
}

absl::Status BatchWriter::FlushThen(absl::Status failure) {
  WK_RETURN_IF_ERROR(Flush());
  return failure;
}

bool BatchWriter::JustFlushed() const {
  return people_.empty() && minimal_.empty() && posts_.empty() &&
         interactions_.empty();
}

absl::Status BatchWriter::MaybeFlush() {
  if (static_cast<int>(people_.size() + minimal_.size() + posts_.size() +
                       interactions_.size()) >= batch_size_)
    return WriteBatch();
  return absl::OkStatus();
}

}  // namespace whoknows::importers
