// Bilingual word lists for cross-lingual search: a Swedish question also
// looks for the English words of the same meaning, and the other way round.
#ifndef WHOKNOWS_INDEX_TRANSLATION_H_
#define WHOKNOWS_INDEX_TRANSLATION_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace whoknows::index {

// Thread safety: immutable once loaded; share freely.
class Dictionary {
 public:
  // Reads the FreeDict databases Debian ships (packages
  // dict-freedict-swe-eng and dict-freedict-eng-swe) from `dir`
  // (/usr/share/dictd): freedict-swe-eng.{index,dict.dz} and
  // freedict-eng-swe.{index,dict.dz}. A missing pair is skipped; a corrupt
  // one is an error naming the file.
  static absl::StatusOr<Dictionary> LoadFreedict(const std::string& dir);

  // Adds a translation of `word` (in language `from`) into language `to`,
  // e.g. a company glossary entry. Words are matched by their stem, so
  // inflected forms ("fakturorna") find the entry ("faktura").
  void Add(const std::string& from, const std::string& word,
           const std::string& to, const std::string& translation);

  // Single-word translations of `word` out of language `from`, as
  // (language, word) pairs, at most `max_per_word`, in dictionary order.
  std::vector<std::pair<std::string, std::string>> Translate(
      const std::string& from, const std::string& word,
      size_t max_per_word = 3) const;

  size_t size() const { return entries_; }

 private:
  // from-language -> stem of headword -> (to-language, translation)
  std::unordered_map<
      std::string,
      std::unordered_map<std::string,
                         std::vector<std::pair<std::string, std::string>>>>
      by_stem_;
  size_t entries_ = 0;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_TRANSLATION_H_
