// Helpers for the Validate() methods of the ranking's options structs.
// Internal to ranking/.
#ifndef WHOKNOWS_RANKING_VALIDATE_H_
#define WHOKNOWS_RANKING_VALIDATE_H_

#include <cmath>
#include <initializer_list>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace whoknows::ranking::validate {

// INVALID_ARGUMENT "`field`: must be `rule`" unless `ok`.
inline absl::Status Check(bool ok, absl::string_view field,
                          absl::string_view rule) {
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": must be ", rule));
}

// A nested struct's error, its field names prefixed with `prefix.`.
inline absl::Status Nested(absl::string_view prefix, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(prefix, ".", s.message()));
}

inline bool Finite(double x) { return std::isfinite(x); }

// The first error among `checks`, in order; OK when there is none.
inline absl::Status FirstError(std::initializer_list<absl::Status> checks) {
  for (const absl::Status& s : checks) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace whoknows::ranking::validate

#endif  // WHOKNOWS_RANKING_VALIDATE_H_
