#include "ranking/cosine_scan.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace whoknows::ranking {
namespace {

constexpr Eigen::Index kCodeBlock = 16;

float RoundUp(double x) {
  const float f = static_cast<float>(x);
  return static_cast<double>(f) >= x
             ? f
             : std::nextafter(f, std::numeric_limits<float>::infinity());
}

// codes · query, exact in int32 (the caller keeps it in range), so how it is
// summed does not matter: SSE2's pairwise multiply-add where there is one.
int32_t DotCodes(const int8_t* codes, const int16_t* query,
                 Eigen::Index padded) {
#if defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  for (Eigen::Index j = 0; j < padded; j += kCodeBlock) {
    const __m128i x =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + j));
    // Each byte doubled into a 16-bit lane, shifted back down with its sign.
    const __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8);
    const __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);
    acc = _mm_add_epi32(
        acc,
        _mm_madd_epi16(
            lo, _mm_loadu_si128(reinterpret_cast<const __m128i*>(query + j))));
    acc = _mm_add_epi32(
        acc,
        _mm_madd_epi16(hi, _mm_loadu_si128(reinterpret_cast<const __m128i*>(
                               query + j + 8))));
  }
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(acc);
#else
  int32_t sum = 0;
  for (Eigen::Index j = 0; j < padded; ++j)
    sum += static_cast<int32_t>(codes[j]) * query[j];
  return sum;
#endif
}

// DotCodes of `rows` consecutive rows into `out`, for CPUs with AVX2. The
// build targets the x86-64 baseline (SSE2), whose 16 codes take five
// instructions to widen and multiply where AVX2 takes two: the first pass
// over every row of the company was most of a scan's instructions. The
// sums are exact integers, so both give the same values.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void DotCodesRowsAvx2(const int8_t* codes,
                                                      const int16_t* query,
                                                      Eigen::Index padded,
                                                      size_t rows,
                                                      int32_t* out) {
  for (size_t i = 0; i < rows; ++i, codes += padded) {
    __m256i acc = _mm256_setzero_si256();
    for (Eigen::Index j = 0; j < padded; j += kCodeBlock) {
      const __m256i c = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + j)));
      acc = _mm256_add_epi32(
          acc, _mm256_madd_epi16(
                   c, _mm256_loadu_si256(
                          reinterpret_cast<const __m256i*>(query + j))));
    }
    __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc),
                                _mm256_extracti128_si256(acc, 1));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
    out[i] = _mm_cvtsi128_si32(sum);
  }
}
#endif

}  // namespace

namespace cosine_scan_internal {

void DotCodesRows(const int8_t* codes, const int16_t* query,
                  Eigen::Index padded, size_t rows, int32_t* out,
                  bool portable) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2 && !portable)
    return DotCodesRowsAvx2(codes, query, padded, rows, out);
#endif
  for (size_t i = 0; i < rows; ++i, codes += padded)
    out[i] = DotCodes(codes, query, padded);
}

}  // namespace cosine_scan_internal

CosineScan::CosineScan(RowMajorMatrixXf rows) : rows_(std::move(rows)) {
  const Eigen::Index n = rows_.rows();
  const Eigen::Index dims = rows_.cols();
  padded_ = (dims + kCodeBlock - 1) / kCodeBlock * kCodeBlock;
  codes_.assign(static_cast<size_t>(n * padded_), 0);
  bounds_.resize(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    const float* row = rows_.row(i).data();
    float max = 0;
    for (Eigen::Index j = 0; j < dims; ++j)
      max = std::max(max, std::abs(row[j]));
    RowBound& b = bounds_[static_cast<size_t>(i)];
    b.max = max;
    b.scale = max / 127;
    int8_t* codes = &codes_[static_cast<size_t>(i * padded_)];
    double error = 0;
    double l1 = 0;
    for (Eigen::Index j = 0; j < dims; ++j) {
      // A scale that underflowed to 0 (a row of subnormals) leaves codes 0
      // and the whole row as the error.
      const double code =
          b.scale > 0
              ? std::clamp(
                    std::nearbyint(static_cast<double>(row[j]) / b.scale),
                    -127.0, 127.0)
              : 0.0;
      codes[j] = static_cast<int8_t>(code);
      error = std::max(error,
                       std::abs(static_cast<double>(row[j]) - code * b.scale));
      l1 += std::abs(code) * b.scale;
    }
    b.error = RoundUp(error);
    b.l1 = RoundUp(l1);
  }
}

float CosineScan::Dot(Eigen::Index row, const Eigen::VectorXf& q) const {
  // Eigen takes a one-row product as a dot product (another order).
  if (rows_.rows() == 1) return (Eigen::MatrixXf(rows_) * q)(0);
  // Eigen's column-major matrix × vector (GeneralMatrixVector.h) sums each
  // row's products in column order from +0, in blocks of columns added to
  // the result in turn: one block under 128 columns, else 16 (4 when a
  // column passes 32,000 bytes).
  const Eigen::Index dims = rows_.cols();
  const Eigen::Index block =
      dims < 128
          ? dims
          : (rows_.rows() * static_cast<Eigen::Index>(sizeof(float)) < 32000
                 ? 16
                 : 4);
  const float* r = rows_.row(row).data();
  float sum = 0;
  for (Eigen::Index j0 = 0; j0 < dims; j0 += block) {
    const Eigen::Index end = std::min(j0 + block, dims);
    float c = 0;
    for (Eigen::Index j = j0; j < end; ++j) c += r[j] * q[j];
    sum = c + sum;
  }
  return sum;
}

Eigen::VectorXf CosineScan::DotAll(const Eigen::VectorXf& q) const {
  Eigen::VectorXf out = Eigen::VectorXf::Zero(rows_.rows());
  if (q.size() != rows_.cols()) return out;
  for (Eigen::Index i = 0; i < rows_.rows(); ++i) out[i] = Dot(i, q);
  return out;
}

std::vector<float> CosineScan::DotRows(const std::vector<int32_t>& rows,
                                       const Eigen::VectorXf& q) const {
  std::vector<float> out(rows.size(), 0.0f);
  if (q.size() != rows_.cols()) return out;
  std::vector<size_t> at;  // places of the rows to sum
  at.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= 0) at.push_back(i);
  }
  size_t done = 0;
#if defined(__SSE2__)
  // A lane a row, summed as Dot sums one (a product rounded, then a sum,
  // column after column from +0); only one block of columns and more than
  // one row are Eigen's gemv, as Dot says.
  const Eigen::Index dims = rows_.cols();
  if (dims < 128 && rows_.rows() > 1) {
    for (; done + 4 <= at.size(); done += 4) {
      const float* r[4];
      for (int l = 0; l < 4; ++l)
        r[l] = rows_.row(rows[at[done + static_cast<size_t>(l)]]).data();
      __m128 c = _mm_setzero_ps();
      Eigen::Index j = 0;
      for (; j + 4 <= dims; j += 4) {
        __m128 c0 = _mm_loadu_ps(r[0] + j);
        __m128 c1 = _mm_loadu_ps(r[1] + j);
        __m128 c2 = _mm_loadu_ps(r[2] + j);
        __m128 c3 = _mm_loadu_ps(r[3] + j);
        _MM_TRANSPOSE4_PS(c0, c1, c2, c3);  // c0: column j of the four rows
        c = _mm_add_ps(c, _mm_mul_ps(c0, _mm_set1_ps(q[j])));
        c = _mm_add_ps(c, _mm_mul_ps(c1, _mm_set1_ps(q[j + 1])));
        c = _mm_add_ps(c, _mm_mul_ps(c2, _mm_set1_ps(q[j + 2])));
        c = _mm_add_ps(c, _mm_mul_ps(c3, _mm_set1_ps(q[j + 3])));
      }
      for (; j < dims; ++j) {
        const __m128 column = _mm_set_ps(r[3][j], r[2][j], r[1][j], r[0][j]);
        c = _mm_add_ps(c, _mm_mul_ps(column, _mm_set1_ps(q[j])));
      }
      float lanes[4];
      _mm_storeu_ps(lanes, c);
      for (size_t l = 0; l < 4; ++l) out[at[done + l]] = lanes[l] + 0.0f;
    }
  }
#endif
  for (; done < at.size(); ++done) out[at[done]] = Dot(rows[at[done]], q);
  return out;
}

std::vector<std::pair<int32_t, float>> CosineScan::Top(
    const Eigen::VectorXf& q, size_t k,
    absl::FunctionRef<bool(int32_t, int32_t)> before) const {
  using Scored = std::pair<int32_t, float>;
  const auto n = static_cast<size_t>(rows_.rows());
  k = std::min(k, n);
  std::vector<Scored> picked;
  if (k == 0) return picked;
  const bool sized = q.size() == rows_.cols();
  const float qmax = sized && q.size() > 0 ? q.cwiseAbs().maxCoeff() : 0;
  if (k == n || qmax == 0) {
    // Nothing to prune: every row is kept, or every value is 0.
    picked.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const auto row = static_cast<Eigen::Index>(i);
      picked.emplace_back(static_cast<int32_t>(i), sized ? Dot(row, q) : 0.0f);
    }
  } else {
    // The query in int16, small enough that no int32 sum can overflow.
    const double dmax = std::min<double>(
        32767,
        std::floor(2147483647.0 / (127.0 * static_cast<double>(padded_))));
    const double qscale = static_cast<double>(qmax) / dmax;
    std::vector<int16_t> dq(static_cast<size_t>(padded_), 0);
    double qerror = 0;
    double q1 = 0;
    for (Eigen::Index j = 0; j < q.size(); ++j) {
      const double d = std::clamp(std::nearbyint(q[j] / qscale), -dmax, dmax);
      dq[static_cast<size_t>(j)] = static_cast<int16_t>(d);
      qerror = std::max(qerror, std::abs(q[j] - d * qscale));
      q1 += std::abs(q[j]);
    }
    qerror = qerror * (1 + 1e-9) + static_cast<double>(qmax) * 1e-15;
    // With r = scale × c + e and q = qscale × d + f, r·q = scale × qscale ×
    // c·d + scale × c·f + e·q, so |r·q - approx| <= l1 × qerror + error ×
    // |q|_1; the float sum Dot returns is within (dims + 2) units of
    // rounding of sum |r_j q_j| <= max × |q|_1 of r·q. The 1e-6 covers the
    // rounding of these doubles, the 1e-37 the subnormals' absolute error.
    const double rounding =
        static_cast<double>(rows_.cols() + 2) * std::ldexp(1.0, -24);
    std::priority_queue<double, std::vector<double>, std::greater<>> lowest;
    double threshold = -std::numeric_limits<double>::infinity();
    std::vector<std::pair<int32_t, double>> maybe;  // row, upper bound
    constexpr size_t kRowBlock = 256;
    int32_t dots[kRowBlock];
    for (size_t i = 0; i < n; ++i) {
      if (i % kRowBlock == 0) {
        cosine_scan_internal::DotCodesRows(
            &codes_[i * static_cast<size_t>(padded_)], dq.data(), padded_,
            std::min(kRowBlock, n - i), dots);
      }
      const RowBound& b = bounds_[i];
      const double approx =
          static_cast<double>(b.scale) * qscale * dots[i % kRowBlock];
      const double slack = (b.l1 * qerror + (b.error + b.max * rounding) * q1 +
                            std::abs(approx) * 1e-12) *
                               (1 + 1e-6) +
                           1e-37;
      const double upper = approx + slack;
      // The threshold only rises: a row under it now stays under it.
      if (upper < threshold) continue;
      maybe.emplace_back(static_cast<int32_t>(i), upper);
      const double lower = approx - slack;
      if (lowest.size() < k) {
        lowest.push(lower);
      } else if (lower > lowest.top()) {
        lowest.pop();
        lowest.push(lower);
      }
      if (lowest.size() == k) threshold = lowest.top();
    }
    // k rows are at least `threshold`, so each of the best k is too.
    for (const auto& [row, upper] : maybe) {
      if (upper >= threshold) picked.emplace_back(row, Dot(row, q));
    }
  }
  const auto better = [&](const Scored& a, const Scored& b) {
    return a.second != b.second ? a.second > b.second
                                : before(a.first, b.first);
  };
  std::partial_sort(picked.begin(), picked.begin() + static_cast<ptrdiff_t>(k),
                    picked.end(), better);
  picked.resize(k);
  return picked;
}

}  // namespace whoknows::ranking
