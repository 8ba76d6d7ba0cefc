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
// --change-log 1: the writer keeps the change log for followers
// (CatalogOptions::change_log_on_folder) and publishes every --refresh-ms
// (default 1,000) as `serve` does, so that what the log costs a write is
// in the figures.
//
// --mode freshness: sustained ingest and how soon a post answers queries
// under it. The catalog is opened as `serve` opens it (refresh every
// --refresh-ms, default 1,000; every write committed before it returns);
// one thread writes the posts in batches of --batch at full speed (the
// Catalog::Upsert call that UpsertPosts and IngestStream make on the
// ingest executor; gRPC's transport is not in the figure), while another
// writes, every --probe-ms (default 500), a marker post with a word of its
// own and searches for it (Catalog::Search, the retrieval under
// FindExperts) every 5 ms until it is found. Prints posts/s (overall and
// per 50,000), the marker's write (acknowledgement) time, the time from
// acknowledgement to found, and from sending to found: p50, p99, max.
//
// --mode publish: publish time after a batch. Opens the data folder --data
// (it writes to it: give it a copy) as `serve` does, then --runs times:
// writes --batch (default 1,000) new posts, replies to posts picked at
// random (seeded) from the snapshot, by other authors of the snapshot,
// newer than any post, and times Catalog::Refresh, the publish that makes
// them visible. Prints each publish's stages (CatalogStats::last_publish)
// and the p50 over the runs.
//
//   ingest_bench [--jsonl data/demo/company.jsonl] [--work DIR]
//                [--batch N] [--runs N] [--change-log 1] [--refresh-ms N]
//   ingest_bench --mode freshness --jsonl FILE [--batch 1000]
//                [--refresh-ms 1000] [--probe-ms 500] [--work DIR]
//   ingest_bench --mode publish --data DIR [--batch 1000] [--runs 5]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_catalog.h"
#include "bench/bench_flags.h"
#include "importers/jsonl.h"
#include "index/catalog.h"

using namespace whoknows;
using bench::MsSince;

namespace {

struct Figures {
  int batches = 0;
  int mixed = 0;  // batches with public and private posts
  double mean_ms = 0, p50_ms = 0, p99_ms = 0;
};

// One run: people, then the posts in batches, timing each UpsertPosts.
Figures Run(const std::string& dir, const std::vector<v1::Person>& people,
            const std::vector<v1::Post>& posts, size_t batch_size,
            bool change_log, int refresh_ms) {
  std::filesystem::remove_all(dir);
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(change_log ? refresh_ms : 0);
  o.change_log_on_folder = change_log;
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

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// Writes a marker post with a word of its own every `probe_ms` until
// `done`, and times its write and how long after it Search finds it.
void Probe(index::Catalog& catalog, const std::string& author, int probe_ms,
           const std::atomic<bool>& done, std::vector<double>* ack_ms,
           std::vector<double>* found_ms) {
  for (int i = 0; !done; ++i) {
    // Letters only, so that the word is one term, and unlike any other.
    std::string word = "zqxmarker";
    for (int n = i; n > 0 || word.size() == 9; n /= 26)
      word += static_cast<char>('a' + n % 26);
    v1::Post marker;
    marker.set_id("freshness-" + std::to_string(i));
    marker.set_author_id(author);
    marker.set_kind(v1::POST_KIND_QUESTION);
    marker.set_title("Freshness probe " + word);
    marker.set_body("Where is " + word + " documented?");
    marker.set_language("en");
    marker.set_visibility("public");
    marker.mutable_created()->set_seconds(1700000000);
    const auto start = std::chrono::steady_clock::now();
    if (auto s = catalog.UpsertPosts({&marker, 1}); !s.ok()) {
      std::fprintf(stderr, "marker: %s\n", s.ToString().c_str());
      std::exit(1);
    }
    ack_ms->push_back(MsSince(start));
    const auto acked = std::chrono::steady_clock::now();
    index::SearchOptions q;
    q.query = word;
    q.max_posts = 10;
    for (;;) {
      auto r = catalog.Search(q);
      if (r.ok() && !r->hits.empty()) break;
      if (MsSince(acked) > 60000) {
        std::fprintf(stderr, "marker %s not found after 60 s\n", word.c_str());
        std::exit(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    found_ms->push_back(MsSince(acked));
    std::this_thread::sleep_for(std::chrono::milliseconds(probe_ms));
  }
}

// --mode freshness (see the top of the file).
int Freshness(const std::string& dir, const std::vector<v1::Person>& people,
              const std::vector<v1::Post>& posts, size_t batch_size,
              int refresh_ms, int probe_ms) {
  std::filesystem::remove_all(dir);
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(refresh_ms);
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    return 1;
  }
  if (auto s = (*catalog)->UpsertPeople(people); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::atomic<bool> done{false};
  std::vector<double> ack_ms, found_ms;
  std::thread prober(Probe, std::ref(**catalog),
                     people.empty() ? "freshness-author" : people.front().id(),
                     probe_ms, std::cref(done), &ack_ms, &found_ms);
  const auto start = std::chrono::steady_clock::now();
  auto since = start;
  size_t since_at = 0;
  for (size_t at = 0; at < posts.size(); at += batch_size) {
    const size_t n = std::min(batch_size, posts.size() - at);
    if (auto s = (*catalog)->UpsertPosts({posts.data() + at, n}); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    if (at + n - since_at >= 50000 || at + n == posts.size()) {
      const double secs = MsSince(since) / 1000;
      std::printf("posts %zu-%zu: %.0f posts/s\n", since_at, at + n,
                  static_cast<double>(at + n - since_at) / secs);
      since = std::chrono::steady_clock::now();
      since_at = at + n;
    }
  }
  const double secs = MsSince(start) / 1000;
  done = true;
  prober.join();
  std::vector<double> total_ms;
  for (size_t i = 0; i < found_ms.size(); ++i)
    total_ms.push_back(ack_ms[i] + found_ms[i]);
  std::printf(
      "freshness: %zu posts in batches of %zu in %.1f s (%.0f posts/s, "
      "refresh %d ms); %zu markers: written in p50 %.0f ms, p99 %.0f ms; "
      "found after the write in p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
      "sent to found p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
      posts.size(), batch_size, secs, static_cast<double>(posts.size()) / secs,
      refresh_ms, found_ms.size(), Percentile(ack_ms, 0.5),
      Percentile(ack_ms, 0.99), Percentile(found_ms, 0.5),
      Percentile(found_ms, 0.99), Percentile(found_ms, 1.0),
      Percentile(total_ms, 0.5), Percentile(total_ms, 0.99),
      Percentile(total_ms, 1.0));
  return 0;
}

// --mode publish (see the top of the file).
int PublishAfterBatch(const std::string& dir, size_t batch_size, int runs) {
  auto catalog = bench::OpenForPublishes(dir, "ingest_bench publish");
  std::mt19937_64 rng(1);
  std::vector<double> total_ms;
  for (int r = 0; r < runs; ++r) {
    const auto batch =
        bench::ReplyBatch(*catalog->snapshot(), batch_size, r, rng,
                          "publish-bench-", /*answers_too=*/false);
    if (auto s = catalog->UpsertPosts(batch); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    const auto started = std::chrono::steady_clock::now();
    catalog->Refresh();
    total_ms.push_back(MsSince(started));
    const index::PublishTimings t = catalog->stats().last_publish;
    std::printf(
        "publish after %zu posts, run %d: %.0f ms (%s, %lld posts changed; "
        "copy %.0f ms, groups %.0f ms, build %.0f ms of which graph %.0f ms, "
        "docids %.0f ms, save graph %.0f ms)\n",
        batch.size(), r + 1, total_ms.back(),
        t.incremental ? (t.graph_extended ? "incremental, graph extended"
                                          : "incremental, graph rebuilt")
                      : "full",
        static_cast<long long>(t.posts_changed), t.copy_us / 1e3,
        t.groups_us / 1e3, t.build_us / 1e3, t.graph_us / 1e3,
        t.docids_us / 1e3, t.save_us / 1e3);
    std::fflush(stdout);
  }
  std::printf("publish after a %zu-post batch: p50 %.0f ms over %d runs\n",
              batch_size, Percentile(total_ms, 0.5), runs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string jsonl = "data/demo/company.jsonl";
  std::string work = std::filesystem::temp_directory_path() / "ingest_bench";
  size_t batch = 20;
  int runs = 3;
  std::string mode = "batches";
  int refresh_ms = 1000, probe_ms = 500;
  std::string data;
  bool batch_given = false, runs_given = false, change_log = false;
  if (!whoknows::bench::FlagsArePairs(
          argc, argv,
          "ingest_bench --mode MODE ... (the flags of each mode: the comment "
          "at the top of bench/ingest_bench.cc)"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--jsonl") jsonl = value;
    if (flag == "--work") work = value;
    if (flag == "--batch") batch = std::max(1, std::stoi(value));
    if (flag == "--batch") batch_given = true;
    if (flag == "--runs") runs_given = true;
    if (flag == "--data") data = value;
    if (flag == "--runs") runs = std::max(1, std::stoi(value));
    if (flag == "--mode") mode = value;
    if (flag == "--refresh-ms") refresh_ms = std::max(1, std::stoi(value));
    if (flag == "--probe-ms") probe_ms = std::max(1, std::stoi(value));
    if (flag == "--change-log") change_log = value == "1";
  }
  if (mode == "publish") {
    if (data.empty()) {
      std::fprintf(stderr, "--mode publish needs --data (a copy)\n");
      return 1;
    }
    return PublishAfterBatch(data, batch_given ? batch : 1000,
                             runs_given ? runs : 5);
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
  if (mode == "freshness") {
    std::printf("ingest_bench freshness: %zu people, %zu posts\n",
                people.size(), exported.size());
    std::fflush(stdout);
    const int rc = Freshness(work + "/freshness", people, exported, batch,
                             refresh_ms, probe_ms);
    std::filesystem::remove_all(work);
    return rc;
  }
  std::vector<v1::Post> public_posts = exported;
  for (auto& p : public_posts) p.set_visibility("public");
  std::printf(
      "ingest_bench: %zu people, %zu posts, batches of %zu, %d runs%s\n",
      people.size(), exported.size(), batch, runs,
      change_log ? ", change log kept, refresh as --refresh-ms" : "");
  for (const auto& [name, posts] :
       {std::pair{"public", &public_posts}, std::pair{"export", &exported}}) {
    for (int r = 0; r < runs; ++r) {
      const Figures f =
          Run(work + "/" + name, people, *posts, batch, change_log, refresh_ms);
      std::printf(
          "%-6s run %d: %d batches (%d public+private), per batch mean %.2f "
          "ms, p50 %.2f ms, p99 %.2f ms\n",
          name, r + 1, f.batches, f.mixed, f.mean_ms, f.p50_ms, f.p99_ms);
    }
  }
  std::filesystem::remove_all(work);
  return 0;
}
