// Ingest.RecordOutcome: who actually helped with a question, checked
// (fields, rights, the helper and the question) and stored.
#ifndef WHOKNOWS_API_OUTCOMES_H_
#define WHOKNOWS_API_OUTCOMES_H_

#include "absl/status/statusor.h"
#include "api/auth.h"
#include "index/catalog.h"
#include "index/validation.h"
#include "ranking/outcomes.h"
#include "whoknows/v1/ingest.pb.h"

namespace whoknows::api {

// Validates the request (INVALID_ARGUMENT naming the field), authorizes
// the question (api/caller.h, AuthorizeOutcomeQuestion), checks that the
// helper (and a given asker) are people and a named question post is a
// public question (NOT_FOUND otherwise; a post id not in whoknows is fine
// when the question's title or body comes along), then records it:
//  - with a question post, its author becomes the asker and the request's
//    text is dropped (the post's own text is what matches, and is erased
//    with it);
//  - an empty id becomes "o-" and a hash of the question, asker, helper
//    and kind, so that the intranet's retries are idempotent; a caller
//    without the right "record-outcome" never chooses the id (it could
//    replace someone else's outcome).
absl::StatusOr<v1::RecordOutcomeResponse> RecordOutcome(
    const Caller& caller, const index::Catalog& catalog,
    ranking::OutcomeStore& outcomes, const index::ValidationOptions& validation,
    const v1::RecordOutcomeRequest& request);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_OUTCOMES_H_
