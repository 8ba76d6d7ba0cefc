#include "importers/stackexchange.h"

#include <expat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "importers/batch_writer.h"
#include "importers/timestamp.h"
#include "index/text.h"
#include "index/validation.h"

namespace whoknows::importers {
namespace {

namespace fs = std::filesystem;
using index::kMaxBodyBytes;
using index::kMaxLikes;
using index::kMaxShortTextBytes;
using index::kMaxTagBytes;
using index::kMaxTags;
using index::kMaxTitleBytes;

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

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

// `s` cut to at most `max` bytes without splitting a UTF-8 character.
std::string Utf8Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// One read of a dump, in the order its files must be read: the side tables
// (votes, links, the first pass over the posts) before the rows that use
// them. Each stage streams one file.
class DumpReader {
 public:
  DumpReader(const std::string& dir, const ImportOptions& options,
             const StackExchangeSink& sink)
      : root_(dir), options_(options), sink_(sink), bad_(options) {}

  absl::StatusOr<ImportStats> Read() {
    if (std::error_code ec; !fs::exists(root_ / "Posts.xml", ec)) {
      return absl::NotFoundError(
          absl::StrCat(root_.string(),
                       ": no Posts.xml (is this a Stack Exchange dump "
                       "folder?)"));
    }
    // 1. Votes: favourites become likes; acceptances after the cut-off.
    WK_RETURN_IF_ERROR(ReadVotes());
    // 2. Duplicate links: the duplicate's title is folded into the original.
    WK_RETURN_IF_ERROR(ReadPostLinks());
    // 3. People.
    WK_RETURN_IF_ERROR(ReadUsers());
    // 4. A first pass over the posts: accepted answers, duplicate titles and
    //    the names of people Users.xml lacks, so that the second pass can
    //    emit each post and author complete, whatever the row order.
    WK_RETURN_IF_ERROR(IndexPosts());
    // 5. Questions and answers, each author missing from Users.xml first
    //    as a minimal person.
    WK_RETURN_IF_ERROR(ReadPosts());
    // 6. Comments on the posts read (authors as in 5).
    WK_RETURN_IF_ERROR(ReadComments());
    if (options_.on_progress) options_.on_progress(progress_);
    ImportStats stats;
    stats.skipped = bad_.skipped();
    stats.empty_posts = empty_posts_;
    return stats;
  }

 private:
  using Row = RowReader::Row;

  absl::Status ReadFile(const std::string& name,
                        const RowReader::Handler& handler) {
    return RowReader::Read((root_ / name).string(), handler,
                           [&](int64_t done, int64_t total) {
                             progress_.bytes_done = done;
                             progress_.bytes_total = total;
                           });
  }
  // Reads `name` when the dump has it. `counted` files restart the
  // progress count (only when present, so the last count survives).
  absl::Status ReadOptionalFile(const std::string& name,
                                const RowReader::Handler& handler,
                                bool counted = false) {
    if (std::error_code ec; !fs::exists(root_ / name, ec))
      return absl::OkStatus();
    if (counted) progress_.records = 0;
    return ReadFile(name, handler);
  }

  // A malformed row: skipped, or the end of a strict read.
  absl::Status Problem(const std::string& file, int64_t line,
                       const std::string& reason) {
    return bad_.Report(
        absl::StrCat((root_ / file).string(), ":", line, ": ", reason));
  }
  absl::Status RowProblem(const std::string& file, int64_t line,
                          const std::string& id, absl::string_view reason) {
    return Problem(file, line, absl::StrCat("row Id=", id, ": ", reason));
  }

  static absl::StatusOr<int64_t> CreatedOf(const Row& row) {
    const std::string* d = Field(row, "CreationDate");
    if (!d) return absl::InvalidArgumentError("CreationDate: missing");
    auto t = ParseTimestamp(*d);
    if (!t.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("CreationDate: ", t.status().message()));
    return *t;
  }
  bool Keep(int64_t t) const {
    return options_.created_before <= 0 || t < options_.created_before;
  }
  void Counted(const std::string& phase) {
    ++progress_.records;
    progress_.phase = phase;
    if (options_.on_progress && progress_.records % 1000 == 0)
      options_.on_progress(progress_);
  }

  absl::Status ReadVotes() {
    // Favourites (VoteTypeId 5) are the only votes with a voter: likes.
    // Acceptances (VoteTypeId 1) on or after `created_before`: an import cut
    // at a date must not know which answer the asker accepts later. Vote
    // dates are days, so an acceptance on the cut-off day itself counts.
    return ReadOptionalFile("Votes.xml", [&](const Row& row, int64_t) {
      const std::string* type = Field(row, "VoteTypeId");
      const std::string* user = Field(row, "UserId");
      const std::string* post = Field(row, "PostId");
      if (!type || !post) return absl::OkStatus();
      if (*type == "1") {
        auto t = CreatedOf(row);
        if (t.ok() && !Keep(*t)) accepted_later_.insert(*post);
        return absl::OkStatus();
      }
      if (*type != "5" || !user) return absl::OkStatus();
      auto t = CreatedOf(row);
      if (t.ok() && !Keep(*t)) return absl::OkStatus();
      favourites_[*post].push_back(*user);
      return absl::OkStatus();
    });
  }

  absl::Status ReadPostLinks() {
    WK_RETURN_IF_ERROR(
        ReadOptionalFile("PostLinks.xml", [&](const Row& row, int64_t) {
          const std::string* type = Field(row, "LinkTypeId");
          const std::string* from = Field(row, "PostId");
          const std::string* to = Field(row, "RelatedPostId");
          if (!type || *type != "3" || !from || !to) return absl::OkStatus();
          auto t = CreatedOf(row);
          if (t.ok() && !Keep(*t)) return absl::OkStatus();
          duplicates_of_[*to].push_back(*from);
          return absl::OkStatus();
        }));
    for (const auto& [orig, dups] : duplicates_of_)
      for (const auto& d : dups) wanted_titles_.insert(d);
    return absl::OkStatus();
  }

  absl::Status ReadUsers() {
    const std::string file = "Users.xml";
    return ReadOptionalFile(
        file,
        [&](const Row& row, int64_t line) {
          const std::string* id = Field(row, "Id");
          if (!id || id->empty())
            return Problem(file, line, "user row without Id");
          if (*id == "-1") return absl::OkStatus();  // the Community bot
          auto t = CreatedOf(row);
          if (!t.ok()) return RowProblem(file, line, *id, t.status().message());
          if (!Keep(*t)) return absl::OkStatus();
          v1::Person p;
          p.set_id(*id);
          if (auto* n = Field(row, "DisplayName"))
            p.set_display_name(n->substr(0, kMaxShortTextBytes));
          if (auto* loc = Field(row, "Location"))
            p.set_site(loc->substr(0, kMaxShortTextBytes));
          p.set_active(true);
          if (auto v = index::ValidatePerson(p, "user", options_.validation);
              !v.ok())
            return RowProblem(file, line, *id, v.message());
          Counted(file);
          users_.insert(*id);
          return sink_.person(std::move(p));
        },
        /*counted=*/true);
  }

  absl::Status IndexPosts() {
    // Accepted answers are named on the question, which precedes them.
    return RowReader::Read(
        (root_ / "Posts.xml").string(),
        [&](const Row& row, int64_t) {
          if (auto* a = Field(row, "AcceptedAnswerId")) accepted_.insert(*a);
          if (auto* id = Field(row, "Id"); id && wanted_titles_.count(*id)) {
            if (auto* title = Field(row, "Title"))
              duplicate_titles_[*id] = *title;
          }
          NoteName(row, "OwnerUserId", "OwnerDisplayName");
          NoteName(row, "LastEditorUserId", "LastEditorDisplayName");
          return absl::OkStatus();
        },
        nullptr);
  }

  // Remembers the name a row gives a user Users.xml does not have.
  void NoteName(const Row& row, const char* id_key, const char* name_key) {
    const std::string* id = Field(row, id_key);
    const std::string* name = Field(row, name_key);
    if (id && name && !id->empty() && !name->empty() && !users_.count(*id))
      names_.emplace(*id, name->substr(0, kMaxShortTextBytes));
  }

  absl::Status Empty(const v1::Post& p) {
    ++empty_posts_;
    return sink_.empty_post ? sink_.empty_post(p) : absl::OkStatus();
  }

  // The author of a row: its user id (`id_key`); for a deleted account the
  // person named by `name_key` ("name:<name>"), or the shared deleted
  // account when the row has no usable name either.
  std::string AuthorOf(const Row& row, const char* id_key,
                       const char* name_key) const {
    if (const std::string* id = Field(row, id_key); id && !id->empty())
      return *id;
    const std::string* name = Field(row, name_key);
    if (!name || name->empty()) return kDeletedAccountId;
    std::string named =
        kNamedAuthorPrefix +
        Utf8Prefix(*name, index::kMaxIdBytes - std::strlen(kNamedAuthorPrefix));
    if (!index::CheckId(named, "author", "id", /*required=*/true).ok())
      return kDeletedAccountId;  // e.g. a control character in the name
    return named;
  }

  // Sends a minimal person for `id` unless Users.xml had them or they were
  // sent before. `row_name`, when the row names its author, is used if the
  // first pass found no name. The deleted account is inactive: its posts
  // are read, it is never suggested.
  absl::Status Author(const std::string& id, const std::string* row_name) {
    if (!sink_.author || users_.count(id) || !authors_.insert(id).second)
      return absl::OkStatus();
    v1::Person p;
    p.set_id(id);
    if (id == kDeletedAccountId) {
      p.set_active(false);
    } else if (auto it = names_.find(id); it != names_.end()) {
      p.set_display_name(it->second);
    } else if (row_name) {
      p.set_display_name(row_name->substr(0, kMaxShortTextBytes));
    }
    WK_RETURN_IF_ERROR(index::ValidatePerson(p, "author", options_.validation));
    return sink_.author(std::move(p));
  }

  // The question or answer of a Posts.xml row whose Id, type and creation
  // time are known good. Fills `post`; a non-OK status is the row's problem.
  absl::Status PostFromRow(const Row& row, const std::string& id,
                           const std::string& type, int64_t created,
                           const std::string& owner, v1::Post& p) const {
    p.set_id(id);
    p.set_author_id(owner);
    p.mutable_created()->set_seconds(created);
    // No language: the catalog detects it (a community such as italian
    // writes Italian and English).
    if (type == "1") {
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
        return absl::InvalidArgumentError("answer without ParentId");
      p.set_kind(v1::POST_KIND_ANSWER);
      p.set_parent_id(*parent);
      p.set_thread_id(*parent);
      p.set_accepted(accepted_.count(id) > 0 && accepted_later_.count(id) == 0);
    }
    std::string body;
    if (auto* b = Field(row, "Body")) body = index::HtmlToText(*b);
    if (auto it = duplicates_of_.find(id); it != duplicates_of_.end()) {
      for (const auto& dup : it->second) {
        if (auto jt = duplicate_titles_.find(dup);
            jt != duplicate_titles_.end())
          body += "\n" + jt->second;
      }
    }
    if (body.size() > kMaxBodyBytes) body.resize(kMaxBodyBytes);
    p.set_body(std::move(body));
    if (auto it = favourites_.find(id); it != favourites_.end()) {
      for (const auto& u : it->second)
        if (p.liked_by_size() < kMaxLikes) p.add_liked_by(u);
    }
    return index::ValidatePost(p, "post", options_.validation);
  }

  absl::Status ReadPosts() {
    const std::string file = "Posts.xml";
    progress_.records = 0;
    return ReadFile(file, [&](const Row& row, int64_t line) {
      const std::string* id = Field(row, "Id");
      const std::string* type = Field(row, "PostTypeId");
      if (!id || id->empty()) return Problem(file, line, "post row without Id");
      if (!type) return RowProblem(file, line, *id, "PostTypeId: missing");
      if (*type != "1" && *type != "2")
        return absl::OkStatus();  // wiki, tag excerpts
      auto t = CreatedOf(row);
      if (!t.ok()) return RowProblem(file, line, *id, t.status().message());
      if (!Keep(*t)) return absl::OkStatus();
      const std::string owner =
          AuthorOf(row, "OwnerUserId", "OwnerDisplayName");
      v1::Post p;
      if (auto s = PostFromRow(row, *id, *type, *t, owner, p); !s.ok()) {
        if (!IsEmptyPost(p, options_.validation))
          return RowProblem(file, line, *id, s.message());
        return Empty(p);  // well-formed, nothing to index: not a problem
      }
      post_owner_[*id] = owner;
      Counted(file);
      WK_RETURN_IF_ERROR(Author(owner, Field(row, "OwnerDisplayName")));
      return sink_.post(std::move(p));
    });
  }

  absl::Status ReadComments() {
    const std::string file = "Comments.xml";
    return ReadOptionalFile(
        file,
        [&](const Row& row, int64_t line) {
          const std::string* id = Field(row, "Id");
          const std::string* post = Field(row, "PostId");
          const std::string* text = Field(row, "Text");
          if (!id || !post)
            return Problem(file, line, "comment row without Id or PostId");
          if (!text) return absl::OkStatus();
          auto t = CreatedOf(row);
          if (!t.ok()) return RowProblem(file, line, *id, t.status().message());
          if (!Keep(*t)) return absl::OkStatus();
          if (!post_owner_.count(*post))
            return absl::OkStatus();  // on a post not imported
          v1::Post p;
          p.set_id("c" + *id);
          const std::string user = AuthorOf(row, "UserId", "UserDisplayName");
          p.set_author_id(user);
          p.set_parent_id(*post);
          p.set_kind(v1::POST_KIND_COMMENT);
          p.set_body(text->substr(0, kMaxBodyBytes));
          p.mutable_created()->set_seconds(*t);
          if (auto v = index::ValidatePost(p, "comment", options_.validation);
              !v.ok()) {
            if (!IsEmptyPost(p, options_.validation))
              return RowProblem(file, line, *id, v.message());
            return Empty(p);
          }
          Counted(file);
          WK_RETURN_IF_ERROR(Author(user, Field(row, "UserDisplayName")));
          return sink_.post(std::move(p));
        },
        /*counted=*/true);
  }

  const fs::path root_;
  const ImportOptions& options_;
  const StackExchangeSink& sink_;
  BadRecords bad_;
  ImportProgress progress_;
  // Side tables, filled by the early stages.
  std::unordered_map<std::string, std::vector<std::string>> favourites_;
  std::unordered_set<std::string> accepted_later_;
  std::unordered_map<std::string, std::vector<std::string>> duplicates_of_;
  std::unordered_set<std::string> wanted_titles_;
  // Titles of questions that are duplicates of something, by id.
  std::unordered_map<std::string, std::string> duplicate_titles_;
  std::unordered_set<std::string> accepted_;
  // Author of each post read, for the comments on it.
  std::unordered_map<std::string, std::string> post_owner_;
  // People: ids read from Users.xml, names the posts give others, and the
  // minimal people sent.
  std::unordered_set<std::string> users_;
  std::unordered_map<std::string, std::string> names_;
  std::unordered_set<std::string> authors_;
  int64_t empty_posts_ = 0;
};

}  // namespace

bool IsDumpUserId(const std::string& person_id) {
  return person_id != kDeletedAccountId &&
         !person_id.starts_with(kNamedAuthorPrefix);
}

absl::StatusOr<ImportStats> ReadStackExchange(const std::string& dir,
                                              const ImportOptions& options,
                                              const StackExchangeSink& sink) {
  return DumpReader(dir, options, sink).Read();
}

absl::StatusOr<ImportStats> ImportStackExchange(const std::string& dump_dir,
                                                index::Catalog& catalog,
                                                const ImportOptions& options) {
  BatchWriter writer(catalog, options.batch_size);
  StackExchangeSink sink{
      [&](v1::Person p) { return writer.Add(std::move(p)); },
      [&](v1::Post p) { return writer.Add(std::move(p)); },
      [&](v1::Person p) { return writer.AddMinimal(std::move(p)); },
  };
  auto read = ReadStackExchange(dump_dir, options, sink);
  // Commit what was read before a strict failure: nothing valid is lost.
  absl::Status flushed = writer.Flush();
  if (!read.ok()) return read.status();
  WK_RETURN_IF_ERROR(flushed);
  writer.stats.skipped = read->skipped;
  writer.stats.empty_posts = read->empty_posts;
  return writer.stats;
}

}  // namespace whoknows::importers
