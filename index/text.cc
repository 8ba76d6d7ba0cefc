#include "index/text.h"

#include <cctype>
#include <charconv>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace whoknows::index {

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  auto ends_with_space = [&] {
    return out.empty() || out.back() == ' ' || out.back() == '\n';
  };
  while (i < html.size()) {
    char c = html[i];
    const bool tag_start =
        c == '<' && i + 1 < html.size() &&
        (std::isalpha(static_cast<unsigned char>(html[i + 1])) ||
         html[i + 1] == '/' || html[i + 1] == '!');
    if (tag_start && html.find('>', i) != std::string_view::npos) {
      size_t end = html.find('>', i);
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
      if (kBlock.count(name)) {
        if (!out.empty() && out.back() != '\n') out += '\n';
      } else if (!ends_with_space()) {
        // Inline tags separate words only when the source had space.
      }
      i = end + 1;
    } else if (c == '&') {
      size_t end = html.find(';', i);
      if (end == std::string_view::npos || end - i > 10) {
        out += c;
        ++i;
        continue;
      }
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
        bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
        auto digits = ent.substr(hex ? 2 : 1);
        auto [ptr, ec] = std::from_chars(
            digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
        if (ec == std::errc() && cp > 0 && cp < 0x110000) {
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
      } else {
        out.append(html.substr(i, end - i + 1));
      }
      i = end + 1;
    } else {
      out += c;
      ++i;
    }
  }
  // Collapse runs of blank lines and trim.
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

}  // namespace whoknows::index
