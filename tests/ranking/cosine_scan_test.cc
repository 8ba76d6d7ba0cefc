#include "ranking/cosine_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace whoknows::ranking {
namespace {

using Scored = std::pair<int32_t, float>;

// What the model computed before the scan: Eigen's column-major product,
// then every row sorted by value and `rank` (a person's id order).
std::vector<Scored> FullScan(const RowMajorMatrixXf& rows,
                             const Eigen::VectorXf& q,
                             const std::vector<int32_t>& rank, size_t k) {
  const Eigen::MatrixXf column_major = rows;
  const Eigen::VectorXf all = q.size() == rows.cols()
                                  ? Eigen::VectorXf(column_major * q)
                                  : Eigen::VectorXf::Zero(rows.rows());
  std::vector<Scored> out;
  for (Eigen::Index i = 0; i < all.size(); ++i)
    out.emplace_back(static_cast<int32_t>(i), all[i]);
  std::sort(out.begin(), out.end(), [&](const Scored& a, const Scored& b) {
    return a.second != b.second ? a.second > b.second
                                : rank[a.first] < rank[b.first];
  });
  out.resize(std::min(k, out.size()));
  return out;
}

void ExpectSameBits(const std::vector<Scored>& want,
                    const std::vector<Scored>& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].first, got[i].first) << what << " place " << i;
    EXPECT_EQ(std::bit_cast<uint32_t>(want[i].second),
              std::bit_cast<uint32_t>(got[i].second))
        << what << " place " << i << ": " << want[i].second << " vs "
        << got[i].second;
  }
}

// Rows of every kind the scan must bound: unit rows, near-duplicates that
// differ in their last bits, exact duplicates (ties at any cut-off), zero
// rows, and rows from subnormal to 1e15 (finite products).
RowMajorMatrixXf RandomRows(std::mt19937& rng, Eigen::Index n,
                            Eigen::Index dims) {
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<Eigen::Index> column(0, dims - 1);
  RowMajorMatrixXf rows(n, dims);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < dims; ++j) rows(i, j) = normal(rng);
    rows.row(i).normalize();
    switch (kind(rng)) {
      case 0:
        if (i > 0) rows.row(i) = rows.row(i - 1);  // a tie
        break;
      case 1:
        if (i > 0) {  // a near tie
          rows.row(i) = rows.row(i - 1);
          rows(i, column(rng)) *= 1 + 1e-7f;
        }
        break;
      case 2:
        rows.row(i).setZero();
        break;
      case 3:
        rows.row(i) *= 1e-40f;  // subnormal
        break;
      case 4:
        rows.row(i) *= 1e15f;
        break;
      case 5:
        rows(i, column(rng)) = 0;
        break;
      default:
        break;
    }
  }
  return rows;
}

Eigen::VectorXf RandomQuery(std::mt19937& rng, Eigen::Index dims, float scale) {
  std::normal_distribution<float> normal;
  Eigen::VectorXf q(dims);
  for (Eigen::Index j = 0; j < dims; ++j) q[j] = normal(rng);
  q.normalize();
  return q * scale;
}

std::vector<int32_t> RandomRank(std::mt19937& rng, Eigen::Index n) {
  std::vector<int32_t> rank(static_cast<size_t>(n));
  std::iota(rank.begin(), rank.end(), 0);
  std::shuffle(rank.begin(), rank.end(), rng);
  return rank;
}

// The pruned scan against the full product: the same rows, in the same
// order, with the same bits, at every size Eigen sums differently (one
// row; under and over 128 columns; columns under and over 32,000 bytes).
TEST(CosineScanTest, TopEqualsTheFullScanBitForBit) {
  std::mt19937 rng(7);
  const std::vector<std::pair<Eigen::Index, Eigen::Index>> shapes = {
      {1, 64},   {2, 64},    {3, 1},     {17, 5},    {40, 16},
      {300, 64}, {2000, 64}, {150, 130}, {9000, 130}};
  for (const auto& [n, dims] : shapes) {
    const RowMajorMatrixXf rows = RandomRows(rng, n, dims);
    const CosineScan scan(rows);
    const std::vector<int32_t> rank = RandomRank(rng, n);
    const auto before = [&](int32_t a, int32_t b) {
      return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(b)];
    };
    for (float scale : {1.0f, 1e-30f, 3e10f}) {
      const Eigen::VectorXf q = RandomQuery(rng, dims, scale);
      for (size_t k : {size_t{1}, size_t{5}, size_t{96}, size_t{384},
                       static_cast<size_t>(n), static_cast<size_t>(n) + 3}) {
        const std::string what =
            "n=" + std::to_string(n) + " dims=" + std::to_string(dims) +
            " scale=" + std::to_string(scale) + " k=" + std::to_string(k);
        ExpectSameBits(FullScan(rows, q, rank, k), scan.Top(q, k, before),
                       what);
      }
      const Eigen::VectorXf want = Eigen::MatrixXf(rows) * q;
      const Eigen::VectorXf all = scan.DotAll(q);
      // Scattered rows, repeated, and -1 (no row: 0), in a count that is
      // not a multiple of the batch's four.
      std::uniform_int_distribution<int32_t> pick(-1, static_cast<int>(n) - 1);
      std::vector<int32_t> some(static_cast<size_t>(n) + 7);
      for (auto& row : some) row = pick(rng);
      const std::vector<float> got = scan.DotRows(some, q);
      ASSERT_EQ(got.size(), some.size());
      for (size_t i = 0; i < some.size(); ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(some[i] < 0 ? 0.0f : want[some[i]]),
                  std::bit_cast<uint32_t>(got[i]))
            << "row " << some[i] << " of " << n << "x" << dims;
      }
      for (Eigen::Index i = 0; i < n; ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(want[i]),
                  std::bit_cast<uint32_t>(scan.Dot(i, q)))
            << "row " << i << " of " << n << "x" << dims;
        ASSERT_EQ(std::bit_cast<uint32_t>(want[i]),
                  std::bit_cast<uint32_t>(all[i]));
      }
    }
  }
}

// Many rows share the value at the cut-off: which of them are kept is
// decided by `before` alone, as in the full sort.
TEST(CosineScanTest, TiesAtTheCutOffFollowTheTieOrder) {
  std::mt19937 rng(11);
  const Eigen::Index dims = 64;
  RowMajorMatrixXf rows = RandomRows(rng, 1000, dims);
  const Eigen::VectorXf q = RandomQuery(rng, dims, 1);
  // Rows 0-49 are the best of the matrix, all equal; k = 20 cuts them.
  Eigen::RowVectorXf best = q.transpose();
  for (Eigen::Index i = 0; i < 50; ++i) rows.row(i) = best;
  const CosineScan scan(rows);
  for (int trial = 0; trial < 5; ++trial) {
    const std::vector<int32_t> rank = RandomRank(rng, rows.rows());
    const auto before = [&](int32_t a, int32_t b) {
      return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(b)];
    };
    for (size_t k : {size_t{1}, size_t{20}, size_t{50}, size_t{51}})
      ExpectSameBits(FullScan(rows, q, rank, k), scan.Top(q, k, before),
                     "k=" + std::to_string(k));
  }
}

// A zero query ties every row at 0 and a query of another size gives every
// row 0 (the model's answer to a query it cannot embed): the order is the
// tie order's.
TEST(CosineScanTest, ZeroAndMismatchedQueriesOrderByTheTieOrder) {
  std::mt19937 rng(13);
  const RowMajorMatrixXf rows = RandomRows(rng, 200, 16);
  const CosineScan scan(rows);
  const std::vector<int32_t> rank = RandomRank(rng, rows.rows());
  const auto before = [&](int32_t a, int32_t b) {
    return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(b)];
  };
  for (const Eigen::VectorXf& q :
       {Eigen::VectorXf(Eigen::VectorXf::Zero(16)), Eigen::VectorXf(),
        Eigen::VectorXf(Eigen::VectorXf::Ones(8))}) {
    ExpectSameBits(FullScan(rows, q, rank, 30), scan.Top(q, 30, before),
                   "size " + std::to_string(q.size()));
  }
  EXPECT_TRUE(CosineScan().Top(Eigen::VectorXf::Ones(4), 10, before).empty());
}

// The first pass's code dot products, exact integers however they are
// summed: the AVX2 path (where the CPU has it) gives what the portable one
// and a plain sum give, at the extremes of both ranges too.
TEST(CosineScanTest, CodeDotProductsAreExactOnEveryPath) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> code(-127, 127);
  for (const Eigen::Index padded : {16, 64, 144}) {
    // The largest query value Top uses for this width (no int32 overflow).
    const int dmax =
        static_cast<int>(std::min<int64_t>(32767, 2147483647 / (127 * padded)));
    std::uniform_int_distribution<int> value(-dmax, dmax);
    const size_t rows = 37;
    std::vector<int8_t> codes(rows * static_cast<size_t>(padded));
    for (auto& c : codes) c = static_cast<int8_t>(code(rng));
    std::fill_n(codes.begin(), padded, int8_t{-127});  // row 0: extremes
    std::fill_n(codes.begin() + padded, padded, int8_t{127});
    std::vector<int16_t> query(static_cast<size_t>(padded));
    for (auto& q : query) q = static_cast<int16_t>(value(rng));
    std::vector<int32_t> fast(rows), portable(rows);
    cosine_scan_internal::DotCodesRows(codes.data(), query.data(), padded, rows,
                                       fast.data());
    cosine_scan_internal::DotCodesRows(codes.data(), query.data(), padded, rows,
                                       portable.data(),
                                       /*portable=*/true);
    for (size_t r = 0; r < rows; ++r) {
      int64_t want = 0;
      for (Eigen::Index j = 0; j < padded; ++j)
        want += int64_t{codes[r * static_cast<size_t>(padded) +
                              static_cast<size_t>(j)]} *
                query[static_cast<size_t>(j)];
      EXPECT_EQ(fast[r], want) << "padded " << padded << ", row " << r;
      EXPECT_EQ(portable[r], want) << "padded " << padded << ", row " << r;
    }
  }
}

}  // namespace
}  // namespace whoknows::ranking
