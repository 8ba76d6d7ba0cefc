// Interned strings for the fields that post records repeat (authors,
// threads, groups, languages, tags, people who liked or were mentioned):
// at 1M posts a std::string a field (32 bytes) was a third of the records'
// memory, for a few hundred thousand distinct values.
#ifndef WHOKNOWS_INDEX_INTERNED_H_
#define WHOKNOWS_INDEX_INTERNED_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace whoknows::index {

// A string held as one pointer into a process-wide table that stores each
// distinct value once: 8 bytes where a std::string takes 32, and equality is
// a pointer comparison. Reads like a const std::string (it converts to
// one), so record fields can change type without their readers changing;
// writes replace the whole value (assignment interns).
//
// The table is process-wide (not a Snapshot's) because records outlive
// snapshots in the model and in callers' copies. Each entry counts the
// Interned that hold it, and the last one to go removes it from the table
// and frees it: after an erasure, once every record, snapshot and model
// that named the person is gone, neither their id nor a tag or group only
// they used is left in the process's memory (docs/operations.md,
// "Compaction and erasure"). The empty string, "public" and the language
// codes are immortal (never counted, never freed): they are nobody's data,
// and every record holds them, so counting them would make every thread
// that copies or drops a record write to the same cache line.
//
// Thread safety: Interned is a value; interning and dropping the last
// holder of a value lock one shard of the table; copying and dropping
// another holder change the entry's count atomically; reading does not
// synchronize (an interned string never moves or changes while held).
class Interned {
 public:
  // A table entry: the value first, so that reading one is reading a
  // std::string. `refs` counts the Interned holding it (an immortal entry's
  // stays 0 and is never read).
  struct Entry {
    std::string value;
    mutable std::atomic<uint32_t> refs{0};
    uint16_t shard = 0;
    bool immortal = false;
  };

  Interned() noexcept : s_(&EmptyEntry()) {}
  Interned(std::string_view s) : s_(Intern(s)) {}    // NOLINT: implicit
  Interned(const std::string& s) : s_(Intern(s)) {}  // NOLINT: implicit
  Interned(const char* s) : s_(Intern(s)) {}         // NOLINT: implicit
  Interned(const Interned& other) noexcept : s_(other.s_) { Hold(s_); }
  Interned(Interned&& other) noexcept : s_(other.s_) {
    other.s_ = &EmptyEntry();
  }
  // "public", interned once: a default that every record starts from
  // (PostMeta::visibility) would otherwise take the table's lock, a hash
  // and a probe at every record read (a quarter of derived.bin's read).
  static const Interned& Public();
  // Each of `values` interned, in order: what assigning them one by one
  // would hold, for a lock of each of the table's shards instead of one a
  // value (derived.bin's string table: a few hundred thousand values at
  // 1M posts, read at start-up).
  static std::vector<Interned> InternAll(
      const std::vector<std::string_view>& values);
  Interned& operator=(const Interned& other) noexcept {
    Hold(other.s_);  // first: `other` may be this
    Drop(s_);
    s_ = other.s_;
    return *this;
  }
  Interned& operator=(Interned&& other) noexcept {
    if (this != &other) {
      Drop(s_);
      s_ = other.s_;
      other.s_ = &EmptyEntry();
    }
    return *this;
  }
  ~Interned() { Drop(s_); }

  const std::string& str() const { return s_->value; }
  operator const std::string&() const { return s_->value; }  // NOLINT: implicit
  operator std::string_view() const { return s_->value; }    // NOLINT: implicit
  // Debian's abseil has its own string_view (not std's).
  operator absl::string_view() const { return s_->value; }  // NOLINT: implicit

  bool empty() const { return s_->value.empty(); }
  size_t size() const { return s_->value.size(); }
  const char* data() const { return s_->value.data(); }
  const char* c_str() const { return s_->value.c_str(); }
  std::string::const_iterator begin() const { return s_->value.begin(); }
  std::string::const_iterator end() const { return s_->value.end(); }
  char operator[](size_t i) const { return (s_->value)[i]; }
  char front() const { return s_->value.front(); }
  char back() const { return s_->value.back(); }

  friend bool operator==(const Interned& a, const Interned& b) {
    return a.s_ == b.s_;
  }
  friend bool operator==(const Interned& a, const std::string& b) {
    return a.s_->value == b;
  }
  friend bool operator==(const Interned& a, std::string_view b) {
    return a.s_->value == b;
  }
  friend bool operator==(const Interned& a, const char* b) {
    return a.s_->value == b;
  }
  friend auto operator<=>(const Interned& a, const Interned& b) {
    return a.s_->value <=> b.s_->value;
  }
  friend auto operator<=>(const Interned& a, const std::string& b) {
    return a.s_->value <=> b;
  }
  friend auto operator<=>(const Interned& a, std::string_view b) {
    return std::string_view(a.s_->value) <=> b;
  }
  friend std::ostream& operator<<(std::ostream& out, const Interned& s) {
    return out << s.s_->value;
  }
  friend std::string operator+(const Interned& a, std::string_view b) {
    std::string out(a.s_->value);
    out.append(b);
    return out;
  }
  friend std::string operator+(std::string_view a, const Interned& b) {
    std::string out(a);
    out.append(b.s_->value);
    return out;
  }
  // Hashes as the string does, so maps keyed by strings find it.
  template <typename H>
  friend H AbslHashValue(H h, const Interned& s) {
    return H::combine(std::move(h), std::string_view(s.s_->value));
  }

  // Copies of the values of a fixed table (derived.bin's string table),
  // each entry's count changed once for all its copies instead of once a
  // copy: a post's fields copied from the table no longer touch each
  // entry, a cache miss a field that was most of the records' parse at 1M
  // posts. While it lives, each (mortal) entry of `table` carries a
  // provisional 2^30 on top of its count, so that a copy dropped early (a
  // record that failed to parse) never takes it to zero; its destruction
  // trades that for the copies made. `table` must outlive it.
  class Copier {
   public:
    explicit Copier(const std::vector<Interned>& table);
    ~Copier();
    Copier(const Copier&) = delete;
    Copier& operator=(const Copier&) = delete;
    // A copy of table[i] (i < table.size()). Not thread-safe: one Copier
    // a thread.
    Interned Copy(size_t i) {
      ++made_[i];
      return Interned((*table_)[i].s_, Counted{});
    }

   private:
    static constexpr uint32_t kProvisional = uint32_t{1} << 30;
    const std::vector<Interned>* table_;
    std::vector<uint32_t> made_;  // copies made of each slot
    std::vector<uint8_t> owner_;  // the slot carrying its entry's 2^30
  };

  // Distinct values held now, immortal ones included (test hook).
  static size_t TableSize();
  // Whether the table holds `s` now (test hook: an erased person's id is
  // gone once nothing holds it).
  static bool TableContains(std::string_view s);

 private:
  static Entry& EmptyEntry();
  static const Entry* Intern(std::string_view s);
  // Holds `e`, which the caller already counted (InternAll).
  struct Counted {};
  Interned(const Entry* e, Counted) noexcept : s_(e) {}
  // The count is > 0 while anyone holds the entry, so a copy needs no lock;
  // only the last holder's drop locks the shard (Release), where a thread
  // interning the same value at once may take the entry back.
  static void Hold(const Entry* e) {
    if (!e->immortal) e->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void Drop(const Entry* e) {
    if (e->immortal) return;
    uint32_t n = e->refs.load(std::memory_order_relaxed);
    while (n > 1) {
      if (e->refs.compare_exchange_weak(n, n - 1, std::memory_order_release,
                                        std::memory_order_relaxed)) {
        return;
      }
    }
    Release(e);
  }
  static void Release(const Entry* e);

  const Entry* s_;
};

}  // namespace whoknows::index

template <>
struct std::hash<whoknows::index::Interned> {
  size_t operator()(const whoknows::index::Interned& s) const {
    return std::hash<std::string_view>()(s.str());
  }
};

#endif  // WHOKNOWS_INDEX_INTERNED_H_
