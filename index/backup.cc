#include "index/backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

constexpr char kManifest[] = "MANIFEST.json";
constexpr size_t kBlock = 512;
// A manifest lists a few dozen files; anything bigger is not one.
constexpr int64_t kMaxManifestBytes = 16 << 20;

// Incremental SHA-256, hex.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void Update(const char* data, size_t n) {
    EVP_DigestUpdate(ctx_.get(), data, n);
  }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &n);
    std::string hex;
    for (unsigned int i = 0; i < n; ++i)
      absl::StrAppendFormat(&hex, "%02x", digest[i]);
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::string> ReadOptional(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  return *text;
}

absl::Status WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush())
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// The whole lines of an append-only file; missing is empty.
std::string WholeLines(std::string text) {
  const size_t nl = text.rfind('\n');
  text.resize(nl == std::string::npos ? 0 : nl + 1);
  return text;
}

// interactions.tsv under the flock that appends and erasures take, so that
// neither is half seen. An erasure replaces the file by a rename: the lock
// must be on the file still at the path.
absl::StatusOr<std::string> ReadInteractionsLocked(const std::string& path) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::string();
      return absl::InternalError(
          absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    int locked;
    do {
      locked = ::flock(fd, LOCK_SH);
    } while (locked != 0 && errno == EINTR);
    struct stat held {
    }, now{};
    if (locked == 0 && ::fstat(fd, &held) == 0 &&
        ::stat(path.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      std::string data;
      char buffer[1 << 16];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        data.append(buffer, static_cast<size_t>(n));
      ::close(fd);  // releases the lock
      if (n < 0) return absl::InternalError(absl::StrCat("read ", path));
      return WholeLines(std::move(data));
    }
    ::close(fd);
  }
}

struct Databases {
  std::string posts, private_posts, people;  // paths; private may be absent
};

std::vector<std::pair<std::string, std::string>> Named(const Databases& d) {
  std::vector<std::pair<std::string, std::string>> out = {{"posts", d.posts},
                                                          {"people", d.people}};
  std::error_code ec;
  if (fs::exists(d.private_posts, ec))
    out.emplace_back("private_posts", d.private_posts);
  return out;
}

// The revision of each database now. May throw Xapian::Error.
std::map<std::string, Xapian::rev> Revisions(const Databases& d) {
  std::map<std::string, Xapian::rev> out;
  for (const auto& [name, path] : Named(d))
    out[name] = Xapian::Database(path).get_revision();
  return out;
}

// One attempt at a cut into `staging`; false (with `why`) when a commit
// landed meanwhile. May throw Xapian::Error.
absl::StatusOr<bool> TryCut(const DataDir& dir, const std::string& staging,
                            BackupManifest* m, std::string* why) {
  const Databases dbs{dir.posts(), dir.private_posts(), dir.people()};
  const auto before = Revisions(dbs);
  // A write spanning databases that the cut lands in the middle of has its
  // journal in place from before its first commit to after its last, so
  // it is read here if the revisions hold still until they are compared:
  // the restored folder's open finishes the write (Catalog::Open).
  const auto batch = ReadOptional(dir.batch_journal());
  const auto journal_before = ReadOptional(dir.erasure_journal());
  WK_ASSIGN_OR_RETURN(const std::string interactions,
                      ReadInteractionsLocked(dir.interactions()));
  std::map<std::string, Xapian::Database> open;
  for (const auto& [name, path] : Named(dbs))
    open.emplace(name, Xapian::Database(path));
  for (const auto& [name, db] : open) {
    if (before.count(name) && before.at(name) == db.get_revision()) continue;
    *why = absl::StrCat(name, " changed during the cut");
    return false;
  }
  const auto journal_after = ReadOptional(dir.erasure_journal());
  if (journal_before && journal_after && *journal_before != *journal_after) {
    *why = "another erasure started during the cut";
    return false;
  }
  // The cut is taken; now the copies of that revision.
  for (auto& [name, db] : open) db.compact(staging + "/" + name);
  m->posts = open.at("posts").get_doccount();
  m->people = open.at("people").get_doccount();
  m->private_posts =
      open.count("private_posts") ? open.at("private_posts").get_doccount() : 0;
  m->interactions = std::count(interactions.begin(), interactions.end(), '\n');
  WK_RETURN_IF_ERROR(WriteFile(staging + "/interactions.tsv", interactions));
  const auto journal = journal_after ? journal_after : journal_before;
  if (journal) {
    m->erasure = WholeLines(*journal);
    if (!m->erasure.empty()) m->erasure.pop_back();
    WK_RETURN_IF_ERROR(WriteFile(staging + "/ERASURE", *journal));
  }
  if (batch) WK_RETURN_IF_ERROR(WriteFile(staging + "/BATCH", *batch));
  // Outcomes: appended whole lines, replaced by a rename on erasure, so a
  // plain read sees one version or the other.
  if (auto outcomes = ReadOptional(dir.outcomes()))
    WK_RETURN_IF_ERROR(
        WriteFile(staging + "/outcomes.jsonl", WholeLines(*outcomes)));
  if (auto audit = ReadOptional(dir.audit_log()))
    WK_RETURN_IF_ERROR(WriteFile(staging + "/audit.jsonl", WholeLines(*audit)));
  if (auto fusion = ReadOptional(dir.fusion_weights()))
    WK_RETURN_IF_ERROR(WriteFile(staging + "/fusion.json", *fusion));
  return true;
}

nlohmann::json ToJson(const BackupManifest& m) {
  nlohmann::json j = {{"format", m.format},
                      {"created", m.created},
                      {"xapian_version", m.xapian_version},
                      {"counts",
                       {{"posts", m.posts},
                        {"private_posts", m.private_posts},
                        {"people", m.people},
                        {"interactions", m.interactions}}},
                      {"erasure_pending", m.erasure},
                      {"attempts", m.attempts}};
  j["files"] = nlohmann::json::array();
  for (const auto& f : m.files)
    j["files"].push_back(
        {{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  return j;
}

// A manifest path is relative, '/'-separated, with no empty, "." or ".."
// component, so that it names a file inside the restored folder.
bool SafePath(const std::string& path) {
  if (path.empty() || path.size() > 4096) return false;
  for (const absl::string_view part : absl::StrSplit(path, '/'))
    if (part.empty() || part == "." || part == ".." ||
        part.find('\0') != absl::string_view::npos)
      return false;
  return true;
}

// Every path safe, none twice, none below another (a file "a" and a file
// "a/b" cannot both exist); sizes not negative.
absl::Status CheckFiles(const std::vector<BackupFile>& files) {
  std::set<std::string> paths;
  for (const auto& f : files) {
    if (!SafePath(f.path))
      return absl::DataLossError(
          absl::StrCat("MANIFEST.json: unsafe path \"", f.path, "\""));
    if (f.bytes < 0)
      return absl::DataLossError(
          absl::StrCat("MANIFEST.json: ", f.path, ": negative size"));
    if (!paths.insert(f.path).second)
      return absl::DataLossError(
          absl::StrCat("MANIFEST.json: ", f.path, " listed twice"));
  }
  for (const auto& p : paths) {
    for (size_t slash = p.find('/'); slash != std::string::npos;
         slash = p.find('/', slash + 1))
      if (paths.count(p.substr(0, slash)))
        return absl::DataLossError(absl::StrCat("MANIFEST.json: \"", p,
                                                "\" lies below the file \"",
                                                p.substr(0, slash), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupManifest> FromJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format") ||
      j["format"] != "whoknows-backup-1")
    return absl::DataLossError(
        "MANIFEST.json: not a whoknows-backup-1 manifest");
  BackupManifest m;
  try {
    m.created = j.at("created");
    m.xapian_version = j.at("xapian_version");
    const auto& c = j.at("counts");
    m.posts = c.at("posts");
    m.private_posts = c.at("private_posts");
    m.people = c.at("people");
    m.interactions = c.at("interactions");
    m.erasure = j.value("erasure_pending", "");
    m.attempts = j.value("attempts", 0);
    for (const auto& f : j.at("files"))
      m.files.push_back({f.at("path"), f.at("bytes"), f.at("sha256")});
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("MANIFEST.json: ", e.what()));
  }
  WK_RETURN_IF_ERROR(CheckFiles(m.files));
  return m;
}

// ---- ustar ----

void TarHeader(std::ostream& out, const std::string& name, int64_t size) {
  std::array<char, kBlock> h{};
  const size_t split =
      name.size() > 100 ? name.rfind('/', name.size() - 1) : std::string::npos;
  const std::string base =
      split == std::string::npos ? name : name.substr(split + 1);
  const std::string prefix =
      split == std::string::npos ? "" : name.substr(0, split);
  std::memcpy(h.data(), base.data(), std::min<size_t>(base.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011llo",
                static_cast<unsigned long long>(size));
  std::snprintf(
      h.data() + 136, 12, "%011llo",
      static_cast<unsigned long long>(absl::ToUnixSeconds(absl::Now())));
  std::memset(h.data() + 148, ' ', 8);
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  std::memcpy(h.data() + 345, prefix.data(),
              std::min<size_t>(prefix.size(), 155));
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  out.write(h.data(), kBlock);
}

void Pad(std::ostream& out, int64_t size) {
  static const char zeros[kBlock] = {};
  out.write(zeros,
            static_cast<std::streamsize>((kBlock - size % kBlock) % kBlock));
}

absl::Status WriteTar(std::ostream& out, const std::string& staging,
                      const BackupManifest& m) {
  const std::string manifest = ToJson(m).dump(2) + "\n";
  TarHeader(out, kManifest, static_cast<int64_t>(manifest.size()));
  out << manifest;
  Pad(out, static_cast<int64_t>(manifest.size()));
  for (const auto& f : m.files) {
    TarHeader(out, f.path, f.bytes);
    WK_ASSIGN_OR_RETURN(const std::string data,
                        ReadFile(staging + "/" + f.path));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    Pad(out, f.bytes);
  }
  static const char zeros[2 * kBlock] = {};
  out.write(zeros, sizeof zeros);
  if (!out) return absl::UnavailableError("writing the backup failed");
  return absl::OkStatus();
}

absl::Status ListFiles(const std::string& staging, BackupManifest* m) {
  std::vector<std::string> paths;
  for (const auto& e : fs::recursive_directory_iterator(staging))
    if (e.is_regular_file())
      paths.push_back(fs::relative(e.path(), staging).generic_string());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    WK_ASSIGN_OR_RETURN(const std::string data, ReadFile(staging + "/" + p));
    Sha256 sha;
    sha.Update(data.data(), data.size());
    m->files.push_back({p, static_cast<int64_t>(data.size()), sha.Hex()});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BackupManifest> Backup(const DataDir& dir,
                                      const std::string& out,
                                      const BackupOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir.posts(), ec) || !fs::exists(dir.people(), ec))
    return absl::FailedPreconditionError(
        absl::StrCat("no whoknows data in ", dir.root()));
  const std::string staging = out + ".staging";
  BackupManifest m;
  m.xapian_version = Xapian::version_string();
  std::string why;
  bool cut = false;
  for (int attempt = 1; attempt <= options.attempts && !cut; ++attempt) {
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("cannot create ", staging, ": ", ec.message()));
    m.attempts = attempt;
    try {
      WK_ASSIGN_OR_RETURN(cut, TryCut(dir, staging, &m, &why));
    } catch (const Xapian::Error& e) {  // a revision overwritten, a swap
      why = e.get_description();
    }
  }
  absl::Status status = cut ? absl::OkStatus()
                            : absl::UnavailableError(absl::StrCat(
                                  "no consistent cut of ", dir.root(), " in ",
                                  options.attempts, " attempts: ", why));
  m.created =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  if (status.ok()) status = ListFiles(staging, &m);
  if (status.ok())
    status = WriteFileAtomically(
        out, [&](std::ostream& o) { return WriteTar(o, staging, m); });
  fs::remove_all(staging, ec);
  if (!status.ok()) return status;
  return m;
}

namespace {

// The tar being read, and how many bytes of it are left.
struct TarReader {
  std::ifstream in;
  int64_t left = 0;
};

// A ustar numeric field: octal digits, then NULs or spaces. -1 otherwise.
int64_t ParseOctal(const char* field, size_t width) {
  int64_t value = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  const size_t first = i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (int64_t{1} << 56)) return -1;
    value = value * 8 + (field[i] - '0');
  }
  if (i == first) return -1;
  for (; i < width; ++i)
    if (field[i] != '\0' && field[i] != ' ') return -1;
  return value;
}

// Reads the next tar entry's header: name and size; false at the end. The
// entry must be a regular file whose data (padded) lies within the file.
absl::StatusOr<bool> NextEntry(TarReader& tar, std::string* name,
                               int64_t* size) {
  std::array<char, kBlock> h{};
  if (tar.left < static_cast<int64_t>(kBlock) || !tar.in.read(h.data(), kBlock))
    return absl::DataLossError("backup: truncated tar");
  tar.left -= kBlock;
  if (std::all_of(h.begin(), h.end(), [](char c) { return c == 0; }))
    return false;
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  if (ParseOctal(h.data() + 148, 8) != sum)
    return absl::DataLossError("backup: bad tar header checksum");
  const std::string base(h.data(), strnlen(h.data(), 100));
  const std::string prefix(h.data() + 345, strnlen(h.data() + 345, 155));
  *name = prefix.empty() ? base : prefix + "/" + base;
  if (!SafePath(*name))
    return absl::DataLossError(
        absl::StrCat("backup: unsafe path \"", *name, "\""));
  if (h[156] != '0' && h[156] != '\0')
    return absl::DataLossError(absl::StrCat(
        "backup: ", *name, " is not a regular file (tar type '",
        std::string(1, h[156]), "'); a whoknows backup holds only files"));
  *size = ParseOctal(h.data() + 124, 12);
  if (*size < 0)
    return absl::DataLossError(
        absl::StrCat("backup: ", *name, ": bad size field in the tar header"));
  if (*size > tar.left)
    return absl::DataLossError(absl::StrCat(
        "backup: ", *name, ": its header claims ", *size,
        " bytes, beyond the end of the file (", tar.left, " left)"));
  return true;
}

// Skips the padding after an entry of `size` bytes.
void SkipPadding(TarReader& tar, int64_t size) {
  const int64_t pad = static_cast<int64_t>((kBlock - size % kBlock) % kBlock);
  const int64_t skip = std::min(pad, tar.left);
  tar.in.ignore(static_cast<std::streamsize>(skip));
  tar.left -= skip;
}

// The next `size` bytes (checked against the file by NextEntry).
absl::StatusOr<std::string> EntryData(TarReader& tar, int64_t size) {
  std::string data(static_cast<size_t>(size), '\0');
  if (!tar.in.read(data.data(), size))
    return absl::DataLossError("backup: truncated tar");
  tar.left -= size;
  SkipPadding(tar, size);
  return data;
}

// Copies the next `size` bytes to `path` in pieces, hashing them: no entry
// is held in memory whole.
absl::StatusOr<std::string> CopyEntry(TarReader& tar, int64_t size,
                                      const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  Sha256 sha;
  std::vector<char> buffer(1 << 16);
  for (int64_t left = size; left > 0;) {
    const auto n = static_cast<std::streamsize>(
        std::min<int64_t>(left, static_cast<int64_t>(buffer.size())));
    if (!tar.in.read(buffer.data(), n))
      return absl::DataLossError("backup: truncated tar");
    sha.Update(buffer.data(), static_cast<size_t>(n));
    out.write(buffer.data(), n);
    left -= n;
  }
  if (!out.flush())
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  tar.left -= size;
  SkipPadding(tar, size);
  return sha.Hex();
}

absl::Status SyncTree(const std::string& root) {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return absl::InternalError(
          absl::StrCat("cannot open ", e.path().string()));
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    if (!ok)
      return absl::InternalError(absl::StrCat("fsync ", e.path().string()));
  }
  return SyncFolder(root);
}

// The first entry, MANIFEST.json, at most kMaxManifestBytes.
absl::StatusOr<BackupManifest> ReadManifest(TarReader& tar) {
  std::string name;
  int64_t size = 0;
  WK_ASSIGN_OR_RETURN(bool more, NextEntry(tar, &name, &size));
  if (!more || name != kManifest)
    return absl::DataLossError("backup: MANIFEST.json must come first");
  if (size > kMaxManifestBytes)
    return absl::DataLossError(
        absl::StrCat("backup: MANIFEST.json claims ", size,
                     " bytes; a manifest is at most ", kMaxManifestBytes));
  WK_ASSIGN_OR_RETURN(const std::string text, EntryData(tar, size));
  return FromJson(text);
}

absl::StatusOr<BackupManifest> Unpack(const std::string& in_path,
                                      const std::string& into) {
  TarReader tar;
  tar.in.open(in_path, std::ios::binary | std::ios::ate);
  if (!tar.in)
    return absl::NotFoundError(absl::StrCat("cannot read ", in_path));
  tar.left = static_cast<int64_t>(tar.in.tellg());
  tar.in.seekg(0);
  WK_ASSIGN_OR_RETURN(BackupManifest m, ReadManifest(tar));
  std::map<std::string, const BackupFile*> expected;
  for (const auto& f : m.files) expected[f.path] = &f;
  std::string name;
  int64_t size = 0;
  while (true) {
    WK_ASSIGN_OR_RETURN(bool more, NextEntry(tar, &name, &size));
    if (!more) break;
    auto it = expected.find(name);
    if (it == expected.end())
      return absl::DataLossError(absl::StrCat(
          "backup: ", name, " is not in the manifest (or comes twice)"));
    if (size != it->second->bytes)
      return absl::DataLossError(
          absl::StrCat("backup: ", name, ": the tar header says ", size,
                       " bytes, the manifest says ", it->second->bytes));
    const fs::path path = fs::path(into) / name;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      return absl::DataLossError(absl::StrCat(
          "backup: ", name, ": cannot create its folder: ", ec.message()));
    WK_ASSIGN_OR_RETURN(const std::string sha,
                        CopyEntry(tar, size, path.string()));
    if (sha != it->second->sha256)
      return absl::DataLossError(
          absl::StrCat("backup: ", name, ": checksum mismatch"));
    expected.erase(it);
  }
  if (!expected.empty())
    return absl::DataLossError(
        absl::StrCat("backup: ", expected.begin()->first, " is missing"));
  return m;
}

// Unpack, with any exception (a filesystem error, an allocation) turned
// into a status so that the caller removes what was unpacked.
absl::StatusOr<BackupManifest> UnpackOrStatus(const std::string& in_path,
                                              const std::string& into) {
  try {
    return Unpack(in_path, into);
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("backup: cannot unpack ", in_path, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<BackupManifest> Restore(const std::string& in,
                                       const DataDir& dir, bool force) {
  std::error_code ec;
  const bool exists = fs::exists(dir.root(), ec);
  if (exists && !fs::is_empty(dir.root(), ec) && !force)
    return absl::FailedPreconditionError(absl::StrCat(
        dir.root(), " is not empty (--force replaces what is there)"));
  const std::string restoring = dir.root() + ".restoring";
  fs::remove_all(restoring, ec);
  fs::create_directories(restoring, ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("cannot create ", restoring, ": ", ec.message()));
  auto m = UnpackOrStatus(in, restoring);
  absl::Status status = m.status();
  if (status.ok()) status = SyncTree(restoring);
  std::unique_ptr<DataDirLock> lock;
  if (status.ok() && exists) {  // not while a server or an import writes it
    auto held = DataDirLock::Acquire(dir);
    if (held.ok())
      lock = std::move(*held);
    else
      status = held.status();
    if (status.ok()) fs::remove_all(dir.root(), ec);
    if (ec)
      status = absl::UnavailableError(
          absl::StrCat("cannot remove ", dir.root(), ": ", ec.message()));
  }
  if (status.ok()) {
    fs::rename(restoring, dir.root(), ec);
    if (ec)
      status = absl::UnavailableError(
          absl::StrCat("cannot rename ", restoring, ": ", ec.message()));
  }
  if (!status.ok()) {
    fs::remove_all(restoring, ec);
    return status;
  }
  const std::string parent = fs::absolute(dir.root()).parent_path().string();
  WK_RETURN_IF_ERROR(SyncFolder(parent));
  return m;
}

}  // namespace whoknows::index
