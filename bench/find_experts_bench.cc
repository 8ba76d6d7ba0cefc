// FindExperts latency on a company export: imports a JSONL file into a
// scratch data folder, builds the expertise model, then asks every question
// title in the export (as its own asker, with its tags), in process, through
// the same path the gRPC handler takes (ranking, evidence, path). Prints
// p50/p90/p99 and the model build time; asserts nothing.
//
//   find_experts_bench [--jsonl data/demo/company.jsonl] [--work DIR]
//                      [--repeat N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "api/expertise.h"
#include "index/catalog.h"
#include "index/importer.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"

using namespace whoknows;

int main(int argc, char** argv) {
  std::string jsonl = "data/demo/company.jsonl";
  std::string work = "var/bench-find-experts";
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--jsonl") {
      jsonl = argv[i + 1];
    } else if (flag == "--work") {
      work = argv[i + 1];
    } else if (flag == "--repeat") {
      repeat = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a) {
    return std::chrono::duration<double>(Clock::now() - a).count();
  };
  std::filesystem::remove_all(work);
  index::CatalogOptions o;
  o.data_dir = work;
  o.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    return 1;
  }
  auto t0 = Clock::now();
  auto imported = index::ImportJsonl(jsonl, **catalog, {});
  if (!imported.ok()) {
    std::fprintf(stderr, "%s\n", imported.status().ToString().c_str());
    return 1;
  }
  (*catalog)->Refresh();
  const double import_s = seconds(t0);
  t0 = Clock::now();
  auto snap = (*catalog)->snapshot();
  auto model = ranking::ExpertiseModel::Build(**catalog, snap);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  const double model_s = seconds(t0);
  ranking::ExpertFinder finder(**catalog, {}, [m = *model] { return m; });

  std::vector<v1::FindExpertsRequest> requests;
  for (const auto& [id, m] : snap->posts) {
    if (m->kind != v1::POST_KIND_QUESTION || m->title.empty()) continue;
    v1::FindExpertsRequest r;
    r.set_query(m->title);
    r.set_asker_id(m->author_id);
    for (const auto& t : m->tags) r.add_tags(t);
    requests.push_back(std::move(r));
  }
  std::sort(requests.begin(), requests.end(),
            [](const auto& a, const auto& b) { return a.query() < b.query(); });
  std::vector<double> ms;
  for (int round = 0; round < repeat; ++round) {
    for (const auto& r : requests) {
      auto start = Clock::now();
      auto response = api::FindExperts(**catalog, finder, r);
      ms.push_back(seconds(start) * 1000);
      if (!response.ok()) {
        std::fprintf(stderr, "%s\n", response.status().ToString().c_str());
        return 1;
      }
    }
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf(
      "%s: %zu people, %zu posts; import %.2f s, model %.2f s (%d dims, %zu "
      "profiles)\n",
      jsonl.c_str(), snap->people.size(), snap->posts.size(), import_s, model_s,
      (*model)->space().dimensions(), (*model)->profile_people().size());
  std::printf(
      "FindExperts (ranking + evidence + path, in process), %zu queries: p50 "
      "%.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      ms.size(), pct(0.5), pct(0.9), pct(0.99), ms.back());
  return 0;
}
