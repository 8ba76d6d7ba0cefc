#include "importers/enron.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "importers/batch_writer.h"
#include "importers/json_ids.h"
#include "index/interactions.h"
#include "index/validation.h"

namespace whoknows::importers {
namespace {

using nlohmann::json;

absl::StatusOr<json> ReadJsonArray(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array())
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON array"));
  return doc;
}

std::string StringField(const json& r, const char* key) {
  auto v = r.find(key);
  return v != r.end() && v->is_string() ? v->get<std::string>() : "";
}

v1::Person PersonOf(const json& actor) {
  v1::Person p;
  p.set_id(actor.contains("id") ? IdOf(actor["id"]) : "");
  p.set_display_name(StringField(actor, "name"));
  p.set_title(StringField(actor, "title"));
  p.set_department(StringField(actor, "department"));
  p.set_team(StringField(actor, "long_department"));
  return p;
}

index::Interaction InteractionOf(const json& message) {
  index::Interaction it;
  it.kind = "email";
  if (message.contains("id")) it.id = "enron-" + IdOf(message["id"]);
  if (message.contains("sender")) it.from = IdOf(message["sender"]);
  if (auto v = message.find("receiver"); v != message.end()) {
    if (v->is_array()) {
      for (const auto& x : *v) it.to.push_back(IdOf(x));
    } else {
      it.to.push_back(IdOf(*v));
    }
  }
  if (auto v = message.find("time");
      v != message.end() && v->is_number_integer())
    it.time = v->get<int64_t>();
  return it;
}

// Imports one of the two files: each element through `add`, which returns
// the record's problem (skipped or fatal per BadRecords) or writes it.
template <typename Add>
absl::Status ImportFile(const std::string& dir, const char* name,
                        BatchWriter& writer, BadRecords& bad,
                        const ImportOptions& options, Add add) {
  const std::string path = dir + "/" + name;
  WK_ASSIGN_OR_RETURN(json doc, ReadJsonArray(path));
  ImportProgress progress;
  progress.phase = name;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string where = absl::StrCat(path, "[", i, "]");
    absl::Status problem = doc[i].is_object()
                               ? absl::OkStatus()
                               : absl::InvalidArgumentError("not an object");
    bool written = false;
    absl::Status added;
    if (problem.ok()) problem = add(doc[i], written, added);
    if (!problem.ok()) {
      absl::Status s = bad.Report(absl::StrCat(where, ": ", problem.message()));
      if (!s.ok()) return writer.FlushThen(s);
      continue;
    }
    if (!added.ok())
      return absl::Status(added.code(),
                          absl::StrCat(where, ": ", added.message()));
    if (written) ++progress.records;
  }
  // People before messages, so a reader never sees a message from an
  // unknown sender that the same import brings.
  WK_RETURN_IF_ERROR(writer.Flush());
  if (options.on_progress) options.on_progress(progress);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImportStats> ImportEnron(const std::string& dir,
                                        index::Catalog& catalog,
                                        const ImportOptions& options) {
  BatchWriter writer(catalog, options.batch_size);
  BadRecords bad(options);
  WK_RETURN_IF_ERROR(
      ImportFile(dir, "actors.json", writer, bad, options,
                 [&](const json& actor, bool& written, absl::Status& added) {
                   v1::Person p = PersonOf(actor);
                   WK_RETURN_IF_ERROR(
                       index::ValidatePerson(p, "person", options.validation));
                   added = writer.Add(std::move(p));
                   written = true;
                   return absl::OkStatus();
                 }));
  WK_RETURN_IF_ERROR(ImportFile(
      dir, "messages.json", writer, bad, options,
      [&](const json& message, bool& written, absl::Status& added) {
        index::Interaction it = InteractionOf(message);
        if (options.created_before > 0 && it.time >= options.created_before)
          return absl::OkStatus();
        WK_RETURN_IF_ERROR(
            index::ValidateInteraction(it, "message", options.validation));
        added = writer.Add(std::move(it));
        written = true;
        return absl::OkStatus();
      }));
  writer.stats.skipped = bad.skipped();
  return writer.stats;
}

}  // namespace whoknows::importers
