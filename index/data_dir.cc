#include "index/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(const char* what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status Fsync(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : Errno("fsync", path);
}

}  // namespace

const char* StoreName(Store store) {
  switch (store) {
    case Store::kPosts:
      return "posts";
    case Store::kPrivatePosts:
      return "private_posts";
    case Store::kPeople:
      return "people";
  }
  return "?";
}

std::string DataDir::Join(std::string_view name) const {
  return (fs::path(root_) / std::string(name)).string();
}

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(
    const DataDir& dir) {
  const std::string path = dir.lock();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data folder ", dir.root(),
          " is locked by another writer (is `whoknows serve` running on it, "
          "or a `serve --follow` serving from it? a follower serves from a "
          "folder of its own, which xapian-replicate keeps)"));
    }
    errno = err;
    return Errno("cannot lock", path);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

absl::Status WriteFileAtomically(
    const std::string& path,
    const std::function<absl::Status(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  absl::Status status;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    status = write(out);
    if (status.ok() && !out.flush())
      status = absl::DataLossError(absl::StrCat("writing ", tmp, " failed"));
  }
  if (status.ok()) status = Fsync(tmp, O_RDONLY);
  std::error_code ec;
  if (status.ok()) {
    fs::rename(tmp, path, ec);
    if (ec)
      status = absl::UnavailableError(absl::StrCat(
          "cannot rename ", tmp, " to ", path, ": ", ec.message()));
  }
  if (!status.ok()) {
    fs::remove(tmp, ec);
    return status;
  }
  const std::string folder = fs::path(path).parent_path().string();
  return Fsync(folder.empty() ? "." : folder, O_RDONLY | O_DIRECTORY);
}

absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view contents) {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    return absl::OkStatus();
  });
}

absl::Status RemoveFileDurably(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("cannot remove ", path, ": ", ec.message()));
  const std::string folder = fs::path(path).parent_path().string();
  return SyncFolder(folder.empty() ? "." : folder);
}

absl::Status SyncFolder(const std::string& path) {
  return Fsync(path, O_RDONLY | O_DIRECTORY);
}

absl::StatusOr<int64_t> CutTornLastLine(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("stat", path);
  const off_t size = st.st_size;
  // Backwards, a block at a time, to the last '\n'.
  char block[1 << 16];
  off_t end = size, keep = 0;
  while (end > 0) {
    const off_t start =
        end > off_t{sizeof block} ? end - off_t{sizeof block} : 0;
    const ssize_t n =
        ::pread(fd, block, static_cast<size_t>(end - start), start);
    if (n < 0 && errno == EINTR) continue;
    if (n != end - start) return Errno("read", path);
    const void* nl = ::memrchr(block, '\n', static_cast<size_t>(n));
    if (nl) {
      keep = start + (static_cast<const char*>(nl) - block) + 1;
      break;
    }
    end = start;
  }
  if (keep == size) return 0;
  if (::ftruncate(fd, keep) != 0) return Errno("truncate", path);
  if (::fsync(fd) != 0) return Errno("fsync", path);
  std::fprintf(stderr,
               "whoknows: %s: cut a torn last line (%lld bytes at offset "
               "%lld, no newline: a crash mid-append)\n",
               path.c_str(), static_cast<long long>(size - keep),
               static_cast<long long>(keep));
  return static_cast<int64_t>(size - keep);
}

absl::StatusOr<int64_t> CutTornLastLine(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return Errno("cannot open", path);
  }
  auto cut = CutTornLastLine(fd, path);
  ::close(fd);
  return cut;
}

absl::StatusOr<DataDirRecovery> RecoverDataDir(const DataDir& dir) {
  DataDirRecovery r;
  for (const std::string& path :
       {dir.graph(), dir.embeddings(), dir.derived_state(), dir.graph_state(),
        dir.docid_state(), dir.fusion_weights(), dir.erasure_journal(),
        dir.batch_journal(), dir.interactions(), dir.outcomes()}) {
    const std::string tmp = path + ".tmp";
    std::error_code ec;
    if (!fs::exists(tmp, ec)) continue;
    WK_RETURN_IF_ERROR(RemoveFileDurably(tmp));
    std::fprintf(stderr, "whoknows: removed %s left by a crash\n", tmp.c_str());
    ++r.temporaries_removed;
  }
  for (const std::string& path :
       {dir.interactions(), dir.outcomes(), dir.audit_log()}) {
    WK_ASSIGN_OR_RETURN(const int64_t cut, CutTornLastLine(path));
    r.torn_bytes_cut += cut;
  }
  return r;
}

}  // namespace whoknows::index
