#include "index/derived_state.h"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <ostream>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace whoknows::index {
namespace {

constexpr std::string_view kMagic = "WKDERIVD";
constexpr size_t kTrailerBytes = 12;  // length (8) + crc32 (4)

uint32_t Crc(uint32_t crc, std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    crc = static_cast<uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
              static_cast<uInt>(n)));
    bytes.remove_prefix(n);
  }
  return crc;
}

// Appends to a buffer that is flushed to `out` in large pieces, keeping the
// crc32 and the length of everything written.
class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) {}
  void Fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      buf_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void Bytes(std::string_view s) {
    Varint(s.size());
    buf_.append(s);
    if (buf_.size() >= (1u << 20)) Flush();
  }
  template <typename S>  // std::string or Interned
  void Strings(const std::vector<S>& v) {
    Varint(v.size());
    for (const auto& s : v) Bytes(s);
  }
  void Flush() {
    crc_ = Crc(crc_, buf_);
    length_ += buf_.size();
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  // The trailer (length and crc32 of everything before it), then flushes.
  void Finish() {
    Flush();
    const uint64_t length = length_;
    const uint32_t crc = crc_;
    Fixed(length, 8);
    Fixed(crc, 4);
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  std::ostream& out_;
  std::string buf_;
  uint32_t crc_ = static_cast<uint32_t>(crc32(0, nullptr, 0));
  uint64_t length_ = 0;
};

void WritePost(Writer& w, const PostMeta& m) {
  w.Bytes(m.id);
  w.Bytes(m.author_id);
  w.Bytes(m.thread_id);
  w.Bytes(m.parent_id);
  w.Varint(static_cast<uint64_t>(m.kind));
  w.Varint((m.accepted ? 1u : 0u) | (m.is_public ? 2u : 0u));
  w.Bytes(m.visibility);
  w.Bytes(m.inherited_visibility);
  const auto created = static_cast<uint64_t>(m.created);
  w.Varint((created << 1) ^ static_cast<uint64_t>(m.created >> 63));
  w.Bytes(m.language);
  w.Bytes(m.title);
  w.Strings(m.tags);
  w.Strings(m.liked_by);
  w.Strings(m.mentioned);
  w.Varint(m.embedding.size());
  for (float f : m.embedding) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    w.Fixed(bits, 4);
  }
}

// Reads what Writer wrote; any read past the end or malformed varint sets
// `bad` and returns zeros, checked once per record.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool bad() const { return bad_; }
  bool done() const { return in_.empty(); }
  uint64_t Fixed(int bytes) {
    if (in_.size() < static_cast<size_t>(bytes)) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    in_.remove_prefix(bytes);
    return v;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const auto byte = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return Fail();
  }
  std::string_view Bytes() {
    const uint64_t n = Varint();
    if (bad_ || n > in_.size()) return Fail(), std::string_view();
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  template <typename S>  // std::string or Interned
  void Strings(std::vector<S>& out) {
    const uint64_t n = Varint();
    if (bad_ || n > in_.size()) return (void)Fail();
    out.reserve(n);
    for (uint64_t i = 0; i < n && !bad_; ++i) out.emplace_back(Bytes());
  }

 private:
  uint64_t Fail() {
    bad_ = true;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool bad_ = false;
};

std::shared_ptr<const PostMeta> ReadPost(Reader& r) {
  auto m = std::make_shared<PostMeta>();
  m->id = r.Bytes();
  m->author_id = r.Bytes();
  m->thread_id = r.Bytes();
  m->parent_id = r.Bytes();
  m->kind = static_cast<v1::PostKind>(r.Varint());
  const uint64_t flags = r.Varint();
  m->accepted = flags & 1;
  m->is_public = flags & 2;
  m->visibility = r.Bytes();
  m->inherited_visibility = r.Bytes();
  const uint64_t created = r.Varint();
  m->created =
      static_cast<int64_t>(created >> 1) ^ -static_cast<int64_t>(created & 1);
  m->language = r.Bytes();
  m->title = r.Bytes();
  r.Strings(m->tags);
  r.Strings(m->liked_by);
  r.Strings(m->mentioned);
  const uint64_t dims = r.Varint();
  if (r.bad() || dims > (1u << 20)) return nullptr;
  m->embedding.resize(dims);
  for (float& f : m->embedding) {
    const auto bits = static_cast<uint32_t>(r.Fixed(4));
    std::memcpy(&f, &bits, sizeof f);
  }
  if (r.bad()) return nullptr;
  return m;
}

absl::Status Corrupt(const std::string& path, std::string_view why) {
  return absl::DataLossError(absl::StrCat(path, ": ", std::string(why)));
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("no ", path));
  const std::streamoff size = in.tellg();
  std::string bytes(static_cast<size_t>(size < 0 ? 0 : size), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return Corrupt(path, "cannot be read whole");
  return bytes;
}

// The checked body (after the magic and version, before the trailer).
absl::StatusOr<std::string_view> CheckedBody(const std::string& path,
                                             std::string_view bytes) {
  const size_t header = kMagic.size() + 4;
  if (bytes.size() < header + kTrailerBytes || !bytes.starts_with(kMagic))
    return Corrupt(path, "not a derived-state file (truncated?)");
  Reader version(bytes.substr(kMagic.size(), 4));
  if (const uint64_t v = version.Fixed(4); v != kDerivedStateVersion) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": format version ",
                                                      v, ", this build reads ",
                                                      kDerivedStateVersion));
  }
  const size_t length = bytes.size() - kTrailerBytes;
  Reader trailer(bytes.substr(length));
  const uint64_t stated = trailer.Fixed(8);
  const auto crc = static_cast<uint32_t>(trailer.Fixed(4));
  if (stated != length) return Corrupt(path, "truncated or extended");
  if (Crc(static_cast<uint32_t>(crc32(0, nullptr, 0)),
          bytes.substr(0, length)) != crc)
    return Corrupt(path, "checksum mismatch");
  return bytes.substr(header, length - header);
}

absl::Status CheckStamps(const std::string& path, Reader& r,
                         const DatabaseStamps& expected) {
  for (int i = 0; i < kStoreCount; ++i) {
    DatabaseStamp stamp;
    stamp.uuid = r.Bytes();
    stamp.revision = r.Varint();
    if (r.bad()) return Corrupt(path, "unparsable stamps");
    if (stamp != expected[i]) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": written from ", StoreName(static_cast<Store>(i)), " ",
          stamp.uuid, " revision ", stamp.revision, ", the folder holds ",
          expected[i].uuid, " revision ", expected[i].revision));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadRecords(const std::string& path, Reader& r,
                         DerivedRecords& out) {
  const uint64_t people = r.Varint();
  if (r.bad()) return Corrupt(path, "unparsable people count");
  out.people.reserve(people);
  for (uint64_t i = 0; i < people; ++i) {
    auto p = std::make_shared<v1::Person>();
    const std::string_view bytes = r.Bytes();
    if (r.bad() ||
        !p->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return Corrupt(path, absl::StrCat("unparsable person ", i));
    out.people[p->id()] = std::move(p);
  }
  const uint64_t posts = r.Varint();
  if (r.bad()) return Corrupt(path, "unparsable post count");
  out.posts.reserve(posts);
  for (uint64_t i = 0; i < posts; ++i) {
    std::shared_ptr<const PostMeta> m = ReadPost(r);
    if (!m) return Corrupt(path, absl::StrCat("unparsable post ", i));
    const std::string& id = m->id;
    out.posts.emplace(id, std::move(m));
  }
  if (!r.done()) return Corrupt(path, "bytes after the last post");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteDerivedState(
    const std::string& path, const DatabaseStamps& stamps,
    const std::unordered_map<std::string, std::shared_ptr<const v1::Person>>&
        people,
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        posts) {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    Writer w(out);
    for (char c : kMagic) w.Fixed(static_cast<unsigned char>(c), 1);
    w.Fixed(kDerivedStateVersion, 4);
    for (const DatabaseStamp& s : stamps) {
      w.Bytes(s.uuid);
      w.Varint(s.revision);
    }
    w.Varint(people.size());
    std::string bytes;
    for (const auto& [id, p] : people) {
      p->SerializeToString(&bytes);
      w.Bytes(bytes);
    }
    w.Varint(posts.size());
    for (const auto& [id, m] : posts) WritePost(w, *m);
    w.Finish();
    return out ? absl::OkStatus()
               : absl::DataLossError(absl::StrCat("writing ", path));
  });
}

absl::StatusOr<DerivedRecords> ReadDerivedState(
    const std::string& path, const DatabaseStamps& expected) {
  WK_ASSIGN_OR_RETURN(const std::string bytes, ReadAll(path));
  WK_ASSIGN_OR_RETURN(const std::string_view body, CheckedBody(path, bytes));
  Reader r(body);
  WK_RETURN_IF_ERROR(CheckStamps(path, r, expected));
  DerivedRecords records;
  WK_RETURN_IF_ERROR(ReadRecords(path, r, records));
  return records;
}

}  // namespace whoknows::index
