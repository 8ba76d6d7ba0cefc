// `whoknows networks report|analyze`: the HR network analyses of a data
// folder, as an HTML report or as the AnalyzeNetworkResponse in JSON.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "api/networks.h"
#include "cli/command.h"
#include "importers/timestamp.h"
#include "index/catalog.h"
#include "index/interactions.h"
#include "networks/report.h"

namespace whoknows::cli {
namespace {

// User + system CPU seconds of this process so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

class NetworksCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    auto* networks = app.add_subcommand(
        "networks", "How the company works: communities, brokers, silos");
    networks->require_subcommand(1);
    report_ = networks->add_subcommand(
        "report", "Write a self-contained HTML report for HR");
    analyze_ = networks->add_subcommand(
        "analyze", "Print the AnalyzeNetworkResponse as JSON");
    for (CLI::App* sub : {report_, analyze_}) RegisterAnalysisOptions(*sub);
    report_->add_option("--out", out_, "HTML file to write")->required();
  }

  std::optional<int> RunIfParsed() override {
    if (report_->parsed()) return Run(/*report=*/true);
    if (analyze_->parsed()) return Run(/*report=*/false);
    return std::nullopt;
  }

 private:
  // The same bounds as the Networks service's (api/networks.h).
  void RegisterAnalysisOptions(CLI::App& sub) {
    const networks::NetworkLimits limits = api::NetworksServiceOptions{}.limits;
    sub.add_option("--data", data_dir_, "Data folder")->required();
    sub.add_option("--min-group", min_group_,
                   "Groups smaller than this get no figures")
        ->check(CLI::Range(1, limits.max_min_group_size))
        ->capture_default_str();
    sub.add_option("--window-days", window_days_,
                   "Length of the window in days (0: all time)")
        ->check(CLI::Range(0, limits.max_window_days))
        ->capture_default_str();
    sub.add_option("--end", window_end_,
                   "End of the window, RFC 3339 (default: after the newest "
                   "interaction)");
    sub.add_flag("--compare", compare_,
                 "Also analyse the window before, for change over time");
    sub.add_flag("--hr", hr_,
                 "Include person-level results (brokers, isolated people): "
                 "for HR only; opted-out people are never named");
    sub.add_flag("--manager-ties", manager_ties_,
                 "Count reporting lines as ties");
    sub.add_option("--top-brokers", top_brokers_, "How many brokers to list")
        ->check(CLI::Range(1, limits.max_top_brokers))
        ->capture_default_str();
    sub.add_flag("--timings", timings_,
                 "Print each stage's wall time to stderr");
  }

  int Run(bool report) {
    auto catalog = index::Catalog::OpenForReading(data_dir_);
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    auto interactions = index::InteractionLog(data_dir_).Load();
    if (!interactions.ok())
      return Fail(std::string(interactions.status().message()));
    networks::NetworkOptions o;
    o.graph = (*catalog)->options().graph;
    o.min_group_size = min_group_;
    o.window_days = window_days_;
    o.compare_previous = compare_;
    o.person_level = hr_;
    o.include_manager_ties = manager_ties_;
    o.top_brokers = top_brokers_;
    o.layout = report;
    // CPU seconds beside wall seconds: on a loaded machine the wall time
    // says more about the other processes than about the analysis.
    double cpu_at = CpuSeconds();
    if (timings_) {
      o.on_stage = [&cpu_at](const char* stage, double seconds) {
        const double cpu = CpuSeconds();
        std::fprintf(stderr, "%-28s %8.2f s wall %8.2f s CPU\n", stage, seconds,
                     cpu - cpu_at);
        cpu_at = cpu;
      };
    }
    if (!window_end_.empty()) {
      auto end = importers::ParseTimestamp(window_end_);
      if (!end.ok()) {
        std::fprintf(stderr, "whoknows networks: --end: %s\n",
                     std::string(end.status().message()).c_str());
        return kExitUsage;
      }
      o.window_end = *end;
    }
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_at = CpuSeconds();
    auto analysis =
        networks::AnalyzeNetwork(*(*catalog)->snapshot(), *interactions, o);
    if (timings_)
      std::fprintf(stderr, "%-28s %8.2f s wall %8.2f s CPU\n",
                   "analysis in all",
                   std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count(),
                   CpuSeconds() - cpu_start);
    if (!analysis.ok()) return Fail(std::string(analysis.status().message()));
    if (!report) {
      std::printf("%s\n", ToJson(api::ToProto(*analysis)).c_str());
      return kExitOk;
    }
    std::ofstream file(out_, std::ios::trunc);
    file << networks::RenderReportHtml(*analysis);
    if (!file.flush()) return Fail("cannot write " + out_);
    const auto& f = analysis->current;
    std::printf(
        "wrote %s: %d people (%d connected), %d ties, %d communities, "
        "modularity %.3f\n",
        out_.c_str(), f.people, f.connected_people, f.ties, f.communities_count,
        f.modularity);
    return kExitOk;
  }

  CLI::App* report_ = nullptr;
  CLI::App* analyze_ = nullptr;
  std::string data_dir_, out_, window_end_;
  int min_group_ = 5;
  int window_days_ = 0;
  bool compare_ = false;
  bool hr_ = false;
  bool manager_ties_ = false;
  bool timings_ = false;
  int top_brokers_ = 10;
};

}  // namespace

std::unique_ptr<Command> MakeNetworksCommand() {
  return std::make_unique<NetworksCommand>();
}

}  // namespace whoknows::cli
