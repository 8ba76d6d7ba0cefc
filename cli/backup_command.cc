// `whoknows backup` and `whoknows restore`: a consistent copy of a data
// folder in one tar file, taken while a server serves and writes it
// (index/backup.h says how), and brought back into a folder.
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "index/backup.h"
#include "index/data_dir.h"

namespace whoknows::cli {
namespace {

void PrintManifest(const char* verb, const std::string& where,
                   const index::BackupManifest& m) {
  int64_t bytes = 0;
  for (const auto& f : m.files) bytes += f.bytes;
  std::printf(
      "%s %s: %lld posts, %lld private posts, %lld people, %lld "
      "interactions, %zu files, %.1f MB (cut taken %s, %d attempt%s)%s%s\n",
      verb, where.c_str(), static_cast<long long>(m.posts),
      static_cast<long long>(m.private_posts), static_cast<long long>(m.people),
      static_cast<long long>(m.interactions), m.files.size(),
      static_cast<double>(bytes) / 1e6, m.created.c_str(), m.attempts,
      m.attempts == 1 ? "" : "s",
      m.erasure.empty() ? "" : "; an erasure was pending, serve finishes it: ",
      m.erasure.c_str());
}

class BackupCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    backup_ = app.add_subcommand(
        "backup",
        "Write a consistent copy of a data folder to one tar file, also "
        "while `whoknows serve` writes it");
    backup_->add_option("--data", data_dir_, "Data folder")->required();
    backup_->add_option("--out", file_, "Backup file to write (a tar)")
        ->required();
    restore_ = app.add_subcommand(
        "restore", "Bring a backup back into a data folder (checksums first)");
    restore_->add_option("--in", in_, "Backup file from `whoknows backup`")
        ->required();
    restore_->add_option("--data", restore_dir_, "Data folder to restore into")
        ->required();
    restore_->add_flag("--force", force_,
                       "Replace a non-empty data folder (not while a server "
                       "or an import holds its lock)");
  }

  std::optional<int> RunIfParsed() override {
    if (backup_->parsed()) {
      auto m = index::Backup(index::DataDir(data_dir_), file_);
      if (!m.ok()) return Fail(std::string(m.status().message()));
      PrintManifest("backed up", data_dir_ + " to " + file_, *m);
      return kExitOk;
    }
    if (restore_->parsed()) {
      auto m = index::Restore(in_, index::DataDir(restore_dir_), force_);
      if (!m.ok()) return Fail(std::string(m.status().message()));
      PrintManifest("restored", in_ + " into " + restore_dir_, *m);
      return kExitOk;
    }
    return std::nullopt;
  }

 private:
  CLI::App* backup_ = nullptr;
  CLI::App* restore_ = nullptr;
  std::string data_dir_, file_, in_, restore_dir_;
  bool force_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeBackupCommand() {
  return std::make_unique<BackupCommand>();
}

}  // namespace whoknows::cli
