#include "importers/jsonl.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "importers/batch_writer.h"
#include "importers/json_ids.h"
#include "importers/timestamp.h"
#include "index/validation.h"

namespace whoknows::importers {
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

// An optional array of T (strings or numbers) into `out`.
template <typename T, typename Field>
absl::Status GetArray(const json& j, const char* key, const char* what,
                      bool (json::*is_t)() const noexcept, Field* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  const auto wrong = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be an array of ", what));
  };
  if (!it->is_array()) return wrong();
  for (const auto& v : *it) {
    if (!(v.*is_t)()) return wrong();
    out->Add(v.get<T>());
  }
  return absl::OkStatus();
}

absl::Status GetStrings(const json& j, const char* key,
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  return GetArray<std::string>(j, key, "strings", &json::is_string, out);
}

absl::Status GetFloats(const json& j, const char* key,
                       google::protobuf::RepeatedField<float>* out) {
  return GetArray<float>(j, key, "numbers", &json::is_number, out);
}

absl::StatusOr<bool> GetBool(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be true or false"));
  return it->get<bool>();
}

// An optional timestamp field ("2024-05-01T00:00:00Z"): set when present.
absl::Status GetTimestamp(const json& j, const char* key,
                          google::protobuf::Timestamp* out) {
  WK_ASSIGN_OR_RETURN(auto text, GetString(j, key));
  if (text.empty()) return absl::OkStatus();
  auto t = ParseTimestamp(text);
  if (!t.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": ", t.status().message()));
  out->set_seconds(*t);
  return absl::OkStatus();
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

absl::StatusOr<v1::Person> ParsePerson(const json& j,
                                       const index::ValidationOptions& v) {
  v1::Person p;
  WK_ASSIGN_OR_RETURN(auto id, GetString(j, "id"));
  WK_ASSIGN_OR_RETURN(auto name, GetString(j, "display_name"));
  WK_ASSIGN_OR_RETURN(auto title, GetString(j, "title"));
  WK_ASSIGN_OR_RETURN(auto dept, GetString(j, "department"));
  WK_ASSIGN_OR_RETURN(auto site, GetString(j, "site"));
  WK_ASSIGN_OR_RETURN(auto country, GetString(j, "country"));
  WK_ASSIGN_OR_RETURN(auto manager, GetString(j, "manager_id"));
  WK_ASSIGN_OR_RETURN(auto active, GetBool(j, "active", true));
  WK_ASSIGN_OR_RETURN(auto opted_out, GetBool(j, "opted_out", false));
  WK_ASSIGN_OR_RETURN(auto team, GetString(j, "team"));
  WK_ASSIGN_OR_RETURN(auto leaving, GetBool(j, "leaving", false));
  WK_RETURN_IF_ERROR(GetTimestamp(j, "joined", p.mutable_joined()));
  WK_RETURN_IF_ERROR(GetTimestamp(j, "away_until", p.mutable_away_until()));
  p.set_team(team);
  p.set_leaving(leaving);
  p.set_id(id);
  p.set_display_name(name);
  p.set_title(title);
  p.set_department(dept);
  p.set_site(site);
  p.set_country(country);
  p.set_manager_id(manager);
  WK_RETURN_IF_ERROR(GetStrings(j, "languages", p.mutable_languages()));
  WK_RETURN_IF_ERROR(GetStrings(j, "groups", p.mutable_groups()));
  p.set_active(active);
  p.set_opted_out(opted_out);
  WK_RETURN_IF_ERROR(index::ValidatePerson(p, "person", v));
  return p;
}

absl::StatusOr<v1::PostKind> ParseKind(const std::string& kind) {
  if (kind == "question") return v1::POST_KIND_QUESTION;
  if (kind == "answer") return v1::POST_KIND_ANSWER;
  if (kind == "comment") return v1::POST_KIND_COMMENT;
  if (kind == "article") return v1::POST_KIND_ARTICLE;
  return absl::InvalidArgumentError(absl::StrCat(
      "post.kind: must be question, answer, comment or article, not \"", kind,
      "\""));
}

absl::StatusOr<v1::Post> ParsePost(const json& j,
                                   const index::ValidationOptions& v) {
  v1::Post p;
  WK_ASSIGN_OR_RETURN(auto id, GetString(j, "id"));
  WK_ASSIGN_OR_RETURN(auto author, GetString(j, "author_id"));
  WK_ASSIGN_OR_RETURN(auto thread, GetString(j, "thread_id"));
  WK_ASSIGN_OR_RETURN(auto parent, GetString(j, "parent_id"));
  WK_ASSIGN_OR_RETURN(auto kind, GetString(j, "kind"));
  WK_ASSIGN_OR_RETURN(auto title, GetString(j, "title"));
  WK_ASSIGN_OR_RETURN(auto body, GetString(j, "body"));
  WK_ASSIGN_OR_RETURN(auto language, GetString(j, "language"));
  WK_ASSIGN_OR_RETURN(auto created, GetString(j, "created"));
  WK_ASSIGN_OR_RETURN(auto visibility, GetString(j, "visibility"));
  WK_ASSIGN_OR_RETURN(auto accepted, GetBool(j, "accepted", false));
  p.set_id(id);
  p.set_author_id(author);
  p.set_thread_id(thread);
  p.set_parent_id(parent);
  WK_ASSIGN_OR_RETURN(auto post_kind, ParseKind(kind));
  p.set_kind(post_kind);
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
  WK_RETURN_IF_ERROR(GetStrings(j, "tags", p.mutable_tags()));
  WK_RETURN_IF_ERROR(GetStrings(j, "liked_by", p.mutable_liked_by()));
  WK_RETURN_IF_ERROR(GetStrings(j, "mentioned", p.mutable_mentioned()));
  WK_RETURN_IF_ERROR(GetFloats(j, "embedding", p.mutable_embedding()));
  if (IsEmptyPost(p, v)) return p;  // not malformed: the caller decides
  WK_RETURN_IF_ERROR(index::ValidatePost(p, "post", v));
  return p;
}

absl::StatusOr<index::Interaction> ParseInteraction(
    const json& j, const index::ValidationOptions& v) {
  index::Interaction it;
  if (auto v = j.find("id"); v != j.end() && !v->is_null()) {
    it.id = IdOf(*v);
    if (it.id.empty())
      return absl::InvalidArgumentError("id: must be a string or integer");
  }
  if (auto v = j.find("from"); v != j.end()) it.from = IdOf(*v);
  if (auto v = j.find("to"); v != j.end()) {
    if (v->is_array()) {
      for (const auto& r : *v) {
        it.to.push_back(IdOf(r));
        if (it.to.back().empty())
          return absl::InvalidArgumentError(
              "to: must be an id or an array of ids");
      }
    } else {
      it.to.push_back(IdOf(*v));
    }
  }
  if (auto v = j.find("time"); v != j.end()) {
    if (v->is_number_integer()) {
      it.time = v->get<int64_t>();
    } else if (v->is_string()) {
      auto t = ParseTimestamp(v->get<std::string>());
      if (!t.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("time: ", t.status().message()));
      it.time = *t;
    } else {
      return absl::InvalidArgumentError(
          "time: must be RFC 3339 text or unix seconds");
    }
  }
  if (auto v = j.find("kind"); v != j.end() && v->is_string())
    it.kind = v->get<std::string>();
  WK_RETURN_IF_ERROR(ValidateInteraction(it, "interaction", v));
  return it;
}

// Any record of the exchange format; interactions only where allowed.
using AnyRecord = std::variant<v1::Person, v1::Post, index::Interaction>;

absl::StatusOr<AnyRecord> ParseLine(std::string_view line,
                                    bool with_interactions,
                                    const index::ValidationOptions& v) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  WK_ASSIGN_OR_RETURN(auto type, GetString(j, "type"));
  if (type == "person") return ParsePerson(j, v);
  if (type == "post") return ParsePost(j, v);
  if (type == "interaction" && with_interactions) return ParseInteraction(j, v);
  return absl::InvalidArgumentError(
      absl::StrCat("type: must be \"person\" or \"post\", not \"", type, "\""));
}

int64_t CreatedOf(const AnyRecord& r) {
  if (auto* post = std::get_if<v1::Post>(&r)) return post->created().seconds();
  if (auto* it = std::get_if<index::Interaction>(&r)) return it->time;
  return 0;  // people have no creation time
}

// The one JSONL import loop: each line parsed, bad ones through BadRecords,
// good ones through the BatchWriter.
absl::StatusOr<ImportStats> ImportLines(const std::string& path,
                                        index::Catalog& catalog,
                                        const ImportOptions& options,
                                        bool with_interactions) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  BatchWriter writer(catalog, options.batch_size);
  BadRecords bad(options);
  ImportProgress progress{fs::path(path).filename().string(), 0, 0,
                          FileSize(path)};
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    progress.bytes_done += static_cast<int64_t>(line.size()) + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto record = ParseLine(line, with_interactions, options.validation);
    if (!record.ok()) {
      absl::Status s = bad.Report(
          absl::StrCat(path, ":", line_no, ": ", record.status().message()));
      if (!s.ok()) return writer.FlushThen(s);
      continue;
    }
    ++progress.records;
    if (options.created_before > 0 &&
        CreatedOf(*record) >= options.created_before)
      continue;
    if (auto* post = std::get_if<v1::Post>(&*record);
        post && IsEmptyPost(*post, options.validation)) {
      ++writer.stats.empty_posts;
      continue;
    }
    absl::Status added = std::visit(
        [&](auto&& r) { return writer.Add(std::move(r)); }, std::move(*record));
    if (!added.ok())
      return absl::Status(added.code(), absl::StrCat(path, ":", line_no, ": ",
                                                     added.message()));
    if (writer.JustFlushed() && options.on_progress) {
      progress.posts = writer.stats.posts;
      options.on_progress(progress);
    }
  }
  WK_RETURN_IF_ERROR(writer.Flush());
  progress.posts = writer.stats.posts;
  if (options.on_progress) options.on_progress(progress);
  writer.stats.skipped = bad.skipped();
  return writer.stats;
}

}  // namespace

absl::StatusOr<Record> ParseJsonlRecord(
    std::string_view line, const index::ValidationOptions& validation) {
  WK_ASSIGN_OR_RETURN(AnyRecord r,
                      ParseLine(line, /*with_interactions=*/false, validation));
  if (auto* post = std::get_if<v1::Post>(&r)) {
    // One record alone: an empty post is as unusable as a malformed one.
    WK_RETURN_IF_ERROR(index::ValidatePost(*post, "post", validation));
    return std::move(*post);
  }
  return std::get<v1::Person>(std::move(r));
}

absl::StatusOr<index::Interaction> ParseInteractionRecord(
    std::string_view line, const index::ValidationOptions& validation) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return absl::InvalidArgumentError("not a JSON object");
  return ParseInteraction(j, validation);
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
  if (p.groups_size() > 0)
    j["groups"] =
        std::vector<std::string>(p.groups().begin(), p.groups().end());
  if (p.has_away_until())
    j["away_until"] = FormatTimestamp(p.away_until().seconds());
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
                                        index::Catalog& catalog,
                                        const ImportOptions& options) {
  return ImportLines(path, catalog, options, /*with_interactions=*/false);
}

absl::StatusOr<ImportStats> ImportInteractionsJsonl(
    const std::string& path, index::Catalog& catalog,
    const ImportOptions& options) {
  return ImportLines(path, catalog, options, /*with_interactions=*/true);
}

}  // namespace whoknows::importers
