// `whoknows compact`: makes deletions physical. Xapian frees the blocks of
// deleted records without overwriting them; compaction rewrites the indexes
// into fresh files so that an erased person leaves no byte behind.
#include <cstdio>
#include <filesystem>

#include "api/erasure.h"
#include "cli/command.h"
#include "index/catalog.h"
#include "index/data_dir.h"

namespace whoknows::cli {
namespace {

class CompactCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    compact_ = app.add_subcommand(
        "compact",
        "Rewrite the indexes of a data folder so that deleted records leave "
        "no bytes on disk (needs the folder's writer lock: stop `serve`, or "
        "call the Ingest.Compact RPC of the running server)");
    compact_->add_option("--data", data_dir_, "Data folder")->required();
  }

  std::optional<int> RunIfParsed() override {
    if (!compact_->parsed()) return std::nullopt;
    const index::DataDir dir(data_dir_);
    std::error_code ec;
    if (!std::filesystem::exists(dir.posts(), ec))
      return Fail("no whoknows data in " + data_dir_);
    index::CatalogOptions copts;
    copts.data_dir = data_dir_;
    copts.refresh_interval = std::chrono::milliseconds(0);
    copts.dictionary_dir.clear();  // no queries here
    auto catalog = index::Catalog::Open(copts);
    if (absl::IsFailedPrecondition(catalog.status())) {
      // The CLI cannot take the writer from a running server.
      return Fail("cannot compact " + data_dir_ +
                  ": another process holds its writer lock. If `whoknows "
                  "serve` runs on it, ask the server to compact itself with "
                  "the admin RPC whoknows.v1.Ingest/Compact; otherwise wait "
                  "for the import to finish.");
    }
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    // An erasure a crash interrupted is finished first, or compaction would
    // keep what it had not reached yet.
    api::Eraser eraser(**catalog, /*models=*/nullptr,
                       api::EraserOptions{.data_dir = data_dir_});
    auto resumed = eraser.ResumePending();
    if (!resumed.ok())
      return Fail("finishing an interrupted erasure: " +
                  std::string(resumed.status().message()));
    if (*resumed) {
      std::printf("finished the interrupted erasure of %s\n",
                  (*resumed)->person_id.c_str());
    }
    auto result = (*catalog)->Compact();
    if (!result.ok()) return Fail(std::string(result.status().message()));
    std::printf("compacted %s: %.1f MB -> %.1f MB\n", data_dir_.c_str(),
                static_cast<double>(result->bytes_before) / 1e6,
                static_cast<double>(result->bytes_after) / 1e6);
    return kExitOk;
  }

 private:
  CLI::App* compact_ = nullptr;
  std::string data_dir_;
};

}  // namespace

std::unique_ptr<Command> MakeCompactCommand() {
  return std::make_unique<CompactCommand>();
}

}  // namespace whoknows::cli
