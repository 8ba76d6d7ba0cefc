// What the ranker knows about people beyond the text index, derived from a
// catalog snapshot: expertise vectors in the learned embedding space, tag
// profiles, authority on the help graph and the tie graph for proximity.
#ifndef WHOKNOWS_RANKING_EXPERTISE_MODEL_H_
#define WHOKNOWS_RANKING_EXPERTISE_MODEL_H_

#include <Eigen/Dense>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "index/catalog.h"
#include "ranking/centrality.h"
#include "ranking/cosine_scan.h"
#include "ranking/embeddings.h"
#include "ranking/vocabulary.h"

namespace whoknows::ranking {

// How the model is built. The role weights (RoleWeights, vocabulary.h) say
// how much each post says about its author's expertise in the profiles
// (vectors and tags); an answer also counts for the question it answers.
// They default to kProfileRoleWeights, which differ from the voting weights
// of RankingOptions (vocabulary.h says why).
struct ModelOptions : RoleWeights {
  ModelOptions() : RoleWeights(kProfileRoleWeights) {}

  EmbeddingOptions embedding;
  PageRankOptions pagerank;
  // Profiles fade: a post counts 2^(-age / half_life), age from `clock()`
  // when the model is built or loaded. 0 disables decay.
  double half_life_days = 365;
  // "Now", unix seconds: the server's clock. A model is rebuilt when posts
  // arrive, not as time passes; an older build scales every weight alike,
  // so the profiles' directions and the order of the answerers stay right.
  // Replays of history (learning, evaluation) fix it at their cut-off.
  Clock clock = SystemClock;
  // The most active answerers kept as candidates for any question
  // (ExpertiseModel::top_answerers): more costs memory and a little query
  // time; the finder takes at most RankingOptions::extra_candidates of them.
  int top_answerers = 256;

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

// How long each stage of a model's build or load took (microseconds; 0 for a
// stage that did not run): for benchmarks and operators, not part of the
// model's value.
struct ModelTimings {
  int64_t corpus_us = 0;   // the posts' terms read from the catalog
  int64_t train_us = 0;    // the latent space (SVD)
  int64_t vectors_us = 0;  // people's vectors
  int64_t file_us = 0;     // Load: the persisted file read
  int64_t ties_us = 0;     // the tie graph
  int64_t pagerank_us = 0;
  int pagerank_iterations = 0;
  int64_t tags_us = 0;     // tag profiles (built or read) and top answerers
  int64_t clients_us = 0;  // client vectors
};

// Immutable once built; share it between threads freely.
class ExpertiseModel {
 public:
  // Reads the terms of the posts in `snapshot` from the catalog (posts not in
  // the snapshot, e.g. newer ones, are left out; private posts never count).
  // Cost: O(terms in posts) plus the SVD; run it off the query path.
  static absl::StatusOr<std::shared_ptr<const ExpertiseModel>> Build(
      const index::Catalog& catalog,
      std::shared_ptr<const index::Snapshot> snapshot,
      const ModelOptions& options = {});
  // Build without learning the space: posts embedded in `space` (e.g. an
  // earlier model's). What Update's model equals.
  static absl::StatusOr<std::shared_ptr<const ExpertiseModel>> BuildInSpace(
      const index::Catalog& catalog,
      std::shared_ptr<const index::Snapshot> snapshot,
      std::shared_ptr<const TermSpace> space, const ModelOptions& options = {});
  // The model of `snapshot` made from `base`, a model of an older snapshot
  // of the same catalog, at the cost of what changed: it keeps base's space
  // and adds the new posts' terms (read by id) to their authors' vectors and
  // to the tag profiles, sums over posts kept from a fixed time origin so
  // that decay needs no pass over old posts. Equals BuildInSpace(base's
  // space) up to rounding (floats for vectors; PageRank to its tolerance:
  // it starts from base's ranks). Still O(corpus) but cheap: the diff of the
  // snapshots (a look-up a post), the tie graph, PageRank's iterations.
  // Null (not an error) when it cannot be exact: a post changed or left, a
  // person left or opted out or in (those also drop words from the space:
  // erasure), no space yet, or a counted post newer than the clock.
  static absl::StatusOr<std::shared_ptr<const ExpertiseModel>> Update(
      const ExpertiseModel& base, const index::Catalog& catalog,
      std::shared_ptr<const index::Snapshot> snapshot,
      const ModelOptions& options = {});

  // Persists the learned embedding space, the people's vector sums, the
  // PageRank vector, the tag profiles, the tie graph with PageRank's result
  // and the client vectors, stamped with the snapshot's Snapshot::stamp
  // (the top answerers are recomputed from the snapshot on Load). Atomic:
  // temporary file, then rename.
  absl::Status SaveEmbeddings(const std::string& path) const;
  // Restores a model saved by SaveEmbeddings over `snapshot`. People whose
  // posts arrived since have no vector until the next Build; such a model
  // is no base for Update. The tag profiles are read from the file only
  // when its stamp is the snapshot's (non-empty) one, they were built with
  // `options`' half-life and role weights, and no post is newer than their
  // clock origin, which is at or before `options.clock()`: then they equal
  // the profiles Build would make at that clock up to floating rounding
  // (the decay since the origin is one factor, tag_scale_). Otherwise, or
  // when their part of the file is damaged, they are rebuilt from the
  // snapshot and tags_rebuilt_because() says why. The same stamp restores
  // the tie graph (the graph's people checked against the snapshot's) and,
  // built with `options.pagerank`, PageRank's result exactly; the client
  // vectors under the tag profiles' conditions, to floating rounding
  // (their directions do not change with the clock). Each of these sections
  // has its own length and checksum and is rebuilt on its own when stale,
  // damaged or absent (a file of stop 26, before them), with the reason in
  // *_rebuilt_because(); PageRank then starts from the saved ranks.
  // DATA_LOSS for a file of another format or damaged elsewhere.
  static absl::StatusOr<std::shared_ptr<const ExpertiseModel>> Load(
      const std::string& path, std::shared_ptr<const index::Snapshot> snapshot,
      const ModelOptions& options = {});
  // A file SaveEmbeddings wrote, read and checked as far as it can be
  // without a snapshot: the space, the people's vectors and ranks, and the
  // sections after them as bytes, their checksums checked. Load(path) is
  // one read of the file then Load(stored); `serve` reads the file on its
  // second core while the catalog opens (ModelStore's constructor). Load's
  // errors.
  struct Stored;
  static absl::StatusOr<std::shared_ptr<Stored>> ReadAhead(
      const std::string& path);
  // Whether `path` is still the file `stored` was read from (the same
  // device, inode, size and modification time, as before and after the
  // read): one replaced or removed since is read again.
  static bool StillAt(const Stored& stored, const std::string& path);
  // Load's restore of what ReadAhead read, which it consumes (a second
  // Load of the same `stored` finds it empty).
  static absl::StatusOr<std::shared_ptr<const ExpertiseModel>> Load(
      std::shared_ptr<Stored> stored,
      std::shared_ptr<const index::Snapshot> snapshot,
      const ModelOptions& options = {});
  // Why Load rebuilt the tag profiles instead of reading them; empty when
  // it read them or the model was not loaded.
  const std::string& tags_rebuilt_because() const { return tags_rebuilt_; }
  // Whether Load read the tag profiles from the file.
  bool tags_restored() const { return tags_restored_; }
  // The same for the tie graph, PageRank's result and the client vectors.
  const std::string& ties_rebuilt_because() const { return ties_rebuilt_; }
  bool ties_restored() const { return ties_restored_; }
  const std::string& pagerank_rebuilt_because() const {
    return pagerank_rebuilt_;
  }
  bool pagerank_restored() const { return pagerank_restored_; }
  const std::string& clients_rebuilt_because() const {
    return clients_rebuilt_;
  }
  bool clients_restored() const { return clients_restored_; }

  const index::Snapshot& snapshot() const { return *snapshot_; }
  const std::shared_ptr<const index::Snapshot>& snapshot_ptr() const {
    return snapshot_;
  }
  // Number of posts the embeddings were learned from, and the newest post
  // then: tells a model restored from disk whether it is current (not a
  // time anything is measured from).
  int64_t embedded_posts() const { return embedded_posts_; }
  int64_t embedded_newest() const { return embedded_newest_; }
  // Public posts when the space was learned (Update keeps the space).
  int64_t trained_posts() const { return trained_posts_; }

  // Embeddings. `words` are Catalog::QueryTerms groups; a word's
  // alternatives share its weight. Zero vector when no word is known.
  bool has_embeddings() const { return space_->dimensions() > 0; }
  const TermSpace& space() const { return *space_; }
  const std::shared_ptr<const TermSpace>& space_ptr() const { return space_; }
  Eigen::VectorXf EmbedQuery(
      const std::vector<std::vector<std::string>>& words) const;
  // Cosine similarity of the query with every profiled person, in the order
  // of profile_people().
  Eigen::VectorXf Similarities(const Eigen::VectorXf& query) const;
  // The min(k, profiled people) best of Similarities as (position in
  // profile_people(), cosine), best first, equal cosines by person id: the
  // same values, without reading every person's float row.
  std::vector<std::pair<int32_t, float>> TopSimilarities(
      const Eigen::VectorXf& query, size_t k) const;
  // Similarities(query)[i] for each i of `indices` (0 for a negative i),
  // reading only those rows.
  std::vector<float> Similarities(const Eigen::VectorXf& query,
                                  const std::vector<int32_t>& indices) const;
  const std::vector<std::string>& profile_people() const {
    return profile_people_;
  }
  // Position in profile_people() (and in Similarities()); -1 for none.
  int32_t ProfileIndex(const std::string& person_id) const;

  // Client vectors (Post.embedding): each person's role- and age-weighted
  // mean of their posts' unit vectors, in the dimension most posts use.
  // Cosine with `query` for every such person; empty when the dimension
  // differs or no post carries a vector.
  int client_dimensions() const {
    return static_cast<int>(client_vectors_.cols());
  }
  std::vector<std::pair<std::string, float>> ClientSimilarities(
      const std::vector<float>& query) const;

  // Tag evidence: person -> sum over `tags` of their decayed, role-weighted
  // posts in threads with that tag. The keys view the model's own ids (no id
  // is copied): valid while the model lives.
  absl::flat_hash_map<std::string_view, double> TagScores(
      const std::vector<std::string>& tags) const;

  // The most active answerers (decayed answer counts), most active first,
  // at most ModelOptions::top_answerers: candidates for any question.
  const std::vector<std::pair<std::string, double>>& top_answerers() const {
    return top_answerers_;
  }

  // Weighted PageRank on the help graph, scaled so that 1 is the average
  // person in the graph; 0 for people without ties.
  double Authority(const std::string& person_id) const;
  const TieGraph& ties() const { return *ties_; }

  // ProfileIndex, Authority and ties().NodeOf of everyone a snapshot's
  // DenseIndex numbers, and the person number of each graph node: ranking
  // reads arrays by person number instead of hashing a candidate's id three
  // times. Built once for each numbering (O(people) look-ups, a few ms at
  // 50,000 people) and kept for the next query on the same snapshot.
  struct PeopleByNumber {
    // The numbering, not owned: a cache entry must not keep an older
    // snapshot's numbering (over 100 MB at 1M posts) alive beside the
    // newer ones; its queries hold it while they read the table.
    std::weak_ptr<const index::DenseIndex> dense;
    std::vector<int32_t> profile;  // -1: no profile
    std::vector<double> authority;
    std::vector<int32_t> node;  // -1: no ties
    // Graph node -> whether they may appear on a path: numbered, in the
    // directory and not opted out (ranking's MayAppearOnPath).
    std::vector<char> node_may_pass;
  };
  std::shared_ptr<const PeopleByNumber> NumberedBy(
      const std::shared_ptr<const index::DenseIndex>& dense) const;
  const PageRankResult& pagerank() const { return pagerank_; }
  const ModelTimings& timings() const { return timings_; }

 private:
  // ReadAhead's one read of `path`.
  static absl::StatusOr<std::shared_ptr<Stored>> ReadOnce(
      const std::string& path);
  // Build's stages after the embeddings (shared with Load): the profile
  // index, graph signals, tag profiles and client vectors.
  // `ranks` (person -> PageRank, optional) is where PageRank starts;
  // `order` (optional) the order of the profiled people (SetVectorsFromSums).
  // `read_tags` and `read_clients` (optional) read the tag profiles and
  // client vectors instead of building them, beside the graph's signals;
  // false: they are built after all. `read_graph` (optional) runs before
  // the graph's signals, on their thread; what it left unset is built.
  void BuildDerivedSignals(
      const ModelOptions& options,
      const absl::flat_hash_map<std::string, double>* ranks,
      const std::vector<std::string>* order,
      const std::function<bool()>& read_tags = nullptr,
      const std::function<void()>& read_graph = nullptr,
      const std::function<bool()>& read_clients = nullptr);
  // The tie graph unless one was restored, PageRank unless it was restored
  // (from `ranks` when given), and authority.
  void BuildGraphSignals(const ModelOptions& options,
                         const absl::flat_hash_map<std::string, double>* ranks);
  void BuildTagProfiles(const ModelOptions& options);
  // The tag profiles as SaveEmbeddings writes them (after the options they
  // were built with, their origin), and read back: an empty string when
  // read, else what is wrong with `bytes`.
  std::string TagSection() const;
  std::string ReadTagSection(std::string_view bytes);
  // Load's tag profiles from their section's `bytes` (of the snapshot
  // served, their checksum verified) when the options and clock let them
  // be restored (see Load): an empty string, else why not.
  std::string RestoreTags(std::string_view bytes, const ModelOptions& options);
  // The tie graph and PageRank's result as SaveEmbeddings writes them, and
  // Load's restore of them from those bytes (checked as RestoreTags'): an
  // empty string when the ties were restored, else why not; PageRank's
  // reason in pagerank_rebuilt_.
  std::string GraphSection() const;
  std::string RestoreGraph(std::string_view bytes, const ModelOptions& options);
  // The same for the client vectors.
  std::string ClientSection() const;
  std::string RestoreClients(std::string_view bytes,
                             const ModelOptions& options);
  void BuildTopAnswerers(const ModelOptions& options);
  // Adds (sign > 0) or takes away what `m` (null: nothing) weighs in the
  // tag profiles in `snap`, each post weighing decay(created).
  void UpdateTagCells(const index::Snapshot& snap, const index::PostMeta* m,
                      int sign, const ModelOptions& options,
                      const std::function<double(int64_t)>& decay);
  void BuildClientProfiles(const ModelOptions& options);
  // Unit rows (profile_people_, person_vectors_, profile_index_) of
  // person_sums_, in `order` (every key of person_sums_ once) or else in the
  // map's.
  void SetVectorsFromSums(const std::vector<std::string>* order = nullptr);
  // Person id -> PageRank of this model.
  absl::flat_hash_map<std::string, double> Ranks() const;

  std::shared_ptr<const index::Snapshot> snapshot_;
  std::shared_ptr<const TermSpace> space_ = std::make_shared<TermSpace>();
  std::vector<std::string> profile_people_;
  // Open addressing: looked up for every candidate of every query.
  absl::flat_hash_map<std::string, int32_t> profile_index_;
  CosineScan person_vectors_;  // people x dimensions, unit rows
  int64_t embedded_posts_ = 0;
  int64_t embedded_newest_ = 0;
  int64_t trained_posts_ = 0;
  // Sums over posts kept for Update: each post weighs its role times
  // 2^((created - origin) / half-life), from a fixed origin (unix s), so a
  // new post adds to them without a pass over the old ones. Exact (Update
  // allowed) while no counted post is newer than the origin was when the
  // sums were started (a from-scratch build caps such a post's weight at 1).
  int64_t vector_origin_ = 0;
  int64_t tag_origin_ = 0;
  bool sums_exact_ = false;
  // Person -> sum of their posts' (and answered questions') weighted
  // embeddings: person_vectors_ before normalization.
  std::unordered_map<std::string, Eigen::VectorXf> person_sums_;
  // tag -> person -> their weighted posts in threads with that tag, and how
  // many (a holder leaves when the count is 0). TagScores multiplies by
  // tag_scale_ (the decay from tag_origin_ to now; 1 when built from
  // scratch).
  struct TagCell {
    double sum = 0;
    int32_t posts = 0;
  };
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, TagCell>>
      tags_;
  double tag_scale_ = 1;
  // What shaped tags_: they are read from a file only under the same.
  double tag_half_life_days_ = 0;
  RoleWeights tag_roles_;
  bool tags_restored_ = false;
  std::string tags_rebuilt_;
  bool ties_restored_ = false;
  std::string ties_rebuilt_;
  bool pagerank_restored_ = false;
  std::string pagerank_rebuilt_;
  bool clients_restored_ = false;
  std::string clients_rebuilt_;
  std::vector<std::pair<std::string, double>> top_answerers_;
  std::vector<std::string> client_people_;
  Eigen::MatrixXf client_vectors_;  // people x client dimensions, unit rows
  // What shaped client_vectors_: the clock they were built at, the
  // half-life and role weights (read from a file only under the same).
  int64_t client_origin_ = 0;
  double client_half_life_days_ = 0;
  RoleWeights client_roles_;
  std::unique_ptr<TieGraph> ties_;
  PageRankResult pagerank_;
  PageRankOptions pagerank_options_;  // what pagerank_ was computed with
  absl::flat_hash_map<std::string, double> authority_;
  ModelTimings timings_;
  // NumberedBy's last table: a cache, not part of the model's value.
  mutable absl::Mutex numbered_mu_;
  mutable std::shared_ptr<const PeopleByNumber> numbered_
      ABSL_GUARDED_BY(numbered_mu_);
};

struct ModelStoreOptions {
  ModelOptions model;
  // Where the embeddings are persisted (e.g. <data>/embeddings.bin); empty
  // keeps them in memory only.
  std::string path;
  // A new snapshot triggers a rebuild at most this often: each rebuild reads
  // every post, so a shorter interval costs CPU during bulk ingest. A failed
  // rebuild is retried after the same interval.
  std::chrono::milliseconds min_rebuild_interval{30000};
  // How often the background thread looks for a new snapshot (and for a
  // stop). Longer delays rebuilds and shutdown by up to this much; shorter
  // costs a few wake-ups a second.
  std::chrono::milliseconds poll_interval{200};
  // The space is learned again (a full build, reading every post) once the
  // public posts have grown by this fraction since it was; in between, new
  // posts are embedded in the kept space (ExpertiseModel::Update) at the
  // cost of the change. 0: every rebuild is a full build. Larger keeps
  // rebuilds cheap longer and leaves new words out of the space longer.
  double retrain_growth = 0.1;
  // A full build for growth starts at most this often: counted from when
  // the last full build ended (from the store's start when it restored its
  // model from `path`). Sooner, new posts keep being folded into the kept
  // space (ExpertiseModel::Update: their authors, new people included, get
  // vectors and tag profiles; only their new words wait). Sustained ingest
  // crosses retrain_growth within minutes at any size, and a full build
  // reads every post and holds a second model's build beside the serving
  // one (at 1M posts: the peak RSS and about a minute of a core). Erasure,
  // opting out and a changed or deleted post build in full at once, as
  // Update cannot follow them. 0: growth alone decides. Longer leaves new
  // words out of the space longer.
  std::chrono::milliseconds min_retrain_interval{std::chrono::minutes(30)};
  // The store's clock for min_retrain_interval (tests move it by hand).
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] {
    return std::chrono::steady_clock::now();
  };
  // Rebuild in a background thread (serve). Off: only RebuildNow() builds.
  bool background = true;
  // Called with each failed background rebuild (not with its retries of
  // the same failure), outside the store's locks: for an operator's view of
  // recent errors (api/admin.h). Unset: the failure is only printed.
  std::function<void(const absl::Status&)> on_background_error;

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

// Figures about a ModelStore for operators (api's Admin.GetStatus), read
// without waiting for a build. Times are unix ms, 0 for "never".
struct ModelStoreStats {
  bool building = false;      // a build is running now
  int64_t last_build_ms = 0;  // when the last build ended
  int64_t last_build_duration_ms = 0;
  // The last build followed the change (ExpertiseModel::Update) rather
  // than reading every post.
  bool last_build_incremental = false;
  int64_t builds = 0;  // builds ended since start, failed too
  int64_t failed_builds = 0;
};

// Keeps the model in step with the catalog without ever blocking queries:
// queries take current() (possibly one refresh behind); a background thread
// rebuilds after the catalog publishes new posts and swaps the result in.
// A failed background rebuild leaves the previous model in use; its error is
// kept (background_error()) and written to stderr once.
// Thread safety: all methods may be called from any thread.
class ModelStore {
 public:
  // Restores the persisted model when there is one (and starts a rebuild in
  // the background if the catalog has changed since), else builds it in the
  // background; current() is null until the first model is ready.
  // `read_ahead` (optional): ExpertiseModel::ReadAhead of options.path,
  // restored when the path still holds the file it read (StillAt), else
  // the path is read again.
  ModelStore(const index::Catalog& catalog, ModelStoreOptions options,
             std::shared_ptr<ExpertiseModel::Stored> read_ahead = nullptr);
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  std::shared_ptr<const ExpertiseModel> current() const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Builds from the catalog's current snapshot now, in the caller's thread.
  absl::Status RebuildNow() ABSL_LOCKS_EXCLUDED(build_mu_, mu_);
  // The outcome of the last background rebuild: OK when it succeeded (or
  // none has run yet), else its error, until a later one succeeds.
  absl::Status background_error() const ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the model in use was built from the catalog's current snapshot
  // (or, restored from disk, still matches it): queries rank with what has
  // been published. Tests wait for it rather than guess how long a rebuild
  // takes.
  bool IsCurrent() const ABSL_LOCKS_EXCLUDED(mu_);
  ModelStoreStats stats() const;
  // Removes the persisted model (ModelStoreOptions::path) for an erasure,
  // after Catalog::HoldDerivedFilesForErasure: from then on a model is
  // written only when it was built from a snapshot the catalog lets files
  // be derived from (Catalog::MayPersistDerivedFrom), so that no build
  // that began before the erasure writes the person back.
  absl::Status RemovePersisted() ABSL_LOCKS_EXCLUDED(save_mu_);

 private:
  // Writes `model` to ModelStoreOptions::path unless the catalog holds
  // files derived from its snapshot back (OK then: it is saved again by
  // the build after the erasure).
  absl::Status Persist(const ExpertiseModel& model)
      ABSL_LOCKS_EXCLUDED(save_mu_);
  // RebuildNow's work, timed by it.
  absl::Status BuildAndSwap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(build_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Loop() ABSL_LOCKS_EXCLUDED(stop_mu_, build_mu_, mu_);
  // Whether Loop should rebuild now, its last build having ended at
  // `last_build`. Holds no model or snapshot once it returns, so Loop keeps
  // none alive (or frees none under stop_mu_) while it waits.
  bool RebuildDue(std::chrono::steady_clock::time_point last_build) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Whether BuildAndSwap should learn the space again rather than fold the
  // change into `base`: retrain_growth reached and min_retrain_interval
  // passed since the last full build.
  bool RetrainDue(const ExpertiseModel& base, const index::Snapshot& snap) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(build_mu_);
  // True when the catalog has moved on from `model` (null: no model yet).
  bool IsStale(const std::shared_ptr<const ExpertiseModel>& model) const;
  void RecordBackgroundResult(const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Saves the restored model again (its tag profiles were rebuilt, the
  // snapshot has a stamp) unless a build has replaced it or is due.
  void ResaveRestored() ABSL_LOCKS_EXCLUDED(build_mu_, mu_);

  const index::Catalog& catalog_;
  const ModelStoreOptions options_;
  // Set by the constructor only: ResaveRestored is due.
  bool resave_ = false;

  // Lock order: stop_mu_, then build_mu_, then mu_ (a thread holding a later
  // one never takes an earlier one). Loop releases stop_mu_ before it builds.
  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  absl::Mutex build_mu_;  // one build at a time
  // Orders writes and removals of the persisted model (Persist,
  // RemovePersisted); taken after build_mu_, never with mu_.
  absl::Mutex save_mu_;
  // When the last full build ended, or the store started (options_'s
  // steady_now): where min_retrain_interval counts from.
  std::chrono::steady_clock::time_point last_retrain_
      ABSL_GUARDED_BY(build_mu_);
  mutable absl::Mutex mu_;
  std::shared_ptr<const ExpertiseModel> model_ ABSL_GUARDED_BY(mu_);
  absl::Status bg_error_ ABSL_GUARDED_BY(mu_);
  // stats(): written by RebuildNow, read without a lock.
  std::atomic<bool> building_{false};
  std::atomic<int64_t> last_build_ms_{0};
  std::atomic<int64_t> last_build_duration_ms_{0};
  std::atomic<bool> last_build_incremental_{false};
  std::atomic<int64_t> builds_{0};
  std::atomic<int64_t> failed_builds_{0};
  std::thread thread_;
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EXPERTISE_MODEL_H_
