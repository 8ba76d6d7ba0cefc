#include "index/derived_state.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <ostream>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "index/graph.h"

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
  void MaybeFlush() {
    if (buf_.size() >= (1u << 20)) Flush();
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

// The distinct values of the posts' interned fields (authors, threads,
// parents, groups, languages, tags, people liked or mentioned), numbered
// in the order first met: a post names them by number, so that reading the
// file interns each value once instead of once a field of every post.
class StringTable {
 public:
  explicit StringTable(
      const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
          posts) {
    for (const auto& [id, m] : posts) {
      for (const Interned* s :
           {&m->author_id, &m->thread_id, &m->parent_id, &m->visibility,
            &m->inherited_visibility, &m->language})
        Add(*s);
      for (const auto* list : {&m->tags, &m->liked_by, &m->mentioned})
        for (const Interned& s : *list) Add(s);
    }
  }
  const std::vector<std::string_view>& values() const { return values_; }
  uint32_t operator[](std::string_view s) const { return numbers_.at(s); }

 private:
  void Add(std::string_view s) {
    if (numbers_.try_emplace(s, static_cast<uint32_t>(values_.size())).second)
      values_.push_back(s);
  }
  // Views of the posts' interned values, which outlive the table.
  absl::flat_hash_map<std::string_view, uint32_t> numbers_;
  std::vector<std::string_view> values_;
};

void WritePost(Writer& w, const StringTable& table, const PostMeta& m) {
  auto strings = [&](const InternedList& list) {
    w.Varint(list.size());
    for (const Interned& s : list) w.Varint(table[s]);
  };
  w.Bytes(m.id);
  w.Varint(table[m.author_id]);
  w.Varint(table[m.thread_id]);
  w.Varint(table[m.parent_id]);
  w.Varint(static_cast<uint64_t>(m.kind));
  w.Varint((m.accepted ? 1u : 0u) | (m.is_public ? 2u : 0u));
  w.Varint(table[m.visibility]);
  w.Varint(table[m.inherited_visibility]);
  const auto created = static_cast<uint64_t>(m.created);
  w.Varint((created << 1) ^ static_cast<uint64_t>(m.created >> 63));
  w.Varint(table[m.language]);
  w.Bytes(m.title);
  strings(m.tags);
  strings(m.liked_by);
  strings(m.mentioned);
  w.Varint(m.embedding.size());
  for (float f : m.embedding) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    w.Fixed(bits, 4);
  }
  w.MaybeFlush();
}

// Reads what Writer wrote; any read past the end or malformed varint sets
// `bad` and returns zeros, checked once per record.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool bad() const { return bad_; }
  bool done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }
  uint64_t Fixed(int bytes) {
    if (in_.size() < static_cast<size_t>(bytes)) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    in_.remove_prefix(bytes);
    return v;
  }
  uint64_t Varint() {
    // Most of a post's varints (lengths, counts, kind, flags, small table
    // numbers) are one byte: taken without the loop.
    if (!in_.empty() && static_cast<unsigned char>(in_.front()) < 0x80) {
      const auto byte = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      return byte;
    }
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
  // A number below `n` (a string table's size), else bad and `n`.
  uint64_t Index(uint64_t n) {
    const uint64_t v = Varint();
    if (v < n) return v;
    Fail();
    return n;
  }
  // A list of numbers into a table of `size` values, as copies of them.
  void Strings(size_t size, Interned::Copier& copies, InternedList& out) {
    const uint64_t n = Varint();
    if (bad_ || n > in_.size()) return (void)Fail();
    out.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t at = Index(size);
      if (bad_) return;
      out.push_back(copies.Copy(at));
    }
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

// Sets `named[i]` when the post names `table[i]` as its parent or, when it
// is not the post's own id, as its thread. `copies` copies from `table`.
std::shared_ptr<const PostMeta> ReadPost(Reader& r,
                                         const std::vector<Interned>& table,
                                         Interned::Copier& copies,
                                         std::vector<uint8_t>& named) {
  // Default-initialized (every field has its default): make_shared would
  // zero the record first (2 % of the read's instructions).
  auto m = std::make_shared_for_overwrite<PostMeta>();
  auto value = [&](Interned& out) {
    const uint64_t at = r.Index(table.size());
    if (!r.bad()) out = copies.Copy(at);
    return at;
  };
  m->id = r.Bytes();
  value(m->author_id);
  const uint64_t thread = value(m->thread_id);
  const uint64_t parent = value(m->parent_id);
  m->kind = static_cast<v1::PostKind>(r.Varint());
  const uint64_t flags = r.Varint();
  m->accepted = flags & 1;
  m->is_public = flags & 2;
  value(m->visibility);
  value(m->inherited_visibility);
  const uint64_t created = r.Varint();
  m->created =
      static_cast<int64_t>(created >> 1) ^ -static_cast<int64_t>(created & 1);
  value(m->language);
  m->title = r.Bytes();
  r.Strings(table.size(), copies, m->tags);
  r.Strings(table.size(), copies, m->liked_by);
  r.Strings(table.size(), copies, m->mentioned);
  const uint64_t dims = r.Varint();
  if (r.bad() || dims > (1u << 20)) return nullptr;
  m->embedding.resize(dims);
  for (float& f : m->embedding) {
    const auto bits = static_cast<uint32_t>(r.Fixed(4));
    std::memcpy(&f, &bits, sizeof f);
  }
  if (r.bad()) return nullptr;
  named[parent] = 1;
  // The flag first: most posts are replies in a thread already named.
  if (!named[thread] && m->thread_id != m->id) named[thread] = 1;
  return m;
}

// Inserts batches of posts into a map in the order added, on a thread of
// its own (inline when none can be had). Finish waits for the last and
// rethrows what an insertion threw (bad_alloc); destroyed unfinished (a
// damaged file), it drops what is queued and the map is left partial.
class InOrder {
 public:
  static constexpr size_t kBatch = 4096;
  using Map = std::unordered_map<std::string, std::shared_ptr<const PostMeta>>;
  using Batch = std::vector<std::shared_ptr<const PostMeta>>;

  // With `listed`, each post the map takes is also appended there, in the
  // same order.
  InOrder(Map& map, Batch* listed) : map_(map), listed_(listed) {
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      // Inline: Add inserts.
    }
  }
  ~InOrder() { Stop(/*drop_queued=*/true); }
  InOrder(const InOrder&) = delete;
  InOrder& operator=(const InOrder&) = delete;

  void Add(Batch&& batch) {
    if (batch.empty()) return;
    if (!thread_.joinable()) {
      Insert(batch);
    } else {
      absl::MutexLock lock(&mu_);
      if (!done_) queue_.push_back(std::move(batch));  // else Run failed
    }
    batch = {};
    batch.reserve(kBatch);
  }
  void Finish() {
    Stop(/*drop_queued=*/false);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void Stop(bool drop_queued) {
    if (!thread_.joinable()) return;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      if (drop_queued) queue_.clear();
    }
    thread_.join();
  }
  void Insert(Batch& batch) {
    for (auto& m : batch) {
      const std::string& id = m->id;
      const auto [entry, added] = map_.emplace(id, std::move(m));
      if (added && listed_ != nullptr) listed_->push_back(entry->second);
    }
  }
  void Run() {
    for (;;) {
      Batch batch;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](InOrder* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
              return self->done_ || !self->queue_.empty();
            },
            this));
        if (queue_.empty()) return;  // done_
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        Insert(batch);
      } catch (...) {
        error_ = std::current_exception();  // read after the join
        absl::MutexLock lock(&mu_);
        queue_.clear();
        done_ = true;  // Add drops the batches after it
        return;
      }
    }
  }

  Map& map_;
  Batch* const listed_;
  absl::Mutex mu_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::exception_ptr error_;
  std::thread thread_;
};

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

// The checked body (after the magic and version, before the trailer) of a
// file of `version` or, given `oldest`, of any version from `oldest` to
// `version` (the one read set in `read`, when given).
absl::StatusOr<std::string_view> CheckedBody(
    const std::string& path, std::string_view bytes, std::string_view magic,
    uint32_t version, uint32_t oldest = 0, uint32_t* read = nullptr) {
  const size_t header = magic.size() + 4;
  if (bytes.size() < header + kTrailerBytes || !bytes.starts_with(magic))
    return Corrupt(path, "not a derived-state file (truncated?)");
  Reader stated_version(bytes.substr(magic.size(), 4));
  if (oldest == 0) oldest = version;
  const uint64_t v = stated_version.Fixed(4);
  if (v < oldest || v > version) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": format version ", v, ", this build reads ",
                     oldest == version ? absl::StrCat(version)
                                       : absl::StrCat(oldest, "-", version)));
  }
  if (read) *read = static_cast<uint32_t>(v);
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

// Reads `path` whole into `bytes` and checks its magic, version, trailer
// and stamps: the reader it returns (a view of `bytes`) is at what follows
// the stamps.
absl::StatusOr<Reader> ReadChecked(const std::string& path,
                                   std::string_view magic, uint32_t version,
                                   const DatabaseStamps& expected,
                                   std::string& bytes, uint32_t oldest = 0,
                                   uint32_t* read = nullptr) {
  WK_ASSIGN_OR_RETURN(bytes, ReadAll(path));
  WK_ASSIGN_OR_RETURN(const std::string_view body,
                      CheckedBody(path, bytes, magic, version, oldest, read));
  Reader r(body);
  WK_RETURN_IF_ERROR(CheckStamps(path, r, expected));
  return r;
}

absl::Status ReadRecords(const std::string& path, Reader& r,
                         DerivedRecords& out, bool for_snapshot) {
  // A record takes at least a byte: a count past what is left is no count
  // (and would make reserve() throw).
  const uint64_t people = r.Varint();
  if (r.bad() || people > r.left())
    return Corrupt(path, "unparsable people count");
  out.people.reserve(people);
  for (uint64_t i = 0; i < people; ++i) {
    auto p = std::make_shared<v1::Person>();
    const std::string_view bytes = r.Bytes();
    if (r.bad() ||
        !p->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return Corrupt(path, absl::StrCat("unparsable person ", i));
    out.people[p->id()] = std::move(p);
  }
  const uint64_t strings = r.Varint();
  if (r.bad() || strings > r.left())
    return Corrupt(path, "unparsable string count");
  std::vector<std::string_view> values;
  values.reserve(strings);
  for (uint64_t i = 0; i < strings; ++i) {
    values.push_back(r.Bytes());
    if (r.bad()) return Corrupt(path, absl::StrCat("unparsable string ", i));
  }
  const std::vector<Interned> table = Interned::InternAll(values);
  const uint64_t posts = r.Varint();
  if (r.bad() || posts > r.left())
    return Corrupt(path, "unparsable post count");
  // One parser (a second thread parsing half the posts cost more CPU than
  // it saved in wall time: docs/measurements.md, stop 25's records), and
  // the map's insertions on a second thread, a batch of posts behind it,
  // in the file's order: the map, iteration order included, is a single
  // reader's.
  out.posts.reserve(posts);
  if (for_snapshot) out.posts_in_order.reserve(posts);
  std::vector<uint8_t> named(table.size(), 0);
  // The posts' fields copied from the table, counted once an entry.
  Interned::Copier copies(table);
  InOrder inserter(out.posts, for_snapshot ? &out.posts_in_order : nullptr);
  std::vector<std::shared_ptr<const PostMeta>> batch;
  for (uint64_t i = 0; i < posts; ++i) {
    std::shared_ptr<const PostMeta> m = ReadPost(r, table, copies, named);
    if (!m) return Corrupt(path, absl::StrCat("unparsable post ", i));
    batch.push_back(std::move(m));
    if (batch.size() == InOrder::kBatch) inserter.Add(std::move(batch));
  }
  inserter.Add(std::move(batch));
  inserter.Finish();
  if (!r.done()) return Corrupt(path, "bytes after the last post");
  for (size_t i = 0; i < table.size(); ++i)
    if (named[i] && !table[i].empty()) out.referenced.push_back(table[i]);
  return absl::OkStatus();
}

void WriteHeader(Writer& w, std::string_view magic, uint32_t version,
                 const DatabaseStamps& stamps) {
  for (char c : magic) w.Fixed(static_cast<unsigned char>(c), 1);
  w.Fixed(version, 4);
  for (const DatabaseStamp& s : stamps) {
    w.Bytes(s.uuid);
    w.Varint(s.revision);
  }
}

constexpr std::string_view kGraphMagic = "WKGRAPHB";

uint64_t Zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t Unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
uint64_t DoubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}
double BitsDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// The options a graph was built with: a graph built with others is not
// the one Build would make now.
void WriteGraphOptions(Writer& w, const GraphOptions& options) {
  for (double weight : options.kind_weight) w.Fixed(DoubleBits(weight), 8);
  w.Varint(Zigzag(options.max_thread_participants));
}

absl::Status CheckGraphOptions(const std::string& path, Reader& r,
                               const GraphOptions& expected) {
  GraphOptions stored;
  for (double& weight : stored.kind_weight) weight = BitsDouble(r.Fixed(8));
  stored.max_thread_participants = static_cast<int>(Unzigzag(r.Varint()));
  if (r.bad()) return Corrupt(path, "unparsable graph options");
  bool same =
      stored.max_thread_participants == expected.max_thread_participants;
  for (int k = 0; k < kNumEdgeKinds; ++k)
    same = same && DoubleBits(stored.kind_weight[k]) ==
                       DoubleBits(expected.kind_weight[k]);
  if (!same) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": built with other graph options (kind weights or "
                     "max_thread_participants)"));
  }
  return absl::OkStatus();
}

void WriteVertex(Writer& w, const ColleagueGraph::StoredVertex& v) {
  w.Bytes(v.id);
  w.Varint(v.out.size());
  for (const auto& [target, p] : v.out) {
    w.Varint(target);
    w.Varint(static_cast<uint64_t>(p.kind));
    w.Fixed(DoubleBits(p.weight), 8);
    w.Varint(p.count);
    w.Varint(Zigzag(p.last_seen));
  }
  w.Varint(v.in.size());
  for (const auto& [source, index] : v.in) {
    w.Varint(source);
    w.Varint(index);
  }
}

absl::Status ReadVertex(const std::string& path, Reader& r, size_t v,
                        ColleagueGraph::StoredVertex& out) {
  out.id = r.Bytes();
  const uint64_t outs = r.Varint();
  if (r.bad() || outs > r.left()) return Corrupt(path, "unparsable vertex");
  out.out.reserve(outs);
  for (uint64_t i = 0; i < outs; ++i) {
    const auto target = static_cast<uint32_t>(r.Varint());
    EdgeProps p;
    p.kind = static_cast<EdgeKind>(r.Varint());
    p.weight = BitsDouble(r.Fixed(8));
    p.count = static_cast<uint32_t>(r.Varint());
    p.last_seen = Unzigzag(r.Varint());
    out.out.emplace_back(target, p);
  }
  const uint64_t ins = r.Varint();
  if (r.bad() || ins > r.left()) return Corrupt(path, "unparsable vertex");
  out.in.reserve(ins);
  for (uint64_t i = 0; i < ins; ++i) {
    const auto source = static_cast<uint32_t>(r.Varint());
    out.in.emplace_back(source, static_cast<uint32_t>(r.Varint()));
  }
  if (r.bad()) return Corrupt(path, absl::StrCat("unparsable vertex ", v));
  return absl::OkStatus();
}

}  // namespace

std::optional<FileVersion> VersionOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  return FileVersion{.size = static_cast<uint64_t>(st.st_size),
                     .mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 +
                                 st.st_mtim.tv_nsec};
}

absl::Status WriteGraphState(const std::string& path,
                             const DatabaseStamps& stamps,
                             const GraphOptions& options,
                             const ColleagueGraph& graph,
                             const std::optional<FileVersion>& tsv) {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    Writer w(out);
    WriteHeader(w, kGraphMagic, kGraphStateVersion, stamps);
    WriteGraphOptions(w, options);
    w.Varint(tsv ? kGraphTsvInStep : 0);
    if (tsv) {
      w.Varint(tsv->size);
      w.Varint(Zigzag(tsv->mtime_ns));
    }
    const size_t n = graph.num_people();
    w.Varint(n);
    ColleagueGraph::StoredVertex v;
    for (size_t i = 0; i < n; ++i) {
      graph.Store(static_cast<int64_t>(i), &v);
      WriteVertex(w, v);
      w.MaybeFlush();
    }
    w.Finish();
    return out ? absl::OkStatus()
               : absl::DataLossError(absl::StrCat("writing ", path));
  });
}

absl::StatusOr<ColleagueGraph> ReadGraphState(const std::string& path,
                                              const DatabaseStamps& expected,
                                              const GraphOptions& options,
                                              std::optional<FileVersion>* tsv) {
  std::string bytes;
  uint32_t version = 0;
  WK_ASSIGN_OR_RETURN(
      Reader r, ReadChecked(path, kGraphMagic, kGraphStateVersion, expected,
                            bytes, kGraphStateOldestVersion, &version));
  WK_RETURN_IF_ERROR(CheckGraphOptions(path, r, options));
  const uint64_t flags = version >= 2 ? r.Varint() : 0;
  if (r.bad()) return Corrupt(path, "unparsable flags");
  if ((flags & ~kGraphTsvInStep) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": flags ", flags, ", which this build does not know"));
  }
  std::optional<FileVersion> tsv_read;
  if (flags & kGraphTsvInStep) {
    FileVersion v;
    v.size = r.Varint();
    v.mtime_ns = Unzigzag(r.Varint());
    if (r.bad()) return Corrupt(path, "unparsable graph.tsv version");
    tsv_read = v;
  }
  if (tsv) *tsv = tsv_read;
  const uint64_t n = r.Varint();
  if (r.bad() || n > r.left()) return Corrupt(path, "unparsable vertex count");
  absl::StatusOr<ColleagueGraph> graph = ColleagueGraph::FromStored(
      n, [&](size_t v, ColleagueGraph::StoredVertex& vertex) {
        return ReadVertex(path, r, v, vertex);
      });
  if (!graph.ok()) return Corrupt(path, std::string(graph.status().message()));
  if (!r.done()) return Corrupt(path, "bytes after the last vertex");
  return graph;
}

absl::Status WriteDerivedState(
    const std::string& path, const DatabaseStamps& stamps,
    const std::unordered_map<std::string, std::shared_ptr<const v1::Person>>&
        people,
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        posts) {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    Writer w(out);
    WriteHeader(w, kMagic, kDerivedStateVersion, stamps);
    w.Varint(people.size());
    std::string bytes;
    for (const auto& [id, p] : people) {
      p->SerializeToString(&bytes);
      w.Bytes(bytes);
    }
    const StringTable table(posts);
    w.Varint(table.values().size());
    for (std::string_view value : table.values()) w.Bytes(value);
    w.Varint(posts.size());
    for (const auto& [id, m] : posts) WritePost(w, table, *m);
    w.Finish();
    return out ? absl::OkStatus()
               : absl::DataLossError(absl::StrCat("writing ", path));
  });
}

absl::StatusOr<DerivedRecords> ReadDerivedState(const std::string& path,
                                                const DatabaseStamps& expected,
                                                bool for_snapshot) {
  std::string bytes;
  WK_ASSIGN_OR_RETURN(Reader r, ReadChecked(path, kMagic, kDerivedStateVersion,
                                            expected, bytes));
  DerivedRecords records;
  WK_RETURN_IF_ERROR(ReadRecords(path, r, records, for_snapshot));
  return records;
}

constexpr std::string_view kDocidMagic = "WKDOCIDS";
// The number of a document without a post (DenseIndex::kNone).
constexpr uint32_t kNoPost = 0xffffffffu;

absl::Status WriteDocidState(const std::string& path,
                             const DatabaseStamps& stamps,
                             const DocidState& state) {
  return WriteFileAtomically(path, [&](std::ostream& out) {
    Writer w(out);
    WriteHeader(w, kDocidMagic, kDocidStateVersion, stamps);
    w.Varint(state.posts);
    w.Varint(state.number.size());
    for (const uint32_t n : state.number) {
      w.Fixed(n, 4);
      w.MaybeFlush();
    }
    w.Finish();
    return out ? absl::OkStatus()
               : absl::DataLossError(absl::StrCat("writing ", path));
  });
}

absl::StatusOr<DocidState> ReadDocidState(const std::string& path,
                                          const DatabaseStamps& expected) {
  std::string bytes;
  WK_ASSIGN_OR_RETURN(
      Reader r,
      ReadChecked(path, kDocidMagic, kDocidStateVersion, expected, bytes));
  DocidState state;
  state.posts = r.Varint();
  const uint64_t n = r.Varint();
  if (r.bad() || n > r.left() / 4 || state.posts >= kNoPost)
    return Corrupt(path, "unparsable document count");
  if (r.left() != n * 4) return Corrupt(path, "bytes after the last document");
  state.number.resize(n);
  for (uint64_t d = 0; d < n; ++d) {
    const auto number = static_cast<uint32_t>(r.Fixed(4));
    if (number >= state.posts && number != kNoPost) {
      return Corrupt(path, absl::StrCat("document ", d, " numbers post ",
                                        number, " of ", state.posts));
    }
    state.number[d] = number;
  }
  return state;
}

}  // namespace whoknows::index
