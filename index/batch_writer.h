// The write path shared by the importers (index/importer.cc,
// index/interactions.cc). Internal to index/.
#ifndef WHOKNOWS_INDEX_BATCH_WRITER_H_
#define WHOKNOWS_INDEX_BATCH_WRITER_H_

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "index/catalog.h"
#include "index/interactions.h"

namespace whoknows::index {

// Collects imported records into batches and commits them: people and posts
// to the catalog, interactions to the data folder's interaction log. The one
// write path of every importer (JSONL, Stack Exchange, Enron, interactions).
// Not thread-safe; one per import.
class BatchWriter {
 public:
  BatchWriter(Catalog& catalog, int batch_size)
      : catalog_(catalog),
        log_(catalog.options().data_dir),
        batch_size_(std::max(1, batch_size)) {}
  absl::Status Add(v1::Person p) {
    people_.push_back(std::move(p));
    return MaybeFlush();
  }
  absl::Status Add(v1::Post p) {
    posts_.push_back(std::move(p));
    return MaybeFlush();
  }
  absl::Status Add(Interaction i) {
    interactions_.push_back(std::move(i));
    return MaybeFlush();
  }
  absl::Status Flush() {
    if (!people_.empty()) {
      if (auto s = catalog_.UpsertPeople(people_); !s.ok()) return s;
      stats.people += static_cast<int64_t>(people_.size());
      people_.clear();
    }
    if (!posts_.empty()) {
      if (auto s = catalog_.UpsertPosts(posts_); !s.ok()) return s;
      stats.posts += static_cast<int64_t>(posts_.size());
      posts_.clear();
    }
    if (!interactions_.empty()) {
      if (auto s = log_.Append(interactions_); !s.ok()) return s;
      stats.interactions += static_cast<int64_t>(interactions_.size());
      interactions_.clear();
    }
    return absl::OkStatus();
  }
  bool JustFlushed() const {
    return people_.empty() && posts_.empty() && interactions_.empty();
  }
  InteractionImportStats stats;

 private:
  absl::Status MaybeFlush() {
    if (static_cast<int>(people_.size() + posts_.size() +
                         interactions_.size()) >= batch_size_)
      return Flush();
    return absl::OkStatus();
  }
  Catalog& catalog_;
  InteractionLog log_;
  int batch_size_;
  std::vector<v1::Person> people_;
  std::vector<v1::Post> posts_;
  std::vector<Interaction> interactions_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_BATCH_WRITER_H_
