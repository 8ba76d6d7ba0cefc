#include "ranking/expertise_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "index/data_dir.h"
#include "index/dense_index.h"
#include "ranking/file_io.h"
#include "ranking/validate.h"

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
  int64_t n = 0;
  for (const auto& [id, m] : snap.posts) n += m->is_public;
  return n;
}

constexpr uint32_t kPeopleMagic = 0x574b5056;  // "WKPV"

// Sanity limits of an embeddings file: a bigger count means damage.
constexpr uint64_t kMaxFilePeople = uint64_t{1} << 26;
constexpr uint32_t kMaxPersonIdLength = 4096;

// The bags of words of the public posts of a snapshot, in the catalog's
// order; term ids index `vocabulary`.
struct Corpus {
  std::vector<std::string> vocabulary;
  std::vector<TermCounts> docs;
  std::vector<const index::PostMeta*> doc_meta;    // by doc
  std::unordered_map<std::string, size_t> doc_of;  // post id -> doc
};

absl::StatusOr<Corpus> ReadCorpus(const index::Catalog& catalog,
                                  const index::Snapshot& snap) {
  Corpus c;
  std::unordered_map<std::string, int32_t> raw_id;
  auto status = catalog.ForEachPostTerms(
      [&](const std::string& post_id,
          const std::vector<index::Catalog::TermCount>& terms) {
        const index::PostMeta* m = snap.FindPost(post_id);
        if (!m || !m->is_public) return;
        TermCounts bag;
        bag.reserve(terms.size());
        for (const auto& t : terms) {
          auto [it, inserted] = raw_id.try_emplace(
              t.term, static_cast<int32_t>(c.vocabulary.size()));
          if (inserted) c.vocabulary.push_back(t.term);
          bag.emplace_back(it->second, static_cast<float>(t.count));
        }
        auto [it, inserted] = c.doc_of.try_emplace(post_id, c.docs.size());
        if (inserted) {
          c.docs.push_back(std::move(bag));
          c.doc_meta.push_back(m);
        } else {
          c.docs[it->second] = std::move(bag);
        }
      });
  if (!status.ok()) return status;
  return c;
}

// People's unit vectors (rows) and who they are, in the same order.
struct Profiles {
  std::vector<std::string> people;
  Eigen::MatrixXf vectors;
};

// Each person's vector is the sum of their posts' embeddings, weighted by
// role and age; an answer also brings in the question it answers.
Profiles PersonVectors(const TermSpace& space, const Corpus& corpus,
                       const index::Snapshot& snap, const ModelOptions& o) {
  std::vector<int32_t> remap(corpus.vocabulary.size());
  for (size_t i = 0; i < corpus.vocabulary.size(); ++i)
    remap[i] = space.TermId(corpus.vocabulary[i]);
  auto embed = [&](size_t d) {
    TermCounts mapped;
    for (const auto& [t, c] : corpus.docs[d]) {
      if (remap[t] >= 0) mapped.emplace_back(remap[t], c);
    }
    return space.Embed(mapped);
  };
  const int k = space.dimensions();
  const AgeDecay decay(o.clock(), o.half_life_days);
  std::unordered_map<std::string, Eigen::VectorXf> acc;
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
  Profiles p;
  p.vectors.resize(static_cast<Eigen::Index>(acc.size()), k);
  for (auto& [person, v] : acc) {
    const float norm = v.norm();
    if (norm <= 0) continue;
    p.vectors.row(static_cast<Eigen::Index>(p.people.size())) = v / norm;
    p.people.push_back(person);
  }
  p.vectors.conservativeResize(static_cast<Eigen::Index>(p.people.size()), k);
  return p;
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
  });
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Build(
    const index::Catalog& catalog,
    std::shared_ptr<const index::Snapshot> snapshot, const ModelOptions& o) {
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
  auto space = TermSpace::Train(corpus->vocabulary, corpus->docs, o.embedding);
  t.train_us = Lap(start);
  if (space.ok() && space->dimensions() > 0) {
    model->space_ = std::move(*space);
    // 3. People's vectors.
    Profiles profiles = PersonVectors(model->space_, *corpus, snap, o);
    model->profile_people_ = std::move(profiles.people);
    model->person_vectors_ = std::move(profiles.vectors);
    t.vectors_us = Lap(start);
  }
  model->embedded_posts_ = PublicPosts(snap);
  model->embedded_newest_ = snap.newest_post;
  // 4. Everything else is derived from the snapshot.
  model->BuildDerivedSignals(o);
  return std::shared_ptr<const ExpertiseModel>(std::move(model));
}

void ExpertiseModel::BuildDerivedSignals(const ModelOptions& o) {
  for (size_t i = 0; i < profile_people_.size(); ++i)
    profile_index_[profile_people_[i]] = static_cast<int32_t>(i);
  absl::Time start = absl::Now();
  BuildGraphSignals(o);
  BuildTagProfiles(o);
  timings_.tags_us = Lap(start);
  BuildClientProfiles(o);
  timings_.clients_us = Lap(start);
}

void ExpertiseModel::BuildGraphSignals(const ModelOptions& o) {
  const index::ColleagueGraph& graph = *snapshot_->graph;
  absl::Time start = absl::Now();
  ties_ = std::make_unique<TieGraph>(graph);
  timings_.ties_us = Lap(start);
  const auto n = static_cast<int32_t>(graph.num_people());
  pagerank_ = WeightedPageRank(n, HelpEdges(graph), o.pagerank);
  for (int32_t i = 0; i < n; ++i) {
    authority_[graph.PersonId(i)] = pagerank_.rank[i] * n;
  }
  timings_.pagerank_us = Lap(start);
  timings_.pagerank_iterations = pagerank_.iterations;
}

void ExpertiseModel::BuildTagProfiles(const ModelOptions& o) {
  const AgeDecay decay(o.clock(), o.half_life_days);
  std::unordered_map<std::string, std::unordered_map<std::string, double>>
      by_tag;
  for (const auto& [id, m] : snapshot_->posts) {
    if (!m->is_public || m->author_id.empty()) continue;
    const index::PostMeta* root =
        m->thread_id == m->id ? m.get() : snapshot_->FindPost(m->thread_id);
    if (!root || root->tags.empty()) continue;
    const double w = RoleWeight(o, *m) * decay(m->created);
    if (w <= 0) continue;
    for (const auto& tag : root->tags) by_tag[tag][m->author_id] += w;
  }
  for (auto& [tag, holders] : by_tag) {
    auto& v = tag_holders_[tag];
    v.assign(holders.begin(), holders.end());
  }
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
  const AgeDecay decay(o.clock(), o.half_life_days);
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
      const int32_t id = space_.TermId(term);
      if (id >= 0) known.push_back(id);
    }
    for (int32_t id : known)
      counts.emplace_back(id, 1.0f / static_cast<float>(known.size()));
  }
  // Embed's 1 + log(count) is for counts >= 1; a query word counts once.
  for (auto& [id, c] : counts) c = std::max(c, 1.0f);
  return space_.Embed(counts);
}

Eigen::VectorXf ExpertiseModel::Similarities(const Eigen::VectorXf& q) const {
  if (!has_embeddings() || q.size() != person_vectors_.cols() ||
      person_vectors_.rows() == 0)
    return Eigen::VectorXf::Zero(person_vectors_.rows());
  return person_vectors_ * q;
}

absl::flat_hash_map<std::string_view, double> ExpertiseModel::TagScores(
    const std::vector<std::string>& tags) const {
  absl::flat_hash_map<std::string_view, double> out;
  for (const auto& tag : tags) {
    auto it = tag_holders_.find(tag);
    if (it == tag_holders_.end()) continue;
    for (const auto& [person, w] : it->second) out[person] += w;
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
    if (numbered_ && numbered_->dense == dense) return numbered_;
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
  return index::WriteFileAtomically(
      path, [&](std::ostream& out) -> absl::Status {
        Put(out, kPeopleMagic);
        Put(out, embedded_posts_);
        Put(out, embedded_newest_);
        if (absl::Status s = space_.Save(out); !s.ok()) return s;
        Put(out, static_cast<uint64_t>(profile_people_.size()));
        for (const auto& p : profile_people_) {
          const auto len = static_cast<uint32_t>(p.size());
          Put(out, len);
          out.write(p.data(), len);
        }
        out.write(reinterpret_cast<const char*>(person_vectors_.data()),
                  static_cast<std::streamsize>(sizeof(float) *
                                               person_vectors_.size()));
        return absl::OkStatus();
      });
}

absl::StatusOr<std::shared_ptr<const ExpertiseModel>> ExpertiseModel::Load(
    const std::string& path, std::shared_ptr<const index::Snapshot> snapshot,
    const ModelOptions& o) {
  using file_io::Get;
  absl::Time start = absl::Now();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no embeddings at ", path));
  auto model = std::shared_ptr<ExpertiseModel>(new ExpertiseModel());
  model->snapshot_ = std::move(snapshot);
  uint32_t magic = 0;
  if (!Get(in, magic) || magic != kPeopleMagic ||
      !Get(in, model->embedded_posts_) || !Get(in, model->embedded_newest_)) {
    return absl::DataLossError(
        absl::StrCat(path, ": not a whoknows embeddings file"));
  }
  auto space = TermSpace::Load(in);
  if (!space.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", space.status().message()));
  }
  model->space_ = std::move(*space);
  uint64_t n = 0;
  if (!Get(in, n) || n > kMaxFilePeople) {
    return absl::DataLossError(absl::StrCat(path, ": truncated people"));
  }
  model->profile_people_.resize(n);
  for (auto& p : model->profile_people_) {
    uint32_t len = 0;
    if (!Get(in, len) || len > kMaxPersonIdLength) {
      return absl::DataLossError(absl::StrCat(path, ": truncated people"));
    }
    p.resize(len);
    if (!in.read(p.data(), len)) {
      return absl::DataLossError(absl::StrCat(path, ": truncated people"));
    }
  }
  model->person_vectors_.resize(static_cast<Eigen::Index>(n),
                                model->space_.dimensions());
  if (!in.read(reinterpret_cast<char*>(model->person_vectors_.data()),
               static_cast<std::streamsize>(sizeof(float) *
                                            model->person_vectors_.size()))) {
    return absl::DataLossError(absl::StrCat(path, ": truncated vectors"));
  }
  model->timings_.file_us = Lap(start);
  model->BuildDerivedSignals(o);
  return std::shared_ptr<const ExpertiseModel>(std::move(model));
}

ModelStore::ModelStore(const index::Catalog& catalog, ModelStoreOptions options)
    : catalog_(catalog), options_(std::move(options)) {
  std::error_code ec;
  if (!options_.path.empty() && std::filesystem::exists(options_.path, ec)) {
    auto loaded = ExpertiseModel::Load(options_.path, catalog_.snapshot(),
                                       options_.model);
    // An unreadable file is rebuilt, not fatal: it is derived data.
    if (loaded.ok()) {
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

absl::Status ModelStore::RebuildNow() {
  absl::MutexLock build(&build_mu_);
  building_ = true;
  const absl::Time started = absl::Now();
  absl::Status built = BuildAndSwap();
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
          .builds = builds_,
          .failed_builds = failed_builds_};
}

absl::Status ModelStore::BuildAndSwap() {
  auto snap = catalog_.snapshot();
  auto built = ExpertiseModel::Build(catalog_, snap, options_.model);
  if (!built.ok()) return built.status();
  if (!options_.path.empty()) {
    auto saved = (*built)->SaveEmbeddings(options_.path);
    if (!saved.ok()) return saved;
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

void ModelStore::Loop() {
  auto last_build =
      std::chrono::steady_clock::now() - options_.min_rebuild_interval;
  stop_mu_.Lock();
  while (!stopping_) {
    if (RebuildDue(last_build)) {
      stop_mu_.Unlock();
      RecordBackgroundResult(RebuildNow());
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
