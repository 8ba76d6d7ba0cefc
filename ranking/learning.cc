#include "ranking/learning.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <span>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "index/data_dir.h"
#include "ranking/validate.h"

namespace whoknows::ranking {
namespace {

struct Labelled {
  std::string id, asker, solver;
  int64_t created = 0;
  // A question that is not a post (an outcome's): its text and tags; `id`
  // is then empty.
  std::string text = {};
  std::vector<std::string> tags = {};
};

// Reciprocal rank of the label under `w` (ties broken against it).
double ReciprocalRank(const TrainingExample& e, const FusionWeights& w) {
  const double s = w.Score(e.candidates[e.label]);
  int better = 0;
  for (size_t c = 0; c < e.candidates.size(); ++c) {
    if (static_cast<int>(c) != e.label && w.Score(e.candidates[c]) >= s)
      ++better;
  }
  return 1.0 / (1 + better);
}

// Questions accepted from someone else (the labels), oldest first.
std::vector<Labelled> LabelledQuestions(const index::Snapshot& snap,
                                        int64_t created_before) {
  std::vector<Labelled> labelled;
  for (const auto& [id, m] : snap.posts) {
    if (m->kind != v1::POST_KIND_ANSWER || !m->accepted || !m->is_public)
      continue;
    const index::PostMeta* q = snap.FindPost(m->thread_id);
    if (!q || q->kind != v1::POST_KIND_QUESTION || !q->is_public ||
        q->author_id == m->author_id)
      continue;
    if (created_before > 0 && q->created >= created_before) continue;
    labelled.push_back({q->id, q->author_id, m->author_id, q->created});
  }
  std::sort(labelled.begin(), labelled.end(), [](auto& a, auto& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return labelled;
}

// The outcomes as labels (LearnOptions::outcomes), oldest first: those on
// a public question post that the history does not already label with the
// same solver, and those carrying their question's text.
std::vector<Labelled> OutcomeLabels(const index::Snapshot& snap,
                                    const std::vector<v1::Outcome>& outcomes,
                                    const std::vector<Labelled>& history,
                                    int64_t created_before) {
  std::set<std::pair<std::string, std::string>> known;
  for (const Labelled& l : history) known.emplace(l.id, l.solver);
  std::vector<Labelled> out;
  for (const v1::Outcome& o : outcomes) {
    if (created_before > 0 && o.time().seconds() >= created_before) continue;
    if (o.question_post_id().empty()) {
      out.push_back({"",
                     o.asker_id(),
                     o.helper_id(),
                     o.time().seconds(),
                     o.title() + "\n" + o.body(),
                     {o.tags().begin(), o.tags().end()}});
      continue;
    }
    const index::PostMeta* q = snap.FindPost(o.question_post_id());
    if (!q || !q->is_public || q->kind != v1::POST_KIND_QUESTION ||
        q->author_id == o.helper_id() ||
        !known.emplace(q->id, o.helper_id()).second)
      continue;
    out.push_back({q->id, q->author_id, o.helper_id(), q->created});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

// Ranks each question of `fold` by the catalog as it was at the fold's first
// question, all candidates kept, and appends the examples whose solver was a
// candidate (counting the others in `missed`).
absl::Status ReplayFold(const index::Catalog& catalog,
                        const index::Snapshot& snap, const ExpertFinder& finder,
                        const ModelOptions& model_options,
                        std::span<const Labelled> fold,
                        std::vector<TrainingExample>* examples, int* missed) {
  const int64_t cutoff = fold.front().created;
  RankingContext context;
  context.snapshot = index::BuildSnapshot(snap.people, snap.posts,
                                          catalog.options().graph, cutoff);
  // "Now" is the cut-off: evidence ages as it had then.
  ModelOptions at_cutoff = model_options;
  at_cutoff.clock = index::FixedClock(cutoff);
  auto model = ExpertiseModel::Build(catalog, context.snapshot, at_cutoff);
  if (!model.ok()) return model.status();
  context.model = *model;
  context.created_before = cutoff;
  context.now = cutoff;
  context.all_candidates = true;
  std::vector<std::string> ids;
  for (const Labelled& l : fold)
    if (!l.id.empty()) ids.push_back(l.id);
  auto texts = catalog.Fetch("", ids, 0);
  if (!texts.ok()) return texts.status();
  std::unordered_map<std::string, const v1::Post*> by_id;
  for (const auto& t : *texts) by_id[t.post.id()] = &t.post;
  for (const Labelled& l : fold) {
    ExpertQuery q;
    q.asker_id = l.asker;
    if (l.id.empty()) {
      q.query = l.text;
      q.tags = l.tags;
    } else {
      auto it = by_id.find(l.id);
      if (it == by_id.end()) continue;
      q.query = it->second->title() + "\n" + it->second->body();
      q.tags.assign(it->second->tags().begin(), it->second->tags().end());
    }
    auto found = finder.Find(q, context);
    if (!found.ok()) return found.status();
    TrainingExample e;
    e.question_id = l.id;
    e.cutoff = cutoff;
    for (const auto& c : found->experts) {
      if (c.person_id == l.solver)
        e.label = static_cast<int>(e.candidates.size());
      e.candidates.push_back(c.features);
      e.people.push_back(c.person_id);
    }
    if (e.label < 0) {
      ++*missed;
      continue;
    }
    examples->push_back(std::move(e));
  }
  return absl::OkStatus();
}

// Replays `labels` (OutcomeLabels) in at most `o.folds` folds.
absl::Status ReplayOutcomes(const index::Catalog& catalog,
                            const index::Snapshot& snap,
                            const ExpertFinder& finder, const LearnOptions& o,
                            const std::vector<Labelled>& labels,
                            std::vector<TrainingExample>* examples,
                            int* missed) {
  if (labels.empty()) return absl::OkStatus();
  const size_t per_fold = (labels.size() + o.folds - 1) / o.folds;
  for (size_t begin = 0; begin < labels.size(); begin += per_fold) {
    const size_t end = std::min(labels.size(), begin + per_fold);
    WK_RETURN_IF_ERROR(ReplayFold(
        catalog, snap, finder, o.model,
        {labels.begin() + begin, labels.begin() + end}, examples, missed));
  }
  if (o.log) o.log(absl::StrCat("replayed ", labels.size(), " outcomes"));
  return absl::OkStatus();
}

}  // namespace

absl::Status LearnOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      Check(folds >= 1, "folds", ">= 1"),
      Check(example_fraction > 0 && example_fraction < 1, "example_fraction",
            "in (0, 1)"),
      Check(min_labelled_questions >= 1, "min_labelled_questions", ">= 1"),
      validate::Nested("ranking", ranking.Validate()),
      validate::Nested("model", model.Validate()),
      validate::Nested("fit", fit.Validate()),
  });
}

absl::Status ApplyLearnedWeights(const std::string& data_dir,
                                 RankingOptions* options) {
  const std::string path = index::DataDir(data_dir).fusion_weights();
  if (std::error_code ec; !std::filesystem::exists(path, ec))
    return absl::OkStatus();
  auto weights = FusionWeights::Load(path);
  if (!weights.ok()) return weights.status();
  options->weights = *weights;
  return absl::OkStatus();
}

absl::StatusOr<LearnReport> LearnFusionWeights(const index::Catalog& catalog,
                                               const LearnOptions& o) {
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  auto snap = catalog.snapshot();
  // 1. The labels: who solved which question, oldest first.
  std::vector<Labelled> labelled = LabelledQuestions(*snap, o.created_before);
  LearnReport report;
  report.labelled_questions = static_cast<int>(labelled.size());
  if (static_cast<int>(labelled.size()) < o.min_labelled_questions) {
    return absl::FailedPreconditionError(absl::StrCat(
        "learning needs at least ", o.min_labelled_questions,
        " questions with an accepted answer by someone else; the catalog "
        "has ",
        labelled.size()));
  }
  // 2. Replay the latest ones against the catalog as it was, fold by fold.
  const auto n_examples = static_cast<size_t>(
      std::ceil(static_cast<double>(labelled.size()) * o.example_fraction));
  const size_t first = labelled.size() - n_examples;
  const size_t per_fold = (n_examples + o.folds - 1) / o.folds;
  // Rank with every signal switched on so that each contributes candidates
  // and features; the weights themselves do not matter here.
  RankingOptions ranking = o.ranking;
  for (auto& w : ranking.weights.weight) {
    if (w == 0) w = 1e-9;
  }
  ExpertFinder finder(catalog, ranking);
  std::vector<TrainingExample> examples;
  for (size_t begin = first; begin < labelled.size(); begin += per_fold) {
    const size_t end = std::min(labelled.size(), begin + per_fold);
    auto status = ReplayFold(catalog, *snap, finder, o.model,
                             {labelled.begin() + begin, labelled.begin() + end},
                             &examples, &report.missed);
    if (!status.ok()) return status;
    if (o.log) {
      o.log(absl::StrCat(
          "replayed ", end - begin, " questions as of ",
          absl::FormatTime(absl::FromUnixSeconds(labelled[begin].created))));
    }
  }
  // 2b. The outcomes: extra pairs, replayed in folds of their own.
  const size_t from_history = examples.size();
  const int missed_history = report.missed;
  WK_RETURN_IF_ERROR(ReplayOutcomes(
      catalog, *snap, finder, o,
      OutcomeLabels(*snap, o.outcomes, labelled, o.created_before), &examples,
      &report.missed));
  report.outcome_examples = static_cast<int>(examples.size() - from_history);
  report.outcome_missed = report.missed - missed_history;
  // 3. Fit, and how the fit ranks the examples against the prior.
  report.examples = static_cast<int>(examples.size());
  report.fit = FitConditionalLogit(examples, o.ranking.weights, o.fit);
  for (const auto& e : examples) {
    report.mrr_prior += ReciprocalRank(e, o.ranking.weights);
    report.mrr_fitted += ReciprocalRank(e, report.fit.weights);
  }
  if (!examples.empty()) {
    report.mrr_prior /= static_cast<double>(examples.size());
    report.mrr_fitted /= static_cast<double>(examples.size());
  }
  report.replayed = std::move(examples);
  report.fit.weights.provenance = absl::StrFormat(
      "learned from %d accepted answers (%d labelled questions, latest %.0f%% "
      "replayed in %d folds)",
      report.examples, report.labelled_questions, o.example_fraction * 100,
      o.folds);
  return report;
}

}  // namespace whoknows::ranking
