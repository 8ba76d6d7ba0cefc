// Answering FindExperts: validation, ranking and the response with evidence.
// Shared by the gRPC service and the CLI's local mode.
#ifndef WHOKNOWS_API_EXPERTISE_H_
#define WHOKNOWS_API_EXPERTISE_H_

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/exposure.h"
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
// The same, and the ranking it was made from (its retrieval included)
// moved into `*ranked` when the request is answered. Experts whose
// confidence is below `min_confidence` are left out and counted in
// `*withheld` (SuggestForPost's threshold), and their evidence is not read
// (a draft of a few words mostly finds nobody sure enough).
absl::StatusOr<v1::FindExpertsResponse> FindExperts(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::FindExpertsRequest& request, ranking::FindResult* ranked,
    double min_confidence = 0, int* withheld = nullptr);

// Counts the experts `response` names in `ledger` at `now` (unix s): the
// exposure budget counts who FindExperts returned, never who asked nor
// what. Only those still in `catalog`'s published snapshot when the ledger
// records (ExposureLedger::Record's `present`): the answer may come from
// a snapshot an erasure has replaced since. Counters of people the
// snapshot no longer holds (erased where this process did not run the
// DeletePerson: a follower) are dropped too
// (ExposureLedger::RecordAndForgetAbsent): one snapshot, one hold of the
// ledger.
void RecordSuggested(const v1::FindExpertsResponse& response,
                     const index::Catalog& catalog,
                     ranking::ExposureLedger& ledger, int64_t now);

// Which model a ranking used, and the weights' provenance (empty:
// "defaults"): ModelVersion in expertise.proto.
v1::ModelVersion ModelVersionOf(const ranking::ModelUsed& model,
                                const std::string& weights_provenance);

// The public profile of a person: id, display name, title, department,
// site, country and languages; leaving, joined, team, manager, active and
// opted_out cleared. What every caller but hr and admin gets.
v1::Person PublicProfile(const v1::Person& person);

// Reduces every expert's person to its public profile.
void KeepPublicProfiles(v1::FindExpertsResponse* response);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_EXPERTISE_H_
