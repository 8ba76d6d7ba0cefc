// The cost of members' group databases (index/group_databases.h): a
// catalog with --public public posts and one group of --posts private
// posts (plus a small second group), synthetic text (Zipf-distributed words
// from a 20,000-word vocabulary, 40-80 words a post). Prints, asserting
// nothing:
//   build   the time to copy the group into its in-memory database (the
//           first member search after the group changed), --runs times;
//   memory  the resident memory the copy adds (VmRSS before and after);
//   update  the next member search after one post of the group was
//           written: the copy updated in place (20 runs);
//   search  Catalog::Search latency, a member (posts/ + their group, the
//           copy cached) and a non-member (posts/ alone), mean over 200
//           queries.
//
//   group_cache_bench [--posts 10000] [--public 20000] [--runs 3]
//                     [--work DIR] [--keep true]
#include <xapian.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_flags.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/group_databases.h"

using namespace whoknows;

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Resident memory of this process, in MB (/proc/self/status).
double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024;
  }
  return 0;
}

// Synthetic words: "w<rank>" in a pronounceable form, Zipf-distributed.
class Text {
 public:
  explicit Text(uint32_t seed) : rng_(seed) {
    double total = 0;
    for (int r = 1; r <= kVocabulary; ++r) cdf_.push_back(total += 1.0 / r);
    for (double& c : cdf_) c /= total;
  }
  std::string Word() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    const size_t r =
        std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
    static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "ta",
                                       "vo", "si", "be", "da", "fu", "go"};
    std::string w;
    for (size_t n = r + 12; n > 0; n /= 12) w += kSyllables[n % 12];
    return w;
  }
  std::string Words(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) absl::StrAppend(&out, i ? " " : "", Word());
    return out;
  }
  int Length() { return 40 + static_cast<int>(rng_() % 41); }

 private:
  static constexpr int kVocabulary = 20000;
  std::mt19937 rng_;
  std::vector<double> cdf_;
};

v1::Post MakePost(const std::string& id, const std::string& visibility,
                  Text& text, int64_t created) {
  v1::Post p;
  p.set_id(id);
  p.set_author_id(absl::StrCat("u", created % 500));
  p.set_kind(v1::POST_KIND_ARTICLE);
  p.set_title(text.Words(6));
  p.set_body(text.Words(text.Length()));
  p.set_language("en");
  p.set_visibility(visibility);
  p.mutable_created()->set_seconds(created);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int posts = 10000, public_posts = 20000, runs = 3;
  bool keep = false;
  std::string work = "/tmp/whoknows_group_cache_bench";
  if (!whoknows::bench::FlagsArePairs(
          argc, argv,
          "group_cache_bench [--posts 10000] [--public 20000] [--runs 3] "
          "[--work DIR] [--keep true]"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--posts")
      posts = std::atoi(argv[i + 1]);
    else if (flag == "--public")
      public_posts = std::atoi(argv[i + 1]);
    else if (flag == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (flag == "--keep")
      keep = std::string(argv[i + 1]) == "true";
    else if (flag == "--work")
      work = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!whoknows::bench::LockScratchFolder(work)) return 2;
  std::filesystem::remove_all(work);
  index::CatalogOptions o;
  o.data_dir = work;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.bulk_commit_records = 5000;
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", catalog.status().ToString().c_str());
    return 1;
  }
  Text text(1);
  std::vector<v1::Post> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    if (auto s = (*catalog)->UpsertPosts(batch); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    batch.clear();
  };
  int64_t t = 1'700'000'000;
  for (int i = 0; i < public_posts; ++i, flush())
    batch.push_back(MakePost(absl::StrCat("p", i), "public", text, ++t));
  for (int i = 0; i < posts; ++i, flush())
    batch.push_back(MakePost(absl::StrCat("g", i), "group:big", text, ++t));
  for (int i = 0; i < 1000; ++i, flush())
    batch.push_back(MakePost(absl::StrCat("s", i), "group:small", text, ++t));
  if (auto s = (*catalog)->Commit(); !s.ok()) return 1;
  (*catalog)->Refresh();

  const index::DataDir dir(work);
  Xapian::Database pub(dir.posts());
  index::GroupDatabases groups(int64_t{1} << 40, "V");
  const auto& snap_posts = (*catalog)->snapshot()->posts;
  groups.Update({snap_posts.begin(), snap_posts.end()}, /*pending=*/false);
  std::printf("group of %d posts (and %d public):\n", posts, public_posts);
  for (int run = 0; run < runs; ++run) {
    groups.InvalidateAll();
    const double before = RssMb();
    const auto start = Clock::now();
    auto s =
        groups.Read(pub, dir.private_posts(), {"group:big"},
                    [](const Xapian::Database&) { return absl::OkStatus(); });
    const double ms = Ms(Clock::now() - start);
    if (!s.ok()) return 1;
    std::printf("  build %d: %.0f ms (%.1f us a post), RSS +%.1f MB\n", run + 1,
                ms, 1000 * ms / posts, RssMb() - before);
  }
  // One post of the group written (committed), then the next member
  // search: the copy updated in place, not built again.
  {
    std::vector<double> ms;
    for (int i = 0; i < 20; ++i) {
      const std::string id = absl::StrCat("g", i * 37 % posts);
      batch.push_back(MakePost(id, "group:big", text, ++t));
      flush();
      if (auto s = (*catalog)->Commit(); !s.ok()) return 1;
      groups.Invalidate({{"group:big", id}});
      const auto start = Clock::now();
      auto s =
          groups.Read(pub, dir.private_posts(), {"group:big"},
                      [](const Xapian::Database&) { return absl::OkStatus(); });
      if (!s.ok()) return 1;
      ms.push_back(Ms(Clock::now() - start));
    }
    double sum = 0;
    for (double m : ms) sum += m;
    std::printf(
        "  after one post of the group changed: %.2f ms mean over %zu "
        "(%lld builds, %lld posts updated in place)\n",
        sum / ms.size(), ms.size(),
        static_cast<long long>(groups.stats().builds),
        static_cast<long long>(groups.stats().updated));
  }
  // Searches through the catalog: its own cache, built by the first.
  index::SearchOptions member, outsider;
  member.groups = {"group:big"};
  std::vector<std::string> queries;
  for (int i = 0; i < 200; ++i) queries.push_back(text.Words(3));
  for (auto* so : {&member, &outsider}) {
    member.query = outsider.query = queries[0];
    (void)(*catalog)->Search(*so);  // warm up (and build the member's copy)
    const auto start = Clock::now();
    for (const auto& q : queries) {
      so->query = q;
      if (!(*catalog)->Search(*so).ok()) return 1;
    }
    std::printf("  search, %s: %.2f ms mean over %zu queries\n",
                so == &member ? "member (posts/ + group)" : "non-member",
                Ms(Clock::now() - start) / queries.size(), queries.size());
  }
  if (!keep) std::filesystem::remove_all(work);
  return 0;
}
