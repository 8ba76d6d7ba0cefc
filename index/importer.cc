#include "index/importer.h"

#include <expat.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "index/batch_writer.h"
#include "index/validation.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

absl::StatusOr<std::string> GetString(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return absl::InvalidArgumentError(absl::StrCat(key, ": must be a string"));
  return it->get<std::string>();
}

absl::Status GetStrings(const json& j, const char* key,
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array())
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be an array of strings"));
  for (const auto& v : *it) {
    if (!v.is_string())
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": must be an array of strings"));
    out->Add(v.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status GetFloats(const json& j, const char* key,
                       google::protobuf::RepeatedField<float>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array())
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be an array of numbers"));
  for (const auto& v : *it) {
    if (!v.is_number())
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": must be an array of numbers"));
    out->Add(v.get<float>());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> GetBool(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be true or false"));
  return it->get<bool>();
}

#define WK_ASSIGN_OR_RETURN(lhs, expr)          \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

std::string FormatTimestamp(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const char* KindName(v1::PostKind k) {
  switch (k) {
    case v1::POST_KIND_QUESTION:
      return "question";
    case v1::POST_KIND_ANSWER:
      return "answer";
    case v1::POST_KIND_COMMENT:
      return "comment";
    case v1::POST_KIND_ARTICLE:
      return "article";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseTimestamp(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &sec, &consumed) < 6) {
    if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) < 3 ||
        consumed != static_cast<int>(str.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a timestamp (want 2024-03-01T10:00:00Z): \"",
                       std::string(s), "\""));
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
      y < 1970 || y > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp out of range: \"", std::string(s), "\""));
  }
  std::string_view rest = s.substr(consumed);
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    rest.remove_prefix(i);
  }
  int64_t offset = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 &&
             rest[3] == ':' &&
             std::isdigit(static_cast<unsigned char>(rest[1])) &&
             std::isdigit(static_cast<unsigned char>(rest[2])) &&
             std::isdigit(static_cast<unsigned char>(rest[4])) &&
             std::isdigit(static_cast<unsigned char>(rest[5]))) {
    int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad time zone in \"", std::string(s), "\""));
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  // timegm normalizes 30 February to 1 March: reject days the month lacks.
  std::tm check{};
  gmtime_r(&t, &check);
  if (check.tm_mday != d || check.tm_mon != mo - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("no such day: \"", std::string(s), "\""));
  }
  return static_cast<int64_t>(t) - offset;
}

absl::StatusOr<Record> ParseJsonlRecord(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  WK_ASSIGN_OR_RETURN(type, GetString(j, "type"));
  if (type == "person") {
    v1::Person p;
    WK_ASSIGN_OR_RETURN(id, GetString(j, "id"));
    WK_ASSIGN_OR_RETURN(name, GetString(j, "display_name"));
    WK_ASSIGN_OR_RETURN(title, GetString(j, "title"));
    WK_ASSIGN_OR_RETURN(dept, GetString(j, "department"));
    WK_ASSIGN_OR_RETURN(site, GetString(j, "site"));
    WK_ASSIGN_OR_RETURN(country, GetString(j, "country"));
    WK_ASSIGN_OR_RETURN(manager, GetString(j, "manager_id"));
    WK_ASSIGN_OR_RETURN(active, GetBool(j, "active", true));
    WK_ASSIGN_OR_RETURN(opted_out, GetBool(j, "opted_out", false));
    WK_ASSIGN_OR_RETURN(team, GetString(j, "team"));
    WK_ASSIGN_OR_RETURN(leaving, GetBool(j, "leaving", false));
    WK_ASSIGN_OR_RETURN(joined, GetString(j, "joined"));
    if (!joined.empty()) {
      auto t = ParseTimestamp(joined);
      if (!t.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("joined: ", t.status().message()));
      p.mutable_joined()->set_seconds(*t);
    }
    p.set_team(team);
    p.set_leaving(leaving);
    p.set_id(id);
    p.set_display_name(name);
    p.set_title(title);
    p.set_department(dept);
    p.set_site(site);
    p.set_country(country);
    p.set_manager_id(manager);
    if (auto s = GetStrings(j, "languages", p.mutable_languages()); !s.ok())
      return s;
    p.set_active(active);
    p.set_opted_out(opted_out);
    if (auto s = ValidatePerson(p, "person"); !s.ok()) return s;
    return p;
  }
  if (type == "post") {
    v1::Post p;
    WK_ASSIGN_OR_RETURN(id, GetString(j, "id"));
    WK_ASSIGN_OR_RETURN(author, GetString(j, "author_id"));
    WK_ASSIGN_OR_RETURN(thread, GetString(j, "thread_id"));
    WK_ASSIGN_OR_RETURN(parent, GetString(j, "parent_id"));
    WK_ASSIGN_OR_RETURN(kind, GetString(j, "kind"));
    WK_ASSIGN_OR_RETURN(title, GetString(j, "title"));
    WK_ASSIGN_OR_RETURN(body, GetString(j, "body"));
    WK_ASSIGN_OR_RETURN(language, GetString(j, "language"));
    WK_ASSIGN_OR_RETURN(created, GetString(j, "created"));
    WK_ASSIGN_OR_RETURN(visibility, GetString(j, "visibility"));
    WK_ASSIGN_OR_RETURN(accepted, GetBool(j, "accepted", false));
    p.set_id(id);
    p.set_author_id(author);
    p.set_thread_id(thread);
    p.set_parent_id(parent);
    if (kind == "question")
      p.set_kind(v1::POST_KIND_QUESTION);
    else if (kind == "answer")
      p.set_kind(v1::POST_KIND_ANSWER);
    else if (kind == "comment")
      p.set_kind(v1::POST_KIND_COMMENT);
    else if (kind == "article")
      p.set_kind(v1::POST_KIND_ARTICLE);
    else
      return absl::InvalidArgumentError(absl::StrCat(
          "post.kind: must be question, answer, comment or article, not \"",
          kind, "\""));
    p.set_title(title);
    p.set_body(body);
    p.set_language(language);
    if (created.empty())
      return absl::InvalidArgumentError("post.created: required");
    auto t = ParseTimestamp(created);
    if (!t.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("post.created: ", t.status().message()));
    p.mutable_created()->set_seconds(*t);
    p.set_visibility(visibility);
    p.set_accepted(accepted);
    if (auto s = GetStrings(j, "tags", p.mutable_tags()); !s.ok()) return s;
    if (auto s = GetStrings(j, "liked_by", p.mutable_liked_by()); !s.ok())
      return s;
    if (auto s = GetStrings(j, "mentioned", p.mutable_mentioned()); !s.ok())
      return s;
    if (auto s = GetFloats(j, "embedding", p.mutable_embedding()); !s.ok())
      return s;
    if (auto s = ValidatePost(p, "post"); !s.ok()) return s;
    return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("type: must be \"person\" or \"post\", not \"", type, "\""));
}

std::string ToJsonl(const v1::Person& p) {
  json j = {{"type", "person"},
            {"id", p.id()},
            {"display_name", p.display_name()},
            {"title", p.title()},
            {"department", p.department()},
            {"site", p.site()},
            {"country", p.country()},
            {"manager_id", p.manager_id()},
            {"languages", std::vector<std::string>(p.languages().begin(),
                                                   p.languages().end())},
            {"active", !p.has_active() || p.active()},
            {"opted_out", p.opted_out()}};
  if (!p.team().empty()) j["team"] = p.team();
  if (p.leaving()) j["leaving"] = true;
  if (p.has_joined()) j["joined"] = FormatTimestamp(p.joined().seconds());
  return j.dump();
}

std::string ToJsonl(const v1::Post& p) {
  json j = {
      {"type", "post"},
      {"id", p.id()},
      {"author_id", p.author_id()},
      {"thread_id", p.thread_id()},
      {"parent_id", p.parent_id()},
      {"kind", KindName(p.kind())},
      {"title", p.title()},
      {"body", p.body()},
      {"tags", std::vector<std::string>(p.tags().begin(), p.tags().end())},
      {"language", p.language()},
      {"created", FormatTimestamp(p.created().seconds())},
      {"visibility", p.visibility()},
      {"accepted", p.accepted()},
      {"liked_by",
       std::vector<std::string>(p.liked_by().begin(), p.liked_by().end())},
      {"mentioned",
       std::vector<std::string>(p.mentioned().begin(), p.mentioned().end())}};
  if (p.embedding_size() > 0)
    j["embedding"] =
        std::vector<float>(p.embedding().begin(), p.embedding().end());
  return j.dump();
}

absl::StatusOr<ImportStats> ImportJsonl(const std::string& path,
                                        Catalog& catalog,
                                        const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  BatchWriter writer(catalog, options.batch_size);
  ImportProgress progress{fs::path(path).filename().string(), 0, 0,
                          FileSize(path)};
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    progress.bytes_done += static_cast<int64_t>(line.size()) + 1;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto record = ParseJsonlRecord(line);
    if (!record.ok()) {
      std::string problem =
          absl::StrCat(path, ":", line_no, ": ", record.status().message());
      if (options.strict) {
        if (auto s = writer.Flush(); !s.ok()) return s;
        return absl::InvalidArgumentError(problem);
      }
      if (options.on_problem) options.on_problem(problem);
      ++writer.stats.skipped;
      continue;
    }
    ++progress.records;
    if (auto* post = std::get_if<v1::Post>(&*record)) {
      if (options.created_before > 0 &&
          post->created().seconds() >= options.created_before)
        continue;
      if (auto s = writer.Add(std::move(*post)); !s.ok())
        return absl::Status(
            s.code(), absl::StrCat(path, ":", line_no, ": ", s.message()));
    } else {
      if (auto s = writer.Add(std::get<v1::Person>(std::move(*record)));
          !s.ok())
        return absl::Status(
            s.code(), absl::StrCat(path, ":", line_no, ": ", s.message()));
    }
    if (writer.JustFlushed() && options.on_progress)
      options.on_progress(progress);
  }
  if (auto s = writer.Flush(); !s.ok()) return s;
  if (options.on_progress) options.on_progress(progress);
  return ImportStats{writer.stats.people, writer.stats.posts,
                     writer.stats.skipped};
}

// ---------------------------------------------------------------------------
// Stack Exchange dumps.

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

namespace {

// Streams the <row .../> elements of one dump file through expat.
class RowReader {
 public:
  using Row = std::unordered_map<std::string, std::string>;
  using Handler = std::function<absl::Status(const Row&, int64_t line)>;

  static absl::Status Read(
      const std::string& path, const Handler& handler,
      const std::function<void(int64_t, int64_t)>& on_bytes) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    RowReader r;
    r.handler_ = &handler;
    XML_Parser parser = XML_ParserCreate("UTF-8");
    r.parser_ = parser;
    XML_SetUserData(parser, &r);
    XML_SetStartElementHandler(parser, &RowReader::OnStart);
    std::vector<char> buf(1 << 16);
    int64_t done = 0;
    const int64_t total = FileSize(path);
    absl::Status status;
    while (true) {
      size_t n = std::fread(buf.data(), 1, buf.size(), f);
      const bool last = n < buf.size();
      if (XML_Parse(parser, buf.data(), static_cast<int>(n), last) ==
          XML_STATUS_ERROR) {
        if (!r.status_.ok()) {
          status = r.status_;
        } else {
          status = absl::InvalidArgumentError(absl::StrCat(
              path, ":", XML_GetCurrentLineNumber(parser),
              ": XML error: ", XML_ErrorString(XML_GetErrorCode(parser))));
        }
        break;
      }
      done += static_cast<int64_t>(n);
      if (on_bytes) on_bytes(done, total);
      if (last) break;
    }
    XML_ParserFree(parser);
    std::fclose(f);
    return status;
  }

 private:
  static void XMLCALL OnStart(void* data, const XML_Char* name,
                              const XML_Char** attrs) {
    auto* r = static_cast<RowReader*>(data);
    if (std::strcmp(name, "row") != 0) return;
    Row row;
    for (int i = 0; attrs[i]; i += 2) row.emplace(attrs[i], attrs[i + 1]);
    absl::Status s = (*r->handler_)(row, XML_GetCurrentLineNumber(r->parser_));
    if (!s.ok()) {
      r->status_ = s;
      XML_StopParser(r->parser_, XML_FALSE);
    }
  }
  const Handler* handler_ = nullptr;
  XML_Parser parser_ = nullptr;
  absl::Status status_;
};

const std::string* Field(const RowReader::Row& row, const char* key) {
  auto it = row.find(key);
  return it == row.end() ? nullptr : &it->second;
}

// Splits "<ale><ipa>" (old dumps) or "|ale|ipa|" (new dumps) into tags.
std::vector<std::string> SplitTags(const std::string& s) {
  std::vector<std::string> tags;
  std::string cur;
  for (char c : s) {
    if (c == '<' || c == '>' || c == '|') {
      if (!cur.empty()) tags.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tags.push_back(cur);
  return tags;
}

}  // namespace

absl::StatusOr<ImportStats> ReadStackExchange(const std::string& dir,
                                              const ImportOptions& options,
                                              const StackExchangeSink& sink) {
  const fs::path root(dir);
  if (!fs::exists(root / "Posts.xml")) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": no Posts.xml (is this a Stack Exchange dump folder?)"));
  }
  ImportStats stats;
  ImportProgress progress;
  auto bytes = [&](int64_t done, int64_t total) {
    progress.bytes_done = done;
    progress.bytes_total = total;
  };
  // Reports a malformed row; in strict mode stops the read.
  auto problem = [&](const std::string& file, int64_t line,
                     const std::string& reason) -> absl::Status {
    std::string text = absl::StrCat(file, ":", line, ": ", reason);
    if (options.strict) return absl::InvalidArgumentError(text);
    ++stats.skipped;
    if (options.on_problem) options.on_problem(text);
    return absl::OkStatus();
  };
  auto created_of = [&](const RowReader::Row& row) -> absl::StatusOr<int64_t> {
    const std::string* d = Field(row, "CreationDate");
    if (!d) return absl::InvalidArgumentError("CreationDate: missing");
    auto t = ParseTimestamp(*d);
    if (!t.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("CreationDate: ", t.status().message()));
    return *t;
  };
  auto keep = [&](int64_t t) {
    return options.created_before <= 0 || t < options.created_before;
  };
  auto report = [&](const std::string& phase) {
    progress.phase = phase;
    if (options.on_progress && progress.records % 1000 == 0)
      options.on_progress(progress);
  };

  // Favourites (VoteTypeId 5) are the only votes with a voter: likes.
  std::unordered_map<std::string, std::vector<std::string>> favourites;
  // Answers accepted (VoteTypeId 1) on or after `created_before`: an import
  // cut at a date must not know which answer the asker accepts later. Vote
  // dates are days, so an acceptance on the cut-off day itself still counts.
  std::unordered_set<std::string> accepted_later;
  if (fs::exists(root / "Votes.xml")) {
    const std::string path = (root / "Votes.xml").string();
    auto s = RowReader::Read(
        path,
        [&](const RowReader::Row& row, int64_t line) -> absl::Status {
          const std::string* type = Field(row, "VoteTypeId");
          const std::string* user = Field(row, "UserId");
          const std::string* post = Field(row, "PostId");
          if (!type || !post) return absl::OkStatus();
          if (*type == "1") {
            auto t = created_of(row);
            if (t.ok() && !keep(*t)) accepted_later.insert(*post);
            return absl::OkStatus();
          }
          if (*type != "5" || !user) return absl::OkStatus();
          auto t = created_of(row);
          if (t.ok() && !keep(*t)) return absl::OkStatus();
          favourites[*post].push_back(*user);
          return absl::OkStatus();
        },
        bytes);
    if (!s.ok()) return s;
  }
  // Duplicate links: the duplicate's title is folded into the original.
  std::unordered_map<std::string, std::vector<std::string>> duplicates_of;
  if (fs::exists(root / "PostLinks.xml")) {
    const std::string path = (root / "PostLinks.xml").string();
    auto s = RowReader::Read(
        path,
        [&](const RowReader::Row& row, int64_t) -> absl::Status {
          const std::string* type = Field(row, "LinkTypeId");
          const std::string* from = Field(row, "PostId");
          const std::string* to = Field(row, "RelatedPostId");
          if (!type || *type != "3" || !from || !to) return absl::OkStatus();
          auto t = created_of(row);
          if (t.ok() && !keep(*t)) return absl::OkStatus();
          duplicates_of[*to].push_back(*from);
          return absl::OkStatus();
        },
        bytes);
    if (!s.ok()) return s;
  }

  if (fs::exists(root / "Users.xml")) {
    const std::string path = (root / "Users.xml").string();
    progress.records = 0;
    auto s = RowReader::Read(
        path,
        [&](const RowReader::Row& row, int64_t line) -> absl::Status {
          const std::string* id = Field(row, "Id");
          if (!id || id->empty())
            return problem(path, line, "user row without Id");
          if (*id == "-1") return absl::OkStatus();  // the Community bot
          auto t = created_of(row);
          if (!t.ok())
            return problem(
                path, line,
                absl::StrCat("row Id=", *id, ": ", t.status().message()));
          if (!keep(*t)) return absl::OkStatus();
          v1::Person p;
          p.set_id(*id);
          if (auto* n = Field(row, "DisplayName"))
            p.set_display_name(n->substr(0, kMaxShortTextBytes));
          if (auto* loc = Field(row, "Location"))
            p.set_site(loc->substr(0, kMaxShortTextBytes));
          p.set_active(true);
          if (auto v = ValidatePerson(p, "user"); !v.ok())
            return problem(path, line,
                           absl::StrCat("row Id=", *id, ": ", v.message()));
          ++progress.records;
          report("Users.xml");
          return sink.person(std::move(p));
        },
        bytes);
    if (!s.ok()) return s;
  }

  // Titles of questions by id, for duplicates (small: only questions that
  // are duplicates of something are kept).
  std::unordered_map<std::string, std::string> duplicate_titles;
  std::unordered_set<std::string> wanted_titles;
  for (const auto& [orig, dups] : duplicates_of)
    for (const auto& d : dups) wanted_titles.insert(d);
  // Accepted answers are named on the question, which precedes them.
  std::unordered_set<std::string> accepted;
  std::unordered_map<std::string, std::string> post_owner;  // for comments
  const std::string posts_path = (root / "Posts.xml").string();
  {
    // First pass: accepted answer ids and duplicate titles, so the second
    // pass can emit each post complete, whatever the row order.
    auto s = RowReader::Read(
        posts_path,
        [&](const RowReader::Row& row, int64_t) -> absl::Status {
          if (auto* a = Field(row, "AcceptedAnswerId")) accepted.insert(*a);
          if (auto* id = Field(row, "Id"); id && wanted_titles.count(*id)) {
            if (auto* title = Field(row, "Title"))
              duplicate_titles[*id] = *title;
          }
          return absl::OkStatus();
        },
        nullptr);
    if (!s.ok()) return s;
  }
  progress.records = 0;
  auto s = RowReader::Read(
      posts_path,
      [&](const RowReader::Row& row, int64_t line) -> absl::Status {
        const std::string* id = Field(row, "Id");
        const std::string* type = Field(row, "PostTypeId");
        if (!id || id->empty())
          return problem(posts_path, line, "post row without Id");
        if (!type)
          return problem(posts_path, line,
                         absl::StrCat("row Id=", *id, ": PostTypeId: missing"));
        if (*type != "1" && *type != "2")
          return absl::OkStatus();  // wiki, tag excerpts
        auto t = created_of(row);
        if (!t.ok())
          return problem(
              posts_path, line,
              absl::StrCat("row Id=", *id, ": ", t.status().message()));
        if (!keep(*t)) return absl::OkStatus();
        const std::string* owner = Field(row, "OwnerUserId");
        if (!owner || owner->empty()) return absl::OkStatus();  // deleted user
        v1::Post p;
        p.set_id(*id);
        p.set_author_id(*owner);
        p.mutable_created()->set_seconds(*t);
        p.set_language("en");
        if (*type == "1") {
          p.set_kind(v1::POST_KIND_QUESTION);
          if (auto* title = Field(row, "Title"))
            p.set_title(title->substr(0, kMaxTitleBytes));
          if (auto* tags = Field(row, "Tags")) {
            for (auto& tag : SplitTags(*tags)) {
              if (p.tags_size() < kMaxTags && tag.size() <= kMaxTagBytes)
                p.add_tags(tag);
            }
          }
        } else {
          const std::string* parent = Field(row, "ParentId");
          if (!parent || parent->empty())
            return problem(
                posts_path, line,
                absl::StrCat("row Id=", *id, ": answer without ParentId"));
          p.set_kind(v1::POST_KIND_ANSWER);
          p.set_parent_id(*parent);
          p.set_thread_id(*parent);
          p.set_accepted(accepted.count(*id) > 0 &&
                         accepted_later.count(*id) == 0);
        }
        std::string body;
        if (auto* b = Field(row, "Body")) body = HtmlToText(*b);
        if (auto it = duplicates_of.find(*id); it != duplicates_of.end()) {
          for (const auto& dup : it->second) {
            if (auto jt = duplicate_titles.find(dup);
                jt != duplicate_titles.end())
              body += "\n" + jt->second;
          }
        }
        if (body.size() > kMaxBodyBytes) body.resize(kMaxBodyBytes);
        p.set_body(std::move(body));
        if (auto it = favourites.find(*id); it != favourites.end()) {
          for (const auto& u : it->second)
            if (p.liked_by_size() < kMaxLikes) p.add_liked_by(u);
        }
        if (auto v = ValidatePost(p, "post"); !v.ok())
          return problem(posts_path, line,
                         absl::StrCat("row Id=", *id, ": ", v.message()));
        post_owner[*id] = *owner;
        ++progress.records;
        report("Posts.xml");
        return sink.post(std::move(p));
      },
      bytes);
  if (!s.ok()) return s;

  if (fs::exists(root / "Comments.xml")) {
    const std::string path = (root / "Comments.xml").string();
    progress.records = 0;
    auto s2 = RowReader::Read(
        path,
        [&](const RowReader::Row& row, int64_t line) -> absl::Status {
          const std::string* id = Field(row, "Id");
          const std::string* post = Field(row, "PostId");
          const std::string* user = Field(row, "UserId");
          const std::string* text = Field(row, "Text");
          if (!id || !post)
            return problem(path, line, "comment row without Id or PostId");
          if (!user || user->empty() || !text)
            return absl::OkStatus();  // deleted user
          auto t = created_of(row);
          if (!t.ok())
            return problem(
                path, line,
                absl::StrCat("row Id=", *id, ": ", t.status().message()));
          if (!keep(*t)) return absl::OkStatus();
          if (!post_owner.count(*post))
            return absl::OkStatus();  // on a post not imported
          v1::Post p;
          p.set_id("c" + *id);
          p.set_author_id(*user);
          p.set_parent_id(*post);
          p.set_kind(v1::POST_KIND_COMMENT);
          p.set_body(text->substr(0, kMaxBodyBytes));
          p.set_language("en");
          p.mutable_created()->set_seconds(*t);
          if (auto v = ValidatePost(p, "comment"); !v.ok())
            return problem(path, line,
                           absl::StrCat("row Id=", *id, ": ", v.message()));
          ++progress.records;
          report("Comments.xml");
          return sink.post(std::move(p));
        },
        bytes);
    if (!s2.ok()) return s2;
  }
  if (options.on_progress) options.on_progress(progress);
  return stats;
}

absl::StatusOr<ImportStats> ImportStackExchange(const std::string& dump_dir,
                                                Catalog& catalog,
                                                const ImportOptions& options) {
  BatchWriter writer(catalog, options.batch_size);
  StackExchangeSink sink{
      [&](v1::Person p) { return writer.Add(std::move(p)); },
      [&](v1::Post p) { return writer.Add(std::move(p)); },
  };
  auto read = ReadStackExchange(dump_dir, options, sink);
  // Commit what was read before a strict failure: nothing valid is lost.
  auto flushed = writer.Flush();
  if (!read.ok()) return read.status();
  if (!flushed.ok()) return flushed;
  writer.stats.skipped = read->skipped;
  return ImportStats{writer.stats.people, writer.stats.posts,
                     writer.stats.skipped};
}

}  // namespace whoknows::index
