#include "index/interactions.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
namespace {

absl::Status ErrnoStatus(const char* what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Opens `path` with `flags` and holds an exclusive flock on it. RemovePerson
// replaces the file by a rename, so a lock taken on the file it replaced
// guards nothing: after locking, the descriptor is checked to still be the
// file at `path`, and opened again if not. Returns the descriptor, or -1
// with errno set.
int OpenLocked(const std::string& path, int flags) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int locked;
    do {
      locked = ::flock(fd, LOCK_EX);
    } while (locked != 0 && errno == EINTR);
    struct stat held {
    }, now{};
    if (locked != 0 || ::fstat(fd, &held) != 0) {
      const int err = errno;
      ::close(fd);
      errno = err;
      return -1;
    }
    if (::stat(path.c_str(), &now) == 0 && now.st_ino == held.st_ino &&
        now.st_dev == held.st_dev) {
      return fd;
    }
    ::close(fd);  // replaced while we waited: lock the new file
  }
}

}  // namespace

absl::Status ValidateInteraction(const Interaction& in, std::string_view where,
                                 const ValidationOptions& options) {
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
  WK_RETURN_IF_ERROR(
      CheckTime(in.time, 0, options.clock(), options, where, "time"));
  if (in.kind.empty() || in.kind.size() > kMaxKindBytes)
    return Invalid(where, "kind", "must be 1-32 bytes");
  for (unsigned char c : in.kind)
    if (c < 0x21 || c == 0x7f)
      return Invalid(where, "kind", "no spaces or control characters");
  return CheckId(in.id, where, "id", /*required=*/false);
}

InteractionLog::InteractionLog(std::string data_dir,
                               ValidationOptions validation)
    : data_dir_(std::move(data_dir)), validation_(std::move(validation)) {}

std::string InteractionLog::path() const {
  return DataDir(data_dir_).interactions();
}

absl::Status InteractionLog::Append(std::span<const Interaction> batch) const {
  std::string text;
  for (size_t i = 0; i < batch.size(); ++i) {
    WK_RETURN_IF_ERROR(ValidateInteraction(
        batch[i], absl::StrCat("interactions[", i, "]"), validation_));
    absl::StrAppend(&text, batch[i].id, "\t", batch[i].time, "\t",
                    batch[i].kind, "\t", batch[i].from, "\t",
                    absl::StrJoin(batch[i].to, "\t"), "\n");
  }
  if (text.empty()) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  const int fd = OpenLocked(path(), O_RDWR | O_CREAT | O_APPEND);
  if (fd < 0) return ErrnoStatus("cannot open", path());
  // A torn last line (a crash mid-append) is cut first: appended after it,
  // the batch's first record would be glued onto the fragment.
  if (auto cut = CutTornLastLine(fd, path()); !cut.ok()) {
    ::close(fd);
    return cut.status();
  }
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

absl::StatusOr<InteractionErasure> InteractionLog::RemovePerson(
    const std::string& person_id) const {
  InteractionErasure result;
  if (person_id.empty())
    return absl::InvalidArgumentError("person_id: required");
  // Held until the new file is in place, so that no append lands in the
  // file being replaced.
  const int fd = OpenLocked(path(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return result;  // no log, nothing to erase
    return ErrnoStatus("cannot open", path());
  }
  std::string data;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoStatus("read", path());
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  std::string kept;
  kept.reserve(data.size());
  size_t start = 0;
  for (size_t end; (end = data.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const absl::string_view line(data.data() + start, end - start);
    std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 5) {  // not ours to judge: Load reports it
      absl::StrAppend(&kept, line, "\n");
      continue;
    }
    if (cols[3] == person_id) {
      ++result.removed;
      continue;
    }
    std::vector<absl::string_view> to(cols.begin() + 4, cols.end());
    const auto last = std::remove(to.begin(), to.end(), person_id);
    if (last == to.end()) {
      absl::StrAppend(&kept, line, "\n");
      continue;
    }
    to.erase(last, to.end());
    if (to.empty()) {
      ++result.removed;
      continue;
    }
    ++result.redacted;
    absl::StrAppend(&kept, absl::StrJoin(cols.begin(), cols.begin() + 4, "\t"),
                    "\t", absl::StrJoin(to, "\t"), "\n");
  }
  absl::Status written;
  // Rewritten even when nothing matched if a torn line is to be dropped;
  // otherwise the file is left as it is.
  if (result.removed > 0 || result.redacted > 0 || start != data.size())
    written = WriteFileAtomically(path(), kept);
  ::close(fd);
  if (!written.ok()) return written;
  return result;
}

}  // namespace whoknows::index
