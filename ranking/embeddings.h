// Embeddings learned from the company's own posts: latent semantic analysis
// (a randomized truncated SVD of the TF-IDF term-post matrix) with Eigen.
// No model is downloaded; a company's jargon is learned from its posts.
#ifndef WHOKNOWS_RANKING_EMBEDDINGS_H_
#define WHOKNOWS_RANKING_EMBEDDINGS_H_

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace whoknows::ranking {

struct EmbeddingOptions {
  // Dimensions of the latent space. More separates finer topics and costs
  // memory (vocabulary x dimensions floats) and query time linearly.
  int dimensions = 64;
  // Extra random directions and power iterations of the randomized SVD
  // (Halko, Martinsson and Tropp 2011): more is closer to the exact SVD and
  // costs a pass over the matrix each.
  int oversampling = 16;
  int power_iterations = 3;
  // Terms in fewer posts carry no co-occurrence signal; terms in more than
  // this share of posts carry no topic.
  int min_document_frequency = 2;
  double max_document_fraction = 0.5;
  // Caps that bound memory for very large companies: the most frequent
  // terms are kept, and the SVD is fitted on an even sample of posts (every
  // post is still embedded).
  int max_vocabulary = 100000;
  int max_training_posts = 200000;
  uint64_t seed = 20261126;  // the SVD is deterministic for a given seed

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

// A sparse bag of words: term id -> count.
using TermCounts = std::vector<std::pair<int32_t, float>>;

// Bags of words with whole counts (Xapian's wdf), packed one after another
// into one byte array as varints in their order: about 2.5 bytes an entry
// where a TermCounts takes 8, plus 24 for its vector and its allocation.
// The model's full build holds every public post's bag at once (1M posts:
// 0.2 GB packed, 0.5 GB as vectors). Get gives back exactly what was added.
// Thread safety: const members may be called from several threads.
class PackedBags {
 public:
  struct Entry {
    int32_t term = 0;    // >= 0
    uint32_t count = 0;  // as float exactly up to 2^24
  };
  // Appends a bag; its number is size() before the call.
  void Add(const std::vector<Entry>& bag);
  // Replaces bag `d` (< size()) by `bag`: kept aside, the array unchanged.
  void Replace(size_t d, const std::vector<Entry>& bag);
  size_t size() const { return offsets_.size(); }
  // Bag `d` (< size()) into `out` (cleared first), counts as floats.
  void Get(size_t d, TermCounts& out) const;
  // Bytes held by the packed array.
  size_t bytes() const { return bytes_.capacity(); }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> offsets_;  // start of each bag in bytes_
  std::unordered_map<size_t, TermCounts> replaced_;
};

// Maps bags of index terms to unit vectors in the latent space.
// Thread safety: immutable after Train/Load; Embed is const.
class TermSpace {
 public:
  TermSpace() = default;

  // `vocabulary` names the term ids used in `docs`. Fails if the corpus has
  // too few usable terms for even one dimension.
  static absl::StatusOr<TermSpace> Train(
      const std::vector<std::string>& vocabulary,
      const std::vector<TermCounts>& docs, const EmbeddingOptions& options);
  // The same from packed bags: the same space to the bit.
  static absl::StatusOr<TermSpace> TrainPacked(
      const std::vector<std::string>& vocabulary, const PackedBags& docs,
      const EmbeddingOptions& options);

  // -1 if the term is not in the model's vocabulary.
  int32_t TermId(const std::string& term) const;
  int dimensions() const { return static_cast<int>(basis_.cols()); }
  size_t vocabulary_size() const { return terms_.size(); }

  // TF-IDF weighted, projected and L2-normalized; zero when no term is
  // known. `counts` use this model's term ids.
  Eigen::VectorXf Embed(const TermCounts& counts) const;

  absl::Status Save(std::ostream& out) const;
  static absl::StatusOr<TermSpace> Load(std::istream& in);

 private:
  template <typename DocsAt>
  static absl::StatusOr<TermSpace> TrainFrom(
      const std::vector<std::string>& vocabulary, const DocsAt& docs,
      const EmbeddingOptions& options);

  std::vector<std::string> terms_;
  std::unordered_map<std::string, int32_t> term_id_;
  std::vector<float> idf_;
  Eigen::MatrixXf basis_;  // vocabulary x dimensions (left singular vectors)
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EMBEDDINGS_H_
