#include "index/translation.h"

#include <xapian.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/language.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

// dictd's index numbers are base64 digits, most significant first.
bool DecodeDictdNumber(const std::string& s, uint64_t* out) {
  static const std::string kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint64_t v = 0;
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    const size_t d = kDigits.find(c);
    if (d == std::string::npos) return false;
    v = v * 64 + d;
  }
  *out = v;
  return true;
}

absl::StatusOr<std::string> ReadGzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, n);
  const bool failed = n < 0;
  gzclose(f);
  if (failed) return absl::DataLossError(absl::StrCat(path, ": corrupt gzip"));
  return out;
}

std::string Stem(const std::string& lang, const std::string& word) {
  static thread_local std::unordered_map<std::string, Xapian::Stem> stemmers;
  auto it = stemmers.find(lang);
  if (it == stemmers.end())
    it = stemmers.emplace(lang, Xapian::Stem(StemmerNameFor(lang))).first;
  return it->second(word);
}

// Lowercases ASCII and the Swedish letters in UTF-8 (enough for matching
// dictionary headwords against query words, which Xapian lowercases too).
std::string Lower(std::string s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      s[i] = static_cast<char>(std::tolower(c));
    } else if (c == 0xC3 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97)
        s[i + 1] = static_cast<char>(d + 0x20);
      ++i;
    }
  }
  return s;
}

bool IsSingleWord(const std::string& w) {
  if (w.size() < 3 || w.size() > 40) return false;
  for (unsigned char c : w) {
    if (c == ' ' || c == '(' || c == ')' || c == '.' || std::isdigit(c))
      return false;
  }
  return true;
}

absl::Status LoadPair(Dictionary& dict, const fs::path& dir,
                      const std::string& name, const std::string& from,
                      const std::string& to) {
  const fs::path index_path = dir / (name + ".index");
  fs::path dict_path = dir / (name + ".dict.dz");
  std::error_code ec;
  if (!fs::exists(dict_path, ec)) dict_path = dir / (name + ".dict");
  if (!fs::exists(index_path, ec) || !fs::exists(dict_path, ec))
    return absl::OkStatus();
  auto text = ReadGzip(dict_path.string());  // zlib reads plain files too
  if (!text.ok()) return text.status();
  std::ifstream index(index_path);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(index, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string headword, off, len;
    if (!std::getline(fields, headword, '\t') ||
        !std::getline(fields, off, '\t') || !std::getline(fields, len)) {
      return absl::DataLossError(absl::StrCat(index_path.string(), ":", line_no,
                                              ": expected 3 fields"));
    }
    if (headword.rfind("00database", 0) == 0 ||
        headword.rfind("00-database", 0) == 0)
      continue;
    uint64_t offset = 0, length = 0;
    if (!DecodeDictdNumber(off, &offset) || !DecodeDictdNumber(len, &length) ||
        offset + length > text->size()) {
      return absl::DataLossError(absl::StrCat(index_path.string(), ":", line_no,
                                              ": bad offset or length"));
    }
    if (headword.find(' ') != std::string::npos) continue;  // phrases
    // Entry: "headword /pronunciation/\n" then lines of translations,
    // comma-separated, possibly numbered "1. ".
    std::istringstream entry(text->substr(offset, length));
    std::string first, body;
    std::getline(entry, first);
    while (std::getline(entry, body)) {
      size_t start = body.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      body = body.substr(start);
      if (body.size() > 2 &&
          std::isdigit(static_cast<unsigned char>(body[0])) && body[1] == '.')
        body = body.substr(body.find_first_not_of(" ", 2));
      std::istringstream alternatives(body);
      std::string alt;
      while (std::getline(alternatives, alt, ',')) {
        size_t b = alt.find_first_not_of(" \t");
        size_t e = alt.find_last_not_of(" \t\r");
        if (b == std::string::npos) continue;
        alt = Lower(alt.substr(b, e - b + 1));
        if (IsSingleWord(alt) && !IsStopword(alt))
          dict.Add(from, Lower(headword), to, alt);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dictionary> Dictionary::LoadFreedict(const std::string& dir) {
  Dictionary d;
  WK_RETURN_IF_ERROR(LoadPair(d, dir, "freedict-swe-eng", "sv", "en"));
  WK_RETURN_IF_ERROR(LoadPair(d, dir, "freedict-eng-swe", "en", "sv"));
  return d;
}

void Dictionary::Add(const std::string& from, const std::string& word,
                     const std::string& to, const std::string& translation) {
  auto& list = by_stem_[from][Stem(from, Lower(word))];
  std::pair<std::string, std::string> item{to, translation};
  if (std::find(list.begin(), list.end(), item) != list.end()) return;
  list.push_back(std::move(item));
  ++entries_;
}

std::vector<std::pair<std::string, std::string>> Dictionary::Translate(
    const std::string& from, const std::string& word,
    size_t max_per_word) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto lang = by_stem_.find(from);
  if (lang == by_stem_.end()) return out;
  auto it = lang->second.find(Stem(from, Lower(word)));
  if (it == lang->second.end()) return out;
  for (const auto& t : it->second) {
    if (out.size() >= max_per_word) break;
    out.push_back(t);
  }
  return out;
}

}  // namespace whoknows::index
