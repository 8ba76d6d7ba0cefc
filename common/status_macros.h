// Early returns on a failed absl::Status or absl::StatusOr, the one copy of
// the macros every module uses (abseil does not ship them publicly).
#ifndef WHOKNOWS_COMMON_STATUS_MACROS_H_
#define WHOKNOWS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` (an absl::Status) from the current function
// when it is not OK.
#define WK_RETURN_IF_ERROR(expr)                              \
  do {                                                        \
    if (::absl::Status wk_status_ = (expr); !wk_status_.ok()) \
      return wk_status_;                                      \
  } while (false)

#define WK_STATUS_CONCAT_INNER_(a, b) a##b
#define WK_STATUS_CONCAT_(a, b) WK_STATUS_CONCAT_INNER_(a, b)

// `WK_ASSIGN_OR_RETURN(auto x, F());` or `WK_ASSIGN_OR_RETURN(x, F());`:
// evaluates F() (an absl::StatusOr<T>), returns its status from the current
// function when it is not OK, and else moves its value into the left side.
#define WK_ASSIGN_OR_RETURN(lhs, expr)                                      \
  WK_ASSIGN_OR_RETURN_IMPL_(WK_STATUS_CONCAT_(wk_statusor_, __LINE__), lhs, \
                            expr)
#define WK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)     \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // WHOKNOWS_COMMON_STATUS_MACROS_H_
