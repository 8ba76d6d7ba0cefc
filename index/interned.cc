#include "index/interned.h"

#include <array>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace whoknows::index {
namespace {

// Shards by hash, so that threads interning at once (the start-up's record
// reader, the writer, a model build) rarely wait for each other.
class Table {
 public:
  const std::string* Intern(std::string_view s) {
    Shard& shard = shards_[absl::Hash<std::string_view>()(s) % kShards];
    absl::MutexLock lock(&shard.mu);
    return &*shard.strings.emplace(s).first;
  }

  size_t Size() {
    size_t n = 0;
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      n += shard.strings.size();
    }
    return n;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    absl::Mutex mu;
    // Nodes never move: Interned holds pointers to them.
    absl::node_hash_set<std::string> strings ABSL_GUARDED_BY(mu);
  };
  std::array<Shard, kShards> shards_;
};

// Never destroyed: records may be read during static destruction.
Table& TheTable() {
  static Table* table = new Table();
  return *table;
}

}  // namespace

const std::string& Interned::Empty() {
  static const std::string* empty = new std::string();
  return *empty;
}

const std::string* Interned::Intern(std::string_view s) {
  if (s.empty()) return &Empty();
  return TheTable().Intern(s);
}

size_t Interned::TableSize() { return TheTable().Size(); }

}  // namespace whoknows::index
