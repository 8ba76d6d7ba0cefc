// `whoknows learn`: fusion weights from the accepted answers in a data
// folder.
#include <cstdio>

#include "cli/command.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/outcomes.h"
#include "ranking/learning.h"

namespace whoknows::cli {
namespace {

void PrintReport(const ranking::LearnReport& report,
                 const ranking::FusionWeights& before) {
  std::printf(
      "%d labelled questions, %d replayed as examples (%d with the "
      "solver outside the candidates)\n",
      report.labelled_questions, report.examples + report.missed,
      report.missed);
  if (report.outcome_examples + report.outcome_missed > 0) {
    std::printf(
        "of which %d from outcomes (RecordOutcome; %d with the helper "
        "outside the candidates)\n",
        report.outcome_examples + report.outcome_missed, report.outcome_missed);
  }
  std::printf("%-10s %8s %8s\n", "signal", "before", "learned");
  for (int i = 0; i < ranking::kNumSignals; ++i) {
    std::printf("%-10s %8.3f %8.3f\n",
                ranking::SignalName(static_cast<ranking::Signal>(i)),
                before.weight[i], report.fit.weights.weight[i]);
  }
  std::printf("in-sample MRR %.3f -> %.3f\n", report.mrr_prior,
              report.mrr_fitted);
}

class LearnCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    learn_ = app.add_subcommand(
        "learn",
        "Learn ranking weights from the accepted answers in a data folder");
    learn_->add_option("--data", data_dir_, "Data folder")->required();
    learn_
        ->add_option("--example-fraction", options_.example_fraction,
                     "Share of the latest labelled questions replayed")
        ->check(CLI::Range(0.05, 0.95))
        ->capture_default_str();
    learn_->add_option("--folds", options_.folds, "Replay points")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    learn_
        ->add_option(
            "--l2", options_.fit.l2,
            "Pull towards the current weights (larger: trust them more)")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    learn_->add_flag("--dry-run", dry_run_, "Print the weights, write nothing");
  }

  std::optional<int> RunIfParsed() override {
    if (!learn_->parsed()) return std::nullopt;
    auto catalog = index::Catalog::OpenForReading(data_dir_);
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    ranking::LearnOptions o = options_;
    o.log = [](const std::string& s) {
      std::fprintf(stderr, "%s\n", s.c_str());
    };
    if (auto st = ranking::ApplyLearnedWeights(data_dir_, &o.ranking); !st.ok())
      return Fail(std::string(st.message()));
    auto outcomes = index::OutcomeLog(data_dir_).Load();
    if (!outcomes.ok()) return Fail(std::string(outcomes.status().message()));
    o.outcomes = *std::move(outcomes);
    auto report = ranking::LearnFusionWeights(**catalog, o);
    if (!report.ok()) return Fail(std::string(report.status().message()));
    PrintReport(*report, o.ranking.weights);
    if (dry_run_) return kExitOk;
    const std::string path = index::DataDir(data_dir_).fusion_weights();
    if (auto st = report->fit.weights.Save(path); !st.ok())
      return Fail(std::string(st.message()));
    std::printf("wrote %s; `whoknows serve` uses it from its next start\n",
                path.c_str());
    return kExitOk;
  }

 private:
  CLI::App* learn_ = nullptr;
  std::string data_dir_;
  ranking::LearnOptions options_;
  bool dry_run_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeLearnCommand() {
  return std::make_unique<LearnCommand>();
}

}  // namespace whoknows::cli
