#include "api/outcomes.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/caller.h"
#include "common/status_macros.h"
#include "index/outcomes.h"

namespace whoknows::api {
namespace {

// FNV-1a, 64 bits: stable across builds and runs (ids are stored).
uint64_t Fnv1a(std::string_view bytes, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string MadeId(const v1::Outcome& o) {
  uint64_t h = 1469598103934665603ull;
  for (const std::string* part : {&o.question_post_id(), &o.title(), &o.body(),
                                  &o.asker_id(), &o.helper_id()}) {
    h = Fnv1a(*part, h);
    h = Fnv1a(std::string_view("\x1f", 1), h);
  }
  h = Fnv1a(absl::StrCat(static_cast<int>(o.kind())), h);
  return absl::StrFormat("o-%016x", h);
}

// The author of the question post the outcome names, when it is there and
// a public question; empty otherwise (no post named, missing, private, not
// a question).
std::string QuestionAuthor(const index::Snapshot& snap, const v1::Outcome& o) {
  if (o.question_post_id().empty()) return "";
  const index::PostMeta* m = snap.FindPost(o.question_post_id());
  if (m && m->is_public && m->kind == v1::POST_KIND_QUESTION)
    return m->author_id;
  return "";
}

// With a question post that is there, its author becomes the asker and the
// request's text is dropped (the post's own text matches); a post id not in
// whoknows is matched by the text that came along, if any.
absl::Status CheckQuestion(const index::Snapshot& snap, v1::Outcome* o,
                           const std::string& question_author) {
  if (o->question_post_id().empty()) return absl::OkStatus();
  if (question_author.empty()) {
    const index::PostMeta* m = snap.FindPost(o->question_post_id());
    if (m && !m->is_public)
      return absl::InvalidArgumentError(absl::StrCat(
          "outcome.question_post_id: ", o->question_post_id(),
          " is not public; outcomes are kept on public questions only"));
    if (m)
      return absl::InvalidArgumentError(
          absl::StrCat("outcome.question_post_id: ", o->question_post_id(),
                       " is not a question"));
    if (o->title().empty() && o->body().empty())
      return absl::NotFoundError(absl::StrCat(
          "outcome.question_post_id: no post ", o->question_post_id(),
          " (send the question's title and body when it is not in whoknows)"));
    o->clear_question_post_id();  // matched by its text instead
    return absl::OkStatus();
  }
  if (!o->asker_id().empty() && o->asker_id() != question_author)
    return absl::InvalidArgumentError(
        "outcome.asker_id: not the author of the question post");
  o->set_asker_id(question_author);
  o->clear_title();
  o->clear_body();
  o->clear_tags();
  return absl::OkStatus();
}

absl::Status CheckPeople(const index::Snapshot& snap, const v1::Outcome& o) {
  if (!snap.FindPerson(o.helper_id()))
    return absl::NotFoundError(
        absl::StrCat("outcome.helper_id: no person ", o.helper_id()));
  if (!o.asker_id().empty() && !snap.FindPerson(o.asker_id()))
    return absl::NotFoundError(
        absl::StrCat("outcome.asker_id: no person ", o.asker_id()));
  if (o.asker_id() == o.helper_id())
    return absl::InvalidArgumentError(
        "outcome.helper_id: the asker cannot be their own helper");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::RecordOutcomeResponse> RecordOutcome(
    const Caller& caller, const index::Catalog& catalog,
    ranking::OutcomeStore& outcomes, const index::ValidationOptions& validation,
    const v1::RecordOutcomeRequest& request) {
  if (!request.has_outcome())
    return absl::InvalidArgumentError("outcome: required");
  v1::Outcome o = request.outcome();
  WK_RETURN_IF_ERROR(index::ValidateOutcome(&o, "outcome", validation));
  auto snap = catalog.snapshot();
  const std::string question_author = QuestionAuthor(*snap, o);
  // Who may, before whether the rest exists.
  WK_RETURN_IF_ERROR(AuthorizeOutcomeQuestion(caller, question_author));
  WK_RETURN_IF_ERROR(CheckQuestion(*snap, &o, question_author));
  WK_RETURN_IF_ERROR(CheckPeople(*snap, o));
  if (o.id().empty() || !HasRight(caller, Right::kRecordOutcome))
    o.set_id(MadeId(o));
  WK_RETURN_IF_ERROR(outcomes.Record(o));
  v1::RecordOutcomeResponse response;
  response.set_id(o.id());
  return response;
}

}  // namespace whoknows::api
