#include "ranking/expertise_model.h"

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/thread_priority.h"
#include "index/data_dir.h"
#include "index/dense_index.h"
#include "ranking/file_io.h"
#include "ranking/validate.h"
#include "zlib.h"

// tcmalloc's (CMakeLists.txt: whoknows_malloc), when the program links it:
// a weak reference, null otherwise (the unit tests run on glibc's).
extern "C" void MallocExtension_ReleaseFreeMemory() __attribute__((weak));

namespace whoknows::ranking {
namespace {

// Microseconds from `start` to now, and `start` moved to now.
int64_t Lap(absl::Time& start) {
  const absl::Time now = absl::Now();
  const int64_t us = absl::ToInt64Microseconds(now - start);
  start = now;
  return us;
}

// Posts the model learns from: private ones never count, not even in
// number (embeddings.bin records it).
int64_t PublicPosts(const index::Snapshot& snap) {
  if (snap.public_posts >= 0) return snap.public_posts;
  int64_t n = 0;
  for (const auto& [id, m] : snap.posts) n += m->is_public;
  return n;
}

// The snapshot a stored model keeps: `snap` without its numbering and
// docids, which only queries read, from the catalog's snapshot of the
// moment. During ingest a model outlives dozens of publishes, and the
// numbering it would keep alive beside the catalog's is O(posts) (over
// 100 MB at 1M posts); the maps it keeps are shared with newer snapshots.
std::shared_ptr<const index::Snapshot> WithoutNumbering(
    std::shared_ptr<const index::Snapshot> snap) {
  if (!snap || (!snap->dense && !snap->docids)) return snap;
  auto kept = std::make_shared<index::Snapshot>(*snap);
  kept->dense.reset();
  kept->docids.reset();
  return kept;
}

// "WKPX": stamped, with tag profiles, then (since stop 27) the tie graph
// with PageRank's result and the client vectors, each section under its own
// length and checksum; a file of stop 26 ends after the tag profiles and
// has the other two rebuilt. "WKPW" (no snapshot stamp, no tag profiles)
// and "WKPV" files (unit vectors, no sums or ranks) are rebuilt whole.
constexpr uint32_t kModelMagic = 0x574b5058;

// Sanity limits of an embeddings file: a bigger count means damage.
constexpr uint64_t kMaxFilePeople = uint64_t{1} << 26;
constexpr uint32_t kMaxPersonIdLength = 4096;
constexpr uint64_t kMaxClientDimensions = uint64_t{1} << 16;
// Under 4 GiB: one zlib crc32 call (its length is 32 bits) covers it.
constexpr uint64_t kMaxSectionBytes = uint64_t{1} << 31;

uint32_t Crc32(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
}

// Reads fixed-size values and length-prefixed strings from the bytes of a
// section; false (and stays false) once it runs out.
class SectionReader {
 public:
  explicit SectionReader(std::string_view bytes) : rest_(bytes) {}
  template <typename T>
  bool Get(T& v) {
    if (rest_.size() < sizeof(T)) return ok_ = false;
    std::memcpy(&v, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return ok_;
  }
  bool GetId(std::string_view& id) {
    uint32_t len = 0;
    if (!Get(len) || len > kMaxPersonIdLength || rest_.size() < len)
      return ok_ = false;
    id = rest_.substr(0, len);
    rest_.remove_prefix(len);
    return ok_;
  }
  // `n` values into `v`, its size checked before anything is allocated.
  template <typename T>
  bool GetArray(std::vector<T>& v, uint64_t n) {
    if (n > rest_.size() / sizeof(T)) return ok_ = false;
    v.resize(n);
    if (n > 0) std::memcpy(v.data(), rest_.data(), n * sizeof(T));
    rest_.remove_prefix(n * sizeof(T));
    return ok_;
  }
  bool done() const { return ok_ && rest_.empty(); }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

// Builds a section's bytes: fixed-size values, arrays of them and
// length-prefixed strings, as SectionReader reads them.
class SectionWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void PutArray(const T* data, size_t n) {
    out_.append(reinterpret_cast<const char*>(data), n * sizeof(T));
  }
  void PutId(std::string_view id) {
    Put(static_cast<uint32_t>(id.size()));
    out_.append(id);
  }
  std::string Take() && { return std::move(out_); }

 private:
  std::string out_;
};

// One of the sections after the ranks as Load finds it: where its bytes
// are and their stored checksum, or why it is unusable; `lost` when the
// sections after it cannot be found either.
struct Section {
  const char* name = "";  // plural: "the ties"
  std::streamoff at = 0;
  uint64_t size = 0;
  uint32_t crc = 0;
  std::string bad;
  bool lost = false;
  bool absent = false;  // the file ended before it
};

// The section at `in`'s position (the file ends at `end`), after `before`
// (null for the first): found, its bytes skipped (FetchSection reads them).
// Its length is checked against what the file holds.
Section FindSection(std::istream& in, std::streampos end, const char* name,
                    const Section* before) {
  using file_io::Get;
  Section s;
  s.name = name;
  const std::streampos here = in.tellg();
  if ((before && before->absent) || (here >= 0 && here == end)) {
    s.bad = absl::StrCat(name, " are absent (a file of an older version)");
    s.lost = s.absent = true;
    return s;
  }
  if (before && before->lost) {
    s.bad = absl::StrCat("damaged: ", name, " cannot be found (", before->name,
                         " before them are damaged)");
    s.lost = true;
    return s;
  }
  uint64_t size = 0;
  const bool sized = Get(in, size);
  const std::streampos at = in.tellg();
  if (!sized || at < 0 || end < at || static_cast<uint64_t>(end - at) < 4 ||
      size > static_cast<uint64_t>(end - at) - 4 || size > kMaxSectionBytes) {
    s.bad = absl::StrCat("damaged: ", name, " are truncated");
    s.lost = true;
    return s;
  }
  s.at = static_cast<std::streamoff>(at);
  s.size = size;
  in.seekg(static_cast<std::streamoff>(size), std::ios::cur);
  if (!in || !Get(in, s.crc)) {
    s.bad = absl::StrCat("damaged: ", name, " are truncated");
    s.lost = true;
  }
  return s;
}

// Why a section of a file stamped `stamp` says nothing about `snap`;
// empty when it may.
std::string StaleStamp(const std::string& stamp, const index::Snapshot& snap) {
  if (stamp.empty())
    return "the file has no snapshot stamp (changes were not committed)";
  if (snap.stamp.empty()) return "the snapshot served has no stamp";
  if (stamp != snap.stamp) {
    return "the file is from another snapshot (a write, an erasure or an "
           "opt-out since)";
  }
  return "";
}

// Reads `s` of the file open as `in` into `bytes`. Why it cannot be used:
// empty when its bytes are there and their checksum is right (a damaged
// section's bytes are dropped).
std::string FetchSection(std::istream& in, const Section& s,
                         std::string& bytes) {
  if (!s.bad.empty()) return s.bad;
  bytes.resize(s.size);
  // A section after it that ends the file inside its length left the
  // stream failed: this one is still whole.
  in.clear();
  if (!in.seekg(s.at) ||
      !in.read(bytes.data(), static_cast<std::streamsize>(s.size))) {
    bytes.clear();
    return absl::StrCat("damaged: ", s.name, " are truncated");
  }
  if (Crc32(bytes) != s.crc) {
    bytes.clear();
    return absl::StrCat("damaged: ", s.name, "' checksum differs");
  }
  return "";
}

// The bags of words of the public posts of a snapshot, in the catalog's
// order; term ids index `vocabulary`.
// Every post's bag is held at once, packed (PackedBags); ids are the
// snapshot's own strings.
struct Corpus {
  std::vector<std::string> vocabulary;
  PackedBags docs;
  std::vector<const index::PostMeta*> doc_meta;          // by doc
  absl::flat_hash_map<std::string_view, size_t> doc_of;  // post id -> doc
};

absl::StatusOr<Corpus> ReadCorpus(const index::Catalog& catalog,
                                  const index::Snapshot& snap) {
  Corpus c;
  absl::flat_hash_map<std::string, int32_t> raw_id;
  std::vector<PackedBags::Entry> bag;
  auto status = catalog.ForEachPostTerms(
      [&](const std::string& post_id,
          const std::vector<index::Catalog::TermCount>& terms) {
        const index::PostMeta* m = snap.FindPost(post_id);
        if (!m || !m->is_public) return;
        bag.clear();
        for (const auto& t : terms) {
          auto [it, inserted] = raw_id.try_emplace(
              t.term, static_cast<int32_t>(c.vocabulary.size()));
          if (inserted) c.vocabulary.push_back(t.term);
          bag.push_back({it->second, t.count});
        }
        auto [it, inserted] = c.doc_of.try_emplace(m->id, c.docs.size());
        if (inserted) {
          c.docs.Add(bag);
          c.doc_meta.push_back(m);
        } else {
          c.docs.Replace(it->second, bag);
        }
      });
  if (!status.ok()) return status;
  return c;
}

using PersonSums = std::unordered_map<std::string, Eigen::VectorXf>;

// The weight of a post created at `t` in sums kept from `origin`: its age
// decay at `origin` to the bit for t <= origin, and 2^((t - origin) /
// half-life) > 1 for later posts (not capped at 1 as AgeDecay caps them), so
// that sums kept from an old origin stay proportional to sums from a newer
// one while no post is newer than "now".
double DecayFrom(int64_t origin, double half_life_days, int64_t t) {
  if (t <= origin || half_life_days <= 0)
    return AgeDecay(origin, half_life_days)(t);
  return std::exp2(static_cast<double>(index::SecondsSince(t, origin)) /
                   (half_life_days * kSecondsPerDay));
}

// Each person's vector is the sum of their posts' embeddings, weighted by
// role and age; an answer also brings in the question it answers. The sums
// (not yet unit vectors), ages from `origin`.
PersonSums PersonVectorSums(const TermSpace& space, const Corpus& corpus,
                            const ModelOptions& o, int64_t origin) {
  std::vector<int32_t> remap(corpus.vocabulary.size());
  for (size_t i = 0; i < corpus.vocabulary.size(); ++i)
    remap[i] = space.TermId(corpus.vocabulary[i]);
  TermCounts bag;
  auto embed = [&](size_t d) {
    corpus.docs.Get(d, bag);
    TermCounts mapped;
    for (const auto& [t, c] : bag) {
      if (remap[t] >= 0) mapped.emplace_back(remap[t], c);
    }
    return space.Embed(mapped);
  };
  const int k = space.dimensions();
  const AgeDecay decay(origin, o.half_life_days);
  PersonSums acc;
  std::unordered_map<size_t, Eigen::VectorXf> root_vectors;
  auto root_vector =
      [&](const std::string& thread_id) -> const Eigen::VectorXf* {
    auto d = corpus.doc_of.find(thread_id);
    if (d == corpus.doc_of.end()) return nullptr;
    auto [it, inserted] = root_vectors.try_emplace(d->second);
    if (inserted) it->second = embed(d->second);
    return &it->second;
  };
  for (size_t d = 0; d < corpus.docs.size(); ++d) {
    const index::PostMeta& m = *corpus.doc_meta[d];
    const double w = RoleWeight(o, m) * decay(m.created);
    if (w <= 0 || m.author_id.empty()) continue;
    auto [it, inserted] = acc.try_emplace(m.author_id);
    if (inserted) it->second = Eigen::VectorXf::Zero(k);
    it->second += static_cast<float>(w) * embed(d);
    if (m.kind == v1::POST_KIND_ANSWER) {
      if (const Eigen::VectorXf* q = root_vector(m.thread_id))
        it->second += static_cast<float>(w) * *q;
    }
  }
  return acc;
}

// Public posts of `after` that `before` lacks, or nullopt when a post that
// counts (public in either) changed or left: Update cannot follow those.
// Posts are compared by record: a snapshot shares the records of posts that
// did not change with the one before it.
std::optional<std::vector<const index::PostMeta*>> AddedPosts(
    const index::Snapshot& before, const index::Snapshot& after) {
  std::vector<const index::PostMeta*> added;
  size_t kept = 0;
  for (const auto& [id, m] : after.posts) {
    auto it = before.posts.find(id);
    if (it == before.posts.end()) {
      if (m->is_public) added.push_back(m.get());
      continue;
    }
    ++kept;
    if (it->second != m && (m->is_public || it->second->is_public))
      return std::nullopt;
  }
  if (kept == before.posts.size()) return added;
  for (const auto& [id, m] : before.posts) {
    if (m->is_public && !after.posts.contains(id)) return std::nullopt;
  }
  return added;
}

// The root of `m`'s thread, whose tags `m` adds to its author's tag
// profiles in `snap`, and the weight it adds: its role weight times
// decay(created). A null root when it adds nothing.
template <typename Decay>
std::pair<const index::PostMeta*, double> TagRootAndWeight(
    const index::Snapshot& snap, const index::PostMeta& m,
    const ModelOptions& o, const Decay& decay) {
  if (!m.is_public || m.author_id.empty()) return {nullptr, 0};
  const index::PostMeta* root =
      m.thread_id == m.id ? &m : snap.FindPost(m.thread_id);
  if (!root || root->tags.empty()) return {nullptr, 0};
  const double w = RoleWeight(o, m) * decay(m.created);
  if (w <= 0) return {nullptr, 0};
  return {root, w};
}

// Calls fn(tag, weight) for what `m` adds to its author's tag profiles in
// `snap`: its role weight times decay(created), for each tag of its thread.
template <typename Decay, typename Fn>
void ForEachTagWeight(const index::Snapshot& snap, const index::PostMeta& m,
                      const ModelOptions& o, const Decay& decay, Fn&& fn) {
  const auto [root, w] = TagRootAndWeight(snap, m, o, decay);
  if (!root) return;
  for (const auto& tag : root->tags) fn(tag, w);
}

// Runs `second` on another thread while `first` runs on this one (one after
// the other when no thread is to be had); returns when both have.
template <typename First, typename Second>
void Beside(First&& first, Second&& second) {
  std::jthread t;  // joined however this ends (an exception included)
  try {
    t = std::jthread(std::forward<Second>(second));
  } catch (const std::system_error&) {
    second();
  }
  first();
}

// The posts whose tag weights `added` may change: the added posts and the
// posts of the threads they may be the root of.
std::vector<std::string_view> TagAffected(
    const index::Snapshot& before, const index::Snapshot& after,
    const std::vector<const index::PostMeta*>& added) {
  absl::flat_hash_set<std::string_view> seen;
  std::vector<std::string_view> out;
  auto see = [&](std::string_view id) {
    if (seen.insert(id).second) out.push_back(id);
  };
  for (const index::PostMeta* m : added) {
    see(m->id);
    for (const auto* snap : {&before, &after}) {
      auto t = snap->threads.find(m->id);
      if (t == snap->threads.end()) continue;
      for (const auto& id : t->second) see(id);
    }
  }
  return out;
}

// Adds the posts `added` (public posts of `after` that `before` lacks, none
// changed or removed) to `sums`, as PersonVectorSums counts them with ages
// from `origin`: each one's embedding to its author's sum, an answer's
// question too; and an added question to the answers `before` already had.
// Reads the terms of the added posts and of the questions they answer.
absl::Status AddToPersonSums(const index::Catalog& catalog,
                             const index::Snapshot& before,
                             const index::Snapshot& after,
                             const std::vector<const index::PostMeta*>& added,
                             const ModelOptions& o, const TermSpace& space,
                             int64_t origin, PersonSums& sums) {
  absl::flat_hash_set<std::string> wanted;
  for (const index::PostMeta* m : added) {
    wanted.insert(m->id);
    if (m->kind == v1::POST_KIND_ANSWER) wanted.insert(m->thread_id);
  }
  std::vector<std::string> ids(wanted.begin(), wanted.end());
  // Post id -> its embedding, for the public posts of `after` the index
  // holds (what ReadCorpus would read).
  absl::flat_hash_map<std::string, Eigen::VectorXf> vectors;
  auto status = catalog.ForEachPostTerms(
      ids, [&](const std::string& id,
               const std::vector<index::Catalog::TermCount>& terms) {
        const index::PostMeta* m = after.FindPost(id);
        if (!m || !m->is_public) return;
        TermCounts mapped;
        for (const auto& t : terms) {
          const int32_t term = space.TermId(t.term);
          if (term >= 0) mapped.emplace_back(term, static_cast<float>(t.count));
        }
        vectors[id] = space.Embed(mapped);
      });
  if (!status.ok()) return status;
  auto add = [&](const index::PostMeta& m, const Eigen::VectorXf& v) {
    const double w =
        RoleWeight(o, m) * DecayFrom(origin, o.half_life_days, m.created);
    if (w <= 0 || m.author_id.empty()) return;
    auto [it, inserted] = sums.try_emplace(m.author_id);
    if (inserted) it->second = Eigen::VectorXf::Zero(space.dimensions());
    it->second += static_cast<float>(w) * v;
  };
  absl::flat_hash_set<std::string_view> is_added;
  for (const index::PostMeta* m : added) is_added.insert(m->id);
  for (const index::PostMeta* m : added) {
    auto own = vectors.find(m->id);
    if (own == vectors.end()) continue;  // not in the index: not counted
    add(*m, own->second);
    if (m->kind == v1::POST_KIND_ANSWER) {
      if (auto q = vectors.find(m->thread_id); q != vectors.end())
        add(*m, q->second);
    }
    // A question that arrives after its answers: they gain it.
    auto thread = after.threads.find(m->id);
    if (thread == after.threads.end()) continue;
    for (const auto& id : thread->second) {
      if (is_added.contains(id)) continue;
      const index::PostMeta* a = after.FindPost(id);
      if (a && a->is_public && a->kind == v1::POST_KIND_ANSWER &&
          a->thread_id == m->id && before.FindPost(id) == a)
        add(*a, own->second);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ModelOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      RoleWeights::Validate(),
      validate::Nested("embedding", embedding.Validate()),
      validate::Nested("pagerank", pagerank.Validate()),
      Check(validate::Finite(half_life_days) && half_life_days >= 0,
            "half_life_days", "a finite number >= 0 (0: no decay)"),
      Check(top_answerers >= 0, "top_answerers", ">= 0"),
      Check(static_cast<bool>(clock), "clock", "required"),
  });
}

absl::Status ModelStoreOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      validate::Nested("model", model.Validate()),
      Check(min_rebuild_interval.count() >= 0, "min_rebuild_interval", ">= 0"),
      Check(poll_interval.count() > 0, "poll_interval", "> 0"),
      Check(validate::Finite(retrain_growth) && retrain_growth >= 0,
            "retrain_growth", "a finite number >= 0"),
      Check(min_retrain_interval.count() >= 0, "min_retrain_interval", ">= 0"),
      Check(static_cast<bool>(steady_now), "steady_now", "required"),
  });
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Build(
    const index::Catalog& catalog,
    std::shared_ptr<const index::Snapshot> snapshot, const ModelOptions& o) {
  return BuildInSpace(catalog, std::move(snapshot), nullptr, o);
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>>
ExpertiseModel::BuildInSpace(const index::Catalog& catalog,
                             std::shared_ptr<const index::Snapshot> snapshot,
                             std::shared_ptr<const TermSpace> given,
                             const ModelOptions& o) {
  auto model = std::shared_ptr<ExpertiseModel>(new ExpertiseModel());
  model->snapshot_ = std::move(snapshot);
  const index::Snapshot& snap = *model->snapshot_;
  ModelTimings& t = model->timings_;
  absl::Time start = absl::Now();
  // 1. Bags of words of the public posts in the snapshot.
  auto corpus = ReadCorpus(catalog, snap);
  if (!corpus.ok()) return corpus.status();
  t.corpus_us = Lap(start);
  // 2. The latent space. A corpus too small to learn from leaves the model
  // without embeddings; the other signals still work.
  const int64_t now = o.clock();
  model->vector_origin_ = now;
  model->trained_posts_ = PublicPosts(snap);
  if (given) {
    model->space_ = std::move(given);
  } else {
    auto space =
        TermSpace::TrainPacked(corpus->vocabulary, corpus->docs, o.embedding);
    t.train_us = Lap(start);
    if (space.ok() && space->dimensions() > 0)
      model->space_ = std::make_shared<const TermSpace>(std::move(*space));
  }
  if (model->has_embeddings()) {
    // 3. People's vectors.
    model->person_sums_ = PersonVectorSums(*model->space_, *corpus, o, now);
    t.vectors_us = Lap(start);
  }
  // Every post's bag is read by now: freed before the derived signals
  // allocate theirs (tag profiles, the tie graph), which would otherwise
  // come on top of it at the build's peak.
  *corpus = Corpus();
  model->embedded_posts_ = model->trained_posts_;
  model->embedded_newest_ = snap.newest_post;
  // A post newer than the clock weighs 1 (AgeDecay), not what DecayFrom
  // gives it: sums with one are no base for Update.
  model->sums_exact_ = snap.newest_post <= now;
  // 4. Everything else is derived from the snapshot.
  model->BuildDerivedSignals(o, nullptr, nullptr);
  return std::shared_ptr<const ExpertiseModel>(std::move(model));
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Update(
    const ExpertiseModel& base, const index::Catalog& catalog,
    std::shared_ptr<const index::Snapshot> snapshot, const ModelOptions& o) {
  const index::Snapshot& before = *base.snapshot_;
  const index::Snapshot& after = *snapshot;
  const int64_t now = o.clock();
  if (!base.sums_exact_ || !base.has_embeddings() || after.newest_post > now ||
      after.people.size() < before.people.size() ||
      after.opted_out != before.opted_out)
    return nullptr;
  absl::Time start = absl::Now();
  auto added = AddedPosts(before, after);
  if (!added) return nullptr;
  auto model = std::shared_ptr<ExpertiseModel>(new ExpertiseModel());
  model->snapshot_ = std::move(snapshot);
  ModelTimings& t = model->timings_;
  model->space_ = base.space_;
  model->trained_posts_ = base.trained_posts_;
  model->vector_origin_ = base.vector_origin_;
  model->tag_origin_ = base.tag_origin_;
  model->sums_exact_ = true;
  model->person_sums_ = base.person_sums_;
  auto read = AddToPersonSums(catalog, before, after, *added, o, *model->space_,
                              model->vector_origin_, model->person_sums_);
  if (!read.ok()) return read;
  t.corpus_us = Lap(start);
  model->SetVectorsFromSums();
  model->embedded_posts_ = PublicPosts(after);
  model->embedded_newest_ = after.newest_post;
  t.vectors_us = Lap(start);
  const auto ranks = base.Ranks();
  model->BuildGraphSignals(o, &ranks);
  model->tags_ = base.tags_;
  model->tag_half_life_days_ = o.half_life_days;
  model->tag_roles_ = o;
  const auto decay = [&](int64_t c) {
    return DecayFrom(model->tag_origin_, o.half_life_days, c);
  };
  for (std::string_view id : TagAffected(before, after, *added)) {
    model->UpdateTagCells(before, before.FindPost(std::string(id)), -1, o,
                          decay);
    model->UpdateTagCells(after, after.FindPost(std::string(id)), +1, o, decay);
  }
  model->tag_scale_ = AgeDecay(now, o.half_life_days)(model->tag_origin_);
  model->BuildTopAnswerers(o);
  t.tags_us = Lap(start);
  const bool any_client_vector = std::any_of(
      added->begin(), added->end(),
      [](const index::PostMeta* m) { return !m->embedding.empty(); });
  // Without a vector anywhere there is none to build, at any clock.
  model->client_origin_ = now;
  model->client_half_life_days_ = o.half_life_days;
  model->client_roles_ = o;
  if (base.client_vectors_.cols() > 0 || any_client_vector)
    model->BuildClientProfiles(o);
  t.clients_us = Lap(start);
  return std::shared_ptr<const ExpertiseModel>(std::move(model));
}

void ExpertiseModel::BuildDerivedSignals(
    const ModelOptions& o,
    const absl::flat_hash_map<std::string, double>* ranks,
    const std::vector<std::string>* order,
    const std::function<bool()>& read_tags,
    const std::function<void()>& read_graph,
    const std::function<bool()>& read_clients) {
  SetVectorsFromSums(order);
  // The graph's signals (tie graph, PageRank) and the posts' (tag profiles,
  // top answerers, client vectors) share nothing, so they are built side
  // by side: at start-up the model waits for the longer of the two.
  auto graph_work = [&] {
    absl::Time start = absl::Now();
    if (read_graph) read_graph();
    timings_.ties_us = Lap(start);
    BuildGraphSignals(o, ranks);
  };
  std::jthread graph_signals;  // joined however this ends
  try {
    graph_signals = std::jthread(graph_work);
  } catch (const std::system_error&) {
    graph_work();  // no thread to be had: one after the other
  }
  absl::Time start = absl::Now();
  if (!read_tags || !read_tags()) BuildTagProfiles(o);
  BuildTopAnswerers(o);
  timings_.tags_us = Lap(start);
  if (!read_clients || !read_clients()) BuildClientProfiles(o);
  timings_.clients_us = Lap(start);
}

void ExpertiseModel::SetVectorsFromSums(const std::vector<std::string>* order) {
  const int k = space_->dimensions();
  profile_people_.clear();
  profile_index_.clear();
  RowMajorMatrixXf vectors(static_cast<Eigen::Index>(person_sums_.size()), k);
  std::vector<std::pair<const std::string*, const Eigen::VectorXf*>> rows;
  rows.reserve(person_sums_.size());
  if (order) {
    for (const auto& person : *order)
      rows.emplace_back(&person, &person_sums_.at(person));
  } else {
    for (const auto& [person, v] : person_sums_) rows.emplace_back(&person, &v);
  }
  for (const auto& [person_ptr, v_ptr] : rows) {
    const std::string& person = *person_ptr;
    const Eigen::VectorXf& v = *v_ptr;
    const float norm = v.norm();
    if (norm <= 0) continue;
    vectors.row(static_cast<Eigen::Index>(profile_people_.size())) = v / norm;
    profile_index_[person] = static_cast<int32_t>(profile_people_.size());
    profile_people_.push_back(person);
  }
  vectors.conservativeResize(static_cast<Eigen::Index>(profile_people_.size()),
                             k);
  person_vectors_ = CosineScan(std::move(vectors));
}

void ExpertiseModel::BuildGraphSignals(
    const ModelOptions& o,
    const absl::flat_hash_map<std::string, double>* ranks) {
  const index::ColleagueGraph& graph = *snapshot_->graph;
  absl::Time start = absl::Now();
  if (!ties_restored_) ties_ = std::make_unique<TieGraph>(graph);
  timings_.ties_us += Lap(start);
  const auto n = static_cast<int32_t>(graph.num_people());
  if (!pagerank_restored_) {
    // Started from earlier ranks, PageRank converges in a few iterations
    // when the graph changed little; the result is the same to its
    // tolerance.
    std::vector<double> warm;
    if (ranks && !ranks->empty()) {
      warm.assign(static_cast<size_t>(n), 0);
      for (int32_t i = 0; i < n; ++i) {
        auto it = ranks->find(graph.PersonId(i));
        if (it != ranks->end()) warm[i] = it->second;
      }
    }
    pagerank_ = WeightedPageRank(n, HelpEdges(graph), o.pagerank, {}, warm);
    pagerank_options_ = o.pagerank;
    timings_.pagerank_iterations = pagerank_.iterations;
  }
  authority_.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    authority_[graph.PersonId(i)] = pagerank_.rank[i] * n;
  }
  timings_.pagerank_us += Lap(start);
}

absl::flat_hash_map<std::string, double> ExpertiseModel::Ranks() const {
  absl::flat_hash_map<std::string, double> out;
  out.reserve(pagerank_.rank.size());
  for (int32_t i = 0; i < ties_->num_nodes(); ++i)
    out[ties_->PersonOf(i)] = pagerank_.rank[i];
  return out;
}

void ExpertiseModel::BuildTagProfiles(const ModelOptions& o) {
  tag_origin_ = o.clock();
  tag_scale_ = 1;
  tag_half_life_days_ = o.half_life_days;
  tag_roles_ = o;
  const AgeDecay decay(tag_origin_, o.half_life_days);
  // At start-up the model's longest stage, so on two threads, each sum the
  // one a single thread makes: each thread first finds the root and weight
  // of half the posts (the lookups, most of the cost), then adds the
  // weights of the tags of one hash parity over every post in the same
  // order, so that a cell adds the same weights in the same order.
  std::vector<const index::PostMeta*> posts;
  posts.reserve(snapshot_->posts.size());
  for (const auto& [id, m] : snapshot_->posts) posts.push_back(m.get());
  std::vector<std::pair<const index::PostMeta*, double>> weighed(posts.size());
  auto weigh = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      weighed[i] = TagRootAndWeight(*snapshot_, *posts[i], o, decay);
  };
  const size_t half = posts.size() / 2;
  Beside([&] { weigh(0, half); }, [&] { weigh(half, posts.size()); });
  using Cells = decltype(tags_);
  auto add = [&](Cells& cells, size_t part) {
    for (size_t i = 0; i < posts.size(); ++i) {
      const auto& [root, w] = weighed[i];
      if (!root) continue;
      for (const std::string& tag : root->tags) {
        if (absl::Hash<std::string_view>()(tag) % 2 != part) continue;
        TagCell& cell = cells[tag][posts[i]->author_id];
        cell.sum += w;
        ++cell.posts;
      }
    }
  };
  Cells odd;
  Beside([&] { add(tags_, 0); }, [&] { add(odd, 1); });
  for (auto& [tag, people] : odd) tags_.emplace(tag, std::move(people));
}

void ExpertiseModel::UpdateTagCells(
    const index::Snapshot& snap, const index::PostMeta* m, int sign,
    const ModelOptions& o, const std::function<double(int64_t)>& decay) {
  if (!m) return;
  ForEachTagWeight(snap, *m, o, decay, [&](const std::string& tag, double w) {
    if (sign > 0) {
      TagCell& cell = tags_[tag][m->author_id];
      cell.sum += w;
      ++cell.posts;
      return;
    }
    auto t = tags_.find(tag);
    if (t == tags_.end()) return;
    auto c = t->second.find(m->author_id);
    if (c == t->second.end()) return;
    c->second.sum -= w;
    if (--c->second.posts > 0) return;
    t->second.erase(c);
    if (t->second.empty()) tags_.erase(t);
  });
}

// Layout: half-life and the five role weights (doubles), the origin
// (int64), the holders' ids once each (count, then length + bytes each),
// then the tags (count; each: name, its cells' count, then each cell's
// holder number (uint32), sum (double) and posts (int32)).
std::string ExpertiseModel::TagSection() const {
  using file_io::Put;
  std::ostringstream out;
  auto put_id = [&](std::string_view id) {
    Put(out, static_cast<uint32_t>(id.size()));
    out.write(id.data(), static_cast<std::streamsize>(id.size()));
  };
  Put(out, tag_half_life_days_);
  for (double w : {tag_roles_.accepted_answer, tag_roles_.answer,
                   tag_roles_.article, tag_roles_.question, tag_roles_.comment})
    Put(out, w);
  Put(out, tag_origin_);
  absl::flat_hash_map<std::string_view, uint32_t> holder;
  std::vector<std::string_view> holders;
  for (const auto& [tag, cells] : tags_) {
    for (const auto& [person, cell] : cells) {
      if (holder.try_emplace(person, holders.size()).second)
        holders.push_back(person);
    }
  }
  Put(out, static_cast<uint64_t>(holders.size()));
  for (std::string_view id : holders) put_id(id);
  Put(out, static_cast<uint64_t>(tags_.size()));
  for (const auto& [tag, cells] : tags_) {
    put_id(tag);
    Put(out, static_cast<uint64_t>(cells.size()));
    for (const auto& [person, cell] : cells) {
      Put(out, holder.at(person));
      Put(out, cell.sum);
      Put(out, cell.posts);
    }
  }
  return std::move(out).str();
}

std::string ExpertiseModel::ReadTagSection(std::string_view bytes) {
  SectionReader in(bytes);
  double half_life = 0;
  RoleWeights roles;
  int64_t origin = 0;
  if (!in.Get(half_life) || !in.Get(roles.accepted_answer) ||
      !in.Get(roles.answer) || !in.Get(roles.article) ||
      !in.Get(roles.question) || !in.Get(roles.comment) || !in.Get(origin))
    return "their part of the file is truncated";
  uint64_t n = 0;
  // Each holder takes 4 bytes at least: a count beyond that is damage, not
  // an allocation to make.
  if (!in.Get(n) || n > kMaxFilePeople || n > bytes.size() / 4)
    return "a damaged count of holders";
  std::vector<std::string_view> holders(n);
  for (auto& id : holders)
    if (!in.GetId(id)) return "truncated holders";
  if (!in.Get(n) || n > bytes.size()) return "a damaged count of tags";
  tags_.reserve(n);
  std::string_view tag;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t cells = 0;
    if (!in.GetId(tag) || !in.Get(cells) || cells > holders.size())
      return "a truncated tag";
    auto [t, inserted] = tags_.try_emplace(std::string(tag));
    if (!inserted || cells == 0) return "a repeated or empty tag";
    t->second.reserve(cells);
    for (uint64_t c = 0; c < cells; ++c) {
      uint32_t who = 0;
      TagCell cell;
      if (!in.Get(who) || !in.Get(cell.sum) || !in.Get(cell.posts))
        return "a truncated cell";
      if (who >= holders.size() || cell.posts <= 0 || !std::isfinite(cell.sum))
        return "a damaged cell";
      if (!t->second.try_emplace(std::string(holders[who]), cell).second)
        return "a repeated cell";
    }
  }
  if (!in.done()) return "bytes after the last tag";
  tag_half_life_days_ = half_life;
  tag_roles_ = roles;
  tag_origin_ = origin;
  return "";
}

std::string ExpertiseModel::RestoreTags(std::string_view bytes,
                                        const ModelOptions& o) {
  const index::Snapshot& snap = *snapshot_;
  if (std::string bad = ReadTagSection(bytes); !bad.empty())
    return absl::StrCat("damaged: ", bad);
  const RoleWeights& r = tag_roles_;
  if (tag_half_life_days_ != o.half_life_days ||
      r.accepted_answer != o.accepted_answer || r.answer != o.answer ||
      r.article != o.article || r.question != o.question ||
      r.comment != o.comment)
    return "built with another half-life or other role weights";
  // A from-scratch build weighs a post newer than its clock 1, which no
  // single factor turns into what a later clock gives it.
  if (snap.newest_post > tag_origin_)
    return "a post is newer than their clock origin";
  const int64_t now = o.clock();
  if (now < tag_origin_) return "the clock is before their origin";
  tag_scale_ = AgeDecay(now, o.half_life_days)(tag_origin_);
  return "";
}

// Layout: the people (count, then length + bytes each), node by node; the
// tie lists' offsets (people + 1, int64); the ties' count (uint64), their
// targets (int32) and weights (double); PageRank's options (damping and
// tolerance: double, max_iterations: int32), its result's iterations
// (int32), residual (double) and converged (uint8); the ranks' count
// (uint64) and the ranks (double), node by node.
std::string ExpertiseModel::GraphSection() const {
  const TieGraph& g = *ties_;
  SectionWriter out;
  out.Put(static_cast<uint64_t>(g.num_nodes()));
  for (int32_t i = 0; i < g.num_nodes(); ++i) out.PutId(g.PersonOf(i));
  out.PutArray(g.offsets().data(), g.offsets().size());
  out.Put(static_cast<uint64_t>(g.targets().size()));
  out.PutArray(g.targets().data(), g.targets().size());
  out.PutArray(g.weights().data(), g.weights().size());
  out.Put(pagerank_options_.damping);
  out.Put(pagerank_options_.tolerance);
  out.Put(static_cast<int32_t>(pagerank_options_.max_iterations));
  out.Put(static_cast<int32_t>(pagerank_.iterations));
  out.Put(pagerank_.residual);
  out.Put(static_cast<uint8_t>(pagerank_.converged));
  out.Put(static_cast<uint64_t>(pagerank_.rank.size()));
  out.PutArray(pagerank_.rank.data(), pagerank_.rank.size());
  return std::move(out).Take();
}

std::string ExpertiseModel::RestoreGraph(std::string_view bytes,
                                         const ModelOptions& o) {
  const index::ColleagueGraph& graph = *snapshot_->graph;
  pagerank_rebuilt_ = "the ties were rebuilt";
  SectionReader in(bytes);
  uint64_t n = 0;
  if (!in.Get(n) || n > kMaxFilePeople) return "damaged: a count of people";
  // The stamp says the graph is the one they were built from; its people,
  // node by node, say it again for what the numbering depends on.
  if (n != graph.num_people()) return "the graph has other people";
  std::vector<std::string> people(n);
  std::string_view id;
  for (uint64_t i = 0; i < n; ++i) {
    if (!in.GetId(id)) return "damaged: truncated people";
    if (id != graph.PersonId(static_cast<int64_t>(i)))
      return "the graph has other people";
    people[i] = id;
  }
  std::vector<int64_t> offsets;
  std::vector<int32_t> targets;
  std::vector<double> weights;
  uint64_t m = 0;
  if (!in.GetArray(offsets, n + 1) || !in.Get(m) || !in.GetArray(targets, m) ||
      !in.GetArray(weights, m))
    return "damaged: truncated ties";
  PageRankOptions po;
  int32_t max_iterations = 0, iterations = 0;
  uint8_t converged = 0;
  uint64_t ranks = 0;
  PageRankResult pr;
  if (!in.Get(po.damping) || !in.Get(po.tolerance) || !in.Get(max_iterations) ||
      !in.Get(iterations) || !in.Get(pr.residual) || !in.Get(converged) ||
      !in.Get(ranks) || ranks != n || !in.GetArray(pr.rank, ranks) ||
      !in.done())
    return "damaged: a truncated PageRank";
  std::string why;
  auto ties = TieGraph::FromParts(std::move(people), std::move(offsets),
                                  std::move(targets), std::move(weights), why);
  if (!ties) return absl::StrCat("damaged: ", why);
  ties_ = std::move(ties);
  ties_restored_ = true;
  po.max_iterations = max_iterations;
  pr.iterations = iterations;
  pr.converged = converged != 0;
  if (converged > 1 || iterations < 0 ||
      !std::all_of(pr.rank.begin(), pr.rank.end(),
                   [](double r) { return std::isfinite(r) && r >= 0; })) {
    pagerank_rebuilt_ = "damaged: PageRank's result";
  } else if (po.damping != o.pagerank.damping ||
             po.tolerance != o.pagerank.tolerance ||
             po.max_iterations != o.pagerank.max_iterations) {
    pagerank_rebuilt_ = "computed with other PageRank options";
  } else {
    pagerank_ = std::move(pr);
    pagerank_options_ = po;
    pagerank_restored_ = true;
    pagerank_rebuilt_.clear();
  }
  return "";
}

// Layout: half-life and the five role weights (doubles), the clock they
// were built at (int64), the dimensions and the people's count (uint64
// each), the people's ids (length + bytes each), then their unit rows
// (floats), person by person.
std::string ExpertiseModel::ClientSection() const {
  SectionWriter out;
  out.Put(client_half_life_days_);
  for (double w :
       {client_roles_.accepted_answer, client_roles_.answer,
        client_roles_.article, client_roles_.question, client_roles_.comment})
    out.Put(w);
  out.Put(client_origin_);
  out.Put(static_cast<uint64_t>(client_vectors_.cols()));
  out.Put(static_cast<uint64_t>(client_people_.size()));
  for (const auto& id : client_people_) out.PutId(id);
  const Eigen::MatrixXf rows = client_vectors_.transpose();
  out.PutArray(rows.data(), static_cast<size_t>(rows.size()));
  return std::move(out).Take();
}

std::string ExpertiseModel::RestoreClients(std::string_view bytes,
                                           const ModelOptions& o) {
  SectionReader in(bytes);
  double half_life = 0;
  RoleWeights roles;
  int64_t origin = 0;
  uint64_t dims = 0, n = 0;
  if (!in.Get(half_life) || !in.Get(roles.accepted_answer) ||
      !in.Get(roles.answer) || !in.Get(roles.article) ||
      !in.Get(roles.question) || !in.Get(roles.comment) || !in.Get(origin) ||
      !in.Get(dims) || !in.Get(n))
    return "damaged: their part of the file is truncated";
  if (dims > kMaxClientDimensions || n > kMaxFilePeople ||
      n > bytes.size() / 4 || (n > 0 && dims == 0))
    return "damaged: a count of people or dimensions";
  std::vector<std::string> people(n);
  absl::flat_hash_set<std::string_view> seen;
  std::string_view id;
  for (auto& person : people) {
    if (!in.GetId(id)) return "damaged: truncated people";
    if (!seen.insert(id).second) return "damaged: a person twice";
    person = id;
  }
  std::vector<float> values;
  if (!in.GetArray(values, n * dims) || !in.done())
    return "damaged: truncated vectors";
  if (!std::all_of(values.begin(), values.end(),
                   [](float v) { return std::isfinite(v); }))
    return "damaged: a vector that is not finite";
  if (half_life != o.half_life_days ||
      roles.accepted_answer != o.accepted_answer || roles.answer != o.answer ||
      roles.article != o.article || roles.question != o.question ||
      roles.comment != o.comment)
    return "built with another half-life or other role weights";
  // Every post weighs what it weighed at their clock times one factor
  // (unit rows do not see it) only while none is newer than either clock.
  const index::Snapshot& snap = *snapshot_;
  if (snap.newest_post > origin) return "a post is newer than their clock";
  if (snap.newest_post > o.clock()) return "a post is newer than the clock";
  const auto d = static_cast<Eigen::Index>(dims);
  const auto rows = static_cast<Eigen::Index>(n);
  client_vectors_ =
      Eigen::Map<const Eigen::MatrixXf>(values.data(), d, rows).transpose();
  client_people_ = std::move(people);
  client_origin_ = origin;
  client_half_life_days_ = half_life;
  client_roles_ = roles;
  return "";
}

void ExpertiseModel::BuildTopAnswerers(const ModelOptions& o) {
  const AgeDecay decay(o.clock(), o.half_life_days);
  top_answerers_.clear();
  for (const auto& [person, a] : snapshot_->activity) {
    double answers = 0;
    for (int64_t t : a.answer_times) answers += decay(t);
    if (answers > 0) top_answerers_.emplace_back(person, answers);
  }
  std::sort(top_answerers_.begin(), top_answerers_.end(), HigherScoreFirst());
  if (top_answerers_.size() > static_cast<size_t>(o.top_answerers))
    top_answerers_.resize(static_cast<size_t>(o.top_answerers));
}

void ExpertiseModel::BuildClientProfiles(const ModelOptions& o) {
  client_origin_ = o.clock();
  client_half_life_days_ = o.half_life_days;
  client_roles_ = o;
  std::unordered_map<size_t, int64_t> dims;
  for (const auto& [id, m] : snapshot_->posts) {
    if (m->is_public && !m->embedding.empty()) ++dims[m->embedding.size()];
  }
  if (dims.empty()) return;
  size_t dim = 0;
  int64_t most = 0;
  for (const auto& [d, n] : dims) {
    if (n > most || (n == most && d < dim)) dim = d, most = n;
  }
  auto unit = [&](const index::PostMeta& m) -> std::optional<Eigen::VectorXf> {
    if (!m.is_public || m.embedding.size() != dim) return std::nullopt;
    Eigen::VectorXf v = Eigen::Map<const Eigen::VectorXf>(
        m.embedding.data(), static_cast<Eigen::Index>(dim));
    const float norm = v.norm();
    if (norm <= 0) return std::nullopt;
    return v / norm;
  };
  const AgeDecay decay(client_origin_, o.half_life_days);
  std::unordered_map<std::string, Eigen::VectorXf> acc;
  for (const auto& [id, m] : snapshot_->posts) {
    auto v = unit(*m);
    const double w = RoleWeight(o, *m) * decay(m->created);
    if (w <= 0 || m->author_id.empty()) continue;
    Eigen::VectorXf sum = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(dim));
    bool any = false;
    if (v) sum += *v, any = true;
    if (m->kind == v1::POST_KIND_ANSWER) {
      if (const index::PostMeta* q = snapshot_->FindPost(m->thread_id)) {
        if (auto qv = unit(*q)) sum += *qv, any = true;
      }
    }
    if (!any) continue;
    auto [it, inserted] = acc.try_emplace(m->author_id);
    if (inserted)
      it->second = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(dim));
    it->second += static_cast<float>(w) * sum;
  }
  client_vectors_.resize(static_cast<Eigen::Index>(acc.size()),
                         static_cast<Eigen::Index>(dim));
  for (auto& [person, v] : acc) {
    const float norm = v.norm();
    if (norm <= 0) continue;
    client_vectors_.row(static_cast<Eigen::Index>(client_people_.size())) =
        v / norm;
    client_people_.push_back(person);
  }
  client_vectors_.conservativeResize(
      static_cast<Eigen::Index>(client_people_.size()),
      static_cast<Eigen::Index>(dim));
}

int32_t ExpertiseModel::ProfileIndex(const std::string& person_id) const {
  auto it = profile_index_.find(person_id);
  return it == profile_index_.end() ? -1 : it->second;
}

std::vector<std::pair<std::string, float>> ExpertiseModel::ClientSimilarities(
    const std::vector<float>& query) const {
  std::vector<std::pair<std::string, float>> out;
  if (query.empty() ||
      static_cast<Eigen::Index>(query.size()) != client_vectors_.cols())
    return out;
  Eigen::VectorXf q = Eigen::Map<const Eigen::VectorXf>(
      query.data(), static_cast<Eigen::Index>(query.size()));
  const float norm = q.norm();
  if (norm <= 0) return out;
  Eigen::VectorXf sim = client_vectors_ * (q / norm);
  out.reserve(client_people_.size());
  for (size_t i = 0; i < client_people_.size(); ++i)
    out.emplace_back(client_people_[i], sim[static_cast<Eigen::Index>(i)]);
  return out;
}

Eigen::VectorXf ExpertiseModel::EmbedQuery(
    const std::vector<std::vector<std::string>>& words) const {
  if (!has_embeddings()) return {};
  TermCounts counts;
  for (const auto& alternatives : words) {
    std::vector<int32_t> known;
    for (const auto& term : alternatives) {
      const int32_t id = space_->TermId(term);
      if (id >= 0) known.push_back(id);
    }
    for (int32_t id : known)
      counts.emplace_back(id, 1.0f / static_cast<float>(known.size()));
  }
  // Embed's 1 + log(count) is for counts >= 1; a query word counts once.
  for (auto& [id, c] : counts) c = std::max(c, 1.0f);
  return space_->Embed(counts);
}

Eigen::VectorXf ExpertiseModel::Similarities(const Eigen::VectorXf& q) const {
  if (!has_embeddings()) return Eigen::VectorXf::Zero(person_vectors_.rows());
  return person_vectors_.DotAll(q);
}

std::vector<std::pair<int32_t, float>> ExpertiseModel::TopSimilarities(
    const Eigen::VectorXf& q, size_t k) const {
  return person_vectors_.Top(has_embeddings() ? q : Eigen::VectorXf(), k,
                             [this](int32_t a, int32_t b) {
                               return profile_people_[static_cast<size_t>(a)] <
                                      profile_people_[static_cast<size_t>(b)];
                             });
}

std::vector<float> ExpertiseModel::Similarities(
    const Eigen::VectorXf& q, const std::vector<int32_t>& indices) const {
  if (!has_embeddings()) return std::vector<float>(indices.size(), 0.0f);
  return person_vectors_.DotRows(indices, q);
}

absl::flat_hash_map<std::string_view, double> ExpertiseModel::TagScores(
    const std::vector<std::string>& tags) const {
  absl::flat_hash_map<std::string_view, double> out;
  // Sized once for every holder: growing rehashes each id again (a tag may
  // have thousands of holders).
  size_t holders = 0;
  for (const auto& tag : tags) {
    if (auto it = tags_.find(tag); it != tags_.end())
      holders += it->second.size();
  }
  out.reserve(holders);
  for (const auto& tag : tags) {
    auto it = tags_.find(tag);
    if (it == tags_.end()) continue;
    for (const auto& [person, cell] : it->second)
      out[person] += cell.sum * tag_scale_;
  }
  return out;
}

double ExpertiseModel::Authority(const std::string& person_id) const {
  auto it = authority_.find(person_id);
  return it == authority_.end() ? 0 : it->second;
}

std::shared_ptr<const ExpertiseModel::PeopleByNumber>
ExpertiseModel::NumberedBy(
    const std::shared_ptr<const index::DenseIndex>& dense) const {
  {
    absl::MutexLock lock(&numbered_mu_);
    if (numbered_ && numbered_->dense.lock() == dense) return numbered_;
  }
  // Built outside the lock: a query on another snapshot meanwhile builds
  // its own (the last one built is kept).
  auto table = std::make_shared<PeopleByNumber>();
  table->dense = dense;
  const uint32_t people = dense->num_people();
  table->profile.resize(people);
  table->authority.resize(people);
  table->node.resize(people);
  table->node_may_pass.assign(static_cast<size_t>(ties_->num_nodes()), 0);
  for (uint32_t n = 0; n < people; ++n) {
    const std::string& id = dense->person_id(n);
    table->profile[n] = ProfileIndex(id);
    table->authority[n] = Authority(id);
    const int32_t node = ties_->NodeOf(id);
    table->node[n] = node;
    const v1::Person* p = dense->person(n);
    if (node >= 0 && p && !p->opted_out())
      table->node_may_pass[static_cast<size_t>(node)] = 1;
  }
  std::shared_ptr<const PeopleByNumber> built = std::move(table);
  std::shared_ptr<const PeopleByNumber> replaced;  // freed outside the lock
  absl::MutexLock lock(&numbered_mu_);
  replaced = std::move(numbered_);
  numbered_ = built;
  return built;
}

absl::Status ExpertiseModel::SaveEmbeddings(const std::string& path) const {
  using file_io::Put;
  auto put_id = [](std::ostream& out, const std::string& id) {
    Put(out, static_cast<uint32_t>(id.size()));
    out.write(id.data(), static_cast<std::streamsize>(id.size()));
  };
  return index::WriteFileAtomically(
      path, [&](std::ostream& out) -> absl::Status {
        Put(out, kModelMagic);
        put_id(out, snapshot_->stamp);
        Put(out, embedded_posts_);
        Put(out, embedded_newest_);
        Put(out, trained_posts_);
        Put(out, vector_origin_);
        Put(out, static_cast<uint8_t>(sums_exact_));
        if (absl::Status s = space_->Save(out); !s.ok()) return s;
        // The profiled people first, in their order (kept on Load), then
        // those whose sum is zero.
        Put(out, static_cast<uint64_t>(person_sums_.size()));
        auto put_sum = [&](const std::string& person) {
          const Eigen::VectorXf& v = person_sums_.at(person);
          put_id(out, person);
          out.write(reinterpret_cast<const char*>(v.data()),
                    static_cast<std::streamsize>(sizeof(float) * v.size()));
        };
        for (const auto& person : profile_people_) put_sum(person);
        for (const auto& [person, v] : person_sums_)
          if (!profile_index_.contains(person)) put_sum(person);
        Put(out, static_cast<uint64_t>(pagerank_.rank.size()));
        for (int32_t i = 0; i < ties_->num_nodes(); ++i) {
          put_id(out, ties_->PersonOf(i));
          Put(out, pagerank_.rank[i]);
        }
        // Each its own length and checksum: a damaged section is rebuilt,
        // not read as profiles, ties or vectors.
        for (const std::string& section :
             {TagSection(), GraphSection(), ClientSection()}) {
          if (section.size() > kMaxSectionBytes) {
            return absl::ResourceExhaustedError(
                absl::StrCat("a section of ", section.size(),
                             " bytes is over the file's limit"));
          }
          Put(out, static_cast<uint64_t>(section.size()));
          out.write(section.data(),
                    static_cast<std::streamsize>(section.size()));
          Put(out, Crc32(section));
        }
        return absl::OkStatus();
      });
}

// What ReadAhead reads of a file SaveEmbeddings wrote: all of it, the
// sections after the ranks as bytes with their checksums checked; what
// needs the snapshot (the stamp's comparison, the sections' parse) is
// left to Load.
struct ExpertiseModel::Stored {
  // The file read, as stat(2) saw it before and after the read.
  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t modified_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  // Unknown (StillAt is false) when the path held another file after
  // the read than before it, in each of ReadAhead's reads.
  std::optional<Identity> identity;
  std::string stamp;
  int64_t embedded_posts = 0;
  int64_t embedded_newest = 0;
  int64_t trained_posts = 0;
  int64_t vector_origin = 0;
  uint8_t exact = 0;
  std::shared_ptr<const TermSpace> space;
  std::unordered_map<std::string, Eigen::VectorXf> person_sums;
  std::vector<std::string> order;  // person_sums' keys, in the file's order
  absl::flat_hash_map<std::string, double> ranks;
  // A section's bytes, or why they cannot be used (FetchSection's reasons
  // but the stamp's).
  struct Part {
    std::string bytes;
    std::string why;
  };
  Part tags, ties, clients;
  int64_t file_us = 0;
};

namespace {

std::optional<ExpertiseModel::Stored::Identity> IdentityOf(
    const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return ExpertiseModel::Stored::Identity{
      .device = st.st_dev,
      .inode = st.st_ino,
      .size = st.st_size,
      .modified_ns =
          int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

absl::StatusOr<std::shared_ptr<ExpertiseModel::Stored>>
ExpertiseModel::ReadAhead(const std::string& path) {
  // A file replaced while it was read (SaveEmbeddings renames a new one
  // over it) is read again: what the store restores must be the file on
  // disk, all of it. A path whose identity never holds still (a file
  // system without stable inode numbers) gives a read that is never
  // StillAt: the store then reads it itself, as Load(path) does.
  absl::StatusOr<std::shared_ptr<Stored>> read;
  for (int attempt = 0; attempt < 3; ++attempt) {
    read = ReadOnce(path);
    if (!read.ok() || StillAt(**read, path)) return read;
  }
  (*read)->identity.reset();
  return read;
}

absl::StatusOr<std::shared_ptr<ExpertiseModel::Stored>>
ExpertiseModel::ReadOnce(const std::string& path) {
  using file_io::Get;
  absl::Time start = absl::Now();
  const std::optional<Stored::Identity> before = IdentityOf(path);
  std::ifstream in(path, std::ios::binary);
  if (!before || !in)
    return absl::NotFoundError(absl::StrCat("no embeddings at ", path));
  auto stored = std::make_shared<Stored>();
  stored->identity = *before;
  auto get_id = [&](std::string& id) {
    uint32_t len = 0;
    if (!Get(in, len) || len > kMaxPersonIdLength) return false;
    id.resize(len);
    return static_cast<bool>(in.read(id.data(), len));
  };
  uint32_t magic = 0;
  if (!Get(in, magic) || magic != kModelMagic || !get_id(stored->stamp) ||
      !Get(in, stored->embedded_posts) || !Get(in, stored->embedded_newest) ||
      !Get(in, stored->trained_posts) || !Get(in, stored->vector_origin) ||
      !Get(in, stored->exact)) {
    return absl::DataLossError(absl::StrCat(
        path, ": not a whoknows embeddings file (or an older one)"));
  }
  auto space = TermSpace::Load(in);
  if (!space.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", space.status().message()));
  }
  stored->space = std::make_shared<const TermSpace>(std::move(*space));
  const int k = stored->space->dimensions();
  uint64_t n = 0;
  if (!Get(in, n) || n > kMaxFilePeople) {
    return absl::DataLossError(absl::StrCat(path, ": truncated people"));
  }
  std::string id;
  // Grown as the file proves it holds them: a damaged count reserves no
  // gigabytes.
  stored->order.reserve(std::min<uint64_t>(n, uint64_t{1} << 16));
  for (uint64_t i = 0; i < n; ++i) {
    Eigen::VectorXf v(k);
    if (!get_id(id) ||
        !in.read(reinterpret_cast<char*>(v.data()),
                 static_cast<std::streamsize>(sizeof(float) * k))) {
      return absl::DataLossError(absl::StrCat(path, ": truncated vectors"));
    }
    if (stored->person_sums.try_emplace(id, std::move(v)).second)
      stored->order.push_back(id);
  }
  if (!Get(in, n) || n > kMaxFilePeople) {
    return absl::DataLossError(absl::StrCat(path, ": truncated ranks"));
  }
  for (uint64_t i = 0; i < n; ++i) {
    double rank = 0;
    if (!get_id(id) || !Get(in, rank)) {
      return absl::DataLossError(absl::StrCat(path, ": truncated ranks"));
    }
    stored->ranks[id] = rank;
  }
  // The sections after the ranks, found in turn, then read and checked.
  const std::streampos here = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streampos end = in.tellg();
  in.seekg(here);
  const Section tags = FindSection(in, end, "the tag profiles", nullptr);
  const Section ties = FindSection(in, end, "the ties", &tags);
  const Section clients = FindSection(in, end, "the client vectors", &ties);
  for (const auto& [s, part] :
       {std::pair(&tags, &stored->tags), std::pair(&ties, &stored->ties),
        std::pair(&clients, &stored->clients)}) {
    part->why = FetchSection(in, *s, part->bytes);
  }
  in.close();
  stored->file_us = Lap(start);
  return stored;
}

bool ExpertiseModel::StillAt(const Stored& stored, const std::string& path) {
  return stored.identity.has_value() && IdentityOf(path) == stored.identity;
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Load(
    const std::string& path, std::shared_ptr<const index::Snapshot> snapshot,
    const ModelOptions& o) {
  WK_ASSIGN_OR_RETURN(std::shared_ptr<Stored> stored, ReadOnce(path));
  return Load(std::move(stored), std::move(snapshot), o);
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Load(
    std::shared_ptr<Stored> stored,
    std::shared_ptr<const index::Snapshot> snapshot, const ModelOptions& o) {
  auto model = std::shared_ptr<ExpertiseModel>(new ExpertiseModel());
  model->snapshot_ = std::move(snapshot);
  model->embedded_posts_ = stored->embedded_posts;
  model->embedded_newest_ = stored->embedded_newest;
  model->trained_posts_ = stored->trained_posts;
  model->vector_origin_ = stored->vector_origin;
  model->space_ = std::move(stored->space);
  model->person_sums_ = std::move(stored->person_sums);
  model->timings_.file_us = stored->file_us;
  // The sections say nothing about a snapshot of other stamps.
  const std::string stale = StaleStamp(stored->stamp, *model->snapshot_);
  auto why = [&](const Stored::Part& part) {
    return stale.empty() ? part.why : stale;
  };
  model->BuildDerivedSignals(
      o, &stored->ranks, &stored->order,
      [&] {
        std::string why_not = why(stored->tags);
        if (why_not.empty())
          why_not = model->RestoreTags(stored->tags.bytes, o);
        stored->tags.bytes = {};
        model->tags_rebuilt_ = why_not;
        model->tags_restored_ = why_not.empty();
        if (!model->tags_restored_) model->tags_.clear();
        return model->tags_restored_;
      },
      [&] {
        std::string why_not = why(stored->ties);
        if (why_not.empty())
          why_not = model->RestoreGraph(stored->ties.bytes, o);
        stored->ties.bytes = {};
        if (!model->ties_restored_) model->pagerank_rebuilt_ = why_not;
        model->ties_rebuilt_ = std::move(why_not);
      },
      [&] {
        std::string why_not = why(stored->clients);
        if (why_not.empty())
          why_not = model->RestoreClients(stored->clients.bytes, o);
        stored->clients.bytes = {};
        model->clients_rebuilt_ = why_not;
        model->clients_restored_ = why_not.empty();
        return model->clients_restored_;
      });
  const index::Snapshot& snap = *model->snapshot_;
  // The sums count what the snapshot holds only when no post arrived since
  // they were saved: else they are no base for Update.
  model->sums_exact_ = stored->exact &&
                       model->embedded_newest_ == snap.newest_post &&
                       model->embedded_posts_ == PublicPosts(snap) &&
                       snap.newest_post <= model->tag_origin_;
  return std::shared_ptr<const ExpertiseModel>(std::move(model));
}

ModelStore::ModelStore(const index::Catalog& catalog, ModelStoreOptions options,
                       std::shared_ptr<ExpertiseModel::Stored> read_ahead)
    : catalog_(catalog),
      options_(std::move(options)),
      last_retrain_(options_.steady_now()) {
  std::error_code ec;
  if (!options_.path.empty() && std::filesystem::exists(options_.path, ec)) {
    auto loaded =
        read_ahead && ExpertiseModel::StillAt(*read_ahead, options_.path)
            ? ExpertiseModel::Load(std::move(read_ahead),
                                   WithoutNumbering(catalog_.snapshot()),
                                   options_.model)
            : ExpertiseModel::Load(options_.path,
                                   WithoutNumbering(catalog_.snapshot()),
                                   options_.model);
    // An unreadable file is rebuilt, not fatal: it is derived data.
    if (loaded.ok()) {
      const ExpertiseModel& m = **loaded;
      bool rebuilt = false;
      for (const auto& [restored, what, why] :
           {std::tuple(m.tags_restored(), "tag profiles",
                       &m.tags_rebuilt_because()),
            std::tuple(m.ties_restored(), "ties", &m.ties_rebuilt_because()),
            std::tuple(m.pagerank_restored(), "PageRank",
                       &m.pagerank_rebuilt_because()),
            std::tuple(m.clients_restored(), "client vectors",
                       &m.clients_rebuilt_because())}) {
        if (restored) continue;
        std::fprintf(stderr, "whoknows: %s: %s rebuilt: %s\n",
                     options_.path.c_str(), what, why->c_str());
        rebuilt = true;
      }
      // Written again with this snapshot's stamp, so that the next start
      // reads them (Loop, off the start-up's path).
      resave_ = rebuilt && !m.snapshot().stamp.empty();
      absl::MutexLock lock(&mu_);
      model_ = std::move(*loaded);
    } else {
      std::fprintf(stderr, "whoknows: %s; rebuilding the model\n",
                   std::string(loaded.status().message()).c_str());
    }
  }
  if (options_.background) thread_ = std::thread([this] { Loop(); });
}

ModelStore::~ModelStore() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;  // wakes Loop's Await
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const ExpertiseModel> ModelStore::current() const {
  absl::MutexLock lock(&mu_);
  return model_;
}

absl::Status ModelStore::background_error() const {
  absl::MutexLock lock(&mu_);
  return bg_error_;
}

namespace {

// Returns the allocator's free pages to the system.
void ReleaseFreeMemory() {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    malloc_trim(0);
  }
}

}  // namespace

absl::Status ModelStore::RebuildNow() {
  absl::MutexLock build(&build_mu_);
  building_ = true;
  const absl::Time started = absl::Now();
  absl::Status built = BuildAndSwap();
  // A build's transients (every post's bag of words, the SVD's matrices)
  // are freed by now, but the allocator keeps most of them mapped (glibc in
  // this thread's arena, tcmalloc in its page heap); give them back, so
  // that the peak of the next publish or query burst does not come on top
  // of them.
  ReleaseFreeMemory();
  const absl::Time ended = absl::Now();
  last_build_ms_ = absl::ToUnixMillis(ended);
  last_build_duration_ms_ = absl::ToInt64Milliseconds(ended - started);
  ++builds_;
  if (!built.ok()) ++failed_builds_;
  building_ = false;
  return built;
}

ModelStoreStats ModelStore::stats() const {
  return {.building = building_,
          .last_build_ms = last_build_ms_,
          .last_build_duration_ms = last_build_duration_ms_,
          .last_build_incremental = last_build_incremental_,
          .builds = builds_,
          .failed_builds = failed_builds_};
}

absl::Status ModelStore::BuildAndSwap() {
  auto snap = WithoutNumbering(catalog_.snapshot());
  // In proportion to the change while the space is young enough, else (or
  // when Update cannot be exact) from scratch.
  absl::StatusOr<std::shared_ptr<const ExpertiseModel>> built = nullptr;
  const auto base = current();
  if (base && !RetrainDue(*base, *snap))
    built = ExpertiseModel::Update(*base, catalog_, snap, options_.model);
  last_build_incremental_ = built.ok() && *built;
  if (built.ok() && !*built) {
    built = ExpertiseModel::Build(catalog_, snap, options_.model);
    if (built.ok()) last_retrain_ = options_.steady_now();
  }
  if (!built.ok()) return built.status();
  if (!options_.path.empty()) {
    if (absl::Status saved = Persist(**built); !saved.ok()) return saved;
  }
  // The model replaced (and the snapshot it may be the last to hold) is
  // destroyed after mu_ is released, so that current() never waits for it.
  std::shared_ptr<const ExpertiseModel> replaced = std::move(*built);
  {
    absl::MutexLock lock(&mu_);
    model_.swap(replaced);
  }
  replaced.reset();
  return absl::OkStatus();
}

bool ModelStore::RetrainDue(const ExpertiseModel& base,
                            const index::Snapshot& snap) const {
  const bool grown =
      static_cast<double>(PublicPosts(snap)) >=
      static_cast<double>(base.trained_posts()) * (1 + options_.retrain_growth);
  return grown &&
         options_.steady_now() - last_retrain_ >= options_.min_retrain_interval;
}

bool ModelStore::IsStale(
    const std::shared_ptr<const ExpertiseModel>& model) const {
  if (!model) return true;
  auto snap = catalog_.snapshot();
  // A new snapshot changes the graph signals; a model restored from disk
  // may also predate posts that arrived while the server was down.
  return model->snapshot().generation != snap->generation ||
         model->embedded_posts() != PublicPosts(*snap) ||
         model->embedded_newest() != snap->newest_post;
}

bool ModelStore::IsCurrent() const { return !IsStale(current()); }

void ModelStore::RecordBackgroundResult(const absl::Status& status) {
  bool new_error = false;
  {
    absl::MutexLock lock(&mu_);
    new_error = !status.ok() && status != bg_error_;
    bg_error_ = status;
  }
  // Logged once when it happens, not at every retry of the same failure.
  if (!new_error) return;
  std::fprintf(stderr,
               "whoknows: rebuilding the expertise model failed (the "
               "previous model stays in use): %s\n",
               status.ToString().c_str());
  if (options_.on_background_error)
    options_.on_background_error(absl::Status(
        status.code(),
        absl::StrCat("rebuilding the expertise model: ", status.message())));
}

bool ModelStore::RebuildDue(
    std::chrono::steady_clock::time_point last_build) const {
  // Erasure and opting out do not wait for the interval: a person deleted
  // from the directory leaves the persisted vectors at once, and queries
  // rank without the model until it no longer counts who opted out.
  auto model = current();
  auto snap = catalog_.snapshot();
  const bool erased =
      model && (snap->people.size() < model->snapshot().people.size() ||
                snap->opted_out != model->snapshot().opted_out);
  const bool waited = std::chrono::steady_clock::now() - last_build >=
                      options_.min_rebuild_interval;
  return (erased || waited) && IsStale(model);
}

void ModelStore::ResaveRestored() {
  absl::MutexLock build(&build_mu_);
  const auto model = current();
  // A stale model is rebuilt and saved by Loop anyway.
  if (!model || IsStale(model)) return;
  absl::Status saved = Persist(*model);
  if (!saved.ok())
    std::fprintf(stderr, "whoknows: %s\n", saved.ToString().c_str());
}

absl::Status ModelStore::Persist(const ExpertiseModel& model) {
  absl::MutexLock lock(&save_mu_);
  if (!catalog_.MayPersistDerivedFrom(model.snapshot()))
    return absl::OkStatus();
  return model.SaveEmbeddings(options_.path);
}

absl::Status ModelStore::RemovePersisted() {
  if (options_.path.empty()) return absl::OkStatus();
  absl::MutexLock lock(&save_mu_);
  return index::RemoveFileDurably(options_.path);
}

void ModelStore::Loop() {
  // Rebuilds are background work, as ingest is: once a model serves, at
  // nice +10, the priority of the ingest executor's threads
  // (api/executor.cc), so that queries keep the cores and a rebuild (a
  // full one reads every post) shares the CPU with ingest instead of
  // taking ten times its share. The first model is built at the default
  // priority: health says NOT_SERVING until it is there. Nice is per
  // thread on Linux; raising it needs no privilege, and a failure only
  // leaves the default.
  bool lowered = false;
  auto lower_once_serving = [&] {
    if (lowered || !current()) return;
    LowerThisThreadsPriority();
    lowered = true;
  };
  lower_once_serving();
  if (resave_) ResaveRestored();
  auto last_build =
      std::chrono::steady_clock::now() - options_.min_rebuild_interval;
  stop_mu_.Lock();
  while (!stopping_) {
    if (RebuildDue(last_build)) {
      stop_mu_.Unlock();
      RecordBackgroundResult(RebuildNow());
      lower_once_serving();
      last_build = std::chrono::steady_clock::now();
      stop_mu_.Lock();
      continue;
    }
    stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                              absl::FromChrono(options_.poll_interval));
  }
  stop_mu_.Unlock();
}

}  // namespace whoknows::ranking
