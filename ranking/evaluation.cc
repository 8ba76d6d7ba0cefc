#include "ranking/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/catalog.h"
#include "index/importer.h"

namespace whoknows::ranking {
namespace {

namespace fs = std::filesystem;

struct TestQuestion {
  std::string id, asker, text, expert;
  int64_t created = 0;
  std::unordered_set<std::string> answerers;
};

// Adds one ranked list's scores for a question to running totals.
struct Scorer {
  Metrics m;
  int n = 0;
  void Add(const std::vector<std::string>& ranked, const TestQuestion& q) {
    ++n;
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (ranked[i] == q.expert) {
        m.mrr += 1.0 / static_cast<double>(i + 1);
        if (i == 0) m.p_at_1 += 1;
        if (i < 10) m.hit_at_10 += 1;
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
  Metrics Done() const {
    Metrics r = m;
    if (n > 0) {
      r.mrr /= n;
      r.p_at_1 /= n;
      r.hit_at_10 /= n;
      r.ndcg_at_10 /= n;
    }
    return r;
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
  };
  std::unordered_map<std::string, Q> questions;
  std::unordered_map<std::string, std::vector<std::pair<std::string, bool>>>
      answers;
  index::ImportOptions read_all;
  index::StackExchangeSink collect{
      [](v1::Person) { return absl::OkStatus(); },
      [&](v1::Post p) {
        if (p.kind() == v1::POST_KIND_QUESTION) {
          questions[p.id()] = {p.author_id(), p.title() + "\n" + p.body(),
                               p.created().seconds()};
        } else if (p.kind() == v1::POST_KIND_ANSWER) {
          answers[p.parent_id()].emplace_back(p.author_id(), p.accepted());
        }
        return absl::OkStatus();
      }};
  auto read = index::ReadStackExchange(o.dump_dir, read_all, collect);
  if (!read.ok()) return read.status();

  std::vector<TestQuestion> candidates;
  for (auto& [id, q] : questions) {
    auto it = answers.find(id);
    if (it == answers.end()) continue;
    TestQuestion t{id, q.asker, q.text, "", q.created, {}};
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
  index::ImportOptions iopts;
  iopts.created_before = report.cutoff;
  iopts.batch_size = 5000;
  auto t0 = std::chrono::steady_clock::now();
  auto imported = index::ImportStackExchange(o.dump_dir, **catalog, iopts);
  if (!imported.ok()) return imported.status();
  (*catalog)->Refresh();
  report.seconds_import =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  log(absl::StrCat("ingested ", imported->people, " people and ",
                   imported->posts, " posts in ",
                   absl::StrFormat("%.1f", report.seconds_import), " s"));

  // 3. Rank.
  auto snap = (*catalog)->snapshot();
  ExpertFinder finder(**catalog, o.ranking);
  Scorer ours, popularity, combsum, combmnz, combsum_log;
  ours.m.name = "whoknows";
  popularity.m.name = "popularity (answers before cut-off)";
  combsum.m.name = "BM25 voting, CombSUM top 1000 (Model 2)";
  combmnz.m.name = "CombMNZ";
  combsum_log.m.name = "CombSUM x log(2 + answers)";
  std::unordered_map<std::string, double> popular;
  for (const auto& [person, a] : snap->activity) popular[person] = a.answers;
  std::vector<double> latencies;
  for (const auto& q : tests) {
    ExpertQuery eq;
    eq.query = q.text;
    eq.asker_id = q.asker;
    eq.limit = 100;
    auto start = std::chrono::steady_clock::now();
    auto found = finder.Find(eq);
    latencies.push_back(std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start)
                            .count());
    if (!found.ok()) return found.status();
    std::vector<std::string> ranked;
    for (const auto& e : found->experts) ranked.push_back(e.person_id);
    ours.Add(ranked, q);

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
  report.rows = {ours.Done(), popularity.Done(), combsum.Done(), combmnz.Done(),
                 combsum_log.Done()};
  return report;
}

std::string FormatReport(const EvalReport& r) {
  std::string out = absl::StrFormat("%d test questions\n", r.test_questions);
  out += absl::StrFormat("%-42s %6s %6s %7s %8s\n", "ranker", "MRR", "P@1",
                         "Hit@10", "nDCG@10");
  for (const auto& m : r.rows) {
    out += absl::StrFormat("%-42s %6.3f %6.3f %7.3f %8.3f\n", m.name, m.mrr,
                           m.p_at_1, m.hit_at_10, m.ndcg_at_10);
  }
  out += absl::StrFormat("FindExperts in process: p50 %.2f ms, p99 %.2f ms\n",
                         r.query_p50_ms, r.query_p99_ms);
  return out;
}

}  // namespace whoknows::ranking
