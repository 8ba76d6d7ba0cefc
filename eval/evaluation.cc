#include "eval/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "importers/stackexchange.h"
#include "index/catalog.h"
#include "ranking/confidence.h"
#include "ranking/exposure.h"

namespace whoknows::eval {
namespace {

namespace fs = std::filesystem;
using ranking::ExpertFinder;
using ranking::ExpertiseModel;
using ranking::ExpertQuery;
using ranking::FusionWeights;
using ranking::kNumSignals;
using ranking::LearnFusionWeights;
using ranking::LearnOptions;
using ranking::RankingContext;
using ranking::RankingOptions;
using ranking::Signal;
using ranking::SignalName;

// The slots of the position-weighted attention: FindExperts' default limit.
constexpr size_t kAttentionSlots = 10;

struct TestQuestion {
  std::string id, asker, text, expert;
  int64_t created = 0;
  std::unordered_set<std::string> answerers;
  std::vector<std::string> tags;
  bool cold = false;  // the expert had fewer than 3 posts before the cut-off
};

// The question as whoknows is asked it: the top 100 for the metrics.
ExpertQuery QueryOf(const TestQuestion& q) {
  ExpertQuery eq;
  eq.query = q.text;
  eq.asker_id = q.asker;
  eq.tags = q.tags;
  eq.limit = 100;
  return eq;
}

// Cold start: the expert had fewer than 3 posts in `snap`.
bool IsCold(const index::Snapshot& snap, const std::string& expert) {
  auto it = snap.activity.find(expert);
  return it == snap.activity.end() ||
         it->second.questions + it->second.answers + it->second.comments +
                 it->second.articles <
             3;
}

// Adds one ranked list's scores for a question to running totals.
struct Scorer {
  explicit Scorer(std::string name) { m.name = std::move(name); }
  Metrics m;
  int n = 0, cold = 0;
  std::unordered_map<std::string, int> exposure;  // person -> times in top 3
  void Add(const std::vector<std::string>& ranked, const TestQuestion& q) {
    ++n;
    if (q.cold) ++cold;
    for (size_t i = 0; i < std::min<size_t>(3, ranked.size()); ++i)
      ++exposure[ranked[i]];
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (ranked[i] == q.expert) {
        const double rr = 1.0 / static_cast<double>(i + 1);
        m.mrr += rr;
        if (i == 0) m.p_at_1 += 1;
        if (i < 10) m.hit_at_10 += 1;
        if (q.cold) {
          m.cold_mrr += rr;
          if (i == 0) m.cold_p_at_1 += 1;
          if (i < 10) m.cold_hit_at_10 += 1;
        }
        break;
      }
    }
    double dcg = 0, ideal = 0;
    for (size_t i = 0; i < std::min<size_t>(10, ranked.size()); ++i) {
      if (q.answerers.count(ranked[i])) dcg += 1 / std::log2(i + 2.0);
    }
    for (size_t i = 0; i < std::min<size_t>(10, q.answerers.size()); ++i)
      ideal += 1 / std::log2(i + 2.0);
    if (ideal > 0) m.ndcg_at_10 += dcg / ideal;
  }
  // `population`: everyone who could be suggested.
  Metrics Done(const std::vector<std::string>& population) const {
    Metrics r = m;
    r.questions = n;
    r.cold_questions = cold;
    if (n > 0) {
      r.mrr /= n;
      r.p_at_1 /= n;
      r.hit_at_10 /= n;
      r.ndcg_at_10 /= n;
    }
    if (cold > 0) {
      r.cold_mrr /= cold;
      r.cold_p_at_1 /= cold;
      r.cold_hit_at_10 /= cold;
    }
    r.exposure_gini = Gini(population);
    return r;
  }
  double Gini(const std::vector<std::string>& population) const {
    return eval::Gini(Counts(population));
  }
  // Top-3 slots of each person of `population`, then of anyone else
  // suggested.
  std::vector<double> Counts(const std::vector<std::string>& population) const {
    std::vector<double> x;
    for (const auto& p : population) {
      auto it = exposure.find(p);
      x.push_back(it == exposure.end() ? 0 : it->second);
    }
    for (const auto& [p, c] : exposure) {
      if (std::find(population.begin(), population.end(), p) ==
          population.end())
        x.push_back(c);
    }
    return x;
  }
};

std::vector<std::string> TopIds(
    const std::unordered_map<std::string, double>& scores, size_t k) {
  std::vector<std::pair<std::string, double>> v(scores.begin(), scores.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> ids;
  for (size_t i = 0; i < std::min(k, v.size()); ++i) ids.push_back(v[i].first);
  return ids;
}

// The people whoknows found, best first.
std::vector<std::string> PersonIds(const ranking::FindResult& found) {
  std::vector<std::string> ids;
  for (const auto& e : found.experts) ids.push_back(e.person_id);
  return ids;
}

// `expert`'s rank in `ranked`, from 1; 0 when absent.
int RankOf(const std::vector<std::string>& ranked, const std::string& expert) {
  auto at = std::find(ranked.begin(), ranked.end(), expert);
  return at == ranked.end() ? 0 : static_cast<int>(at - ranked.begin()) + 1;
}

// Answers each person had written in `snap`: the popularity baseline's score.
std::unordered_map<std::string, double> AnswerCounts(
    const index::Snapshot& snap) {
  std::unordered_map<std::string, double> answers;
  for (const auto& [person, a] : snap.activity) answers[person] = a.answers;
  answers.erase(importers::kDeletedAccountId);  // never a candidate
  return answers;
}

// The popularity baseline's top 100 for a question: the people with the most
// answers, the asker aside.
std::vector<std::string> MostPopular(
    std::unordered_map<std::string, double> answers, const std::string& asker) {
  answers.erase(asker);
  return TopIds(answers, 100);
}

// Latency as the API sees it: the default limit of 10 (paths and evidence for
// 10 people, not the 100 ranked for the metrics), and of the raw Xapian
// search under it (the same expanded query, the same depth, nothing else).
// The two alternate, `raw_first` or not, so that machine noise hits both
// alike. Appends milliseconds.
struct Latencies {
  std::vector<double> find_ms, raw_ms;
  ranking::StageTimes stage_sum;  // of the timed Finds
};

absl::Status TimeApiQuery(const index::Catalog& catalog,
                          const ExpertFinder& finder, ExpertQuery query,
                          const RankingContext& context, bool raw_first,
                          Latencies& latencies) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start)
        .count();
  };
  query.limit = 10;
  const index::SearchOptions search =
      RetrievalOptions(finder.options(), query, context);
  auto raw = [&]() -> absl::Status {
    const auto start = Clock::now();
    auto size = catalog.SearchOnly(search);
    latencies.raw_ms.push_back(ms_since(start));
    return size.status();
  };
  if (raw_first) WK_RETURN_IF_ERROR(raw());
  const auto start = Clock::now();
  auto timed = finder.Find(query, context);
  latencies.find_ms.push_back(ms_since(start));
  WK_RETURN_IF_ERROR(timed.status());
  latencies.stage_sum += timed->stage_ms;
  return raw_first ? absl::OkStatus() : raw();
}

// Bins the first suggestions by confidence (EvalReport::calibration).
void SetCalibration(const std::vector<std::pair<double, bool>>& tops,
                    EvalReport& report) {
  const double edges[] = {0, 0.1, 0.2, 0.4, 0.6, 1.0000001};
  report.calibration.clear();
  for (size_t b = 0; b + 1 < std::size(edges); ++b)
    report.calibration.push_back({.low = edges[b], .high = edges[b + 1]});
  double sum = 0;
  for (const auto& [confidence, right] : tops) {
    sum += confidence;
    for (auto& bin : report.calibration) {
      if (confidence < bin.low || confidence >= bin.high) continue;
      ++bin.questions;
      bin.mean_confidence += confidence;
      bin.right += right ? 1 : 0;
    }
  }
  for (auto& bin : report.calibration) {
    if (bin.questions == 0) continue;
    bin.mean_confidence /= bin.questions;
    bin.right /= bin.questions;
  }
  if (!tops.empty()) report.mean_top_confidence = sum / tops.size();
}

// Sets the report's p50 and p99 of both (neither empty).
void SetLatencyPercentiles(Latencies latencies, EvalReport& report) {
  auto percentiles = [](std::vector<double>& ms, double& p50, double& p99) {
    std::sort(ms.begin(), ms.end());
    const size_t n = ms.size();
    p50 = ms[n / 2];
    p99 = ms[std::min(n - 1, static_cast<size_t>(n * 0.99))];
  };
  percentiles(latencies.find_ms, report.query_p50_ms, report.query_p99_ms);
  percentiles(latencies.raw_ms, report.raw_p50_ms, report.raw_p99_ms);
  const double n = static_cast<double>(latencies.find_ms.size());
  report.stage_mean_ms = latencies.stage_sum;
  report.stage_mean_ms /= n;
}

// What the protocol needs of the whole dump: every question, and per
// question id the authors of its answers and whether each was accepted.
struct DumpQuestions {
  struct Question {
    std::string asker, text;
    int64_t created;
    std::vector<std::string> tags;
  };
  std::unordered_map<std::string, Question> questions;
  std::unordered_map<std::string, std::vector<std::pair<std::string, bool>>>
      answers;
};

absl::StatusOr<DumpQuestions> ReadDumpQuestions(const std::string& dump_dir) {
  DumpQuestions dump;
  const auto answer = [&](const v1::Post& p) {
    if (p.kind() == v1::POST_KIND_ANSWER)
      dump.answers[p.parent_id()].emplace_back(p.author_id(), p.accepted());
    return absl::OkStatus();
  };
  importers::StackExchangeSink collect{
      [](v1::Person) { return absl::OkStatus(); },
      [&](v1::Post p) {
        if (p.kind() == v1::POST_KIND_QUESTION) {
          dump.questions[p.id()] = {p.author_id(),
                                    p.title() + "\n" + p.body(),
                                    p.created().seconds(),
                                    {p.tags().begin(), p.tags().end()}};
        }
        return answer(p);
      },
      /*author=*/nullptr,
      // An answer with no text (only an image) is still the accepted answer
      // of its question: the protocol counts it.
      answer};
  auto read = importers::ReadStackExchange(dump_dir, {}, collect);
  if (!read.ok()) return read.status();
  return dump;
}

// The protocol's question list: questions whose accepted answer was written
// by someone other than the asker, oldest first; every answerer but the
// asker is relevant. The expert is a user of the dump: a question whose
// accepted answer is a deleted account's is left out (the asker may be one).
std::vector<TestQuestion> AnsweredByOthers(const DumpQuestions& dump) {
  std::vector<TestQuestion> answered;
  for (const auto& [id, q] : dump.questions) {
    auto it = dump.answers.find(id);
    if (it == dump.answers.end()) continue;
    TestQuestion t{id, q.asker, q.text, "", q.created, {}, q.tags};
    for (const auto& [author, accepted] : it->second) {
      if (author == q.asker) continue;
      t.answerers.insert(author);
      if (accepted && importers::IsDumpUserId(author)) t.expert = author;
    }
    if (!t.expert.empty()) answered.push_back(std::move(t));
  }
  std::sort(answered.begin(), answered.end(), [](auto& a, auto& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return answered;
}

// One run of the protocol. The stages, called in order by
// EvaluateStackExchange, share the test questions, the training catalog, what
// the engine learned from it and the report being filled.
class Evaluation {
 public:
  explicit Evaluation(const EvalOptions& options) : o_(options) {
    report_.default_weights = o_.ranking.weights;
    report_.learned_weights = o_.ranking.weights;
  }

  absl::Status HoldOutTestQuestions();
  absl::Status IngestBeforeCutoff();
  absl::Status ReadTrainingRows();
  absl::Status LearnWeightsBeforeCutoff();
  absl::Status RankWithDefaultWeights();
  absl::Status WriteFeaturesTsv();
  absl::Status WriteHistoryTsv(
      const std::vector<ranking::TrainingExample>& examples) const;
  absl::Status RankWithLearnedWeights();
  absl::Status RankAblation();
  absl::Status RankBaselines();
  absl::Status RankRollingWindows();
  absl::Status ReplayExposure();
  // One shape's figures; `attention`: position-weighted exposure by person.
  ExposureReplayRow ReplayRow(
      const ranking::ExposureShape& shape, const Scorer& scorer,
      std::unordered_map<std::string, double> attention) const;
  EvalReport TakeReport() { return std::move(report_); }

 private:
  void Log(const std::string& line) const {
    if (o_.log) o_.log(line);
  }
  // Imports the dump's rows created before `created_before` into the catalog
  // (again: rows already there are replaced) and publishes them.
  absl::StatusOr<importers::ImportStats> ImportBefore(int64_t created_before);
  // The catalog's current snapshot and an expertise model built on it, with
  // "now" at the cut-off of the last import, so that a historic dump is not
  // decayed away by today's clock.
  absl::StatusOr<RankingContext> ContextNow() const;
  // Ranks the test questions with `weights`. `latencies`, when given,
  // receives each query's latency; `ranks` the expert's rank per question
  // (0: not in the top 100); `top_confidence` the first suggestion's
  // confidence and whether it was right, per question.
  absl::StatusOr<Metrics> RankTests(
      const std::string& name, const FusionWeights& weights,
      Latencies* latencies = nullptr,
      std::unordered_map<std::string, int>* ranks = nullptr,
      std::vector<std::pair<double, bool>>* top_confidence = nullptr) const;
  absl::Status WriteFeatures(std::FILE* f) const;
  // BM25 voting (Model 2): each answer among the top 1000 posts for the
  // question gives its weight to its author; `count` is the number of votes.
  struct Votes {
    std::unordered_map<std::string, double> sum, count;
  };
  absl::StatusOr<Votes> Vote(const TestQuestion& q) const;
  // Re-imports up to the first question of `window` and ranks the window's
  // questions on what existed then; `answered` gathers everyone who had
  // answered.
  absl::Status RankWindow(std::span<const TestQuestion> window, Scorer& ours,
                          Scorer& popularity,
                          std::unordered_set<std::string>& answered);

  const EvalOptions& o_;
  std::vector<TestQuestion> tests_;  // oldest first
  std::unique_ptr<index::Catalog> catalog_;
  RankingContext context_;       // the training rows and their model
  int64_t imported_before_ = 0;  // ImportBefore's last cut-off (unix s)
  // Everyone who could be suggested: people who answered before the cut-off.
  std::vector<std::string> population_;
  std::unordered_map<std::string, int> default_ranks_;  // see RankTests
  EvalReport report_;
};

absl::Status Evaluation::HoldOutTestQuestions() {
  WK_ASSIGN_OR_RETURN(const DumpQuestions dump, ReadDumpQuestions(o_.dump_dir));
  std::vector<TestQuestion> candidates = AnsweredByOthers(dump);
  if (o_.window_end <= 0 || o_.window_end > 1)
    return absl::InvalidArgumentError("window_end: must be in (0, 1]");
  candidates.resize(static_cast<size_t>(
      std::ceil(static_cast<double>(candidates.size()) * o_.window_end)));
  const size_t n_test = static_cast<size_t>(
      std::ceil(static_cast<double>(candidates.size()) * o_.test_fraction));
  if (n_test == 0)
    return absl::FailedPreconditionError("no test questions in the dump");
  tests_.assign(candidates.end() - static_cast<long>(n_test), candidates.end());
  report_.test_questions = static_cast<int>(tests_.size());
  report_.cutoff = tests_.front().created;
  Log(absl::StrCat(candidates.size(),
                   " questions with an accepted answer by another user; ",
                   tests_.size(), " held out"));
  return absl::OkStatus();
}

absl::StatusOr<importers::ImportStats> Evaluation::ImportBefore(
    int64_t created_before) {
  importers::ImportOptions options;
  options.created_before = created_before;
  options.batch_size = 5000;
  auto imported =
      importers::ImportStackExchange(o_.dump_dir, *catalog_, options);
  if (!imported.ok()) return imported.status();
  catalog_->Refresh();
  imported_before_ = created_before;
  return imported;
}

absl::StatusOr<RankingContext> Evaluation::ContextNow() const {
  RankingContext context;
  context.snapshot = catalog_->snapshot();
  context.now = imported_before_;
  ranking::ModelOptions model = o_.model;
  model.clock = index::FixedClock(imported_before_);
  WK_ASSIGN_OR_RETURN(
      context.model, ExpertiseModel::Build(*catalog_, context.snapshot, model));
  return context;
}

absl::Status Evaluation::IngestBeforeCutoff() {
  std::error_code ec;
  fs::remove_all(o_.work_dir, ec);
  index::CatalogOptions options;
  options.data_dir = o_.work_dir;
  options.refresh_interval = std::chrono::milliseconds(0);
  WK_ASSIGN_OR_RETURN(catalog_, index::Catalog::Open(options));
  const auto start = std::chrono::steady_clock::now();
  WK_ASSIGN_OR_RETURN(const importers::ImportStats imported,
                      ImportBefore(report_.cutoff));
  report_.seconds_import =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  Log(absl::StrCat("ingested ", imported.people + imported.minimal_people,
                   " people (", imported.minimal_people,
                   " known only from their posts) and ", imported.posts,
                   " posts in ",
                   absl::StrFormat("%.1f", report_.seconds_import), " s"));
  return absl::OkStatus();
}

absl::Status Evaluation::ReadTrainingRows() {
  WK_ASSIGN_OR_RETURN(context_, ContextNow());
  for (const auto& [person, a] : context_.snapshot->activity) {
    if (a.answers > 0) population_.push_back(person);
  }
  for (auto& q : tests_) {
    q.cold = IsCold(*context_.snapshot, q.expert);
    report_.cold_start_questions += q.cold;
  }
  return absl::OkStatus();
}

absl::Status Evaluation::LearnWeightsBeforeCutoff() {
  LearnOptions options = o_.learning;
  options.ranking = o_.ranking;
  options.model = o_.model;
  options.log = o_.log;
  auto learned = LearnFusionWeights(*catalog_, options);
  if (!learned.ok()) return learned.status();
  report_.learned_weights = learned->fit.weights;
  report_.learned_examples = learned->examples;
  if (!o_.features_tsv.empty())
    WK_RETURN_IF_ERROR(WriteHistoryTsv(learned->replayed));
  Log(absl::StrFormat(
      "learned from %d examples (%d missed): in-sample MRR %.3f -> %.3f",
      learned->examples, learned->missed, learned->mrr_prior,
      learned->mrr_fitted));
  return absl::OkStatus();
}

absl::StatusOr<Metrics> Evaluation::RankTests(
    const std::string& name, const FusionWeights& weights, Latencies* latencies,
    std::unordered_map<std::string, int>* ranks,
    std::vector<std::pair<double, bool>>* top_confidence) const {
  RankingOptions options = o_.ranking;
  options.weights = weights;
  ExpertFinder finder(*catalog_, options);
  Scorer scorer(name);
  for (const auto& q : tests_) {
    const ExpertQuery query = QueryOf(q);
    WK_ASSIGN_OR_RETURN(const auto found, finder.Find(query, context_));
    if (latencies) {
      const bool raw_first = latencies->find_ms.size() % 2 == 1;
      WK_RETURN_IF_ERROR(TimeApiQuery(*catalog_, finder, query, context_,
                                      raw_first, *latencies));
    }
    const std::vector<std::string> ranked = PersonIds(found);
    scorer.Add(ranked, q);
    if (ranks) (*ranks)[q.id] = RankOf(ranked, q.expert);
    if (top_confidence && !found.experts.empty()) {
      const auto& top = found.experts.front();
      top_confidence->emplace_back(
          ranking::Confidence(top, {.text_floor = options.text_floor}),
          top.person_id == q.expert);
    }
  }
  return scorer.Done(population_);
}

absl::Status Evaluation::RankWithDefaultWeights() {
  Latencies latencies;
  std::vector<std::pair<double, bool>> top_confidence;
  WK_ASSIGN_OR_RETURN(
      Metrics ours, RankTests("whoknows (default weights)", o_.ranking.weights,
                              &latencies, &default_ranks_, &top_confidence));
  report_.rows.push_back(std::move(ours));
  SetLatencyPercentiles(std::move(latencies), report_);
  SetCalibration(top_confidence, report_);
  return absl::OkStatus();
}

// The replayed history's examples (what `learn` fits on) beside the test
// questions' features: "features.beer.tsv" -> "features.beer.history.tsv".
absl::Status Evaluation::WriteHistoryTsv(
    const std::vector<ranking::TrainingExample>& examples) const {
  const fs::path p(o_.features_tsv);
  const std::string path = (p.parent_path() / (p.stem().string() + ".history" +
                                               p.extension().string()))
                               .string();
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return absl::UnavailableError("cannot write " + path);
  std::fprintf(f, "example\tlabel\tquestion\tperson\tcutoff");
  for (int i = 0; i < kNumSignals; ++i)
    std::fprintf(f, "\t%s", SignalName(static_cast<Signal>(i)));
  std::fprintf(f, "\n");
  for (size_t e = 0; e < examples.size(); ++e) {
    for (size_t c = 0; c < examples[e].candidates.size(); ++c) {
      std::fprintf(
          f, "%zu\t%d\t%s\t%s\t%lld", e,
          examples[e].label == static_cast<int>(c),
          examples[e].question_id.c_str(),
          c < examples[e].people.size() ? examples[e].people[c].c_str() : "",
          static_cast<long long>(examples[e].cutoff));
      for (double x : examples[e].candidates[c]) std::fprintf(f, "\t%.6g", x);
      std::fprintf(f, "\n");
    }
  }
  std::fclose(f);
  return absl::OkStatus();
}

absl::Status Evaluation::WriteFeaturesTsv() {
  std::FILE* f = std::fopen(o_.features_tsv.c_str(), "w");
  if (!f) return absl::UnavailableError("cannot write " + o_.features_tsv);
  const absl::Status written = WriteFeatures(f);
  std::fclose(f);
  return written;
}

absl::Status Evaluation::WriteFeatures(std::FILE* f) const {
  // Every signal computed: a weight of 0 would skip its feature.
  RankingOptions options = o_.ranking;
  for (auto& w : options.weights.weight) {
    if (w == 0) w = 1e-9;
  }
  ExpertFinder finder(*catalog_, options);
  RankingContext all = context_;
  all.all_candidates = true;
  std::fprintf(f, "question\tperson\texpert\tanswered\tcold\texpert_rank");
  for (int i = 0; i < kNumSignals; ++i)
    std::fprintf(f, "\t%s", SignalName(static_cast<Signal>(i)));
  std::fprintf(f, "\n");
  for (const auto& q : tests_) {
    // Every candidate: all_candidates ignores the limit.
    WK_ASSIGN_OR_RETURN(const auto found, finder.Find(QueryOf(q), all));
    for (const auto& e : found.experts) {
      std::fprintf(f, "%s\t%s\t%d\t%d\t%d\t%d", q.id.c_str(),
                   e.person_id.c_str(), e.person_id == q.expert,
                   static_cast<int>(q.answerers.count(e.person_id)), q.cold,
                   default_ranks_.at(q.id));
      for (double x : e.features) std::fprintf(f, "\t%.6g", x);
      std::fprintf(f, "\n");
    }
  }
  return absl::OkStatus();
}

absl::Status Evaluation::RankWithLearnedWeights() {
  WK_ASSIGN_OR_RETURN(Metrics learned,
                      RankTests("whoknows (weights learned before cut-off)",
                                report_.learned_weights));
  report_.rows.push_back(std::move(learned));
  return absl::OkStatus();
}

// Each signal removed in turn; signals the defaults leave at 0 are added at
// weight 0.5 instead, to show what they would do.
absl::Status Evaluation::RankAblation() {
  for (int i = 0; i < kNumSignals; ++i) {
    FusionWeights changed = o_.ranking.weights;
    const bool on = changed.weight[i] != 0;
    changed.weight[i] = on ? 0 : 0.5;
    WK_ASSIGN_OR_RETURN(
        Metrics m, RankTests(absl::StrCat(on ? "without " : "with ",
                                          SignalName(static_cast<Signal>(i)),
                                          on ? "" : " (weight 0.5)"),
                             changed));
    report_.ablation.push_back(std::move(m));
  }
  return absl::OkStatus();
}

absl::StatusOr<Evaluation::Votes> Evaluation::Vote(
    const TestQuestion& q) const {
  index::SearchOptions search;
  search.query = q.text;
  search.max_posts = 1000;
  WK_ASSIGN_OR_RETURN(const auto hits, catalog_->Search(search));
  Votes votes;
  for (const auto& h : hits.hits) {
    const index::PostMeta* m = context_.snapshot->FindPost(h.post_id);
    if (!m || m->kind != v1::POST_KIND_ANSWER || m->author_id == q.asker ||
        m->author_id == importers::kDeletedAccountId)
      continue;
    votes.sum[m->author_id] += h.weight;
    votes.count[m->author_id] += 1;
  }
  return votes;
}

absl::Status Evaluation::RankBaselines() {
  Scorer popularity("popularity (answers before cut-off)"),
      combsum("BM25 voting, CombSUM top 1000 (Model 2)"), combmnz("CombMNZ"),
      combsum_log("CombSUM x log(2 + answers)");
  // Not const, as before the split: `popular[p]` below adds an author with
  // no public post at 0 answers, and later popularity rankings see them.
  auto popular = AnswerCounts(*context_.snapshot);
  for (const auto& q : tests_) {
    popularity.Add(MostPopular(popular, q.asker), q);
    WK_ASSIGN_OR_RETURN(Votes votes, Vote(q));
    auto mnz = votes.sum, logged = votes.sum;
    for (auto& [p, s] : mnz) s *= votes.count[p];
    for (auto& [p, s] : logged) s *= std::log(2.0 + popular[p]);
    combsum.Add(TopIds(votes.sum, 100), q);
    combmnz.Add(TopIds(mnz, 100), q);
    combsum_log.Add(TopIds(logged, 100), q);
  }
  for (auto* s : {&popularity, &combsum, &combmnz, &combsum_log})
    report_.rows.push_back(s->Done(population_));
  return absl::OkStatus();
}

// The test questions in time order, as a server with an exposure budget of
// each shape answers them: each question's top slots go into the ledger at its
// time, before the next question is ranked.
absl::Status Evaluation::ReplayExposure() {
  report_.exposure_slots = o_.exposure_slots;
  Log(absl::StrCat("exposure replay: ", tests_.size(), " questions, ",
                   population_.size(), " people answered before the cut-off"));
  for (const ranking::ExposureShape& shape : o_.exposure_replay) {
    RankingOptions options = o_.ranking;
    options.exposure_weight = shape.weight;
    options.exposure_free_shares = shape.free_shares;
    options.exposure_cap = shape.cap;
    ranking::ExposureLedger ledger(
        {.window_days = options.exposure_window_days});
    ExpertFinder finder(*catalog_, options);
    RankingContext context = context_;
    context.exposure = &ledger;
    Scorer scorer(absl::StrFormat("exposure weight %.2f", shape.weight));
    std::unordered_map<std::string, double> attention;
    for (const auto& q : tests_) {
      context.exposure_now = q.created;
      WK_ASSIGN_OR_RETURN(const auto found, finder.Find(QueryOf(q), context));
      std::vector<std::string> ranked = PersonIds(found);
      scorer.Add(ranked, q);
      for (size_t i = 0; i < std::min<size_t>(kAttentionSlots, ranked.size());
           ++i)
        attention[ranked[i]] += PositionWeight(static_cast<int>(i) + 1);
      ranked.resize(
          std::min(ranked.size(), static_cast<size_t>(o_.exposure_slots)));
      ledger.Record(ranked, q.created);
    }
    ExposureReplayRow row = ReplayRow(shape, scorer, std::move(attention));
    Log(absl::StrFormat(
        "exposure replay, weight %.2f free %.2f cap %.2f: MRR %.3f, "
        "attention Gini %.3f",
        shape.weight, shape.free_shares, shape.cap, row.metrics.mrr,
        row.attention_gini));
    report_.exposure_replay.push_back(std::move(row));
  }
  return absl::OkStatus();
}

ExposureReplayRow Evaluation::ReplayRow(
    const ranking::ExposureShape& shape, const Scorer& scorer,
    std::unordered_map<std::string, double> attention) const {
  ExposureReplayRow row;
  row.shape = shape;
  row.metrics = scorer.Done(population_);
  row.slots = scorer.Counts(population_);
  row.top1_share = TopShare(row.slots, 0.01);
  row.suggested_gini = SuggestedGini(row.slots);
  row.attention.reserve(population_.size());
  for (const auto& p : population_) {
    auto it = attention.find(p);
    if (it == attention.end()) {
      row.attention.push_back(0);
    } else {
      row.attention.push_back(it->second);
      attention.erase(it);
    }
  }
  for (const auto& [p, a] : attention) row.attention_outside += a;
  row.attention_gini = Gini(row.attention);
  row.attention_top1_share = TopShare(row.attention, 0.01);
  return row;
}

absl::Status Evaluation::RankRollingWindows() {
  Scorer ours("whoknows, fed as posts arrive"),
      popularity("popularity, fed as posts arrive");
  std::unordered_set<std::string> answered;  // population over all windows
  const int64_t window = int64_t{o_.rolling_days} * 86400;
  const std::span<const TestQuestion> tests(tests_);
  for (size_t begin = 0; begin < tests.size();) {
    const int64_t start = tests[begin].created;
    size_t end = begin;
    while (end < tests.size() && tests[end].created < start + window) ++end;
    WK_RETURN_IF_ERROR(RankWindow(tests.subspan(begin, end - begin), ours,
                                  popularity, answered));
    ++report_.rolling_windows;
    begin = end;
  }
  const std::vector<std::string> everyone(answered.begin(), answered.end());
  report_.rolling.push_back(ours.Done(everyone));
  report_.rolling.push_back(popularity.Done(everyone));
  report_.rolling_days = o_.rolling_days;
  Log(absl::StrCat("re-imported and ranked ", report_.rolling_windows,
                   " windows of ", o_.rolling_days, " days"));
  return absl::OkStatus();
}

absl::Status Evaluation::RankWindow(std::span<const TestQuestion> window,
                                    Scorer& ours, Scorer& popularity,
                                    std::unordered_set<std::string>& answered) {
  WK_RETURN_IF_ERROR(ImportBefore(window.front().created).status());
  WK_ASSIGN_OR_RETURN(const RankingContext now, ContextNow());
  const auto popular = AnswerCounts(*now.snapshot);
  for (const auto& [person, a] : now.snapshot->activity) {
    if (a.answers > 0) answered.insert(person);
  }
  ExpertFinder finder(*catalog_, o_.ranking);
  for (TestQuestion q : window) {
    q.cold = IsCold(*now.snapshot, q.expert);
    WK_ASSIGN_OR_RETURN(const auto found, finder.Find(QueryOf(q), now));
    ours.Add(PersonIds(found), q);
    popularity.Add(MostPopular(popular, q.asker), q);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvalReport> EvaluateStackExchange(const EvalOptions& options) {
  if (options.work_dir.empty())
    return absl::InvalidArgumentError("work_dir: required");
  if (options.test_fraction <= 0 || options.test_fraction >= 1)
    return absl::InvalidArgumentError("test_fraction: must be in (0, 1)");
  if (auto s = options.ranking.Validate(); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("ranking.", s.message()));
  if (auto s = options.model.Validate(); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("model.", s.message()));
  Evaluation run(options);
  // 1. Read the whole dump once and hold out the last questions by time
  //    (within the first `window_end` of them): the cut-off is the first.
  WK_RETURN_IF_ERROR(run.HoldOutTestQuestions());
  // 2. Build the training catalog: what existed before the cut-off.
  WK_RETURN_IF_ERROR(run.IngestBeforeCutoff());
  // 3. The training rows as the engine sees them (snapshot and model), who
  //    could be suggested, and which test questions are cold-start.
  WK_RETURN_IF_ERROR(run.ReadTrainingRows());
  // 4. Learn fusion weights from the history before the cut-off.
  if (options.learn) WK_RETURN_IF_ERROR(run.LearnWeightsBeforeCutoff());
  // 5. Rank the test questions with whoknows' default weights, timing each
  //    query as the API would run it.
  WK_RETURN_IF_ERROR(run.RankWithDefaultWeights());
  // 6. Every candidate's features for every test question, for analysis.
  if (!options.features_tsv.empty()) WK_RETURN_IF_ERROR(run.WriteFeaturesTsv());
  // 7. Rank again with the learned weights.
  if (options.learn) WK_RETURN_IF_ERROR(run.RankWithLearnedWeights());
  // 8. The ablation: each signal removed (or added) in turn.
  WK_RETURN_IF_ERROR(run.RankAblation());
  // 9. The baselines over the same index: popularity, CombSUM, CombMNZ and
  //    CombSUM x log(2 + answers).
  WK_RETURN_IF_ERROR(run.RankBaselines());
  // 10. Fed as posts arrive: re-import before each window of test questions.
  if (options.rolling_days > 0) WK_RETURN_IF_ERROR(run.RankRollingWindows());
  // 11. The exposure replay: the test period in time order, fed into an
  //     exposure ledger, at each weight asked for.
  if (!options.exposure_replay.empty())
    WK_RETURN_IF_ERROR(run.ReplayExposure());
  return run.TakeReport();
}

namespace {

// "beer" for ".../beer.stackexchange.com/".
std::string CommunityName(const std::string& dump_dir) {
  std::string name = fs::path(dump_dir).lexically_normal().filename().string();
  if (name.empty())
    name =
        fs::path(dump_dir).lexically_normal().parent_path().filename().string();
  const std::string suffix = ".stackexchange.com";
  if (name.size() > suffix.size() && name.ends_with(suffix))
    name.resize(name.size() - suffix.size());
  return name;
}

// "features.tsv" -> "features.beer.tsv".
std::string WithCommunity(const std::string& path, const std::string& name) {
  fs::path p(path);
  return (p.parent_path() /
          (p.stem().string() + "." + name + p.extension().string()))
      .string();
}

}  // namespace

double Gini(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  double sum = 0, weighted = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sum += x[i];
    weighted += static_cast<double>(i + 1) * x[i];
  }
  const auto k = static_cast<double>(x.size());
  if (sum <= 0 || k == 0) return 0;
  return (2 * weighted) / (k * sum) - (k + 1) / k;
}

double PositionWeight(int rank) {
  return 1 / std::log2(1.0 + static_cast<double>(rank));
}

double SuggestedGini(const std::vector<double>& slots) {
  std::vector<double> suggested;
  for (double x : slots)
    if (x > 0) suggested.push_back(x);
  return Gini(std::move(suggested));
}

double TopShare(std::vector<double> x, double fraction) {
  const auto top = std::min(
      x.size(),
      static_cast<size_t>(std::ceil(fraction * static_cast<double>(x.size()))));
  std::sort(x.begin(), x.end(), std::greater<>());
  double sum = 0, held = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sum += x[i];
    if (i < top) held += x[i];
  }
  return sum > 0 ? held / sum : 0;
}

namespace {

// The exposure replay pooled by weight: means over every question, the
// Gini and top-1% share over every community's people together.
std::vector<ExposureReplayRow> PoolExposureReplay(
    const std::vector<CommunityReport>& communities) {
  std::vector<ExposureReplayRow> pooled;
  const auto& first = communities.front().report.exposure_replay;
  for (size_t i = 0; i < first.size(); ++i) {
    ExposureReplayRow row;
    row.shape = first[i].shape;
    std::vector<Metrics> parts;
    for (const auto& c : communities) {
      if (i >= c.report.exposure_replay.size()) return {};
      const ExposureReplayRow& r = c.report.exposure_replay[i];
      parts.push_back(r.metrics);
      row.slots.insert(row.slots.end(), r.slots.begin(), r.slots.end());
      row.attention.insert(row.attention.end(), r.attention.begin(),
                           r.attention.end());
      row.attention_outside += r.attention_outside;
    }
    row.metrics = PoolMetrics(parts);
    row.metrics.exposure_gini = Gini(row.slots);
    row.top1_share = TopShare(row.slots, 0.01);
    row.suggested_gini = SuggestedGini(row.slots);
    row.attention_gini = Gini(row.attention);
    row.attention_top1_share = TopShare(row.attention, 0.01);
    pooled.push_back(std::move(row));
  }
  return pooled;
}

std::string FormatExposureReplay(const std::string& label,
                                 const std::vector<ExposureReplayRow>& rows) {
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ExposureReplayRow& r = rows[i];
    out += absl::StrFormat(
        "%-20s %6.2f %5.2f %5.2f %6.3f %6.3f %7.3f | %6.3f %6.3f %6.3f | "
        "%6.3f %6.3f\n",
        i == 0 ? label : "", r.shape.weight, r.shape.free_shares, r.shape.cap,
        r.metrics.mrr, r.metrics.p_at_1, r.metrics.hit_at_10,
        r.metrics.exposure_gini, r.suggested_gini, r.top1_share,
        r.attention_gini, r.attention_top1_share);
  }
  return out;
}

std::string ExposureReplayHeader() {
  return absl::StrFormat(
      "%-20s %6s %5s %5s %6s %6s %7s | %-20s | %-13s\n"
      "%-20s %6s %5s %5s %6s %6s %7s | %6s %6s %6s | %6s %6s\n",
      "", "", "", "", "", "", "", "top-3 slots", "top-10 attn", "community",
      "weight", "free", "cap", "MRR", "P@1", "Hit@10", "Gini", "Gini>0",
      "top-1%", "Gini", "top-1%");
}

}  // namespace

Metrics PoolMetrics(const std::vector<Metrics>& parts) {
  Metrics pooled;
  if (!parts.empty()) pooled.name = parts.front().name;
  for (const Metrics& m : parts) {
    pooled.questions += m.questions;
    pooled.cold_questions += m.cold_questions;
    pooled.mrr += m.mrr * m.questions;
    pooled.p_at_1 += m.p_at_1 * m.questions;
    pooled.hit_at_10 += m.hit_at_10 * m.questions;
    pooled.ndcg_at_10 += m.ndcg_at_10 * m.questions;
    pooled.cold_mrr += m.cold_mrr * m.cold_questions;
    pooled.cold_p_at_1 += m.cold_p_at_1 * m.cold_questions;
    pooled.cold_hit_at_10 += m.cold_hit_at_10 * m.cold_questions;
  }
  if (pooled.questions > 0) {
    for (double* x :
         {&pooled.mrr, &pooled.p_at_1, &pooled.hit_at_10, &pooled.ndcg_at_10})
      *x /= pooled.questions;
  }
  if (pooled.cold_questions > 0) {
    for (double* x :
         {&pooled.cold_mrr, &pooled.cold_p_at_1, &pooled.cold_hit_at_10})
      *x /= pooled.cold_questions;
  }
  return pooled;
}

namespace {

// Merges the communities' confidence bins into the pool's.
void PoolCalibration(PoolReport& pool) {
  for (const auto& c : pool.communities) {
    const EvalReport& r = c.report;
    pool.mean_top_confidence += r.mean_top_confidence * r.test_questions;
    if (pool.calibration.empty()) {
      pool.calibration = r.calibration;
      for (auto& bin : pool.calibration)
        bin = {.low = bin.low, .high = bin.high};
    }
    for (size_t b = 0; b < r.calibration.size() && b < pool.calibration.size();
         ++b) {
      const auto& from = r.calibration[b];
      auto& to = pool.calibration[b];
      to.questions += from.questions;
      to.mean_confidence += from.mean_confidence * from.questions;
      to.right += from.right * from.questions;
    }
  }
  for (auto& bin : pool.calibration) {
    if (bin.questions == 0) continue;
    bin.mean_confidence /= bin.questions;
    bin.right /= bin.questions;
  }
  if (pool.test_questions > 0) pool.mean_top_confidence /= pool.test_questions;
}

}  // namespace

absl::StatusOr<PoolReport> EvaluateStackExchangePool(
    const std::vector<std::string>& dump_dirs, const EvalOptions& options) {
  if (dump_dirs.empty())
    return absl::InvalidArgumentError("dump_dirs: at least one dump");
  PoolReport pool;
  std::unordered_set<std::string> names;
  for (const std::string& dir : dump_dirs) {
    CommunityReport community{CommunityName(dir), {}};
    if (!names.insert(community.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("dump_dirs: two dumps named \"", community.name, "\""));
    }
    EvalOptions one = options;
    one.dump_dir = dir;
    one.work_dir = (fs::path(options.work_dir) / community.name).string();
    if (!options.features_tsv.empty())
      one.features_tsv = WithCommunity(options.features_tsv, community.name);
    if (options.log) options.log("== " + community.name);
    auto report = EvaluateStackExchange(one);
    if (!report.ok()) {
      return absl::Status(report.status().code(),
                          absl::StrCat(dir, ": ", report.status().message()));
    }
    community.report = *std::move(report);
    pool.test_questions += community.report.test_questions;
    pool.communities.push_back(std::move(community));
  }
  // Rankers by name, in the first community's order.
  for (const Metrics& first : pool.communities.front().report.rows) {
    std::vector<Metrics> parts;
    for (const auto& c : pool.communities) {
      for (const Metrics& m : c.report.rows)
        if (m.name == first.name) parts.push_back(m);
    }
    if (parts.size() == pool.communities.size())
      pool.pooled.push_back(PoolMetrics(parts));
  }
  PoolCalibration(pool);
  pool.exposure_replay = PoolExposureReplay(pool.communities);
  return pool;
}

namespace {

// The confidence table of a report or of the pool ("" or "pooled, ").
void FormatCalibration(
    const std::vector<EvalReport::CalibrationBin>& calibration,
    double mean_top_confidence, std::string_view label, std::string& out) {
  if (calibration.empty()) return;
  out += absl::StrFormat(
      "\nConfidence of the first suggestion (%sdefault weights): mean %.3f "
      "(P@1 above: the share that was right)\n%-12s %9s %15s %8s\n",
      label, mean_top_confidence, "confidence", "questions", "mean confidence",
      "right");
  for (const auto& b : calibration) {
    out += absl::StrFormat("[%.2f, %.2f) %9d %15.3f %8.3f\n", b.low,
                           std::min(b.high, 1.0), b.questions,
                           b.mean_confidence, b.right);
  }
}

}  // namespace

std::string FormatPoolReport(const PoolReport& pool) {
  std::string out = absl::StrFormat("%-20s %-42s %6s %6s %7s %8s | %8s\n",
                                    "community (questions)", "ranker", "MRR",
                                    "P@1", "Hit@10", "nDCG@10", "cold MRR");
  auto rows = [&](const std::string& label, const std::vector<Metrics>& ms) {
    for (size_t i = 0; i < ms.size(); ++i) {
      const Metrics& m = ms[i];
      out += absl::StrFormat("%-20s %-42s %6.3f %6.3f %7.3f %8.3f | %8.3f\n",
                             i == 0 ? label : "", m.name, m.mrr, m.p_at_1,
                             m.hit_at_10, m.ndcg_at_10, m.cold_mrr);
    }
  };
  for (const auto& c : pool.communities) {
    rows(absl::StrCat(c.name, " (", c.report.test_questions, ")"),
         c.report.rows);
  }
  rows(absl::StrCat("pooled (", pool.test_questions, ")"), pool.pooled);
  FormatCalibration(pool.calibration, pool.mean_top_confidence, "pooled, ",
                    out);
  if (!pool.exposure_replay.empty()) {
    out += absl::StrFormat(
        "\nExposure replay (the test period in time order, each question's "
        "top %d fed back; Gini and top-1%% share of the top-3 slots, and of "
        "the position-weighted top-10 attention over the answerers)\n",
        pool.communities.front().report.exposure_slots);
    out += ExposureReplayHeader();
    for (const auto& c : pool.communities) {
      out += FormatExposureReplay(
          absl::StrCat(c.name, " (", c.report.test_questions, ")"),
          c.report.exposure_replay);
    }
    out +=
        FormatExposureReplay(absl::StrCat("pooled (", pool.test_questions, ")"),
                             pool.exposure_replay);
  }
  return out;
}

std::string FormatReport(const EvalReport& r) {
  std::string out = absl::StrFormat(
      "%d test questions (cut-off %s); %d cold-start (expert with < 3 "
      "earlier posts)\n\n",
      r.test_questions, absl::FormatTime(absl::FromUnixSeconds(r.cutoff)),
      r.cold_start_questions);
  auto table = [&](const std::vector<Metrics>& rows) {
    out += absl::StrFormat("%-44s %6s %6s %7s %8s %6s | %8s %8s\n", "ranker",
                           "MRR", "P@1", "Hit@10", "nDCG@10", "Gini",
                           "cold MRR", "cold P@1");
    for (const auto& m : rows) {
      out +=
          absl::StrFormat("%-44s %6.3f %6.3f %7.3f %8.3f %6.3f | %8.3f %8.3f\n",
                          m.name, m.mrr, m.p_at_1, m.hit_at_10, m.ndcg_at_10,
                          m.exposure_gini, m.cold_mrr, m.cold_p_at_1);
    }
  };
  table(r.rows);
  if (!r.ablation.empty()) {
    out += "\nAblation: default weights with one signal removed (or added)\n";
    table(r.ablation);
  }
  if (!r.rolling.empty()) {
    out += absl::StrFormat(
        "\nFed as posts arrive (not the protocol: re-imported before each of "
        "%d windows of %d days; cold = < 3 posts before the window)\n",
        r.rolling_windows, r.rolling_days);
    table(r.rolling);
  }
  if (!r.exposure_replay.empty()) {
    out += absl::StrFormat(
        "\nExposure replay (the test period in time order, each question's "
        "top %d fed back; Gini and top-1%% share of the top-3 slots, and of "
        "the position-weighted top-10 attention over the answerers)\n",
        r.exposure_slots);
    out += ExposureReplayHeader();
    out += FormatExposureReplay("", r.exposure_replay);
  }
  auto weights = [](const FusionWeights& w) {
    std::string s;
    for (int i = 0; i < kNumSignals; ++i) {
      absl::StrAppend(&s, i ? " " : "", SignalName(static_cast<Signal>(i)), "=",
                      absl::StrFormat("%.3g", w.weight[i]));
    }
    return s;
  };
  out += "\ndefault weights: " + weights(r.default_weights) + "\n";
  if (r.learned_examples > 0) {
    out += absl::StrFormat("learned weights (%d examples): %s\n",
                           r.learned_examples, weights(r.learned_weights));
  }
  out += absl::StrFormat(
      "FindExperts in process (limit 10): p50 %.2f ms, p99 %.2f ms; raw "
      "Xapian search of the same queries: p50 %.2f ms, p99 %.2f ms; "
      "ratio p50 %.2fx, p99 %.2fx\n",
      r.query_p50_ms, r.query_p99_ms, r.raw_p50_ms, r.raw_p99_ms,
      r.raw_p50_ms > 0 ? r.query_p50_ms / r.raw_p50_ms : 0,
      r.raw_p99_ms > 0 ? r.query_p99_ms / r.raw_p99_ms : 0);
  const ranking::StageTimes& t = r.stage_mean_ms;
  out += absl::StrFormat(
      "FindExperts stages, mean ms: retrieve %.2f, vote %.2f, widen %.2f, "
      "features %.2f, fuse %.2f, explain %.2f\n",
      t.retrieve, t.vote, t.widen, t.features, t.fuse, t.explain);
  FormatCalibration(r.calibration, r.mean_top_confidence, "", out);
  return out;
}

}  // namespace whoknows::eval
