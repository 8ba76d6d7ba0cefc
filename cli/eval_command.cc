// `whoknows eval stackexchange`: ranking quality offline, on a dump.
#include <cstdio>

#include "cli/command.h"
#include "eval/evaluation.h"

namespace whoknows::cli {
namespace {

class EvalCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    auto* eval = app.add_subcommand("eval", "Measure ranking quality offline");
    eval->require_subcommand(1);
    se_ = eval->add_subcommand("stackexchange",
                               "Time-split expert finding on a dump");
    options_.work_dir = "var/eval";
    se_->add_option("dump", dumps_,
                    "Stack Exchange dump folder(s); with several, each "
                    "community and the pooled figures in one table")
        ->required();
    se_->add_option("--work", options_.work_dir,
                    "Scratch data folder (emptied; one subfolder per dump "
                    "when there are several)")
        ->capture_default_str();
    se_->add_option("--test-fraction", options_.test_fraction,
                    "Share of the questions held out (the latest ones)")
        ->check(CLI::Range(0.01, 0.99))
        ->capture_default_str();
    se_->add_option("--window-end", options_.window_end,
                    "Replay the protocol on this first share of the "
                    "questions (a second, earlier time split)")
        ->check(CLI::Range(0.2, 1.0))
        ->capture_default_str();
    se_->add_flag("--no-learn", no_learn_,
                  "Skip learning weights from the history before the cut-off");
    se_->add_option("--features-tsv", options_.features_tsv,
                    "Write every candidate's features per test question "
                    "(several dumps: FILE with .NAME before the extension, "
                    "one per dump)");
    se_->add_option("--rolling-days", options_.rolling_days,
                    "Also rank the test questions as a running service "
                    "would: re-import before each window of this many days "
                    "(0: off)")
        ->check(CLI::Range(0, 3650))
        ->capture_default_str();
    se_->add_flag("--exposure-replay", exposure_replay_,
                  "Also replay the test period in time order with an "
                  "exposure budget at each of --exposure-weights "
                  "(docs/ranking.md, \"Exposure budget\")");
    se_->add_option("--exposure-weights", exposure_weights_,
                    "Exposure weights of the replay")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    se_->add_option("--exposure-free-shares", exposure_free_shares_,
                    "Penalty shapes of the replay: fair shares of exposure "
                    "that cost nothing (each weight x free x cap)")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 1000.0))
        ->capture_default_str();
    se_->add_option("--exposure-caps", exposure_caps_,
                    "Penalty shapes of the replay: most a penalty can be, in "
                    "score points (0: no cap)")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    se_->add_option("--exposure-window-days",
                    options_.ranking.exposure_window_days,
                    "Decay time constant of a suggestion in the replay")
        ->check(CLI::Range(0.001, 3650.0))
        ->capture_default_str();
    se_->add_option("--weights", weights_file_,
                    "Fusion weights JSON to evaluate instead of the defaults");
    RegisterRankingOptions();
  }

  std::optional<int> RunIfParsed() override {
    if (!se_->parsed()) return std::nullopt;
    if (!weights_file_.empty()) {
      auto w = ranking::FusionWeights::Load(weights_file_);
      if (!w.ok()) return Fail(std::string(w.status().message()));
      options_.ranking.weights = *w;
    }
    options_.learn = !no_learn_;
    if (exposure_replay_) options_.exposure_replay = ReplayShapes();
    options_.log = [](const std::string& s) {
      std::fprintf(stderr, "%s\n", s.c_str());
    };
    if (dumps_.size() > 1) return RunPool();
    options_.dump_dir = dumps_.front();
    auto report = eval::EvaluateStackExchange(options_);
    if (!report.ok()) return Fail(std::string(report.status().message()));
    std::printf("%s", eval::FormatReport(*report).c_str());
    return kExitOk;
  }

 private:
  // Every weight x free share x cap, weight 0 once (it has no shape).
  std::vector<ranking::ExposureShape> ReplayShapes() const {
    std::vector<ranking::ExposureShape> shapes;
    for (const double weight : exposure_weights_) {
      if (weight == 0) {
        shapes.push_back({});
        continue;
      }
      for (const double free : exposure_free_shares_) {
        for (const double cap : exposure_caps_)
          shapes.push_back({.weight = weight, .free_shares = free, .cap = cap});
      }
    }
    return shapes;
  }

  // Several dumps: each community's full report, then the one table of
  // every community and the pool.
  int RunPool() {
    auto pool = eval::EvaluateStackExchangePool(dumps_, options_);
    if (!pool.ok()) return Fail(std::string(pool.status().message()));
    for (const auto& c : pool->communities) {
      std::printf("== %s\n%s\n", c.name.c_str(),
                  eval::FormatReport(c.report).c_str());
    }
    std::printf(
        "== all %zu communities: pooled over their %d test questions\n%s",
        pool->communities.size(), pool->test_questions,
        eval::FormatPoolReport(*pool).c_str());
    return kExitOk;
  }

  // Ranking knobs worth varying offline.
  void RegisterRankingOptions() {
    ranking::RankingOptions& ranking = options_.ranking;
    se_->add_option("--max-posts", ranking.max_posts,
                    "Depth of the post ranking")
        ->capture_default_str();
    se_->add_option("--thread-answerers", ranking.thread_answerers,
                    "Credit of a matching question to its answerers")
        ->capture_default_str();
    se_->add_option("--half-life-days", ranking.half_life_days,
                    "Decay of evidence and activity")
        ->capture_default_str();
    se_->add_option("--answer-weight", ranking.answer,
                    "Role weight of a non-accepted answer")
        ->capture_default_str();
  }

  CLI::App* se_ = nullptr;
  eval::EvalOptions options_;
  std::vector<std::string> dumps_;
  std::string weights_file_;
  bool no_learn_ = false;
  bool exposure_replay_ = false;
  std::vector<double> exposure_weights_ = {
      0, ranking::RankingOptions{}.exposure_weight};
  std::vector<double> exposure_free_shares_ = {
      ranking::RankingOptions{}.exposure_free_shares};
  std::vector<double> exposure_caps_ = {ranking::RankingOptions{}.exposure_cap};
};

}  // namespace

std::unique_ptr<Command> MakeEvalCommand() {
  return std::make_unique<EvalCommand>();
}

}  // namespace whoknows::cli
