// Language detection and per-language stemming for posts and queries.
#ifndef WHOKNOWS_INDEX_LANGUAGE_H_
#define WHOKNOWS_INDEX_LANGUAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace whoknows::index {

// Detects the language of `text` and returns its ISO 639-1 code ("sv",
// "en", "de", ...). Returns `fallback` when the text is too short or too
// mixed to tell. Uses CLD2 (a naive-Bayes model over quadgrams trained on
// web text); thread safe.
std::string DetectLanguage(std::string_view text,
                           std::string_view fallback = "en");

// Name of the Xapian stemmer for an ISO 639-1 code as CLD2 gives it
// (every language the installed Xapian has a Snowball stemmer for: ar, ca,
// da, de, en, es, eu, fi, fr, ga, hu, hy, id, it, lt, ne, nl, no, pt, ro,
// ru, sv, ta, tr with Xapian 1.4; el and sr too with 1.5), or "english" when
// Xapian has none for it (so every post gets stemmed terms).
std::string StemmerNameFor(std::string_view language);

// True when Xapian has a stemmer of its own for the ISO 639-1 code.
bool HasStemmer(std::string_view language);

// The languages queries are expanded with while the index holds too few
// posts to tell: Swedish and English.
const std::vector<std::string>& QueryLanguages();

// A language counts as present in the index with at least this many
// posts, and at least kMinLanguageShare of them or kEnoughLanguagePosts:
// one stray (or misdetected) post does not add a language, and a team
// writing its own language in a large company still does.
inline constexpr int64_t kMinLanguagePosts = 2;
inline constexpr double kMinLanguageShare = 0.01;
inline constexpr int64_t kEnoughLanguagePosts = 100;
// At most this many languages (the most posts first) expand a query: each
// adds a stem to every word's synonym.
inline constexpr size_t kMaxQueryLanguages = 8;

// The languages whose stems every query is expanded with, given the number
// of posts in each language: those present (see above), most posts first,
// or QueryLanguages() when none is. A query word is matched through the
// stems of all of them at once (as one synonym), so a Swedish query finds
// Swedish inflections and an English one English ones without having to
// guess the language of a three-word query.
std::vector<std::string> QueryLanguagesFor(
    const std::unordered_map<std::string, int64_t>& posts_per_language);

// True for very common Swedish and English words that carry no topic.
bool IsStopword(std::string_view lowercase_word);

// True for very common words of any of `languages` (ISO 639-1) that carry
// no topic. Lists exist for sv, en, no, da, fi, de and it; other languages
// have none.
bool IsStopword(std::string_view lowercase_word,
                const std::vector<std::string>& languages);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_LANGUAGE_H_
