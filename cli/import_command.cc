// `whoknows import jsonl|stackexchange|enron|interactions`.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "importers/enron.h"
#include "importers/jsonl.h"
#include "importers/stackexchange.h"
#include "index/catalog.h"

namespace whoknows::cli {
namespace {

using Importer = std::function<absl::StatusOr<importers::ImportStats>(
    const std::string& input, index::Catalog&,
    const importers::ImportOptions&)>;

struct Format {
  const char* name;
  const char* help;
  Importer import;
  bool with_interactions;  // says so in its summary line
  bool progress;           // draws a progress line on a terminal
};

class ImportCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    auto* import = app.add_subcommand(
        "import", "Load people and posts into a data folder");
    import->require_subcommand(1);
    static const Format kFormats[] = {
        {"jsonl", "JSONL exchange format file (data/README.md)",
         importers::ImportJsonl, false, true},
        {"stackexchange", "Stack Exchange data-dump folder",
         importers::ImportStackExchange, false, true},
        {"enron", "The shared Enron set (actors.json, messages.json)",
         importers::ImportEnron, true, false},
        {"interactions", "JSONL of people, posts and interactions",
         importers::ImportInteractionsJsonl, true, false},
    };
    for (const Format& f : kFormats) {
      auto* sub = import->add_subcommand(f.name, f.help);
      sub->add_option("input", input_, "File or folder to import")->required();
      sub->add_option("--data", data_dir_, "Data folder (created if missing)")
          ->required();
      sub->add_flag("--strict", strict_,
                    "Fail on the first malformed record instead of skipping "
                    "it");
      sub->add_option("--rate-every", rate_every_,
                      "Print the posts/s of each N posts written to stderr "
                      "(JSONL; 0: off)")
          ->check(CLI::NonNegativeNumber);
      sub->add_option("--commit-every", bulk_commit_records_,
                      "Records per commit (default 2000; more costs memory "
                      "and CPU, and more to import again after a crash)")
          ->check(CLI::PositiveNumber);
      sub->add_option("--post-shard", post_shards_,
                      "Public posts onto Xapian remote shards (xapian-tcpsrv "
                      "--writable): tcp://HOST:PORT, repeated once a shard "
                      "in the order serve lists them (docs/operations.md, "
                      "Topology)");
      subcommands_.push_back({sub, &f});
    }
  }

  std::optional<int> RunIfParsed() override {
    for (auto [sub, format] : subcommands_)
      if (sub->parsed()) return Import(*format);
    return std::nullopt;
  }

 private:
  int Import(const Format& format) {
    index::CatalogOptions copts;
    copts.data_dir = data_dir_;
    copts.refresh_interval = std::chrono::milliseconds(0);
    // Commits every --commit-every records, whatever the batches touch,
    // rather than at each write: the import is restartable (records are
    // replaced by id) rather than durable write by write
    // (CatalogOptions::bulk_commit_records).
    copts.bulk_commit_records = bulk_commit_records_;
    for (const auto& shard : post_shards_)
      copts.post_shards.push_back(absl::StrSplit(shard, ','));
    auto catalog = index::Catalog::Open(copts);
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    ProgressLine progress;
    importers::ImportOptions options;
    options.strict = strict_;
    RateLines rates(rate_every_);
    if (format.progress)
      options.on_progress = [&](const importers::ImportProgress& p) {
        progress(p);
        rates(p.posts);
      };
    int64_t problems = 0;
    options.on_problem = [&](const std::string& problem) {
      if (++problems <= 20) {
        progress.Done();
        std::fprintf(stderr, "skipped %s\n", problem.c_str());
      }
    };
    const auto start = std::chrono::steady_clock::now();
    auto stats = format.import(input_, **catalog, options);
    progress.Done();
    if (stats.ok() && format.progress) rates(stats->posts, /*last=*/true);
    if (!stats.ok()) {
      return Fail(
          absl::StrFormat("import failed: %s (what was committed before it "
                          "stays; the same import again is safe)",
                          std::string(stats.status().message())));
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    // The catalog's close persists the records (derived.bin), the
    // colleague graph (graph.bin) and the docid table (docids.bin) only
    // for a published snapshot that holds
    // every write, and the import publishes none: without this the first
    // serve after an import builds the graph from every post (about 5 s of
    // CPU at 1M posts) instead of reading it. Sharded posts persist neither.
    // Its cost, and the close's, are printed (docs/measurements.md): they
    // come after the import's own time.
    std::string finish;
    if (post_shards_.empty()) {
      auto lap = [t = std::chrono::steady_clock::now()]() mutable {
        const auto now = std::chrono::steady_clock::now();
        return std::chrono::duration<double>(now - std::exchange(t, now))
            .count();
      };
      if (absl::Status committed = (*catalog)->Commit(); !committed.ok()) {
        return Fail(absl::StrFormat(
            "import failed: %s (what was committed before it stays; the "
            "same import again is safe)",
            std::string(committed.message())));
      }
      const double commit_s = lap();
      (*catalog)->Refresh();
      const double publish_s = lap();
      catalog->reset();  // the close writes the three derived files
      finish = absl::StrFormat(
          "then commit %.1f s, publish %.1f s, close (derived.bin, graph.bin, "
          "docids.bin) %.1f s\n",
          commit_s, publish_s, lap());
    }
    if (format.with_interactions) {
      std::printf(
          "imported %lld people, %lld posts and %lld interactions into %s in "
          "%.1f s",
          static_cast<long long>(stats->people),
          static_cast<long long>(stats->posts),
          static_cast<long long>(stats->interactions), data_dir_.c_str(), secs);
    } else {
      std::printf("imported %lld people and %lld posts into %s in %.1f s",
                  static_cast<long long>(stats->people),
                  static_cast<long long>(stats->posts), data_dir_.c_str(),
                  secs);
    }
    if (stats->minimal_people > 0) {
      std::printf(" (and %lld people known only from their posts)",
                  static_cast<long long>(stats->minimal_people));
    }
    if (stats->empty_posts > 0) {
      // Not malformed: they change neither the exit status nor "skipped".
      std::printf("; left out %lld empty posts",
                  static_cast<long long>(stats->empty_posts));
    }
    if (stats->skipped > 0) {
      std::printf("; skipped %lld malformed records%s\n%s",
                  static_cast<long long>(stats->skipped),
                  problems > 20 ? " (first 20 listed)" : "", finish.c_str());
      return kExitSkipped;
    }
    std::printf("\n%s", finish.c_str());
    return kExitOk;
  }

  // "posts 50000-100000: 4100 posts/s (12.2 s), 4300 per CPU-second
  // (11.6 s)" on stderr each time the posts written pass a multiple of
  // `every`: how throughput holds up as the index grows (CPU time: what
  // the import cost on a machine it shares).
  class RateLines {
   public:
    explicit RateLines(int64_t every) : every_(every) {}
    void operator()(int64_t posts, bool last = false) {
      if (every_ <= 0 || posts <= from_ || (posts < from_ + every_ && !last))
        return;
      const auto now = std::chrono::steady_clock::now();
      const std::clock_t cpu_now = std::clock();
      const double secs = std::chrono::duration<double>(now - since_).count();
      const double cpu =
          static_cast<double>(cpu_now - cpu_since_) / CLOCKS_PER_SEC;
      const auto n = static_cast<double>(posts - from_);
      std::fprintf(stderr,
                   "posts %lld-%lld: %.0f posts/s (%.1f s), %.0f per "
                   "CPU-second (%.1f s)\n",
                   static_cast<long long>(from_), static_cast<long long>(posts),
                   secs > 0 ? n / secs : 0.0, secs, cpu > 0 ? n / cpu : 0.0,
                   cpu);
      from_ = posts;
      since_ = now;
      cpu_since_ = cpu_now;
    }

   private:
    int64_t every_;
    int64_t from_ = 0;
    std::chrono::steady_clock::time_point since_ =
        std::chrono::steady_clock::now();
    std::clock_t cpu_since_ = std::clock();
  };

  std::vector<std::pair<CLI::App*, const Format*>> subcommands_;
  std::string input_, data_dir_;
  std::vector<std::string> post_shards_;  // --post-shard, one a shard
  bool strict_ = false;
  int64_t rate_every_ = 0;
  // Measured on 50,000 people and 50,000 posts: 500 and 2,000 cost the same
  // CPU, 10,000 about 30% more and 50,000 about 60% more (Xapian's buffered
  // postings get slower to update as they grow); 2,000 already merges a
  // batch's people, posts and private posts into one commit, without the
  // BATCH journal.
  int bulk_commit_records_ = 2000;
};

}  // namespace

std::unique_ptr<Command> MakeImportCommand() {
  return std::make_unique<ImportCommand>();
}

}  // namespace whoknows::cli
