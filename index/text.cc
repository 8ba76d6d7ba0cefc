#include "index/text.h"

#include <cctype>
#include <charconv>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace whoknows::index {
namespace {

void AppendUtf8(unsigned cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The tag at html[i] ('<' followed by a letter, '/' or '!', closed by a
// '>'): a line break for block elements, nothing for inline ones. Returns
// the position after it, or `i` when there is no tag there.
size_t SkipTag(std::string_view html, size_t i, std::string& out) {
  const bool tag_start =
      html[i] == '<' && i + 1 < html.size() &&
      (std::isalpha(static_cast<unsigned char>(html[i + 1])) ||
       html[i + 1] == '/' || html[i + 1] == '!');
  const size_t end = html.find('>', i);
  if (!tag_start || end == std::string_view::npos) return i;
  std::string_view tag = html.substr(i + 1, end - i - 1);
  if (!tag.empty() && tag[0] == '/') tag.remove_prefix(1);
  std::string name;
  for (char t : tag) {
    if (!std::isalnum(static_cast<unsigned char>(t))) break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
  }
  static const std::unordered_set<std::string> kBlock = {
      "p",  "br", "div", "li", "ul", "ol", "pre",   "blockquote", "h1",
      "h2", "h3", "h4",  "h5", "h6", "tr", "table", "hr"};
  // Inline tags separate words only when the source had space.
  if (kBlock.count(name) && !out.empty() && out.back() != '\n') out += '\n';
  return end + 1;
}

// The entity at html[i] ('&'): decoded when known (named or numeric), kept
// as written otherwise. Returns the position after it, or `i` when no
// entity starts there.
size_t DecodeEntity(std::string_view html, size_t i, std::string& out) {
  const size_t end = html.find(';', i);
  if (end == std::string_view::npos || end - i > 10) return i;
  std::string_view ent = html.substr(i + 1, end - i - 1);
  static const std::unordered_map<std::string_view, std::string_view>
      kEntities = {{"amp", "&"},   {"lt", "<"},    {"gt", ">"},
                   {"quot", "\""}, {"apos", "'"},  {"nbsp", " "},
                   {"ndash", "–"}, {"mdash", "—"}, {"hellip", "…"},
                   {"rsquo", "’"}, {"lsquo", "‘"}, {"ldquo", "“"},
                   {"rdquo", "”"}};
  if (auto it = kEntities.find(ent); it != kEntities.end()) {
    out += it->second;
  } else if (!ent.empty() && ent[0] == '#') {
    unsigned cp = 0;
    const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
    auto digits = ent.substr(hex ? 2 : 1);
    auto [ptr, ec] = std::from_chars(
        digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (ec == std::errc() && cp > 0 && cp < 0x110000) AppendUtf8(cp, out);
  } else {
    out.append(html.substr(i, end - i + 1));
  }
  return end + 1;
}

// Collapses runs of blank lines and trims.
std::string Tidy(const std::string& out) {
  std::string clean;
  clean.reserve(out.size());
  for (char c : out) {
    if (c == '\n' && !clean.empty() && clean.back() == '\n') continue;
    clean += c;
  }
  while (!clean.empty() && (clean.back() == '\n' || clean.back() == ' '))
    clean.pop_back();
  size_t start = clean.find_first_not_of("\n ");
  return start == std::string::npos ? std::string() : clean.substr(start);
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    size_t next = i;
    if (html[i] == '<') next = SkipTag(html, i, out);
    if (html[i] == '&') next = DecodeEntity(html, i, out);
    if (next == i) {
      out += html[i];
      next = i + 1;
    }
    i = next;
  }
  return Tidy(out);
}

std::string Opening(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  auto space = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  };
  // The last space at most max_bytes in: the word before it fits whole.
  size_t cut = max_bytes;
  while (cut > 0 && !space(text[cut])) --cut;
  if (cut == 0) {
    // One word longer than max_bytes: cut before the byte that starts the
    // character that does not fit (a continuation byte is 10xxxxxx).
    cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
  }
  while (cut > 0 && space(text[cut - 1])) --cut;
  std::string out(text.substr(0, cut));
  out += "…";
  return out;
}

}  // namespace whoknows::index
