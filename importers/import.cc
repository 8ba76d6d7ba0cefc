#include "importers/import.h"

namespace whoknows::importers {

absl::Status BadRecords::Report(const std::string& where_and_why) {
  if (options_.strict) return absl::InvalidArgumentError(where_and_why);
  ++skipped_;
  if (options_.on_problem) options_.on_problem(where_and_why);
  return absl::OkStatus();
}

bool IsEmptyPost(const v1::Post& post,
                 const index::ValidationOptions& options) {
  if (!post.title().empty() || !post.body().empty()) return false;
  v1::Post probe = post;
  probe.set_title("-");
  return index::ValidatePost(probe, "post", options).ok();
}

}  // namespace whoknows::importers
