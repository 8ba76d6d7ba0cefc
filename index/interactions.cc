#include "index/interactions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/validation.h"

namespace whoknows::index {

absl::Status ValidateInteraction(const Interaction& in,
                                 std::string_view where) {
  WK_RETURN_IF_ERROR(CheckId(in.from, where, "from", /*required=*/true));
  if (in.to.empty()) return Invalid(where, "to", "at least one receiver");
  if (in.to.size() > kMaxReceivers)
    return Invalid(where, "to", absl::StrCat("more than ", kMaxReceivers));
  for (size_t i = 0; i < in.to.size(); ++i) {
    const std::string field = absl::StrCat("to[", i, "]");
    WK_RETURN_IF_ERROR(CheckId(in.to[i], where, field, /*required=*/true));
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
  return DataDir(data_dir_).interactions();
}

absl::Status InteractionLog::Append(std::span<const Interaction> batch) const {
  std::string text;
  for (size_t i = 0; i < batch.size(); ++i) {
    WK_RETURN_IF_ERROR(
        ValidateInteraction(batch[i], absl::StrCat("interactions[", i, "]")));
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

}  // namespace whoknows::index
