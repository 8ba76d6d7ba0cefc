// `whoknows serve`: the gRPC service on a data folder, until SIGINT or
// SIGTERM; SIGHUP re-reads the TLS certificate, key, client CA and token
// keys.
#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/server.h"
#include "cli/command.h"
#include "index/catalog.h"
#include "index/graph.h"

namespace whoknows::cli {
namespace {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and in every thread
// it starts afterwards (gRPC's included), so that they are only ever taken by
// sigwait in the thread that shuts the server down: nothing runs inside a
// signal handler.
// --NAME-threads and --NAME-queue: the size of an executor and how many
// calls may wait for it.
void AddExecutorOptions(CLI::App& app, const std::string& name,
                        api::ExecutorOptions& o, const std::string& threads,
                        const std::string& waiting) {
  app.add_option("--" + name + "-threads", o.threads, threads)
      ->capture_default_str();
  app.add_option("--" + name + "-queue", o.max_queued,
                 waiting +
                     "; more are refused (RESOURCE_EXHAUSTED, "
                     "retry-after-ms)")
      ->capture_default_str();
}

sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// What the signal thread knows of the server's life.
struct Lifecycle {
  absl::Mutex mu;
  api::Server* server ABSL_GUARDED_BY(mu) = nullptr;  // set once serving
  bool abandoned ABSL_GUARDED_BY(mu) = false;         // Start failed
};

// SIGHUP: the server re-reads its certificate and keys (once it serves;
// before, it is reading them anyway). A bad file keeps the current one.
void Reload(Lifecycle* life) {
  absl::MutexLock lock(&life->mu);
  if (!life->server) return;
  const absl::Status s = life->server->Reload();
  if (s.ok())
    std::fprintf(stderr, "whoknows: SIGHUP: reloaded certificates and keys\n");
  else
    std::fprintf(stderr,
                 "whoknows: SIGHUP: %s (what it names stays as it was)\n",
                 std::string(s.message()).c_str());
}

// Waits for SIGINT or SIGTERM. Before the server serves, a signal ends the
// process at once, as the default action would (nothing is half-written:
// every write commits before it returns); once it serves, it shuts the
// server down gracefully: no new calls, those in flight get --drain-ms to
// finish, then the rest are cancelled and `serve` exits 0. SIGHUPs before
// it reload the TLS files and the token keys.
void WaitForSignal(const sigset_t* signals, Lifecycle* life) {
  int signal = 0;
  while (sigwait(signals, &signal) == 0 && signal == SIGHUP) Reload(life);
  absl::MutexLock lock(&life->mu);
  if (life->abandoned) return;
  if (!life->server) std::_Exit(128 + signal);
  std::fprintf(stderr, "whoknows: %s: draining calls in flight\n",
               strsignal(signal));
  life->server->Shutdown();
}

// Raises the soft limit on open files to the hard one: every connection
// holds a descriptor, and gRPC 1.51 never accepts again once accept4 has
// failed with EMFILE (grpc/grpc#20418), so the default soft limit of 1,024
// lets about a thousand idle connections lock the server out for good.
// Logs the limit it runs with (docs/operations.md, "Connections").
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t before = limit.rlim_cur;
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = before;
  }
  const auto shown = [](rlim_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
  };
  std::fprintf(stderr,
               "whoknows: open files limit %s (soft was %s, hard %s)%s\n",
               shown(limit.rlim_cur).c_str(), shown(before).c_str(),
               shown(limit.rlim_max).c_str(),
               limit.rlim_cur < 65536 ? "; raise LimitNOFILE (see "
                                        "docs/operations.md)"
                                      : "");
}

// glibc's malloc only: with tcmalloc, which `whoknows` links
// (CMakeLists.txt: whoknows_malloc), mallopt does nothing. Kept for a build
// without it.
// glibc gives each thread that meets a busy lock another malloc arena, up
// to 8 per core; the server's many threads (gRPC, ingest, publish, model)
// spread the snapshot's and the writer's allocations over 16 arenas on 2
// cores, each keeping freed pages of its own. One arena per core: at 100k
// posts the RSS after a 10,000-post ingest fell from 445 to 369 MB.
// MALLOC_ARENA_MAX in the environment still decides.
void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const unsigned cores = std::thread::hardware_concurrency();
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, cores)));
}

// Blocks of 4 MiB and more get pages of their own (mmap), given back to
// the system when freed. glibc's own threshold starts at 128 KiB and rises
// to the size of each such block freed (up to 32 MiB), so after start-up
// the per-post arrays that each publish copies (the numbering's, the
// docids': 4-16 MB each at 1M posts) came from the arenas, where a freed
// one stays resident until the next, not always fitting in its hole,
// reuses it. 4 MiB keeps a query's arrays (by person: 0.4-1.6 MB at
// 50,000 people) in the arenas. MALLOC_MMAP_THRESHOLD_ in the environment
// still decides.
void GiveBackLargeBlocks() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

int Serve(const api::ServerOptions& options) {
  LimitMallocArenas();
  GiveBackLargeBlocks();
  RaiseOpenFileLimit();
  const sigset_t signals = BlockShutdownSignals();
  Lifecycle life;
  std::thread on_signal(WaitForSignal, &signals, &life);
  auto server = api::Server::Start(options);
  if (!server.ok()) {
    {
      absl::MutexLock lock(&life.mu);
      life.abandoned = true;
    }
    pthread_kill(on_signal.native_handle(), SIGTERM);
    on_signal.join();
    return Fail(std::string(server.status().message()));
  }
  auto snap = (*server)->catalog().snapshot();
  std::printf(
      "whoknows serving on %s (port %d): %zu people, %zu posts, %zu graph ties "
      "from %s\n",
      options.listen.c_str(), (*server)->port(), snap->people.size(),
      snap->posts.size(), snap->graph ? snap->graph->num_edges() : 0,
      options.data_dir.c_str());
  std::fflush(stdout);
  snap.reset();
  {
    absl::MutexLock lock(&life.mu);
    life.server = server->get();
  }
  // Returns once Shutdown has run, which only the signal thread calls; it is
  // joined before the server is destroyed.
  (*server)->Wait();
  on_signal.join();
  return kExitOk;
}

class ServeCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    serve_ = app.add_subcommand("serve", "Run the gRPC service");
    listen_ = serve_
                  ->add_option("--listen", options_.listen,
                               "HOST:PORT (env WHOKNOWS_LISTEN)")
                  ->capture_default_str();
    data_ = serve_->add_option("--data", options_.data_dir,
                               "Data folder (env WHOKNOWS_DATA)");
    refresh_ = serve_
                   ->add_option("--refresh-ms", refresh_ms_,
                                "Max delay before writes are visible (env "
                                "WHOKNOWS_REFRESH_MS)")
                   ->capture_default_str();
    serve_
        ->add_option("--publish-cpu-share", options_.publish_cpu_share,
                     "Under sustained writes, publish sooner than "
                     "--refresh-ms while publishing takes at most this share "
                     "of a core (0: every --refresh-ms)")
        ->capture_default_str();
    serve_->add_option("--post-shard", options_.post_shards,
                       "Public posts on a Xapian remote shard: "
                       "tcp://HOST:PORT[,tcp://HOST2:PORT2] (servers tried in "
                       "order); repeat once a shard, in the same order in "
                       "every process (docs/operations.md, Topology)");
    serve_->add_flag("--follow", options_.follow,
                     "Read-only front-end: follow a writer elsewhere through "
                     "replicated people/ and private_posts/ in --data and "
                     "the --post-shard servers (no ingest)");
    serve_->add_flag("--change-log-on-folder", options_.change_log_on_folder,
                     "Keep the change log for followers on a single folder "
                     "whose posts/ is replicated to them (always kept with "
                     "--post-shard; docs/operations.md, Topology)");
    serve_
        ->add_option("--model-rebuild-ms", model_rebuild_ms_,
                     "Least time between two rebuilds of the expertise model "
                     "while writes go on")
        ->check(CLI::Range(int64_t{0}, int64_t{24} * 3600 * 1000))
        ->capture_default_str();
    serve_
        ->add_option("--model-retrain-ms", model_retrain_ms_,
                     "Least time between two full builds of the expertise "
                     "model for growth (the space learned again); new posts "
                     "are folded into the kept space in between")
        ->check(CLI::Range(int64_t{0}, int64_t{7} * 24 * 3600 * 1000))
        ->capture_default_str();
    serve_->add_option("--clock-unix-s", clock_unix_s_,
                       "Answer as of this fixed time (unix seconds) instead "
                       "of the system clock: reproducible answers across "
                       "front-ends and runs (tests, comparisons)");
    serve_
        ->add_option("--future-tolerance-s", options_.future_tolerance_seconds,
                     "Refuse writes dated more than this many seconds after "
                     "the server's clock")
        ->capture_default_str();
    serve_
        ->add_option("--exposure-weight", options_.ranking.exposure_weight,
                     "Exposure budget: how much recent suggestions move a "
                     "person down (0: pure relevance)")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    serve_
        ->add_option("--exposure-window-days",
                     options_.ranking.exposure_window_days,
                     "Exposure budget: decay time constant of a suggestion")
        ->check(CLI::Range(0.001, 3650.0))
        ->capture_default_str();
    serve_
        ->add_option("--exposure-free-shares",
                     options_.ranking.exposure_free_shares,
                     "Exposure budget: recent suggestions, in fair shares, "
                     "that cost nothing")
        ->check(CLI::Range(0.0, 1000.0))
        ->capture_default_str();
    serve_
        ->add_option("--exposure-cap", options_.ranking.exposure_cap,
                     "Exposure budget: most the penalty can be, in score "
                     "points (0: no cap)")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    serve_
        ->add_option("--min-group", options_.networks.min_group_size,
                     "Networks: groups smaller than this get no figures")
        ->check(CLI::Range(1, options_.networks.limits.max_min_group_size))
        ->capture_default_str();
    auto& auth = options_.auth;
    serve_->add_option("--tls-cert", options_.tls_cert_file,
                       "PEM certificate chain for TLS on the port");
    serve_->add_option("--tls-key", options_.tls_key_file,
                       "PEM private key of --tls-cert");
    serve_->add_option("--client-ca", options_.client_ca_file,
                       "PEM CA that client certificates (mTLS) chain to");
    serve_->add_option("--jwt-keys", auth.jwt_keys_file,
                       "PEM or JWKS file of the keys bearer tokens are "
                       "signed with (RS256, ES256)");
    serve_->add_option("--jwt-issuer", auth.issuer, "Required iss of tokens");
    serve_
        ->add_option("--jwt-audience", auth.audience, "Required aud of tokens")
        ->capture_default_str();
    serve_
        ->add_option("--jwt-roles-claim", auth.roles_claim,
                     "Claim with the roles (array or space-separated)")
        ->capture_default_str();
    serve_
        ->add_option("--jwt-clock-skew", clock_skew_s_,
                     "Seconds of tolerance on exp and nbf")
        ->capture_default_str();
    serve_->add_option("--service-account", service_accounts_,
                       "NAME=ROLE: a client certificate's CN or SAN and its "
                       "role (repeatable; needs --client-ca)");
    serve_
        ->add_option("--drain-ms", drain_ms_,
                     "On SIGTERM/SIGINT: how long calls in flight may take "
                     "to finish before they are cancelled")
        ->capture_default_str();
    AddExecutorOptions(*serve_, "analysis", options_.analysis_executor,
                       "Threads running AnalyzeNetwork calls",
                       "AnalyzeNetwork calls that may wait");
    AddExecutorOptions(*serve_, "ingest", options_.ingest_executor,
                       "Threads running ingest, deletions and Compact",
                       "Ingest calls (and stream messages) that may wait");
    serve_
        ->add_option("--ingest-group-budget-ms", ingest_group_budget_ms_,
                     "IngestStream: write what arrived in groups of about "
                     "this much writing time, one commit each (longer: "
                     "fewer commits a post, longer waits behind a group)")
        ->capture_default_str();
    serve_
        ->add_option("--ingest-group-min-items",
                     options_.ingest_group_min_items,
                     "IngestStream: the fewest items a group holds (when "
                     "there are that many) whatever the budget")
        ->capture_default_str();
    serve_
        ->add_option("--max-message-bytes", options_.max_message_bytes,
                     "Largest request or stream message accepted, bytes "
                     "(read whole before the token is checked)")
        ->capture_default_str();
    serve_
        ->add_option("--handshake-timeout-ms", handshake_timeout_ms_,
                     "Close connections that have not finished their TLS "
                     "and HTTP/2 handshake within this")
        ->capture_default_str();
    serve_
        ->add_option("--max-connection-idle-ms", max_connection_idle_ms_,
                     "Close connections with no call for this long")
        ->capture_default_str();
    serve_->add_flag("--insecure", options_.insecure,
                     "Allow a non-loopback --listen without authentication "
                     "or TLS (logs a warning)");
  }

  std::optional<int> RunIfParsed() override {
    if (!serve_->parsed()) return std::nullopt;
    options_.refresh_interval = std::chrono::milliseconds(refresh_ms_);
    if (clock_unix_s_ > 0) options_.clock = index::FixedClock(clock_unix_s_);
    options_.model_rebuild_interval =
        std::chrono::milliseconds(model_rebuild_ms_);
    options_.model_retrain_interval =
        std::chrono::milliseconds(model_retrain_ms_);
    options_.auth.clock_skew = std::chrono::seconds(clock_skew_s_);
    options_.drain_timeout = std::chrono::milliseconds(drain_ms_);
    options_.ingest_group_budget =
        std::chrono::milliseconds(ingest_group_budget_ms_);
    options_.handshake_timeout =
        std::chrono::milliseconds(handshake_timeout_ms_);
    options_.max_connection_idle =
        std::chrono::milliseconds(max_connection_idle_ms_);
    for (const auto& account : service_accounts_) {
      const auto eq = account.rfind('=');
      const auto role = eq == std::string::npos
                            ? std::nullopt
                            : api::ParseRole(account.substr(eq + 1));
      if (!role) {
        std::fprintf(stderr,
                     "whoknows serve: --service-account: want NAME=ROLE "
                     "(employee, intranet, ingest, hr, admin), got \"%s\"\n",
                     account.c_str());
        return kExitUsage;
      }
      options_.auth.service_accounts[account.substr(0, eq)] = *role;
    }
    options_.ApplyEnvironment(listen_->count() > 0, data_->count() > 0,
                              refresh_->count() > 0);
    if (auto s = options_.Validate(); !s.ok()) {
      std::fprintf(stderr, "whoknows serve: %s\n",
                   std::string(s.message()).c_str());
      return kExitUsage;
    }
    return Serve(options_);
  }

 private:
  CLI::App* serve_ = nullptr;
  CLI::Option* listen_ = nullptr;
  CLI::Option* data_ = nullptr;
  CLI::Option* refresh_ = nullptr;
  api::ServerOptions options_;
  int64_t refresh_ms_ = 1000;
  int64_t model_rebuild_ms_ = 30000;    // ServerOptions::model_rebuild_interval
  int64_t model_retrain_ms_ = 1800000;  // ServerOptions::model_retrain_interval
  int64_t clock_skew_s_ = 60;
  int64_t clock_unix_s_ = 0;  // 0: the system clock
  int64_t drain_ms_ = 10000;
  int64_t ingest_group_budget_ms_ = 400;  // ServerOptions::ingest_group_budget
  int64_t handshake_timeout_ms_ = 10000;
  int64_t max_connection_idle_ms_ = 300000;
  std::vector<std::string> service_accounts_;
};

}  // namespace

std::unique_ptr<Command> MakeServeCommand() {
  return std::make_unique<ServeCommand>();
}

}  // namespace whoknows::cli
