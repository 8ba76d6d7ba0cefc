#include "importers/import.h"

namespace whoknows::importers {

absl::Status BadRecords::Report(const std::string& where_and_why) {
  if (options_.strict) return absl::InvalidArgumentError(where_and_why);
  ++skipped_;
  if (options_.on_problem) options_.on_problem(where_and_why);
  return absl::OkStatus();
}

}  // namespace whoknows::importers
