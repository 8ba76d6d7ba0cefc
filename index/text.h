// Plain text from the HTML that Stack Exchange bodies and Xapian's snippets
// carry.
#ifndef WHOKNOWS_INDEX_TEXT_H_
#define WHOKNOWS_INDEX_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace whoknows::index {

// Strips tags and decodes entities; block elements become line breaks, runs
// of blank lines collapse, and the result is trimmed. Not a sanitizer: the
// output is plain text.
std::string HtmlToText(std::string_view html);

// The beginning of `text`, at most `max_bytes` of it, cut after the last
// whole word that fits (inside a word only when the first word alone is
// longer, and then at a character's boundary: UTF-8 is never split), with
// "…" after it; `text` itself when it fits.
std::string Opening(std::string_view text, size_t max_bytes);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_TEXT_H_
