#include "index/language.h"

#include <cld2/public/compact_lang_det.h>

#include <cctype>
#include <string>
#include <unordered_set>

namespace whoknows::index {

std::string DetectLanguage(std::string_view text, std::string_view fallback) {
  // CLD2 answers English when it has nothing to go on (numbers, symbols):
  // text with fewer than 8 letters keeps the fallback.
  int letters = 0;
  for (unsigned char c : text)
    letters += (std::isalpha(c) || c >= 0x80) ? 1 : 0;
  if (letters < 8) return std::string(fallback);
  bool reliable = false;
  CLD2::Language lang =
      CLD2::DetectLanguage(text.data(), static_cast<int>(text.size()),
                           /*is_plain_text=*/true, &reliable);
  if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE) {
    return std::string(fallback);
  }
  std::string code = CLD2::LanguageCode(lang);
  // CLD2 often calls short Scandinavian snippets Norwegian or Danish; treat
  // unreliable guesses among them as Swedish, the language of our users.
  if (!reliable &&
      (code == "no" || code == "nb" || code == "nn" || code == "da")) {
    return "sv";
  }
  if (code == "nb" || code == "nn") return "no";
  return code;
}

std::string StemmerNameFor(std::string_view language) {
  // Xapian 1.4's snowball stemmers, by ISO 639-1 code.
  static const std::pair<std::string_view, std::string_view> kStemmers[] = {
      {"sv", "swedish"},   {"en", "english"},    {"no", "norwegian"},
      {"da", "danish"},    {"fi", "finnish"},    {"de", "german"},
      {"nl", "dutch"},     {"fr", "french"},     {"es", "spanish"},
      {"it", "italian"},   {"pt", "portuguese"}, {"ru", "russian"},
      {"hu", "hungarian"}, {"ro", "romanian"},   {"tr", "turkish"},
  };
  for (const auto& [code, name] : kStemmers) {
    if (code == language) return std::string(name);
  }
  return "english";
}

const std::vector<std::string>& QueryLanguages() {
  static const std::vector<std::string> kLanguages = {"sv", "en"};
  return kLanguages;
}

// Long only because it holds the word lists: data, not logic.
bool IsStopword(std::string_view w) {
  static const std::unordered_set<std::string_view> kStop = {
      // English
      "a",
      "an",
      "and",
      "are",
      "as",
      "at",
      "be",
      "but",
      "by",
      "can",
      "do",
      "does",
      "for",
      "from",
      "has",
      "have",
      "how",
      "i",
      "if",
      "in",
      "is",
      "it",
      "its",
      "me",
      "my",
      "of",
      "on",
      "or",
      "so",
      "that",
      "the",
      "their",
      "there",
      "this",
      "to",
      "was",
      "we",
      "what",
      "when",
      "where",
      "which",
      "who",
      "why",
      "will",
      "with",
      "you",
      "your",
      "any",
      "anyone",
      "should",
      "would",
      "could",
      "get",
      "our",
      "about",
      "been",
      "into",
      "than",
      "then",
      "them",
      "they",
      "these",
      "those",
      "not",
      "no",
      "also",
      "just",
      // Swedish
      "och",
      "att",
      "det",
      "som",
      "en",
      "ett",
      "på",
      "är",
      "av",
      "för",
      "med",
      "till",
      "den",
      "har",
      "de",
      "inte",
      "om",
      "jag",
      "vi",
      "du",
      "kan",
      "man",
      "hur",
      "vad",
      "var",
      "när",
      "så",
      "från",
      "eller",
      "men",
      "vid",
      "sig",
      "mig",
      "oss",
      "er",
      "ni",
      "han",
      "hon",
      "dem",
      "denna",
      "detta",
      "dessa",
      "vår",
      "vårt",
      "våra",
      "min",
      "mitt",
      "mina",
      "någon",
      "något",
      "några",
      "finns",
      "ska",
      "skulle",
      "blir",
      "bli",
      "vara",
      "varit",
      "hade",
      "också",
      "bara",
      "nu",
      "där",
      "här",
      "vem",
      "vilken",
      "vilket",
      "vilka",
      "sedan",
      "efter",
      "innan",
      "under",
      "över",
      "alla",
      "mycket",
  };
  return kStop.count(w) > 0;
}

}  // namespace whoknows::index
