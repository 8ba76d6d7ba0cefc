#include "api/expertise.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/validation.h"
#include "ranking/confidence.h"
#include "ranking/outcomes.h"

namespace whoknows::api {
namespace {

v1::EvidenceRole ToProto(ranking::Role role) {
  switch (role) {
    case ranking::Role::kAcceptedAnswer:
      return v1::EVIDENCE_ROLE_ACCEPTED_ANSWER;
    case ranking::Role::kAnswer:
      return v1::EVIDENCE_ROLE_ANSWER;
    case ranking::Role::kArticle:
      return v1::EVIDENCE_ROLE_ARTICLE;
    case ranking::Role::kQuestion:
      return v1::EVIDENCE_ROLE_QUESTION;
    case ranking::Role::kComment:
      return v1::EVIDENCE_ROLE_COMMENT;
    case ranking::Role::kOutcome:
      return v1::EVIDENCE_ROLE_OUTCOME;
  }
  return v1::EVIDENCE_ROLE_UNSPECIFIED;
}

// Whether a fetched post is public or private to one of `groups` (sorted).
bool VisibleTo(const v1::Post& post, const std::vector<std::string>& groups) {
  return index::IsPublic(post) ||
         std::binary_search(groups.begin(), groups.end(), post.visibility());
}

const char* OutcomeWords(v1::OutcomeKind kind) {
  switch (kind) {
    case v1::OUTCOME_KIND_ACCEPTED:
      return "Their help with this question was accepted.";
    case v1::OUTCOME_KIND_THANKED:
      return "Thanked for their help with this question.";
    default:
      return "Answered this question.";
  }
}

// An outcome's evidence (ranking/outcomes.h): the question's title (the
// post's, while it is public), what happened, and when. False when the
// outcome or its question post is gone since the ranking ran.
bool OutcomeEvidence(const ranking::OutcomeSet* outcomes,
                     const index::Snapshot& snap,
                     const ranking::EvidencePost& ev, v1::Evidence* out) {
  const v1::Outcome* o =
      outcomes ? outcomes->FindByEvidenceId(ev.post_id) : nullptr;
  if (!o) return false;
  std::string title = o->title();
  if (!o->question_post_id().empty()) {
    const index::PostMeta* q = snap.FindPost(o->question_post_id());
    if (!q || !q->is_public) return false;
    title = q->title;
  }
  out->set_post_id(ev.post_id);
  out->set_title(title);
  out->set_snippet(OutcomeWords(o->kind()));
  out->set_role(v1::EVIDENCE_ROLE_OUTCOME);
  out->mutable_created()->set_seconds(o->time().seconds());
  return true;
}

bool IsOutcome(const std::string& evidence_id) {
  return evidence_id.starts_with(ranking::kOutcomeEvidencePrefix);
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

absl::Status ValidateFindExperts(const v1::FindExpertsRequest& r) {
  if (Trim(r.query()).empty())
    return absl::InvalidArgumentError("query: required");
  if (r.query().size() > kMaxQueryBytes)
    return absl::InvalidArgumentError(
        absl::StrCat("query: longer than ", kMaxQueryBytes, " bytes"));
  if (r.limit() < 0 || r.limit() > kMaxLimit)
    return absl::InvalidArgumentError(
        absl::StrCat("limit: must be 0-", kMaxLimit, ", got ", r.limit()));
  if (r.asker_id().size() > 128)
    return absl::InvalidArgumentError("asker_id: longer than 128 bytes");
  if (r.language().size() > 8)
    return absl::InvalidArgumentError("language: must be an ISO 639-1 code");
  if (r.tags_size() > 32)
    return absl::InvalidArgumentError(
        absl::StrCat("tags: ", r.tags_size(), " tags, more than 32"));
  if (r.query_embedding_size() > index::kMaxEmbeddingDims)
    return absl::InvalidArgumentError(absl::StrCat(
        "query_embedding: more than ", index::kMaxEmbeddingDims, " values"));
  for (int i = 0; i < r.query_embedding_size(); ++i) {
    if (!std::isfinite(r.query_embedding(i)))
      return absl::InvalidArgumentError(
          absl::StrCat("query_embedding[", i, "]: must be a finite number"));
  }
  for (int i = 0; i < r.tags_size(); ++i) {
    if (r.tags(i).empty() || r.tags(i).size() > 64)
      return absl::InvalidArgumentError(
          absl::StrCat("tags[", i, "]: must be 1-64 bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::FindExpertsResponse> FindExperts(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::FindExpertsRequest& r) {
  return FindExperts(catalog, finder, r, /*ranked=*/nullptr);
}

absl::StatusOr<v1::FindExpertsResponse> FindExperts(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::FindExpertsRequest& r, ranking::FindResult* ranked,
    double min_confidence, int* withheld) {
  WK_RETURN_IF_ERROR(ValidateFindExperts(r));
  ranking::ExpertQuery q;
  q.query = std::string(Trim(r.query()));
  q.asker_id = r.asker_id();
  q.limit = r.limit() == 0 ? kDefaultLimit : r.limit();
  q.department = r.department();
  q.site = r.site();
  q.language = r.language();
  q.tags.assign(r.tags().begin(), r.tags().end());
  q.query_embedding.assign(r.query_embedding().begin(),
                           r.query_embedding().end());
  auto found = finder.Find(q);
  if (!found.ok()) return found.status();

  // One fetch for the evidence posts of every expert shown (a snippet does
  // not depend on the other posts fetched with it). The asker's groups as
  // of now: a post of a group they have left since the ranking is not
  // shown, nor one that moved to another group.
  auto snap = catalog.snapshot();
  const std::vector<std::string> groups = snap->GroupsOf(q.asker_id);
  const ranking::ConfidenceOptions confidence{.text_floor =
                                                  finder.options().text_floor};
  std::vector<double> confidences;
  for (const auto& e : found->experts)
    confidences.push_back(ranking::Confidence(e, confidence));
  std::vector<std::string> ids;
  for (size_t i = 0; i < found->experts.size(); ++i) {
    if (confidences[i] < min_confidence) continue;
    for (const auto& ev : found->experts[i].evidence)
      if (!IsOutcome(ev.post_id)) ids.push_back(ev.post_id);
  }
  auto texts =
      catalog.Fetch(q.query, ids, 300, /*include_private=*/false, groups);
  if (!texts.ok()) return texts.status();
  std::unordered_map<std::string, const index::PostText*> text_of;
  for (const auto& t : *texts)
    if (VisibleTo(t.post, groups)) text_of[t.post.id()] = &t;

  const auto outcomes = finder.outcomes();
  v1::FindExpertsResponse response;
  response.set_matched_posts(found->matched_posts);
  *response.mutable_model() =
      ModelVersionOf(found->model, finder.options().weights.provenance);
  int below = 0;
  for (size_t i = 0; i < found->experts.size(); ++i) {
    const ranking::ExpertResult& e = found->experts[i];
    const v1::Person* person = snap->FindPerson(e.person_id);
    if (!person) continue;  // erased since the ranking ran
    if (confidences[i] < min_confidence) {
      ++below;
      continue;
    }
    v1::ExpertMatch* m = response.add_experts();
    *m->mutable_person() = *person;
    m->mutable_person()->clear_groups();  // never shown, to anybody
    m->set_score(e.score);
    m->set_confidence(confidences[i]);
    for (const auto& [name, value] : e.breakdown)
      (*m->mutable_breakdown())[name] = value;
    for (const auto& id : e.path) {
      v1::PathStep* step = m->add_path();
      step->set_person_id(id);
      if (const v1::Person* p = snap->FindPerson(id))
        step->set_display_name(p->display_name());
    }
    for (const auto& ev : e.evidence) {
      if (IsOutcome(ev.post_id)) {
        v1::Evidence outcome;
        if (OutcomeEvidence(outcomes.get(), *snap, ev, &outcome))
          *m->add_evidence() = std::move(outcome);
        continue;
      }
      auto it = text_of.find(ev.post_id);
      if (it == text_of.end()) continue;
      const v1::Post& post = it->second->post;
      v1::Evidence* out = m->add_evidence();
      out->set_post_id(post.id());
      std::string title = post.title();
      if (title.empty()) {
        // The root's title only while the asker may see the root: it may
        // have turned private since the evidence was fetched.
        const index::PostMeta* root = snap->FindPost(post.thread_id());
        if (root && index::VisibleTo(*root, groups)) title = root->title;
      }
      out->set_title(title);
      out->set_snippet(it->second->snippet);
      out->set_role(ToProto(ev.role));
      *out->mutable_created() = post.created();
      if (!index::IsPublic(post)) out->set_group(post.visibility());
    }
  }
  if (ranked) *ranked = *std::move(found);
  if (withheld) *withheld = below;
  return response;
}

void RecordSuggested(const v1::FindExpertsResponse& response,
                     const index::Catalog& catalog,
                     ranking::ExposureLedger& ledger, int64_t now) {
  std::vector<std::string> people;
  people.reserve(static_cast<size_t>(response.experts_size()));
  for (const auto& m : response.experts()) people.push_back(m.person().id());
  // Read once, under the ledger's lock, so that an erasure's Forget comes
  // wholly before or after it; released after the lock. The newest
  // snapshot also drops the counters of people erased where this process
  // did not see the DeletePerson (a follower).
  std::shared_ptr<const index::Snapshot> snap;
  ledger.RecordAndForgetAbsent(
      people, now,
      [&] {
        snap = catalog.snapshot();
        return snap->people.size();
      },
      [&](const std::string& id) { return snap->FindPerson(id) != nullptr; });
}

v1::ModelVersion ModelVersionOf(const ranking::ModelUsed& model,
                                const std::string& weights_provenance) {
  v1::ModelVersion v;
  v.set_weights(weights_provenance.empty() ? "defaults" : weights_provenance);
  if (!model.loaded) return v;
  v.set_loaded(true);
  v.set_posts(model.posts);
  v.mutable_newest_post()->set_seconds(model.newest_post);
  v.set_id(absl::StrCat("p", model.posts, "-t", model.newest_post, "/",
                        v.weights()));
  return v;
}

v1::Person PublicProfile(const v1::Person& person) {
  v1::Person p;
  p.set_id(person.id());
  p.set_display_name(person.display_name());
  p.set_title(person.title());
  p.set_department(person.department());
  p.set_site(person.site());
  p.set_country(person.country());
  *p.mutable_languages() = person.languages();
  return p;
}

void KeepPublicProfiles(v1::FindExpertsResponse* response) {
  for (auto& m : *response->mutable_experts())
    *m.mutable_person() = PublicProfile(m.person());
}

}  // namespace whoknows::api
