#include "index/interned.h"

#include <string.h>  // explicit_bzero

#include <array>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace whoknows::index {
namespace {

using Entry = Interned::Entry;

// Values nobody's data and (nearly) every record holds: never counted nor
// freed. The visibility of public posts and the ISO 639-1 codes posts are
// detected in (index/language.h: CLD2's codes with a Xapian stemmer, and a
// few common ones without).
constexpr std::string_view kImmortal[] = {
    "public", "ar", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr",
    "ga",     "hu", "hy", "id", "it", "ja", "ko", "lt", "ne", "nl", "no",
    "pl",     "pt", "ro", "ru", "sr", "sv", "ta", "tr", "uk", "zh",
};

// Hashes and compares entries by value, and finds them by a string_view.
struct ByValue {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return absl::Hash<std::string_view>()(s);
  }
  size_t operator()(const Entry* e) const { return (*this)(e->value); }
  bool operator()(const Entry* a, const Entry* b) const {
    return a->value == b->value;
  }
  bool operator()(const Entry* a, std::string_view b) const {
    return a->value == b;
  }
  bool operator()(std::string_view a, const Entry* b) const {
    return a == b->value;
  }
};

// Shards by hash, so that threads interning at once (the start-up's record
// reader, the writer, a model build) rarely wait for each other.
class Table {
 public:
  Table() {
    for (std::string_view s : kImmortal) {
      auto* e = const_cast<Entry*>(Intern(s));
      e->immortal = true;
      e->refs.store(0, std::memory_order_relaxed);  // never counted
    }
  }

  const Entry* Intern(std::string_view s) {
    const size_t hash = ByValue()(s);
    Shard& shard = shards_[hash % kShards];
    absl::MutexLock lock(&shard.mu);
    return InternLocked(shard, s, hash);
  }

  // The entries of `values`, in order, each counted once (null for the
  // empty string, which has none): one lock a shard.
  std::vector<const Entry*> InternAll(
      const std::vector<std::string_view>& values) {
    std::vector<size_t> hashes(values.size());
    std::array<std::vector<uint32_t>, kShards> by_shard;
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].empty()) continue;
      hashes[i] = ByValue()(values[i]);
      by_shard[hashes[i] % kShards].push_back(static_cast<uint32_t>(i));
    }
    std::vector<const Entry*> entries(values.size(), nullptr);
    for (size_t k = 0; k < kShards; ++k) {
      if (by_shard[k].empty()) continue;
      Shard& shard = shards_[k];
      absl::MutexLock lock(&shard.mu);
      // Grown once, not rehashed a few times on the way.
      shard.entries.reserve(shard.entries.size() + by_shard[k].size());
      for (uint32_t i : by_shard[k])
        entries[i] = InternLocked(shard, values[i], hashes[i]);
    }
    return entries;
  }

  // The last holder (as far as it knew) drops `e`: under the lock no one can
  // take it from the table, so a count that reaches 0 here stays 0.
  void Release(const Entry* e) {
    Shard& shard = shards_[e->shard];
    absl::MutexLock lock(&shard.mu);
    if (e->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    shard.entries.erase(e);
    // malloc does not clear what it frees: the value would stay readable in
    // a core file until the memory is reused.
    auto* gone = const_cast<Entry*>(e);
    explicit_bzero(gone->value.data(), gone->value.size());
    delete gone;
  }

  bool Contains(std::string_view s) {
    Shard& shard = shards_[ByValue()(s) % kShards];
    absl::MutexLock lock(&shard.mu);
    return shard.entries.contains(s);
  }

  size_t Size() {
    size_t n = 0;
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      n += shard.entries.size();
    }
    return n;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    absl::Mutex mu;
    // Entries never move: Interned holds pointers to them.
    absl::flat_hash_set<const Entry*, ByValue, ByValue> entries
        ABSL_GUARDED_BY(mu);
  };

  // `s`'s entry (of hash `hash`), counted once more for the caller.
  static const Entry* InternLocked(Shard& shard, std::string_view s,
                                   size_t hash)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
    // One hash and one probe (a find, then an insert on a miss, took two of
    // each).
    bool added = false;
    auto it = shard.entries.lazy_emplace(s, [&](const auto& construct) {
      auto* e = new Entry;
      e->value = std::string(s);
      e->refs.store(1, std::memory_order_relaxed);
      e->shard = static_cast<uint16_t>(hash % kShards);
      construct(e);
      added = true;
    });
    // Else held by someone (a count reaches 0 only under this lock, in
    // Release, which removes the entry before unlocking).
    if (!added && !(*it)->immortal)
      (*it)->refs.fetch_add(1, std::memory_order_relaxed);
    return *it;
  }

  std::array<Shard, kShards> shards_;
};

// Never destroyed: records may be read or dropped during static destruction.
Table& TheTable() {
  static Table* table = new Table();
  return *table;
}

}  // namespace

Interned::Entry& Interned::EmptyEntry() {
  static Entry* empty = [] {
    auto* e = new Entry;
    e->immortal = true;
    return e;
  }();
  return *empty;
}

const Interned& Interned::Public() {
  static const Interned* public_value = new Interned("public");
  return *public_value;
}

std::vector<Interned> Interned::InternAll(
    const std::vector<std::string_view>& values) {
  std::vector<Interned> out;
  out.reserve(values.size());
  for (const Entry* e : TheTable().InternAll(values)) {
    if (e == nullptr) {
      out.emplace_back();
    } else {
      out.push_back(Interned(e, Counted{}));
    }
  }
  return out;
}

const Interned::Entry* Interned::Intern(std::string_view s) {
  if (s.empty()) return &EmptyEntry();
  return TheTable().Intern(s);
}

void Interned::Release(const Entry* e) { TheTable().Release(e); }

size_t Interned::TableSize() { return TheTable().Size(); }

bool Interned::TableContains(std::string_view s) {
  return TheTable().Contains(s);
}

Interned::Copier::Copier(const std::vector<Interned>& table)
    : table_(&table), made_(table.size(), 0), owner_(table.size(), 0) {
  // Once an entry, however many slots name it (a damaged table may repeat
  // a value): the provisional counts must not add up past 2^32.
  absl::flat_hash_set<const Entry*> seen;
  seen.reserve(table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const Entry* e = table[i].s_;
    if (e->immortal || !seen.insert(e).second) continue;
    owner_[i] = 1;
    e->refs.fetch_add(kProvisional, std::memory_order_relaxed);
  }
}

Interned::Copier::~Copier() {
  for (size_t i = 0; i < table_->size(); ++i) {
    const Entry* e = (*table_)[i].s_;
    if (e->immortal) continue;
    // The table's own holder keeps the count above zero throughout: the
    // copies dropped meanwhile came off the provisional part.
    if (made_[i] > 0) e->refs.fetch_add(made_[i], std::memory_order_relaxed);
    if (owner_[i]) e->refs.fetch_sub(kProvisional, std::memory_order_release);
  }
}

}  // namespace whoknows::index
