// Answering FindExperts: validation, ranking and the response with evidence.
// Shared by the gRPC service and the CLI's local mode.
#ifndef WHOKNOWS_API_EXPERTISE_H_
#define WHOKNOWS_API_EXPERTISE_H_

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "whoknows/v1/expertise.pb.h"

namespace whoknows::api {

inline constexpr size_t kMaxQueryBytes = 8192;
inline constexpr int kMaxLimit = 100;
inline constexpr int kDefaultLimit = 10;

// INVALID_ARGUMENT naming the field, or OK.
absl::Status ValidateFindExperts(const v1::FindExpertsRequest& request);

absl::StatusOr<v1::FindExpertsResponse> FindExperts(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::FindExpertsRequest& request);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_EXPERTISE_H_
