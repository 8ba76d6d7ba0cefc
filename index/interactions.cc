#include "index/interactions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "index/batch_writer.h"
#include "index/catalog.h"
#include "index/validation.h"

namespace whoknows::index {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Enron ids are numbers; anything else is kept as text.
std::string IdOf(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_string()) return v.get<std::string>();
  return "";
}

}  // namespace

absl::Status ValidateInteraction(const Interaction& in,
                                 std::string_view where) {
  if (auto s = CheckId(in.from, where, "from", /*required=*/true); !s.ok())
    return s;
  if (in.to.empty()) return Invalid(where, "to", "at least one receiver");
  if (in.to.size() > kMaxReceivers)
    return Invalid(where, "to", absl::StrCat("more than ", kMaxReceivers));
  for (size_t i = 0; i < in.to.size(); ++i) {
    const std::string field = absl::StrCat("to[", i, "]");
    if (auto s = CheckId(in.to[i], where, field, /*required=*/true); !s.ok())
      return s;
    if (in.to[i] == in.from)
      return Invalid(where, field, "the sender cannot be a receiver");
  }
  if (in.time <= 0) return Invalid(where, "time", "required");
  if (in.kind.empty() || in.kind.size() > kMaxKindBytes)
    return Invalid(where, "kind", "must be 1-32 bytes");
  for (unsigned char c : in.kind)
    if (c < 0x21 || c == 0x7f)
      return Invalid(where, "kind", "no spaces or control characters");
  return CheckId(in.id, where, "id", /*required=*/false);
}

InteractionLog::InteractionLog(std::string data_dir)
    : data_dir_(std::move(data_dir)) {}

std::string InteractionLog::path() const {
  return data_dir_ + "/interactions.tsv";
}

absl::Status InteractionLog::Append(std::span<const Interaction> batch) const {
  std::string text;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto s = ValidateInteraction(batch[i],
                                     absl::StrCat("interactions[", i, "]"));
        !s.ok())
      return s;
    absl::StrAppend(&text, batch[i].id, "\t", batch[i].time, "\t",
                    batch[i].kind, "\t", batch[i].from, "\t",
                    absl::StrJoin(batch[i].to, "\t"), "\n");
  }
  if (text.empty()) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  const int fd =
      ::open(path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return absl::InternalError(
        absl::StrCat("cannot open ", path(), ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      return absl::InternalError(absl::StrCat("write ", path(), ": ", err));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return absl::InternalError(absl::StrCat("fsync ", path()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Interaction>> InteractionLog::Load() const {
  std::ifstream in(path(), std::ios::binary);
  std::vector<Interaction> out;
  if (!in) return out;
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Only complete lines: a crash mid-append leaves a torn last line.
  data.resize(data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1);
  std::unordered_map<std::string, size_t> index_of;
  for (absl::string_view line : absl::StrSplit(data, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
    Interaction it;
    if (cols.size() < 5 || !absl::SimpleAtoi(cols[1], &it.time))
      return absl::DataLossError(absl::StrCat(
          path(), ": bad line \"", std::string(line.substr(0, 80)), "\""));
    it.id = std::string(cols[0]);
    it.kind = std::string(cols[2]);
    it.from = std::string(cols[3]);
    for (size_t i = 4; i < cols.size(); ++i) it.to.emplace_back(cols[i]);
    if (!it.id.empty()) {
      auto [pos, inserted] = index_of.try_emplace(it.id, out.size());
      if (!inserted) {
        out[pos->second] = std::move(it);
        continue;
      }
    }
    out.push_back(std::move(it));
  }
  return out;
}

absl::StatusOr<Interaction> ParseInteractionRecord(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return absl::InvalidArgumentError("not a JSON object");
  Interaction it;
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
  if (auto s = ValidateInteraction(it, "interaction"); !s.ok()) return s;
  return it;
}

absl::StatusOr<InteractionImportStats> ImportInteractionsJsonl(
    const std::string& path, Catalog& catalog, const ImportOptions& options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  BatchWriter writer(catalog, options.batch_size);
  std::string line;
  int64_t line_no = 0;
  ImportProgress progress;
  progress.phase = path;
  auto problem = [&](const absl::Status& s) -> absl::Status {
    std::string text = absl::StrCat(path, ":", line_no, ": ", s.message());
    if (options.strict) {
      if (auto f = writer.Flush(); !f.ok()) return f;
      return absl::InvalidArgumentError(text);
    }
    if (options.on_problem) options.on_problem(text);
    ++writer.stats.skipped;
    return absl::OkStatus();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool is_interaction =
        j.is_object() && j.contains("type") && j["type"] == json("interaction");
    absl::Status added;
    if (is_interaction) {
      auto it = ParseInteractionRecord(line);
      if (!it.ok()) {
        if (auto s = problem(it.status()); !s.ok()) return s;
        continue;
      }
      added = writer.Add(std::move(*it));
    } else {
      auto record = ParseJsonlRecord(line);
      if (!record.ok()) {
        if (auto s = problem(record.status()); !s.ok()) return s;
        continue;
      }
      if (auto* post = std::get_if<v1::Post>(&*record))
        added = writer.Add(std::move(*post));
      else
        added = writer.Add(std::get<v1::Person>(std::move(*record)));
    }
    ++progress.records;
    if (!added.ok())
      return absl::Status(added.code(), absl::StrCat(path, ":", line_no, ": ",
                                                     added.message()));
  }
  if (auto s = writer.Flush(); !s.ok()) return s;
  if (options.on_progress) options.on_progress(progress);
  return writer.stats;
}

absl::StatusOr<InteractionImportStats> ImportEnron(
    const std::string& dir, Catalog& catalog, const ImportOptions& options) {
  BatchWriter writer(catalog, options.batch_size);
  auto problem = [&](const std::string& text) -> absl::Status {
    if (options.strict) {
      if (auto f = writer.Flush(); !f.ok()) return f;
      return absl::InvalidArgumentError(text);
    }
    if (options.on_problem) options.on_problem(text);
    ++writer.stats.skipped;
    return absl::OkStatus();
  };
  for (const char* name : {"actors.json", "messages.json"}) {
    const std::string path = dir + "/" + name;
    auto text = ReadFile(path);
    if (!text.ok()) return text.status();
    json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_array())
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a JSON array"));
    ImportProgress progress;
    progress.phase = name;
    for (size_t i = 0; i < doc.size(); ++i) {
      const json& r = doc[i];
      const std::string where = absl::StrCat(path, "[", i, "]");
      if (!r.is_object()) {
        if (auto s = problem(where + ": not an object"); !s.ok()) return s;
        continue;
      }
      auto str = [&](const char* key) {
        auto v = r.find(key);
        return v != r.end() && v->is_string() ? v->get<std::string>() : "";
      };
      absl::Status added;
      if (std::string_view(name) == "actors.json") {
        v1::Person p;
        p.set_id(r.contains("id") ? IdOf(r["id"]) : "");
        p.set_display_name(str("name"));
        p.set_title(str("title"));
        p.set_department(str("department"));
        p.set_team(str("long_department"));
        if (auto s = ValidatePerson(p, "person"); !s.ok()) {
          if (auto f = problem(absl::StrCat(where, ": ", s.message())); !f.ok())
            return f;
          continue;
        }
        added = writer.Add(std::move(p));
      } else {
        Interaction it;
        it.kind = "email";
        if (r.contains("id")) it.id = "enron-" + IdOf(r["id"]);
        if (r.contains("sender")) it.from = IdOf(r["sender"]);
        if (auto v = r.find("receiver"); v != r.end()) {
          if (v->is_array()) {
            for (const auto& x : *v) it.to.push_back(IdOf(x));
          } else {
            it.to.push_back(IdOf(*v));
          }
        }
        if (auto v = r.find("time"); v != r.end() && v->is_number_integer())
          it.time = v->get<int64_t>();
        if (options.created_before > 0 && it.time >= options.created_before)
          continue;
        if (auto s = ValidateInteraction(it, "message"); !s.ok()) {
          if (auto f = problem(absl::StrCat(where, ": ", s.message())); !f.ok())
            return f;
          continue;
        }
        added = writer.Add(std::move(it));
      }
      if (!added.ok())
        return absl::Status(added.code(),
                            absl::StrCat(where, ": ", added.message()));
      ++progress.records;
    }
    // People before messages, so a reader never sees a message from an
    // unknown sender that the same import brings.
    if (auto s = writer.Flush(); !s.ok()) return s;
    if (options.on_progress) options.on_progress(progress);
  }
  return writer.stats;
}

}  // namespace whoknows::index
