// Language detection and per-language stemming for posts and queries.
#ifndef WHOKNOWS_INDEX_LANGUAGE_H_
#define WHOKNOWS_INDEX_LANGUAGE_H_

#include <string>
#include <string_view>
#include <vector>

namespace whoknows::index {

// Detects the language of `text` and returns its ISO 639-1 code ("sv",
// "en", "de", ...). Returns `fallback` when the text is too short or too
// mixed to tell. Uses CLD2 (a naive-Bayes model over quadgrams trained on
// web text); thread safe.
std::string DetectLanguage(std::string_view text,
                           std::string_view fallback = "en");

// Name of the Xapian stemmer for an ISO 639-1 code, or "english" when
// Xapian has no stemmer for it (so every post gets stemmed terms).
std::string StemmerNameFor(std::string_view language);

// The languages whose stems every query is expanded with. A query word is
// matched through the stems of all of them at once (as one synonym), so a
// Swedish query finds Swedish inflections and an English one English ones
// without having to guess the language of a three-word query.
const std::vector<std::string>& QueryLanguages();

// True for very common Swedish and English words that carry no topic.
bool IsStopword(std::string_view lowercase_word);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_LANGUAGE_H_
