#include "index/outcomes.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/data_dir.h"

namespace whoknows::index {
namespace {

using nlohmann::json;

absl::Status CheckText(const std::string& text, size_t max,
                       std::string_view where, std::string_view field) {
  if (text.size() > max)
    return Invalid(where, field, absl::StrCat("longer than ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status CheckTags(v1::Outcome* o, std::string_view where) {
  if (o->tags_size() > kMaxTags)
    return Invalid(where, "tags", absl::StrCat("more than ", kMaxTags));
  for (int i = 0; i < o->tags_size(); ++i) {
    std::string* tag = o->mutable_tags(i);
    const std::string field = absl::StrCat("tags[", i, "]");
    if (tag->empty() || tag->size() > kMaxTagBytes)
      return Invalid(where, field,
                     absl::StrCat("must be 1-", kMaxTagBytes, " bytes"));
    for (unsigned char c : *tag)
      if (c <= 0x20 || c == 0x7f)
        return Invalid(where, field, "no spaces or control characters");
    absl::AsciiStrToLower(tag);
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const std::string& text,
                      const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return absl::InternalError(
          absl::StrCat("write ", path, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return absl::InternalError(
        absl::StrCat("fsync ", path, ": ", std::strerror(errno)));
  return absl::OkStatus();
}

// The whole lines of the file (a torn last one left out); empty when there
// is no file.
absl::StatusOr<std::string> ReadWholeLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string();
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InternalError(absl::StrCat("read ", path));
  const size_t end = data.rfind('\n');
  data.resize(end == std::string::npos ? 0 : end + 1);
  return data;
}

}  // namespace

absl::Status ValidateOutcome(v1::Outcome* o, std::string_view where,
                             const ValidationOptions& options) {
  WK_RETURN_IF_ERROR(CheckId(o->id(), where, "id", /*required=*/false));
  WK_RETURN_IF_ERROR(CheckId(o->helper_id(), where, "helper_id", true));
  WK_RETURN_IF_ERROR(CheckId(o->asker_id(), where, "asker_id", false));
  WK_RETURN_IF_ERROR(
      CheckId(o->question_post_id(), where, "question_post_id", false));
  if (!o->asker_id().empty() && o->asker_id() == o->helper_id())
    return Invalid(where, "helper_id", "the asker cannot be their own helper");
  WK_RETURN_IF_ERROR(CheckText(o->title(), kMaxTitleBytes, where, "title"));
  WK_RETURN_IF_ERROR(CheckText(o->body(), kMaxOutcomeBodyBytes, where, "body"));
  if (o->question_post_id().empty() && o->title().empty() && o->body().empty())
    return Invalid(where, "question_post_id",
                   "required (or the question's title or body)");
  WK_RETURN_IF_ERROR(CheckTags(o, where));
  if (!v1::OutcomeKind_IsValid(o->kind()) ||
      o->kind() == v1::OUTCOME_KIND_UNSPECIFIED)
    return Invalid(where, "kind", "required: answered, accepted or thanked");
  if (!o->has_time()) return Invalid(where, "time", "required");
  return CheckTime(o->time().seconds(), o->time().nanos(), options.clock(),
                   options, where, "time");
}

std::string OutcomeToJsonLine(const v1::Outcome& o) {
  json j = {{"id", o.id()},
            {"helper_id", o.helper_id()},
            {"kind", static_cast<int>(o.kind())},
            {"time", o.time().seconds()}};
  if (!o.question_post_id().empty())
    j["question_post_id"] = o.question_post_id();
  if (!o.asker_id().empty()) j["asker_id"] = o.asker_id();
  if (!o.title().empty()) j["title"] = o.title();
  if (!o.body().empty()) j["body"] = o.body();
  if (o.tags_size() > 0)
    j["tags"] = std::vector<std::string>(o.tags().begin(), o.tags().end());
  // One line: dump escapes newlines; bytes that are not UTF-8 (protobuf
  // refuses them at the API) would become U+FFFD rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<v1::Outcome> OutcomeFromJsonLine(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  v1::Outcome o;
  if (!j.is_object() || !j.contains("helper_id") || !j.contains("time"))
    return absl::DataLossError("not an outcome");
  try {
    o.set_id(j.value("id", ""));
    o.set_helper_id(j.at("helper_id").get<std::string>());
    o.set_kind(static_cast<v1::OutcomeKind>(j.value("kind", 0)));
    o.mutable_time()->set_seconds(j.at("time").get<int64_t>());
    o.set_question_post_id(j.value("question_post_id", ""));
    o.set_asker_id(j.value("asker_id", ""));
    o.set_title(j.value("title", ""));
    o.set_body(j.value("body", ""));
    for (const auto& t : j.value("tags", std::vector<std::string>{}))
      o.add_tags(t);
  } catch (const json::exception& e) {
    return absl::DataLossError(e.what());
  }
  return o;
}

OutcomeLog::OutcomeLog(std::string data_dir) : data_dir_(std::move(data_dir)) {}

std::string OutcomeLog::path() const { return DataDir(data_dir_).outcomes(); }

absl::Status OutcomeLog::Append(const v1::Outcome& outcome) {
  const std::string line = OutcomeToJsonLine(outcome) + "\n";
  absl::MutexLock lock(&mu_);
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  const int fd =
      ::open(path().c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return absl::InternalError(
        absl::StrCat("cannot open ", path(), ": ", std::strerror(errno)));
  // A torn last line is cut first, or this line would be glued onto it.
  absl::Status s = CutTornLastLine(fd, path()).status();
  if (s.ok()) s = WriteAll(fd, line, path());
  ::close(fd);
  return s;
}

absl::StatusOr<std::vector<v1::Outcome>> OutcomeLog::Load() const {
  WK_ASSIGN_OR_RETURN(const std::string data, ReadWholeLines(path()));
  std::vector<v1::Outcome> out;
  std::unordered_map<std::string, size_t> index_of;
  size_t start = 0;
  int line_number = 0;
  for (size_t end; (end = data.find('\n', start)) != std::string::npos;
       start = end + 1) {
    ++line_number;
    const std::string_view line(data.data() + start, end - start);
    if (line.empty()) continue;
    auto o = OutcomeFromJsonLine(line);
    if (!o.ok())
      return absl::DataLossError(
          absl::StrCat(path(), ":", line_number, ": ", o.status().message()));
    auto [pos, inserted] = index_of.try_emplace(o->id(), out.size());
    if (inserted || o->id().empty()) {
      out.push_back(*std::move(o));
    } else {
      out[pos->second] = *std::move(o);
    }
  }
  return out;
}

absl::StatusOr<int64_t> OutcomeLog::RemovePerson(const std::string& person_id) {
  if (person_id.empty())
    return absl::InvalidArgumentError("person_id: required");
  absl::MutexLock lock(&mu_);
  std::error_code ec;
  if (!std::filesystem::exists(path(), ec)) return 0;
  std::ifstream in(path(), std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  std::string kept;
  int64_t removed = 0;
  size_t start = 0;
  for (size_t end; (end = data.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const std::string_view line(data.data() + start, end - start);
    auto o = OutcomeFromJsonLine(line);
    if (o.ok() && (o->helper_id() == person_id || o->asker_id() == person_id)) {
      ++removed;
      continue;
    }
    kept.append(line).push_back('\n');  // others (even unreadable) stay
  }
  // A torn last line is dropped with the rewrite: it may be theirs.
  if (removed > 0 || start != data.size())
    WK_RETURN_IF_ERROR(WriteFileAtomically(path(), kept));
  return removed;
}

}  // namespace whoknows::index
