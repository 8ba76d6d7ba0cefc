// Networks.AnalyzeNetwork: request validation, the analysis on the catalog's
// snapshot and interactions, and the mapping to the response.
#ifndef WHOKNOWS_API_NETWORKS_H_
#define WHOKNOWS_API_NETWORKS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "api/caller.h"
#include "networks/networks.h"
#include "whoknows/v1/networks.pb.h"

namespace whoknows::index {
class Catalog;
}

namespace whoknows::api {

struct NetworksServiceOptions {
  // Smallest group with figures. Requests may raise it, never lower it.
  int min_group_size = 5;
  // Threads for betweenness per request. More answers faster and takes
  // cores from concurrent queries.
  int threads = 2;
  // Bounds on requests, checked by networks::NetworkOptions::Validate().
  // The library's, except at most 100 brokers: the proto promises 0-100 and
  // clients size their tables by it.
  networks::NetworkLimits limits{.max_top_brokers = 100};
};

// INVALID_ARGUMENT naming the field, or OK: the checks AnalyzeNetwork makes
// before it reads anything (window, group size, brokers), which depend on
// the request and the service's limits only.
absl::Status ValidateAnalyzeNetwork(const v1::AnalyzeNetworkRequest& request,
                                    const NetworksServiceOptions& options);

// Validates the request (INVALID_ARGUMENT naming the field), applies the
// privacy rules for `caller` (person-level lists only with the
// person-level-networks right), and analyses the catalog's current snapshot
// with the data folder's interactions. `cancelled`, when set, is asked
// between stages (networks::NetworkOptions::cancelled): once it says yes the
// analysis stops with CANCELLED. Thread safe.
absl::StatusOr<v1::AnalyzeNetworkResponse> AnalyzeNetwork(
    const index::Catalog& catalog, const v1::AnalyzeNetworkRequest& request,
    const Caller& caller, const NetworksServiceOptions& options,
    std::function<bool()> cancelled = nullptr);

v1::AnalyzeNetworkResponse ToProto(const networks::NetworkAnalysis& analysis);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_NETWORKS_H_
