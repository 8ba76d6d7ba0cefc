// Cosines of a query with every row of a matrix, read in two passes: an
// int8 copy bounds each row's dot product, and only the rows whose bound
// can reach the best `k` are summed exactly from the float rows.
#ifndef WHOKNOWS_RANKING_COSINE_SCAN_H_
#define WHOKNOWS_RANKING_COSINE_SCAN_H_

#include <Eigen/Dense>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"

namespace whoknows::ranking {

using RowMajorMatrixXf =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows are kept row-major (a row is read alone) with an int8 copy, a
// quarter of the bytes, for the first pass. Every value it returns has the
// bits Eigen's column-major matrix × vector gave for the same rows and
// query (the ranking's features are those bits): each row's products are
// summed in column order, as that product does. Rows and queries must be
// finite. Immutable after construction: safe to read from many threads.
class CosineScan {
 public:
  CosineScan() = default;
  explicit CosineScan(RowMajorMatrixXf rows);

  Eigen::Index rows() const { return rows_.rows(); }
  Eigen::Index cols() const { return rows_.cols(); }

  // Row `row` · `q` (q.size() == cols()).
  float Dot(Eigen::Index row, const Eigen::VectorXf& q) const;
  // Every row · `q`, in row order.
  Eigen::VectorXf DotAll(const Eigen::VectorXf& q) const;
  // Dot(rows[i], q) for each i (0 for a negative row), four rows at a time:
  // a few thousand scattered rows a query cost less than one each.
  std::vector<float> DotRows(const std::vector<int32_t>& rows,
                             const Eigen::VectorXf& q) const;
  // The min(k, rows()) rows with the largest Dot, best first, equal values
  // ordered by `before` (a strict total order on row numbers): the prefix
  // of sorting DotAll's (row, value) pairs so. A query of another size
  // than cols() gives every row 0, as the old full product did.
  std::vector<std::pair<int32_t, float>> Top(
      const Eigen::VectorXf& q, size_t k,
      absl::FunctionRef<bool(int32_t, int32_t)> before) const;

 private:
  // What bounds a row's dot product from its codes: row ≈ scale × codes.
  struct RowBound {
    float scale = 0;  // of the codes
    float error = 0;  // max |row_j - scale × code_j|, rounded up
    float l1 = 0;     // scale × sum |code_j|, rounded up
    float max = 0;    // max |row_j|
  };

  RowMajorMatrixXf rows_;
  Eigen::Index padded_ = 0;    // cols() rounded up to 16 (zero codes)
  std::vector<int8_t> codes_;  // rows() × padded_
  std::vector<RowBound> bounds_;
};

namespace cosine_scan_internal {

// codes · query for `rows` consecutive rows of `padded` (a multiple of 16)
// int8 codes each, exact in int32: with AVX2 where the CPU has it, unless
// `portable` (SSE2 or plain C++, what any x86-64 runs). For the tests.
void DotCodesRows(const int8_t* codes, const int16_t* query,
                  Eigen::Index padded, size_t rows, int32_t* out,
                  bool portable = false);

}  // namespace cosine_scan_internal

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_COSINE_SCAN_H_
