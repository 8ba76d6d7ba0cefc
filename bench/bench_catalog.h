// What the benches that time publishes on a data folder share (ingest_bench
// --mode publish, model_bench): opening the folder as `serve` does but
// publishing on Refresh only, and batches of replies to its posts.
#ifndef WHOKNOWS_BENCH_BENCH_CATALOG_H_
#define WHOKNOWS_BENCH_BENCH_CATALOG_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "index/catalog.h"

namespace whoknows::bench {

inline double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

// Opens `dir` (it is written to: a copy) with publishes on Refresh only,
// and prints "<name>: N people, M posts; open X ms". Exits 1, printing
// why, when it cannot be opened.
inline std::unique_ptr<index::Catalog> OpenForPublishes(const std::string& dir,
                                                        const char* name) {
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::hours(24);
  const auto started = std::chrono::steady_clock::now();
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    std::exit(1);
  }
  const auto first = (*catalog)->snapshot();
  std::printf("%s: %zu people, %zu posts; open %.0f ms\n", name,
              first->people.size(), first->posts.size(), MsSince(started));
  return std::move(*catalog);
}

// Batch number `round`: `n` replies to random public posts of `snap`, each
// by the author of another, newer than any post, with ids
// "<id_prefix><round>-<i>"; comments, or answers and comments in turn
// (`answers_too`).
inline std::vector<v1::Post> ReplyBatch(const index::Snapshot& snap, size_t n,
                                        int round, std::mt19937_64& rng,
                                        const std::string& id_prefix,
                                        bool answers_too) {
  std::vector<const index::PostMeta*> posts;
  posts.reserve(snap.posts.size());
  for (const auto& [id, m] : snap.posts)
    if (m->is_public) posts.push_back(m.get());
  std::sort(posts.begin(), posts.end(),
            [](const auto* a, const auto* b) { return a->id < b->id; });
  std::vector<v1::Post> batch;
  for (size_t i = 0; i < n && !posts.empty(); ++i) {
    const index::PostMeta& parent = *posts[rng() % posts.size()];
    const index::PostMeta& other = *posts[rng() % posts.size()];
    v1::Post p;
    p.set_id(id_prefix + std::to_string(round) + "-" + std::to_string(i));
    p.set_author_id(other.author_id);
    p.set_thread_id(parent.thread_id);
    p.set_parent_id(parent.id);
    p.set_kind(answers_too && i % 2 == 0 ? v1::POST_KIND_ANSWER
                                         : v1::POST_KIND_COMMENT);
    p.set_language(parent.language);
    p.set_title(parent.title);
    p.set_body(other.title + " " + parent.title);
    p.mutable_created()->set_seconds(snap.newest_post + round * 1000 + 1 +
                                     static_cast<int64_t>(i));
    batch.push_back(std::move(p));
  }
  return batch;
}

}  // namespace whoknows::bench

#endif  // WHOKNOWS_BENCH_BENCH_CATALOG_H_
