// Interned strings for the fields that post records repeat (authors,
// threads, groups, languages, tags, people who liked or were mentioned):
// at 1M posts a std::string a field (32 bytes) was a third of the records'
// memory, for a few hundred thousand distinct values.
#ifndef WHOKNOWS_INDEX_INTERNED_H_
#define WHOKNOWS_INDEX_INTERNED_H_

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace whoknows::index {

// A string held as one pointer into a process-wide table that stores each
// distinct value once and never frees it: 8 bytes where a std::string takes
// 32, and equality is a pointer comparison. Reads like a const std::string
// (it converts to one), so record fields can change type without their
// readers changing; writes replace the whole value (assignment interns).
//
// The table is process-wide (not a Snapshot's) because records outlive
// snapshots in the model and in callers' copies; it only grows, by the
// distinct values a process ever sees (ids of people, threads and parents,
// group names, tags), each stored once.
//
// Thread safety: Interned is a value; interning locks the table, reading
// does not (an interned string never moves or changes).
class Interned {
 public:
  Interned() : s_(&Empty()) {}
  Interned(std::string_view s) : s_(Intern(s)) {}    // NOLINT: implicit
  Interned(const std::string& s) : s_(Intern(s)) {}  // NOLINT: implicit
  Interned(const char* s) : s_(Intern(s)) {}         // NOLINT: implicit

  const std::string& str() const { return *s_; }
  operator const std::string&() const { return *s_; }  // NOLINT: implicit
  operator std::string_view() const { return *s_; }    // NOLINT: implicit
  // Debian's abseil has its own string_view (not std's).
  operator absl::string_view() const { return *s_; }  // NOLINT: implicit

  bool empty() const { return s_->empty(); }
  size_t size() const { return s_->size(); }
  const char* data() const { return s_->data(); }
  const char* c_str() const { return s_->c_str(); }
  std::string::const_iterator begin() const { return s_->begin(); }
  std::string::const_iterator end() const { return s_->end(); }
  char operator[](size_t i) const { return (*s_)[i]; }
  char front() const { return s_->front(); }
  char back() const { return s_->back(); }

  friend bool operator==(const Interned& a, const Interned& b) {
    return a.s_ == b.s_;
  }
  friend bool operator==(const Interned& a, const std::string& b) {
    return *a.s_ == b;
  }
  friend bool operator==(const Interned& a, std::string_view b) {
    return *a.s_ == b;
  }
  friend bool operator==(const Interned& a, const char* b) {
    return *a.s_ == b;
  }
  friend auto operator<=>(const Interned& a, const Interned& b) {
    return *a.s_ <=> *b.s_;
  }
  friend auto operator<=>(const Interned& a, const std::string& b) {
    return *a.s_ <=> b;
  }
  friend auto operator<=>(const Interned& a, std::string_view b) {
    return std::string_view(*a.s_) <=> b;
  }
  friend std::ostream& operator<<(std::ostream& out, const Interned& s) {
    return out << *s.s_;
  }
  friend std::string operator+(const Interned& a, std::string_view b) {
    std::string out(*a.s_);
    out.append(b);
    return out;
  }
  friend std::string operator+(std::string_view a, const Interned& b) {
    std::string out(a);
    out.append(*b.s_);
    return out;
  }
  // Hashes as the string does, so maps keyed by strings find it.
  template <typename H>
  friend H AbslHashValue(H h, const Interned& s) {
    return H::combine(std::move(h), std::string_view(*s.s_));
  }

  // Distinct values interned so far.
  static size_t TableSize();

 private:
  static const std::string& Empty();
  static const std::string* Intern(std::string_view s);

  const std::string* s_;
};

}  // namespace whoknows::index

template <>
struct std::hash<whoknows::index::Interned> {
  size_t operator()(const whoknows::index::Interned& s) const {
    return std::hash<std::string_view>()(s.str());
  }
};

#endif  // WHOKNOWS_INDEX_INTERNED_H_
