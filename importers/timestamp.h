// Timestamps of the exchange formats: RFC 3339 and the Stack Exchange dumps'
// "2017-06-28T08:32:23.123" (UTC).
#ifndef WHOKNOWS_IMPORTERS_TIMESTAMP_H_
#define WHOKNOWS_IMPORTERS_TIMESTAMP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace whoknows::importers {

// Parses "2017-06-28T08:32:23.123", "2024-03-01" or RFC 3339 ("...Z",
// "+02:00") as UTC unix seconds. Years 1970-9999; impossible days and
// malformed offsets are INVALID_ARGUMENT.
absl::StatusOr<int64_t> ParseTimestamp(std::string_view text);

// "2024-03-01T10:00:00Z".
std::string FormatTimestamp(int64_t unix_seconds);

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_TIMESTAMP_H_
