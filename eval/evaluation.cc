#include "eval/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "importers/stackexchange.h"
#include "index/catalog.h"

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
};

std::vector<std::string> TopIds(std::unordered_map<std::string, double>& scores,
                                size_t k) {
  std::vector<std::pair<std::string, double>> v(scores.begin(), scores.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> ids;
  for (size_t i = 0; i < std::min(k, v.size()); ++i) ids.push_back(v[i].first);
  return ids;
}

}  // namespace

absl::StatusOr<EvalReport> EvaluateStackExchange(const EvalOptions& o) {
  auto log = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  if (o.work_dir.empty())
    return absl::InvalidArgumentError("work_dir: required");
  if (o.test_fraction <= 0 || o.test_fraction >= 1)
    return absl::InvalidArgumentError("test_fraction: must be in (0, 1)");

  // 1. Read the whole dump once to find the test questions.
  struct Q {
    std::string asker, text;
    int64_t created;
    std::vector<std::string> tags;
  };
  std::unordered_map<std::string, Q> questions;
  std::unordered_map<std::string, std::vector<std::pair<std::string, bool>>>
      answers;
  importers::ImportOptions read_all;
  importers::StackExchangeSink collect{
      [](v1::Person) { return absl::OkStatus(); },
      [&](v1::Post p) {
        if (p.kind() == v1::POST_KIND_QUESTION) {
          questions[p.id()] = {p.author_id(),
                               p.title() + "\n" + p.body(),
                               p.created().seconds(),
                               {p.tags().begin(), p.tags().end()}};
        } else if (p.kind() == v1::POST_KIND_ANSWER) {
          answers[p.parent_id()].emplace_back(p.author_id(), p.accepted());
        }
        return absl::OkStatus();
      }};
  auto read = importers::ReadStackExchange(o.dump_dir, read_all, collect);
  if (!read.ok()) return read.status();

  std::vector<TestQuestion> candidates;
  for (auto& [id, q] : questions) {
    auto it = answers.find(id);
    if (it == answers.end()) continue;
    TestQuestion t{id, q.asker, q.text, "", q.created, {}, q.tags};
    for (auto& [author, accepted] : it->second) {
      if (author == q.asker) continue;
      t.answerers.insert(author);
      if (accepted) t.expert = author;
    }
    if (!t.expert.empty()) candidates.push_back(std::move(t));
  }
  std::sort(candidates.begin(), candidates.end(), [](auto& a, auto& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  if (o.window_end <= 0 || o.window_end > 1)
    return absl::InvalidArgumentError("window_end: must be in (0, 1]");
  candidates.resize(static_cast<size_t>(
      std::ceil(static_cast<double>(candidates.size()) * o.window_end)));
  const size_t n_test = static_cast<size_t>(
      std::ceil(static_cast<double>(candidates.size()) * o.test_fraction));
  if (n_test == 0)
    return absl::FailedPreconditionError("no test questions in the dump");
  std::vector<TestQuestion> tests(candidates.end() - static_cast<long>(n_test),
                                  candidates.end());
  EvalReport report;
  report.test_questions = static_cast<int>(tests.size());
  report.cutoff = tests.front().created;
  log(absl::StrCat(candidates.size(),
                   " questions with an accepted answer by another user; ",
                   tests.size(), " held out"));

  // 2. Ingest what existed before the cut-off.
  std::error_code ec;
  fs::remove_all(o.work_dir, ec);
  index::CatalogOptions copts;
  copts.data_dir = o.work_dir;
  copts.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(copts);
  if (!catalog.ok()) return catalog.status();
  importers::ImportOptions iopts;
  iopts.created_before = report.cutoff;
  iopts.batch_size = 5000;
  auto t0 = std::chrono::steady_clock::now();
  auto imported = importers::ImportStackExchange(o.dump_dir, **catalog, iopts);
  if (!imported.ok()) return imported.status();
  (*catalog)->Refresh();
  report.seconds_import =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  log(absl::StrCat("ingested ", imported->people, " people and ",
                   imported->posts, " posts in ",
                   absl::StrFormat("%.1f", report.seconds_import), " s"));

  // 3. What the engine learns from the training rows.
  auto snap = (*catalog)->snapshot();
  // Everyone who could be suggested: people who answered before the cut-off.
  std::vector<std::string> population;
  for (const auto& [person, a] : snap->activity) {
    if (a.answers > 0) population.push_back(person);
  }
  for (auto& q : tests) {
    q.cold = IsCold(*snap, q.expert);
    report.cold_start_questions += q.cold;
  }
  auto model = ExpertiseModel::Build(**catalog, snap, o.model);
  if (!model.ok()) return model.status();
  report.default_weights = o.ranking.weights;
  report.learned_weights = o.ranking.weights;
  if (o.learn) {
    LearnOptions lo = o.learning;
    lo.ranking = o.ranking;
    lo.model = o.model;
    lo.log = o.log;
    auto learned = LearnFusionWeights(**catalog, lo);
    if (!learned.ok()) return learned.status();
    report.learned_weights = learned->fit.weights;
    report.learned_examples = learned->examples;
    log(
        absl::StrFormat("learned from %d examples (%d missed): in-sample MRR "
                        "%.3f -> %.3f",
                        learned->examples, learned->missed, learned->mrr_prior,
                        learned->mrr_fitted));
  }
  RankingContext context;
  context.snapshot = snap;
  context.model = *model;

  // 4. Rank.
  // `ranks`, when given, receives the expert's rank per question (0: not in
  // the top 100).
  auto run = [&](const std::string& name, const FusionWeights& weights,
                 std::vector<double>* latencies,
                 std::unordered_map<std::string, int>* ranks =
                     nullptr) -> absl::StatusOr<Metrics> {
    RankingOptions ro = o.ranking;
    ro.weights = weights;
    ExpertFinder finder(**catalog, ro);
    Scorer scorer;
    scorer.m.name = name;
    for (const auto& q : tests) {
      ExpertQuery eq = QueryOf(q);
      auto found = finder.Find(eq, context);
      if (!found.ok()) return found.status();
      if (latencies) {
        // Latency as the API sees it: the default limit of 10 (paths and
        // evidence for 10 people, not the 100 ranked for the metrics).
        eq.limit = 10;
        auto start = std::chrono::steady_clock::now();
        auto timed = finder.Find(eq, context);
        latencies->push_back(std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
        if (!timed.ok()) return timed.status();
      }
      std::vector<std::string> ranked;
      for (const auto& e : found->experts) ranked.push_back(e.person_id);
      scorer.Add(ranked, q);
      if (ranks) {
        auto at = std::find(ranked.begin(), ranked.end(), q.expert);
        (*ranks)[q.id] =
            at == ranked.end() ? 0 : static_cast<int>(at - ranked.begin()) + 1;
      }
    }
    return scorer.Done(population);
  };
  std::vector<double> latencies;
  std::unordered_map<std::string, int> default_ranks;
  auto ours = run("whoknows (default weights)", o.ranking.weights, &latencies,
                  &default_ranks);
  if (!ours.ok()) return ours.status();
  report.rows.push_back(*ours);
  if (!o.features_tsv.empty()) {
    std::FILE* f = std::fopen(o.features_tsv.c_str(), "w");
    if (!f) return absl::UnavailableError("cannot write " + o.features_tsv);
    RankingOptions ro = o.ranking;
    for (auto& w : ro.weights.weight) {
      if (w == 0) w = 1e-9;
    }
    ExpertFinder finder(**catalog, ro);
    RankingContext all = context;
    all.all_candidates = true;
    std::fprintf(f, "question\tperson\texpert\tanswered\tcold\texpert_rank");
    for (int i = 0; i < kNumSignals; ++i)
      std::fprintf(f, "\t%s", SignalName(static_cast<Signal>(i)));
    std::fprintf(f, "\n");
    for (const auto& q : tests) {
      // Every candidate: all_candidates ignores the limit.
      auto found = finder.Find(QueryOf(q), all);
      if (!found.ok()) return found.status();
      for (const auto& e : found->experts) {
        std::fprintf(f, "%s\t%s\t%d\t%d\t%d\t%d", q.id.c_str(),
                     e.person_id.c_str(), e.person_id == q.expert,
                     static_cast<int>(q.answerers.count(e.person_id)), q.cold,
                     default_ranks[q.id]);
        for (double x : e.features) std::fprintf(f, "\t%.6g", x);
        std::fprintf(f, "\n");
      }
    }
    std::fclose(f);
  }
  if (o.learn) {
    auto learned = run("whoknows (weights learned before cut-off)",
                       report.learned_weights, nullptr);
    if (!learned.ok()) return learned.status();
    report.rows.push_back(*learned);
  }
  // Each signal removed in turn; signals the defaults leave at 0 are added
  // at weight 0.5 instead, to show what they would do.
  for (int i = 0; i < kNumSignals; ++i) {
    FusionWeights changed = o.ranking.weights;
    const bool on = changed.weight[i] != 0;
    changed.weight[i] = on ? 0 : 0.5;
    auto m = run(absl::StrCat(on ? "without " : "with ",
                              SignalName(static_cast<Signal>(i)),
                              on ? "" : " (weight 0.5)"),
                 changed, nullptr);
    if (!m.ok()) return m.status();
    report.ablation.push_back(*m);
  }

  Scorer popularity, combsum, combmnz, combsum_log;
  popularity.m.name = "popularity (answers before cut-off)";
  combsum.m.name = "BM25 voting, CombSUM top 1000 (Model 2)";
  combmnz.m.name = "CombMNZ";
  combsum_log.m.name = "CombSUM x log(2 + answers)";
  std::unordered_map<std::string, double> popular;
  for (const auto& [person, a] : snap->activity) popular[person] = a.answers;
  for (const auto& q : tests) {
    auto pop = popular;
    pop.erase(q.asker);
    popularity.Add(TopIds(pop, 100), q);

    index::SearchOptions so;
    so.query = q.text;
    so.max_posts = 1000;
    auto hits = (*catalog)->Search(so);
    if (!hits.ok()) return hits.status();
    std::unordered_map<std::string, double> sum, count;
    for (const auto& h : hits->hits) {
      const index::PostMeta* m = snap->FindPost(h.post_id);
      if (!m || m->kind != v1::POST_KIND_ANSWER || m->author_id == q.asker)
        continue;
      sum[m->author_id] += h.weight;
      count[m->author_id] += 1;
    }
    auto mnz = sum, logged = sum;
    for (auto& [p, s] : mnz) s *= count[p];
    for (auto& [p, s] : logged) s *= std::log(2.0 + popular[p]);
    combsum.Add(TopIds(sum, 100), q);
    combmnz.Add(TopIds(mnz, 100), q);
    combsum_log.Add(TopIds(logged, 100), q);
  }
  std::sort(latencies.begin(), latencies.end());
  report.query_p50_ms = latencies[latencies.size() / 2];
  report.query_p99_ms = latencies[std::min(
      latencies.size() - 1, static_cast<size_t>(latencies.size() * 0.99))];
  for (auto* s : {&popularity, &combsum, &combmnz, &combsum_log})
    report.rows.push_back(s->Done(population));

  // 5. Continuous ingestion: re-import up to each window's start, rank the
  // window's questions on what existed then.
  if (o.rolling_days > 0) {
    Scorer ours_rolling, popularity_rolling;
    ours_rolling.m.name = "whoknows, fed as posts arrive";
    popularity_rolling.m.name = "popularity, fed as posts arrive";
    std::unordered_set<std::string> answered;  // population over all windows
    const int64_t window = int64_t{o.rolling_days} * 86400;
    for (size_t begin = 0; begin < tests.size();) {
      const int64_t start = tests[begin].created;
      size_t end = begin;
      while (end < tests.size() && tests[end].created < start + window) ++end;
      importers::ImportOptions wopts = iopts;
      wopts.created_before = start;
      auto more = importers::ImportStackExchange(o.dump_dir, **catalog, wopts);
      if (!more.ok()) return more.status();
      (*catalog)->Refresh();
      RankingContext now;
      now.snapshot = (*catalog)->snapshot();
      auto built = ExpertiseModel::Build(**catalog, now.snapshot, o.model);
      if (!built.ok()) return built.status();
      now.model = *built;
      std::unordered_map<std::string, double> popular_now;
      for (const auto& [person, a] : now.snapshot->activity) {
        popular_now[person] = a.answers;
        if (a.answers > 0) answered.insert(person);
      }
      ExpertFinder finder(**catalog, o.ranking);
      for (size_t i = begin; i < end; ++i) {
        TestQuestion q = tests[i];
        q.cold = IsCold(*now.snapshot, q.expert);
        auto found = finder.Find(QueryOf(q), now);
        if (!found.ok()) return found.status();
        std::vector<std::string> ranked;
        for (const auto& e : found->experts) ranked.push_back(e.person_id);
        ours_rolling.Add(ranked, q);
        auto pop = popular_now;
        pop.erase(q.asker);
        popularity_rolling.Add(TopIds(pop, 100), q);
      }
      ++report.rolling_windows;
      begin = end;
    }
    const std::vector<std::string> everyone(answered.begin(), answered.end());
    report.rolling.push_back(ours_rolling.Done(everyone));
    report.rolling.push_back(popularity_rolling.Done(everyone));
    report.rolling_days = o.rolling_days;
    log(absl::StrCat("re-imported and ranked ", report.rolling_windows,
                     " windows of ", o.rolling_days, " days"));
  }
  return report;
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
  out += absl::StrFormat("FindExperts in process: p50 %.2f ms, p99 %.2f ms\n",
                         r.query_p50_ms, r.query_p99_ms);
  return out;
}

}  // namespace whoknows::eval
