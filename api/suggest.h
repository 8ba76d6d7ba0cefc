// Answering SuggestForPost: suggestions while a question is being written.
// People come from the expert finder (as FindExperts, the author standing
// for the asker), cut by confidence; earlier threads from the best posts
// of that ranking's own search (public questions and the author's groups');
// tags from those threads. Shared by the gRPC service and tests.
#ifndef WHOKNOWS_API_SUGGEST_H_
#define WHOKNOWS_API_SUGGEST_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "whoknows/v1/expertise.pb.h"

namespace whoknows::api {

// Limits documented in proto/whoknows/v1/expertise.proto.
inline constexpr size_t kMaxDraftTitleBytes = 512;
inline constexpr size_t kMaxDraftBodyBytes = 65536;
inline constexpr int kMaxSuggestions = 20;
inline constexpr int kDefaultSuggestedPeople = 3;
inline constexpr int kDefaultSuggestedThreads = 5;
inline constexpr int kDefaultSuggestedTags = 5;

struct SuggestOptions {
  // People below this confidence are withheld unless the request sets its
  // own threshold (docs/ranking.md, "Confidence"). Higher says less, and
  // more surely.
  double min_confidence = 0.05;
  // Bytes of title and body searched: a longer draft costs search time on
  // every pause in typing and adds little once its topic is clear.
  size_t query_bytes = 2048;
  // Posts the thread search ranks before grouping them by thread: deeper
  // finds threads whose best match ranks lower, at a linear cost.
  int thread_search_depth = 200;
  // Threads whose best match scores below this share of the best thread's
  // are not similar enough to show (nor to suggest their tags).
  double min_thread_similarity = 0.3;
};

// INVALID_ARGUMENT naming the field and the reason, or OK.
absl::Status ValidateSuggestForPost(const v1::SuggestForPostRequest& request);

// The text that is searched for a draft: the title, then the body, cut to
// `max_bytes` on a UTF-8 character boundary.
std::string DraftQuery(const v1::SuggestForPostRequest& request,
                       size_t max_bytes);

// Validates, then answers. The author is never suggested; private posts
// never appear (nor count) in any part of the answer. Full profiles are
// left in: the caller reduces them as for FindExperts.
absl::StatusOr<v1::SuggestForPostResponse> SuggestForPost(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::SuggestForPostRequest& request,
    const SuggestOptions& options = {});

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_SUGGEST_H_
