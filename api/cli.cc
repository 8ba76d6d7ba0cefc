#include "api/cli.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "api/expertise.h"
#include "api/networks_cli.h"
#include "api/server.h"
#include "index/catalog.h"
#include "index/importer.h"
#include "ranking/evaluation.h"
#include "ranking/expertise_model.h"
#include "ranking/learning.h"
#include "whoknows/v1/expertise.grpc.pb.h"

namespace whoknows::api {
namespace {

constexpr int kExitOk = 0, kExitFailure = 1, kExitSkipped = 3;

// Prints "\r<phase>: N records, P%, R/s, ETA" on a terminal; silent
// otherwise (logs and CI stay clean).
class ProgressLine {
 public:
  ProgressLine() : tty_(isatty(STDERR_FILENO)), start_(Clock::now()) {}
  void operator()(const index::ImportProgress& p) {
    if (!tty_) return;
    const double secs =
        std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = secs > 0 ? p.records / secs : 0;
    std::string line =
        absl::StrFormat("\r%s: %d records, %.0f/s", p.phase, p.records, rate);
    if (p.bytes_total > 0 && p.bytes_done > 0) {
      const double frac = static_cast<double>(p.bytes_done) / p.bytes_total;
      line += absl::StrFormat(", %.0f%%", 100 * frac);
      if (frac > 0.01 && frac < 1)
        line += absl::StrFormat(", ETA %.0f s", secs * (1 - frac) / frac);
    }
    std::fprintf(stderr, "%-78s", line.c_str());
    dirty_ = true;
  }
  void Done() {
    if (tty_ && dirty_) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  bool dirty_ = false;
  Clock::time_point start_;
};

const char* RoleName(v1::EvidenceRole r) {
  switch (r) {
    case v1::EVIDENCE_ROLE_ACCEPTED_ANSWER:
      return "accepted answer";
    case v1::EVIDENCE_ROLE_ANSWER:
      return "answer";
    case v1::EVIDENCE_ROLE_ARTICLE:
      return "article";
    case v1::EVIDENCE_ROLE_QUESTION:
      return "question";
    case v1::EVIDENCE_ROLE_COMMENT:
      return "comment";
    case v1::EVIDENCE_ROLE_MENTIONED:
      return "mentioned";
    default:
      return "post";
  }
}

std::string Date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

void PrintAnswer(const std::string& question,
                 const v1::FindExpertsResponse& r) {
  std::printf("Who knows: %s\n", question.c_str());
  if (r.experts().empty()) {
    std::printf("  nobody yet (%lld matching posts)\n",
                static_cast<long long>(r.matched_posts()));
    return;
  }
  int rank = 0;
  for (const auto& e : r.experts()) {
    const auto& p = e.person();
    std::string where = p.department();
    if (!p.site().empty()) where += (where.empty() ? "" : ", ") + p.site();
    std::printf(
        "%2d. %s%s%s  score %.3f\n", ++rank,
        p.display_name().empty() ? p.id().c_str() : p.display_name().c_str(),
        p.title().empty() ? "" : (" — " + p.title()).c_str(),
        where.empty() ? "" : (" (" + where + ")").c_str(), e.score());
    for (const auto& ev : e.evidence()) {
      std::string snippet = ev.snippet();
      for (char& c : snippet)
        if (c == '\n') c = ' ';
      std::printf("      %s, %s: %s\n", RoleName(ev.role()),
                  Date(ev.created().seconds()).c_str(), ev.title().c_str());
      if (!snippet.empty()) std::printf("        “%s”\n", snippet.c_str());
    }
    if (e.path_size() > 1) {
      std::string chain;
      for (int i = 0; i < e.path_size(); ++i) {
        const auto& step = e.path(i);
        chain += i == 0 ? "you"
                        : " → " + (step.display_name().empty()
                                       ? step.person_id()
                                       : step.display_name());
      }
      std::printf("      how you are connected: %s\n", chain.c_str());
    }
    // Largest contributions first, either sign.
    std::vector<std::pair<std::string, double>> parts(e.breakdown().begin(),
                                                      e.breakdown().end());
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
      return std::abs(a.second) != std::abs(b.second)
                 ? std::abs(a.second) > std::abs(b.second)
                 : a.first < b.first;
    });
    std::string why;
    for (const auto& [name, value] : parts)
      why +=
          absl::StrFormat("%s%s %+.2f", why.empty() ? "" : ", ", name, value);
    if (!why.empty()) std::printf("      score: %s\n", why.c_str());
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "whoknows: %s\n", message.c_str());
  return kExitFailure;
}

int RunImport(const std::string& format, const std::string& input,
              const std::string& data_dir, bool strict) {
  index::CatalogOptions copts;
  copts.data_dir = data_dir;
  copts.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(copts);
  if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
  ProgressLine progress;
  index::ImportOptions options;
  options.strict = strict;
  options.on_progress = [&](const index::ImportProgress& p) { progress(p); };
  int64_t problems = 0;
  options.on_problem = [&](const std::string& problem) {
    if (++problems <= 20) {
      progress.Done();
      std::fprintf(stderr, "skipped %s\n", problem.c_str());
    }
  };
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<index::ImportStats> stats =
      format == "jsonl" ? index::ImportJsonl(input, **catalog, options)
                        : index::ImportStackExchange(input, **catalog, options);
  progress.Done();
  if (!stats.ok()) {
    return Fail(
        absl::StrFormat("import failed: %s (batches before it are committed)",
                        std::string(stats.status().message())));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("imported %lld people and %lld posts into %s in %.1f s",
              static_cast<long long>(stats->people),
              static_cast<long long>(stats->posts), data_dir.c_str(), secs);
  if (stats->skipped > 0) {
    std::printf("; skipped %lld malformed records%s\n",
                static_cast<long long>(stats->skipped),
                problems > 20 ? " (first 20 listed)" : "");
    return kExitSkipped;
  }
  std::printf("\n");
  return kExitOk;
}

std::atomic<Server*> g_server{nullptr};

void OnSignal(int) {
  // Shutdown must not run inside the handler; a thread does it.
  if (Server* s = g_server.exchange(nullptr))
    std::thread([s] { s->Shutdown(); }).detach();
}

int RunServe(ServerOptions options) {
  auto server = Server::Start(options);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  auto snap = (*server)->catalog().snapshot();
  std::printf(
      "whoknows serving on %s (port %d): %zu people, %zu posts, %zu graph ties "
      "from %s\n",
      options.listen.c_str(), (*server)->port(), snap->people.size(),
      snap->posts.size(), snap->graph ? snap->graph->num_edges() : 0,
      options.data_dir.c_str());
  std::fflush(stdout);
  g_server = server->get();
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  (*server)->Wait();
  return kExitOk;
}

int RunAsk(const std::string& question, const std::string& data_dir,
           const std::string& address, const std::string& asker, int limit,
           const std::vector<std::string>& tags, const std::string& language,
           bool json) {
  v1::FindExpertsRequest request;
  request.set_query(question);
  request.set_asker_id(asker);
  request.set_limit(limit);
  for (const auto& t : tags) request.add_tags(t);
  request.set_language(language);
  v1::FindExpertsResponse response;
  if (!address.empty()) {
    auto channel =
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    auto stub = v1::Expertise::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    grpc::Status s = stub->FindExperts(&ctx, request, &response);
    if (!s.ok())
      return Fail(absl::StrFormat("%s: %s", address, s.error_message()));
  } else {
    auto catalog = index::Catalog::OpenForReading(data_dir);
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    ranking::RankingOptions ranking;
    if (auto st = ranking::ApplyLearnedWeights(data_dir, &ranking); !st.ok())
      return Fail(std::string(st.message()));
    // The persisted model when there is one, else one built now (in memory:
    // the folder is opened read-only).
    auto model = ranking::ExpertiseModel::Load(
        ranking::EmbeddingsPath(data_dir), (*catalog)->snapshot());
    if (!model.ok())
      model = ranking::ExpertiseModel::Build(**catalog, (*catalog)->snapshot());
    if (!model.ok()) return Fail(std::string(model.status().message()));
    ranking::ExpertFinder finder(**catalog, ranking,
                                 [m = *model] { return m; });
    auto r = FindExperts(**catalog, finder, request);
    if (!r.ok()) return Fail(std::string(r.status().message()));
    response = std::move(*r);
  }
  if (json) {
    std::string out;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(response, &out, o);
    std::printf("%s\n", out.c_str());
  } else {
    PrintAnswer(question, response);
  }
  return kExitOk;
}

int RunEval(ranking::EvalOptions o) {
  o.log = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
  auto report = ranking::EvaluateStackExchange(o);
  if (!report.ok()) return Fail(std::string(report.status().message()));
  std::printf("%s", ranking::FormatReport(*report).c_str());
  return kExitOk;
}

int RunLearn(const std::string& data_dir, const ranking::LearnOptions& lo,
             bool dry_run) {
  auto catalog = index::Catalog::OpenForReading(data_dir);
  if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
  ranking::LearnOptions o = lo;
  o.log = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
  if (auto st = ranking::ApplyLearnedWeights(data_dir, &o.ranking); !st.ok())
    return Fail(std::string(st.message()));
  auto report = ranking::LearnFusionWeights(**catalog, o);
  if (!report.ok()) return Fail(std::string(report.status().message()));
  std::printf(
      "%d labelled questions, %d replayed as examples (%d with the "
      "solver outside the candidates)\n",
      report->labelled_questions, report->examples + report->missed,
      report->missed);
  std::printf("%-10s %8s %8s\n", "signal", "before", "learned");
  for (int i = 0; i < ranking::kNumSignals; ++i) {
    std::printf("%-10s %8.3f %8.3f\n",
                ranking::SignalName(static_cast<ranking::Signal>(i)),
                o.ranking.weights.weight[i], report->fit.weights.weight[i]);
  }
  std::printf("in-sample MRR %.3f -> %.3f\n", report->mrr_prior,
              report->mrr_fitted);
  if (dry_run) return kExitOk;
  const std::string path = ranking::FusionWeightsPath(data_dir);
  if (auto st = report->fit.weights.Save(path); !st.ok())
    return Fail(std::string(st.message()));
  std::printf("wrote %s; `whoknows serve` uses it from its next start\n",
              path.c_str());
  return kExitOk;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"whoknows: who in the company has faced this before?"};
  app.require_subcommand(1);

  auto* import =
      app.add_subcommand("import", "Load people and posts into a data folder");
  import->require_subcommand(1);
  std::string data_dir, input;
  bool strict = false;
  for (auto [name, help] :
       {std::pair{"jsonl", "JSONL exchange format file (data/README.md)"},
        {"stackexchange", "Stack Exchange data-dump folder"}}) {
    auto* sub = import->add_subcommand(name, help);
    sub->add_option("input", input, "File or folder to import")->required();
    sub->add_option("--data", data_dir, "Data folder (created if missing)")
        ->required();
    sub->add_flag("--strict", strict,
                  "Fail on the first malformed record instead of skipping it");
  }

  auto* serve = app.add_subcommand("serve", "Run the gRPC service");
  ServerOptions sopts;
  int64_t refresh_ms = 1000;
  auto* listen_opt = serve
                         ->add_option("--listen", sopts.listen,
                                      "HOST:PORT (env WHOKNOWS_LISTEN)")
                         ->capture_default_str();
  auto* data_opt = serve->add_option("--data", sopts.data_dir,
                                     "Data folder (env WHOKNOWS_DATA)");
  auto* refresh_opt =
      serve
          ->add_option(
              "--refresh-ms", refresh_ms,
              "Max delay before writes are visible (env WHOKNOWS_REFRESH_MS)")
          ->capture_default_str();

  auto* ask = app.add_subcommand("ask", "Ask who knows something");
  std::string question, server_address, asker;
  int limit = 5;
  bool json = false;
  ask->add_option("question", question, "The question, in Swedish or English")
      ->required();
  auto* ask_data =
      ask->add_option("--data", data_dir, "Read a data folder directly");
  auto* ask_server = ask->add_option("--server", server_address,
                                     "Ask a running server, HOST:PORT");
  ask_data->excludes(ask_server);
  ask->add_option("--asker", asker, "Your person id (never suggested)");
  ask->add_option("--limit", limit, "How many people")
      ->check(CLI::Range(1, kMaxLimit))
      ->capture_default_str();
  std::vector<std::string> tags;
  ask->add_option("--tag", tags, "A topic tag of the question (repeatable)");
  std::string language;
  ask->add_option("--language", language,
                  "Only evidence in this language (ISO 639-1, e.g. en)");
  ask->add_flag("--json", json, "Print the FindExpertsResponse as JSON");

  auto* learn = app.add_subcommand(
      "learn",
      "Learn ranking weights from the accepted answers in a data folder");
  ranking::LearnOptions learn_opts;
  bool dry_run = false;
  learn->add_option("--data", data_dir, "Data folder")->required();
  learn
      ->add_option("--example-fraction", learn_opts.example_fraction,
                   "Share of the latest labelled questions replayed")
      ->check(CLI::Range(0.05, 0.95))
      ->capture_default_str();
  learn->add_option("--folds", learn_opts.folds, "Replay points")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  learn
      ->add_option("--l2", learn_opts.fit.l2,
                   "Pull towards the current weights (larger: trust them more)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  learn->add_flag("--dry-run", dry_run, "Print the weights, write nothing");

  auto* eval = app.add_subcommand("eval", "Measure ranking quality offline");
  eval->require_subcommand(1);
  auto* eval_se = eval->add_subcommand("stackexchange",
                                       "Time-split expert finding on a dump");
  ranking::EvalOptions eval_opts;
  eval_opts.work_dir = "var/eval";
  eval_se->add_option("dump", eval_opts.dump_dir, "Stack Exchange dump folder")
      ->required();
  eval_se
      ->add_option("--work", eval_opts.work_dir,
                   "Scratch data folder (emptied)")
      ->capture_default_str();
  ranking::RankingOptions& ranking = eval_opts.ranking;
  eval_se
      ->add_option("--test-fraction", eval_opts.test_fraction,
                   "Share of the questions held out (the latest ones)")
      ->check(CLI::Range(0.01, 0.99))
      ->capture_default_str();
  bool no_learn = false;
  eval_se
      ->add_option("--window-end", eval_opts.window_end,
                   "Replay the protocol on this first share of the questions "
                   "(a second, earlier time split)")
      ->check(CLI::Range(0.2, 1.0))
      ->capture_default_str();
  eval_se->add_flag(
      "--no-learn", no_learn,
      "Skip learning weights from the history before the cut-off");
  eval_se->add_option("--features-tsv", eval_opts.features_tsv,
                      "Write every candidate's features per test question");
  eval_se
      ->add_option("--rolling-days", eval_opts.rolling_days,
                   "Also rank the test questions as a running service would: "
                   "re-import before each window of this many days (0: off)")
      ->check(CLI::Range(0, 3650))
      ->capture_default_str();
  std::string weights_file;
  eval_se->add_option(
      "--weights", weights_file,
      "Fusion weights JSON to evaluate instead of the defaults");
  eval_se
      ->add_option("--max-posts", ranking.max_posts,
                   "Depth of the post ranking")
      ->capture_default_str();
  eval_se
      ->add_option("--thread-answerers", ranking.thread_answerers,
                   "Credit of a matching question to its answerers")
      ->capture_default_str();
  eval_se
      ->add_option("--half-life-days", ranking.half_life_days,
                   "Decay of evidence and activity")
      ->capture_default_str();
  eval_se
      ->add_option("--answer-weight", ranking.answer,
                   "Role weight of a non-accepted answer")
      ->capture_default_str();

  NetworksCli networks_cli;  // import enron/interactions, networks, serve flags
  networks_cli.Register(app, *import, *serve, sopts);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (auto status = networks_cli.RunIfParsed()) return *status;
  if (import->parsed()) {
    for (auto* sub : import->get_subcommands())
      return RunImport(sub->get_name(), input, data_dir, strict);
  }
  if (serve->parsed()) {
    sopts.refresh_interval = std::chrono::milliseconds(refresh_ms);
    sopts.ApplyEnvironment(listen_opt->count() > 0, data_opt->count() > 0,
                           refresh_opt->count() > 0);
    if (auto s = sopts.Validate(); !s.ok()) {
      std::fprintf(stderr, "whoknows serve: %s\n",
                   std::string(s.message()).c_str());
      return 2;
    }
    return RunServe(sopts);
  }
  if (ask->parsed()) {
    if (data_dir.empty() && server_address.empty())
      server_address = "127.0.0.1:50051";
    return RunAsk(question, data_dir, server_address, asker, limit, tags,
                  language, json);
  }
  if (learn->parsed()) return RunLearn(data_dir, learn_opts, dry_run);
  if (eval_se->parsed()) {
    if (!weights_file.empty()) {
      auto w = ranking::FusionWeights::Load(weights_file);
      if (!w.ok()) return Fail(std::string(w.status().message()));
      ranking.weights = *w;
    }
    eval_opts.learn = !no_learn;
    return RunEval(eval_opts);
  }
  return 2;
}

}  // namespace whoknows::api
