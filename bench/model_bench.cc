// The expertise model's cost at start-up and after a batch of new posts
// (issue 14). Opens --data DIR (it writes to it: give it a copy) as `serve`
// does, then
//   1. builds the model from scratch (ExpertiseModel::Build) and persists it
//      as the server does (<data>/embeddings.bin);
//   2. opens a ModelStore on it, as `serve` does at start: the time until the
//      model is current (ModelStore::IsCurrent);
//   3. --runs times: writes --batch (default 1,000) replies to random posts,
//      publishes them and rebuilds the model as the server's background
//      thread does (ModelStore::RebuildNow).
// Prints each build's stages (ModelTimings); asserts nothing.
//   model_bench --data DIR [--batch 1000] [--runs 3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_catalog.h"
#include "bench/bench_flags.h"
#include "index/catalog.h"
#include "ranking/expertise_model.h"

using namespace whoknows;
using bench::MsSince;

namespace {

void PrintStages(const char* what, double ms, const ranking::ModelTimings& t) {
  std::printf(
      "%s: %.0f ms (corpus %.0f, train %.0f, vectors %.0f, file %.0f, ties "
      "%.0f, pagerank %.0f in %d iterations, tags %.0f, clients %.0f ms)\n",
      what, ms, t.corpus_us / 1e3, t.train_us / 1e3, t.vectors_us / 1e3,
      t.file_us / 1e3, t.ties_us / 1e3, t.pagerank_us / 1e3,
      t.pagerank_iterations, t.tags_us / 1e3, t.clients_us / 1e3);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  size_t batch_size = 1000;
  int runs = 3;
  if (!whoknows::bench::FlagsArePairs(
          argc, argv, "model_bench --data DIR [--batch 1000] [--runs 3]"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") dir = value;
    if (flag == "--batch") batch_size = std::stoul(value);
    if (flag == "--runs") runs = std::stoi(value);
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: model_bench --data DIR (a copy)\n");
    return 2;
  }
  auto catalog = bench::OpenForPublishes(dir, "model_bench");
  const auto first = catalog->snapshot();
  ranking::ModelStoreOptions mo;
  mo.path = (std::filesystem::path(dir) / "embeddings.bin").string();
  mo.background = false;
  auto started = std::chrono::steady_clock::now();
  auto built = ranking::ExpertiseModel::Build(*catalog, first, mo.model);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.status().ToString().c_str());
    return 1;
  }
  PrintStages("build from scratch", MsSince(started), (*built)->timings());
  if (auto s = (*built)->SaveEmbeddings(mo.path); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  built->reset();
  started = std::chrono::steady_clock::now();
  ranking::ModelStore store(*catalog, mo);
  const double start_ms = MsSince(started);
  if (!store.IsCurrent()) {
    std::printf("start-up: the persisted model is not current\n");
    return 1;
  }
  PrintStages("start-up to a current model", start_ms,
              store.current()->timings());
  std::mt19937_64 rng(1);
  for (int r = 0; r < runs; ++r) {
    const auto batch = bench::ReplyBatch(*catalog->snapshot(), batch_size, r,
                                         rng, "model-bench-",
                                         /*answers_too=*/true);
    if (auto s = catalog->UpsertPosts(batch); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    catalog->Refresh();
    started = std::chrono::steady_clock::now();
    if (auto s = store.RebuildNow(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    const std::string what = "rebuild after " + std::to_string(batch.size()) +
                             " posts, run " + std::to_string(r + 1);
    PrintStages(what.c_str(), MsSince(started), store.current()->timings());
  }
  return 0;
}
