// Ingest latency of Catalog::UpsertPosts on a company export: the posts in
// batches of --batch (default 20, as bench/load_bench's writers send), into
// a fresh data folder each run, in two shapes:
//   public  every post made public: each batch writes posts/ alone (one
//           commit, no batch journal);
//   export  the posts as exported (the demo's private groups included): a
//           batch with public and private posts writes two databases, which
//           the catalog journals (index/batch_journal.h).
// Prints per shape the batches, how many wrote both databases, and the mean,
// p50 and p99 per batch; asserts nothing. Run it on two builds to compare.
//
//   ingest_bench [--jsonl data/demo/company.jsonl] [--work DIR]
//                [--batch N] [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "importers/jsonl.h"
#include "index/catalog.h"

using namespace whoknows;

namespace {

struct Figures {
  int batches = 0;
  int mixed = 0;  // batches with public and private posts
  double mean_ms = 0, p50_ms = 0, p99_ms = 0;
};

// One run: people, then the posts in batches, timing each UpsertPosts.
Figures Run(const std::string& dir, const std::vector<v1::Person>& people,
            const std::vector<v1::Post>& posts, size_t batch_size) {
  std::filesystem::remove_all(dir);
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    std::exit(1);
  }
  if (auto s = (*catalog)->UpsertPeople(people); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::exit(1);
  }
  Figures f;
  std::vector<double> ms;
  for (size_t at = 0; at < posts.size(); at += batch_size) {
    const size_t n = std::min(batch_size, posts.size() - at);
    std::span<const v1::Post> batch(posts.data() + at, n);
    const bool any_private = std::any_of(
        batch.begin(), batch.end(),
        [](const v1::Post& p) { return p.visibility() != "public"; });
    const bool any_public = std::any_of(
        batch.begin(), batch.end(),
        [](const v1::Post& p) { return p.visibility() == "public"; });
    f.mixed += any_private && any_public;
    const auto start = std::chrono::steady_clock::now();
    if (auto s = (*catalog)->UpsertPosts(batch); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  f.batches = static_cast<int>(ms.size());
  double sum = 0;
  for (double m : ms) sum += m;
  std::sort(ms.begin(), ms.end());
  f.mean_ms = sum / static_cast<double>(ms.size());
  f.p50_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string jsonl = "data/demo/company.jsonl";
  std::string work = std::filesystem::temp_directory_path() / "ingest_bench";
  size_t batch = 20;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--jsonl") jsonl = value;
    if (flag == "--work") work = value;
    if (flag == "--batch") batch = std::max(1, std::stoi(value));
    if (flag == "--runs") runs = std::max(1, std::stoi(value));
  }
  std::vector<v1::Person> people;
  std::vector<v1::Post> exported;
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto r = importers::ParseJsonlRecord(line);
    if (!r.ok()) continue;
    if (auto* p = std::get_if<v1::Person>(&*r)) people.push_back(*p);
    if (auto* p = std::get_if<v1::Post>(&*r)) exported.push_back(*p);
  }
  if (exported.empty()) {
    std::fprintf(stderr, "no posts in %s\n", jsonl.c_str());
    return 1;
  }
  std::vector<v1::Post> public_posts = exported;
  for (auto& p : public_posts) p.set_visibility("public");
  std::printf("ingest_bench: %zu people, %zu posts, batches of %zu, %d runs\n",
              people.size(), exported.size(), batch, runs);
  for (const auto& [name, posts] :
       {std::pair{"public", &public_posts}, std::pair{"export", &exported}}) {
    for (int r = 0; r < runs; ++r) {
      const Figures f = Run(work + "/" + name, people, *posts, batch);
      std::printf(
          "%-6s run %d: %d batches (%d public+private), per batch mean %.2f "
          "ms, p50 %.2f ms, p99 %.2f ms\n",
          name, r + 1, f.batches, f.mixed, f.mean_ms, f.p50_ms, f.p99_ms);
    }
  }
  std::filesystem::remove_all(work);
  return 0;
}
