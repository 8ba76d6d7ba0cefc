#include "index/change_log.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace whoknows::index {
namespace {

constexpr char kEpochKey[] = "whoknows.log.epoch";
constexpr char kHeadKey[] = "whoknows.log.head";
constexpr char kEntryPrefix[] = "whoknows.log.e";
constexpr char kCoversKey[] = "whoknows.log.covers";
constexpr char kHeader[] = "whoknows-log 1\n";

std::string EntryKey(uint64_t seq) {
  char digits[21];
  std::snprintf(digits, sizeof digits, "%020" PRIu64, seq);
  return absl::StrCat(kEntryPrefix, digits);
}

// "<kind> [<fingerprint hex> ]<length> <id>\n"
void AppendId(std::string& out, char kind, const std::string& id,
              const uint64_t* fingerprint = nullptr) {
  out.push_back(kind);
  out.push_back(' ');
  if (fingerprint) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, *fingerprint);
    absl::StrAppend(&out, hex, " ");
  }
  absl::StrAppend(&out, id.size(), " ", id, "\n");
}

// Reads an unsigned number in `base` up to `stop` from `in`, and the stop.
bool ReadNumber(std::string_view& in, uint64_t& value, int base, char stop) {
  const auto [end, ec] =
      std::from_chars(in.data(), in.data() + in.size(), value, base);
  if (ec != std::errc() || end == in.data() || end == in.data() + in.size() ||
      *end != stop)
    return false;
  in.remove_prefix(static_cast<size_t>(end - in.data()) + 1);
  return true;
}

}  // namespace

uint64_t RecordFingerprint(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string EncodeChangeLogEntry(const ChangeLogEntry& entry) {
  std::string out = kHeader;
  // "F\n" alone is an entry written before reasons were kept.
  if (entry.full && entry.why.empty()) out += "F\n";
  if (entry.full && !entry.why.empty()) AppendId(out, 'F', entry.why);
  for (const auto& [id, fingerprint] : entry.posts)
    AppendId(out, 'P', id, &fingerprint);
  for (const auto& id : entry.deleted_posts) AppendId(out, 'D', id);
  for (const auto& id : entry.people) AppendId(out, 'p', id);
  for (const auto& id : entry.deleted_people) AppendId(out, 'd', id);
  return out;
}

absl::StatusOr<ChangeLogEntry> DecodeChangeLogEntry(std::string_view in) {
  if (!in.starts_with(kHeader))
    return absl::DataLossError("change log entry: no header");
  in.remove_prefix(sizeof kHeader - 1);
  ChangeLogEntry entry;
  for (int line = 2; !in.empty(); ++line) {
    auto bad = [&](std::string_view why) {
      return absl::DataLossError(absl::StrCat("change log entry, line ", line,
                                              ": ", std::string(why)));
    };
    const char kind = in[0];
    if (kind == 'F' && in.starts_with("F\n")) {
      entry.full = true;
      in.remove_prefix(2);
      continue;
    }
    if (in.size() < 2 || in[1] != ' ') return bad("no kind");
    in.remove_prefix(2);
    uint64_t fingerprint = 0, length = 0;
    if (kind == 'P' && !ReadNumber(in, fingerprint, 16, ' '))
      return bad("no fingerprint");
    if (!ReadNumber(in, length, 10, ' ')) return bad("no length");
    // Not `length + 1`: the largest length wraps it to 0.
    if (length >= in.size() || in[length] != '\n') return bad("cut short");
    std::string id(in.substr(0, length));
    in.remove_prefix(length + 1);
    switch (kind) {
      case 'P':
        entry.posts.emplace_back(std::move(id), fingerprint);
        break;
      case 'D':
        entry.deleted_posts.push_back(std::move(id));
        break;
      case 'p':
        entry.people.push_back(std::move(id));
        break;
      case 'd':
        entry.deleted_people.push_back(std::move(id));
        break;
      case 'F':
        entry.full = true;
        entry.why = std::move(id);
        break;
      default:
        return bad("unknown kind");
    }
  }
  return entry;
}

ChangeLogPosition ReadChangeLogPosition(const Xapian::Database& people) {
  ChangeLogPosition pos;
  pos.epoch = people.get_metadata(kEpochKey);
  const std::string head = people.get_metadata(kHeadKey);
  uint64_t seq = 0;
  std::from_chars(head.data(), head.data() + head.size(), seq);
  if (!pos.epoch.empty()) pos.head = seq;
  return pos;
}

void AppendChangeLog(Xapian::WritableDatabase& people, ChangeLogPosition& pos,
                     const ChangeLogEntry& entry, int keep) {
  if (pos.epoch.empty()) {
    pos.epoch = absl::StrCat(absl::ToUnixNanos(absl::Now()));
    pos.head = 0;
    people.set_metadata(kEpochKey, pos.epoch);
  }
  ++pos.head;
  people.set_metadata(EntryKey(pos.head), EncodeChangeLogEntry(entry));
  people.set_metadata(kHeadKey, absl::StrCat(pos.head));
  if (keep > 0 && pos.head > static_cast<uint64_t>(keep))
    people.set_metadata(EntryKey(pos.head - keep), "");  // removes it
}

void PruneChangeLog(Xapian::WritableDatabase& people,
                    const ChangeLogPosition& pos, int keep) {
  if (pos.epoch.empty()) return;
  const std::string last_kept = EntryKey(
      pos.head > static_cast<uint64_t>(keep) ? pos.head - keep + 1 : 1);
  std::vector<std::string> old;
  for (auto k = people.metadata_keys_begin(kEntryPrefix);
       k != people.metadata_keys_end(kEntryPrefix) && *k < last_kept; ++k)
    old.push_back(*k);
  for (const auto& key : old) people.set_metadata(key, "");
}

void ResetChangeLog(Xapian::WritableDatabase& people, ChangeLogPosition& pos) {
  std::vector<std::string> keys;
  for (auto k = people.metadata_keys_begin(kEntryPrefix);
       k != people.metadata_keys_end(kEntryPrefix); ++k)
    keys.push_back(*k);
  for (const auto& key : keys) people.set_metadata(key, "");  // removes it
  for (const char* key : {kEpochKey, kHeadKey, kCoversKey})
    people.set_metadata(key, "");
  pos = ChangeLogPosition();
}

void SetChangeLogCovers(Xapian::WritableDatabase& people,
                        const std::string& state) {
  people.set_metadata(kCoversKey, state);
}

std::string ReadChangeLogCovers(const Xapian::Database& people) {
  return people.get_metadata(kCoversKey);
}

absl::StatusOr<std::vector<ChangeLogEntry>> ReadChangeLog(
    const Xapian::Database& people, const ChangeLogPosition& from,
    const ChangeLogPosition& to) {
  if (to.epoch.empty() || to.epoch != from.epoch || to.head < from.head) {
    return absl::OutOfRangeError(
        "change log: another log than the one followed (reset by an erasure, "
        "or people/ restored or re-created)");
  }
  std::vector<ChangeLogEntry> entries;
  for (uint64_t seq = from.head + 1; seq <= to.head; ++seq) {
    const std::string bytes = people.get_metadata(EntryKey(seq));
    if (bytes.empty()) {
      return absl::OutOfRangeError(
          absl::StrCat("change log: entry ", seq, " pruned"));
    }
    absl::StatusOr<ChangeLogEntry> entry = DecodeChangeLogEntry(bytes);
    if (!entry.ok()) {
      return absl::DataLossError(
          absl::StrCat("entry ", seq, ": ", entry.status().message()));
    }
    entries.push_back(*std::move(entry));
  }
  return entries;
}

}  // namespace whoknows::index
