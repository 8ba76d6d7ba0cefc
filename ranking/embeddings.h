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
  std::vector<std::string> terms_;
  std::unordered_map<std::string, int32_t> term_id_;
  std::vector<float> idf_;
  Eigen::MatrixXf basis_;  // vocabulary x dimensions (left singular vectors)
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EMBEDDINGS_H_
