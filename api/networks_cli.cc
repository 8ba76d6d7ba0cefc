#include "api/networks_cli.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_format.h"
#include "api/networks.h"
#include "index/catalog.h"
#include "index/interactions.h"
#include "networks/report.h"

namespace whoknows::api {
namespace {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitSkipped = 3;

int Fail(const std::string& message) {
  std::fprintf(stderr, "whoknows: %s\n", message.c_str());
  return kExitFailure;
}

}  // namespace

void NetworksCli::Register(CLI::App& app, CLI::App& import, CLI::App& serve,
                           ServerOptions& server_options) {
  enron_ = import.add_subcommand(
      "enron", "The shared Enron set (actors.json, messages.json)");
  interactions_ = import.add_subcommand(
      "interactions", "JSONL of people, posts and interactions");
  for (CLI::App* sub : {enron_, interactions_}) {
    sub->add_option("input", input_, "Folder or file to import")->required();
    sub->add_option("--data", data_dir_, "Data folder (created if missing)")
        ->required();
    sub->add_flag("--strict", strict_,
                  "Fail on the first malformed record instead of skipping it");
  }

  auto* networks = app.add_subcommand(
      "networks", "How the company works: communities, brokers, silos");
  networks->require_subcommand(1);
  report_ = networks->add_subcommand(
      "report", "Write a self-contained HTML report for HR");
  analyze_ = networks->add_subcommand(
      "analyze", "Print the AnalyzeNetworkResponse as JSON");
  for (CLI::App* sub : {report_, analyze_}) {
    sub->add_option("--data", data_dir_, "Data folder")->required();
    sub->add_option("--min-group", min_group_,
                    "Groups smaller than this get no figures")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_option("--window-days", window_days_,
                    "Length of the window in days (0: all time)")
        ->check(CLI::Range(0, 36500))
        ->capture_default_str();
    sub->add_option("--end", window_end_,
                    "End of the window, RFC 3339 (default: after the newest "
                    "interaction)");
    sub->add_flag("--compare", compare_,
                  "Also analyse the window before, for change over time");
    sub->add_flag("--hr", hr_,
                  "Include person-level results (brokers, isolated people): "
                  "for HR only; opted-out people are never named");
    sub->add_flag("--manager-ties", manager_ties_,
                  "Count reporting lines as ties");
    sub->add_option("--top-brokers", top_brokers_, "How many brokers to list")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
  }
  report_->add_option("--out", out_, "HTML file to write")->required();

  serve
      .add_option("--min-group", server_options.networks.min_group_size,
                  "Networks: groups smaller than this get no figures")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve.add_flag("--trust-role-metadata",
                 server_options.networks.caller.trust_role_metadata,
                 "Networks: believe the x-whoknows-role metadata (development "
                 "only, until authenticated roles exist)");
}

std::optional<int> NetworksCli::RunIfParsed() {
  if (enron_ && enron_->parsed()) return Import(true);
  if (interactions_ && interactions_->parsed()) return Import(false);
  if (report_ && report_->parsed()) return Networks(true);
  if (analyze_ && analyze_->parsed()) return Networks(false);
  return std::nullopt;
}

int NetworksCli::Import(bool enron) {
  index::CatalogOptions copts;
  copts.data_dir = data_dir_;
  copts.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(copts);
  if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
  index::ImportOptions options;
  options.strict = strict_;
  int64_t problems = 0;
  options.on_problem = [&](const std::string& problem) {
    if (++problems <= 20) std::fprintf(stderr, "skipped %s\n", problem.c_str());
  };
  const auto start = std::chrono::steady_clock::now();
  auto stats = enron
                   ? index::ImportEnron(input_, **catalog, options)
                   : index::ImportInteractionsJsonl(input_, **catalog, options);
  if (!stats.ok())
    return Fail(
        absl::StrFormat("import failed: %s (batches before it are committed)",
                        std::string(stats.status().message())));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "imported %lld people, %lld posts and %lld interactions into %s in "
      "%.1f s",
      static_cast<long long>(stats->people),
      static_cast<long long>(stats->posts),
      static_cast<long long>(stats->interactions), data_dir_.c_str(), secs);
  if (stats->skipped > 0) {
    std::printf("; skipped %lld malformed records%s\n",
                static_cast<long long>(stats->skipped),
                problems > 20 ? " (first 20 listed)" : "");
    return kExitSkipped;
  }
  std::printf("\n");
  return kExitOk;
}

int NetworksCli::Networks(bool report) {
  auto catalog = index::Catalog::OpenForReading(data_dir_);
  if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
  auto interactions = index::InteractionLog(data_dir_).Load();
  if (!interactions.ok())
    return Fail(std::string(interactions.status().message()));
  networks::NetworkOptions o;
  o.min_group_size = min_group_;
  o.window_days = window_days_;
  o.compare_previous = compare_;
  o.person_level = hr_;
  o.include_manager_ties = manager_ties_;
  o.top_brokers = top_brokers_;
  o.layout = report;
  if (!window_end_.empty()) {
    auto end = index::ParseTimestamp(window_end_);
    if (!end.ok()) {
      std::fprintf(stderr, "whoknows networks: --end: %s\n",
                   std::string(end.status().message()).c_str());
      return kExitUsage;
    }
    o.window_end = *end;
  }
  auto analysis =
      networks::AnalyzeNetwork(*(*catalog)->snapshot(), *interactions, o);
  if (!analysis.ok()) return Fail(std::string(analysis.status().message()));
  if (!report) {
    std::string out;
    google::protobuf::util::JsonPrintOptions jo;
    jo.add_whitespace = true;
    jo.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(ToProto(*analysis), &out,
                                                      jo);
    std::printf("%s\n", out.c_str());
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

}  // namespace whoknows::api
