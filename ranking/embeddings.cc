#include "ranking/embeddings.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <istream>
#include <numeric>
#include <ostream>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ranking/file_io.h"
#include "ranking/validate.h"

namespace whoknows::ranking {
namespace {

// Orthonormal basis of the columns of m (thin Q of a QR decomposition).
// Decomposes m in place (Eigen's Ref form of HouseholderQR): the same
// arithmetic as on a copy, without the copy (128 MB at 200,000 sampled
// posts).
Eigen::MatrixXd Orthonormalize(Eigen::MatrixXd m) {
  Eigen::HouseholderQR<Eigen::Ref<Eigen::MatrixXd>> qr(m);
  return qr.householderQ() * Eigen::MatrixXd::Identity(m.rows(), m.cols());
}

constexpr uint32_t kMagic = 0x574b4c53;  // "WKLS"
constexpr uint32_t kVersion = 1;

using file_io::Get;
using file_io::Put;

// Whether (t, c) is an entry Train and Embed use: a term id in [0, n_terms)
// with a finite positive count.
bool Usable(int32_t t, float c, size_t n_terms) {
  return t >= 0 && static_cast<size_t>(t) < n_terms && c > 0 &&
         std::isfinite(c);
}

// The training's view of a corpus: size() docs, docs(d, scratch) the bag of
// doc d (in scratch if it has to be unpacked).
struct VectorDocs {
  const std::vector<TermCounts>& docs;
  size_t size() const { return docs.size(); }
  const TermCounts& operator()(size_t d, TermCounts&) const { return docs[d]; }
};
struct PackedDocs {
  const PackedBags& docs;
  size_t size() const { return docs.size(); }
  const TermCounts& operator()(size_t d, TermCounts& scratch) const {
    docs.Get(d, scratch);
    return scratch;
  }
};

void PutVarint(uint64_t v, std::vector<uint8_t>& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

uint64_t GetVarint(const uint8_t*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
}

// In how many docs each term id in [0, n_terms) occurs: a term listed twice
// in one doc counts once, so that df <= docs and no IDF is negative.
// `docs` is a DocsAt.
template <typename DocsAt>
std::vector<int64_t> DocumentFrequencies(size_t n_terms, const DocsAt& docs) {
  std::vector<int64_t> df(n_terms, 0);
  std::vector<int64_t> last_doc(n_terms, -1);
  TermCounts scratch;
  for (size_t d = 0; d < docs.size(); ++d) {
    for (const auto& [t, c] : docs(d, scratch)) {
      if (!Usable(t, c, n_terms) || last_doc[t] == static_cast<int64_t>(d))
        continue;
      last_doc[t] = static_cast<int64_t>(d);
      ++df[t];
    }
  }
  return df;
}

// The term ids kept, in the order of their terms: in enough posts but not in
// too many, the most frequent max_vocabulary of them. A term in every post
// is never kept, whatever max_document_fraction allows: its IDF is 0, so it
// carries nothing (and a post of only such terms has no TF-IDF vector).
std::vector<int32_t> KeptTerms(const std::vector<std::string>& vocabulary,
                               const std::vector<int64_t>& df, size_t n_docs,
                               const EmbeddingOptions& o) {
  const double max_df =
      std::max(2.0, o.max_document_fraction * static_cast<int64_t>(n_docs));
  std::vector<int32_t> kept;
  for (int32_t t = 0; t < static_cast<int32_t>(df.size()); ++t) {
    if (df[t] >= o.min_document_frequency && df[t] <= max_df &&
        df[t] < static_cast<int64_t>(n_docs))
      kept.push_back(t);
  }
  std::sort(kept.begin(), kept.end(), [&](int32_t a, int32_t b) {
    return df[a] != df[b] ? df[a] > df[b] : vocabulary[a] < vocabulary[b];
  });
  if (static_cast<int>(kept.size()) > o.max_vocabulary)
    kept.resize(o.max_vocabulary);
  std::sort(kept.begin(), kept.end(), [&](int32_t a, int32_t b) {
    return vocabulary[a] < vocabulary[b];
  });
  return kept;
}

// A post's column of the training matrix: its unit TF-IDF vector over the
// kept terms (through `remap`, -1: dropped), in row order with a repeated
// term's entries summed in the order they came, as Eigen's setFromTriplets
// leaves them. Empty when the vector is zero.
std::vector<std::pair<int32_t, double>> TrainingColumn(
    const TermCounts& doc, const std::vector<int32_t>& remap,
    const std::vector<float>& idf) {
  std::vector<std::pair<int32_t, double>> entries;
  double norm = 0;
  for (const auto& [t, c] : doc) {
    if (!Usable(t, c, remap.size()) || remap[t] < 0) continue;
    const double w = (1 + std::log(c)) * idf[remap[t]];
    entries.emplace_back(remap[t], w);
    norm += w * w;
  }
  if (!(norm > 0) || !std::isfinite(norm)) return {};
  norm = std::sqrt(norm);
  for (auto& [row, w] : entries) w /= norm;
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const auto& x, const auto& y) { return x.first < y.first; });
  size_t out = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (out > 0 && entries[out - 1].first == entries[i].first) {
      entries[out - 1].second += entries[i].second;
    } else {
      entries[out++] = entries[i];
    }
  }
  entries.resize(out);
  return entries;
}

// Terms (through `remap`, -1: dropped) x sampled posts, each column the
// post's unit TF-IDF vector (TrainingColumn); posts whose vector is zero are
// left out. An even sample of at most max_training_posts posts. Written
// column by column into storage sized by a first pass: no triplet list (16
// bytes an entry) and no transposed copy (12) beside the matrix's 12 bytes
// an entry.
template <typename DocsAt>
Eigen::SparseMatrix<double> TrainingMatrix(const DocsAt& docs,
                                           const std::vector<int32_t>& remap,
                                           const std::vector<float>& idf,
                                           const EmbeddingOptions& o) {
  const auto n_docs = static_cast<int64_t>(docs.size());
  TermCounts scratch;
  const int64_t step =
      std::max<int64_t>(1, (n_docs + o.max_training_posts - 1) /
                               std::max(1, o.max_training_posts));
  int64_t cols = 0, nonzeros = 0;
  for (int64_t d = 0; d < n_docs; d += step) {
    const size_t n = TrainingColumn(docs(d, scratch), remap, idf).size();
    cols += n > 0;
    nonzeros += static_cast<int64_t>(n);
  }
  Eigen::SparseMatrix<double> a(static_cast<Eigen::Index>(idf.size()), cols);
  a.reserve(nonzeros);
  int64_t col = 0;
  for (int64_t d = 0; d < n_docs; d += step) {
    const auto entries = TrainingColumn(docs(d, scratch), remap, idf);
    if (entries.empty()) continue;
    a.startVec(col);
    for (const auto& [row, w] : entries) a.insertBack(row, col) = w;
    ++col;
  }
  a.finalize();
  return a;
}

// a times a random Gaussian matrix of `l` columns (drawn from `seed`), which
// is freed before this returns.
Eigen::MatrixXd RandomSketch(const Eigen::SparseMatrix<double>& a, int64_t l,
                             uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd omega(a.cols(), l);
  for (int64_t j = 0; j < l; ++j)
    for (int64_t i = 0; i < a.cols(); ++i) omega(i, j) = normal(rng);
  return a * omega;
}

// The top `dimensions` left singular vectors of `a` by randomized SVD
// (Halko, Martinsson and Tropp 2011), largest first.
Eigen::MatrixXd TopLeftSingularVectors(const Eigen::SparseMatrix<double>& a,
                                       const EmbeddingOptions& o) {
  const int64_t n_terms = a.rows();
  const int64_t col = a.cols();
  const auto k =
      static_cast<int64_t>(std::min<int64_t>({o.dimensions, n_terms, col}));
  const int64_t l = std::min<int64_t>({k + o.oversampling, n_terms, col});
  // Each product is made, its factors freed, and only then decomposed (in
  // place): besides `a`, at most a product and its Q are alive, at 200,000
  // sampled posts 256 MB where keeping every factor took 576 MB.
  Eigen::MatrixXd q = Orthonormalize(RandomSketch(a, l, o.seed));
  for (int i = 0; i < o.power_iterations; ++i) {
    Eigen::MatrixXd atq = a.transpose() * q;  // posts x l
    q.resize(0, 0);
    Eigen::MatrixXd z = Orthonormalize(std::move(atq));
    Eigen::MatrixXd az = a * z;  // terms x l
    z.resize(0, 0);
    q = Orthonormalize(std::move(az));
  }
  // B = Q^T A; the left singular vectors of A are Q times the eigenvectors
  // of B B^T (l x l), which is small whatever the number of posts.
  Eigen::MatrixXd bt = a.transpose() * q;  // posts x l
  Eigen::MatrixXd bbt = bt.transpose() * bt;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(bbt);
  // Eigenvalues come in increasing order: the last k are the top ones.
  Eigen::MatrixXd top = eig.eigenvectors().rightCols(k).rowwise().reverse();
  return q * top;
}

}  // namespace

absl::Status EmbeddingOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      Check(dimensions >= 1, "dimensions", "at least 1"),
      Check(oversampling >= 0, "oversampling", ">= 0"),
      Check(power_iterations >= 0, "power_iterations", ">= 0"),
      Check(min_document_frequency >= 1, "min_document_frequency", ">= 1"),
      Check(max_document_fraction > 0 && max_document_fraction <= 1,
            "max_document_fraction", "in (0, 1]"),
      Check(max_vocabulary >= 1, "max_vocabulary", ">= 1"),
      Check(max_training_posts >= 1, "max_training_posts", ">= 1"),
  });
}

void PackedBags::Add(const std::vector<Entry>& bag) {
  offsets_.push_back(bytes_.size());
  PutVarint(bag.size(), bytes_);
  for (const Entry& e : bag) {
    PutVarint(static_cast<uint32_t>(e.term), bytes_);
    PutVarint(e.count, bytes_);
  }
}

void PackedBags::Replace(size_t d, const std::vector<Entry>& bag) {
  TermCounts& counts = replaced_[d];
  counts.clear();
  for (const Entry& e : bag)
    counts.emplace_back(e.term, static_cast<float>(e.count));
}

void PackedBags::Get(size_t d, TermCounts& out) const {
  out.clear();
  if (!replaced_.empty()) {
    if (auto it = replaced_.find(d); it != replaced_.end()) {
      out = it->second;
      return;
    }
  }
  const uint8_t* p = bytes_.data() + offsets_[d];
  const uint64_t n = GetVarint(p);
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const auto t = static_cast<int32_t>(GetVarint(p));
    out.emplace_back(t, static_cast<float>(GetVarint(p)));
  }
}

absl::StatusOr<TermSpace> TermSpace::Train(
    const std::vector<std::string>& vocabulary,
    const std::vector<TermCounts>& docs, const EmbeddingOptions& o) {
  return TrainFrom(vocabulary, VectorDocs{docs}, o);
}

absl::StatusOr<TermSpace> TermSpace::TrainPacked(
    const std::vector<std::string>& vocabulary, const PackedBags& docs,
    const EmbeddingOptions& o) {
  return TrainFrom(vocabulary, PackedDocs{docs}, o);
}

template <typename DocsAt>
absl::StatusOr<TermSpace> TermSpace::TrainFrom(
    const std::vector<std::string>& vocabulary, const DocsAt& docs,
    const EmbeddingOptions& o) {
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  // 1. The vocabulary: terms shared by posts but not everywhere.
  std::vector<int64_t> df = DocumentFrequencies(vocabulary.size(), docs);
  std::vector<int32_t> kept = KeptTerms(vocabulary, df, docs.size(), o);
  if (kept.size() < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "too few shared terms to learn embeddings (", kept.size(),
        " terms in at least ", o.min_document_frequency, " posts)"));
  }
  const auto n_docs = static_cast<int64_t>(docs.size());
  TermSpace space;
  std::vector<int32_t> remap(vocabulary.size(), -1);
  for (int32_t i = 0; i < static_cast<int32_t>(kept.size()); ++i) {
    remap[kept[i]] = i;
    space.terms_.push_back(vocabulary[kept[i]]);
    space.term_id_[vocabulary[kept[i]]] = i;
    space.idf_.push_back(static_cast<float>(std::log(
        static_cast<double>(n_docs) / static_cast<double>(df[kept[i]]))));
  }
  // 2. The TF-IDF term-post matrix of an even sample of the posts.
  Eigen::SparseMatrix<double> a = TrainingMatrix(docs, remap, space.idf_, o);
  if (a.cols() == 0) {
    return absl::FailedPreconditionError("no post has a usable term");
  }
  // 3. Its top left singular vectors are the basis.
  space.basis_ = TopLeftSingularVectors(a, o).cast<float>();
  return space;
}

int32_t TermSpace::TermId(const std::string& term) const {
  auto it = term_id_.find(term);
  return it == term_id_.end() ? -1 : it->second;
}

Eigen::VectorXf TermSpace::Embed(const TermCounts& counts) const {
  Eigen::VectorXf v = Eigen::VectorXf::Zero(basis_.cols());
  for (const auto& [t, c] : counts) {
    if (!Usable(t, c, idf_.size())) continue;
    v += ((1 + std::log(c)) * idf_[t]) * basis_.row(t).transpose();
  }
  const float norm = v.norm();
  if (norm > 0 && std::isfinite(norm)) {
    v /= norm;
  } else {
    v.setZero();
  }
  return v;
}

absl::Status TermSpace::Save(std::ostream& out) const {
  Put(out, kMagic);
  Put(out, kVersion);
  const auto n = static_cast<uint64_t>(terms_.size());
  const auto k = static_cast<uint32_t>(basis_.cols());
  Put(out, n);
  Put(out, k);
  for (uint64_t i = 0; i < n; ++i) {
    const auto len = static_cast<uint32_t>(terms_[i].size());
    Put(out, len);
    out.write(terms_[i].data(), len);
    Put(out, idf_[i]);
  }
  out.write(reinterpret_cast<const char*>(basis_.data()),
            static_cast<std::streamsize>(sizeof(float) * n * k));
  if (!out) return absl::DataLossError("writing the term space failed");
  return absl::OkStatus();
}

absl::StatusOr<TermSpace> TermSpace::Load(std::istream& in) {
  uint32_t magic = 0, version = 0, k = 0;
  uint64_t n = 0;
  if (!Get(in, magic) || magic != kMagic || !Get(in, version) ||
      version != kVersion || !Get(in, n) || !Get(in, k) || k > 4096 ||
      n > (1u << 26)) {
    return absl::DataLossError("not a whoknows term space (bad header)");
  }
  TermSpace s;
  s.terms_.resize(n);
  s.idf_.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    if (!Get(in, len) || len > 4096) {
      return absl::DataLossError("term space: truncated vocabulary");
    }
    s.terms_[i].resize(len);
    if (!in.read(s.terms_[i].data(), len) || !Get(in, s.idf_[i])) {
      return absl::DataLossError("term space: truncated vocabulary");
    }
    s.term_id_[s.terms_[i]] = static_cast<int32_t>(i);
  }
  s.basis_.resize(static_cast<Eigen::Index>(n), k);
  if (!in.read(reinterpret_cast<char*>(s.basis_.data()),
               static_cast<std::streamsize>(sizeof(float) * n * k))) {
    return absl::DataLossError("term space: truncated basis");
  }
  return s;
}

}  // namespace whoknows::ranking
