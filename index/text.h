// Plain text from the HTML that Stack Exchange bodies and Xapian's snippets
// carry.
#ifndef WHOKNOWS_INDEX_TEXT_H_
#define WHOKNOWS_INDEX_TEXT_H_

#include <string>
#include <string_view>

namespace whoknows::index {

// Strips tags and decodes entities; block elements become line breaks, runs
// of blank lines collapse, and the result is trimmed. Not a sanitizer: the
// output is plain text.
std::string HtmlToText(std::string_view html);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_TEXT_H_
