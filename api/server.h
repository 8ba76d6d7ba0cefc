// The whoknows gRPC server: Ingest and Expertise, with health checking and
// reflection.
#ifndef WHOKNOWS_API_SERVER_H_
#define WHOKNOWS_API_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "api/auth.h"
#include "api/executor.h"
#include "api/networks.h"
#include "index/clock.h"
#include "ranking/ranking_options.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace whoknows::index {
class Catalog;
class DataDirLock;
}  // namespace whoknows::index

namespace whoknows::ranking {
class ExpertFinder;
class ExposureLedger;
class ModelStore;
class OutcomeStore;
}  // namespace whoknows::ranking

namespace whoknows::api {

class Eraser;  // api/erasure.h
class AuditLog;
class ErrorRing;       // api/admin.h
struct CallCounters;   // api/admin.h
class TlsCredentials;  // api/tls_credentials.h

struct ServerOptions {
  // HOST:PORT to listen on; port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:50051";
  // Data folder (see index::CatalogOptions::data_dir). Required.
  std::string data_dir;
  // Committed writes become visible to queries within this interval.
  std::chrono::milliseconds refresh_interval{1000};
  // Under sustained writes, publish sooner than refresh_interval while
  // publishing takes at most this share of a core
  // (index::CatalogOptions::publish_cpu_share); 0: every refresh_interval.
  double publish_cpu_share = 0.25;
  // Public posts on Xapian remote shards: one "tcp://HOST:PORT[,...]" a
  // shard, in shard order (`--post-shard`, repeated; see
  // index::CatalogOptions::post_shards). Empty: <data>/posts/.
  std::vector<std::string> post_shards;
  // A read-only front-end kept in step with the writer (`--follow`;
  // index::CatalogOptions::follow): ingest calls are FAILED_PRECONDITION.
  bool follow = false;
  // A writer on one folder keeps the change log for followers
  // (`--change-log-on-folder`; index::CatalogOptions::change_log_on_folder):
  // for a folder whose posts/ is replicated to them. Always kept with
  // post_shards; not with `follow` (a follower writes nothing).
  bool change_log_on_folder = false;
  // Largest request (or IngestStream message) accepted, bytes; bigger ones
  // get RESOURCE_EXHAUSTED before they are parsed. gRPC reads a whole
  // request before the token is checked, so this is also what each call of
  // an unauthenticated client can make the server hold. A post is at most
  // about 2.5 MiB (index/validation.h: 1 MiB body, 10,000 likes of 128-byte
  // ids); 16 MiB holds 6 such posts, or thousands of typical ones (a
  // kMaxBatchItems batch of 10,000 posts fits when they average under
  // 1.6 KB). Connectors with big posts send smaller batches, or raise it.
  int max_message_bytes = 16 << 20;
  // A connection that has not finished its handshake (TLS, then HTTP/2's
  // preface and settings) within this is closed: idle TCP connections from
  // anyone who reaches the port would otherwise hold a file descriptor each
  // for gRPC's default of 120 s (docs/operations.md, "Connections").
  std::chrono::milliseconds handshake_timeout{10000};
  // A connection with no call in flight for this long is closed (GOAWAY;
  // a client reconnects on its next call), so that abandoned connections
  // give their descriptors back.
  std::chrono::milliseconds max_connection_idle{300000};
  // The server's clock (unix seconds): what writes' timestamps are checked
  // against and what decay and recency are measured from. It replaces
  // ranking.clock and the model's. Tests inject a fixed time.
  index::Clock clock = index::SystemClock;
  // Writes dated more than this many seconds after the server's clock are
  // INVALID_ARGUMENT (index::ValidationOptions; proto comments on
  // Post.created). Bigger lets more of the future in.
  int64_t future_tolerance_seconds = 86400;
  // Ranking defaults; learned weights in the data folder (fusion.json,
  // from `whoknows learn`) replace ranking.weights at start.
  // ranking.exposure_weight and exposure_window_days set the exposure
  // budget over the people FindExperts and SuggestForPost return.
  ranking::RankingOptions ranking;
  // How often the embeddings and graph signals are rebuilt while posts
  // arrive (in the background; queries never wait for it).
  std::chrono::milliseconds model_rebuild_interval{30000};
  // Least time between two full builds of the model for growth (the space
  // learned again; ranking::ModelStoreOptions::min_retrain_interval): in
  // between, new posts are folded into the kept space.
  std::chrono::milliseconds model_retrain_interval{std::chrono::minutes(30)};
  // Networks service: privacy threshold, threads, bounds.
  NetworksServiceOptions networks;
  // AnalyzeNetwork runs on this executor, never on gRPC's threads, so that
  // queries (FindExperts), which do, never wait behind an analysis. A call
  // that finds the queue full gets RESOURCE_EXHAUSTED with a retry hint.
  // Each analysis also uses networks.threads for betweenness.
  ExecutorOptions analysis_executor{.threads = 1, .max_queued = 4};
  // UpsertPeople, UpsertPosts, IngestStream's messages, DeletePost,
  // DeletePerson and Compact run here, as analyses do on theirs. One thread
  // is enough: the catalog commits one batch at a time anyway.
  ExecutorOptions ingest_executor{.threads = 1, .max_queued = 16};
  // IngestStream writes the messages that arrived while the ingest thread
  // was busy together, one commit a group; a group holds about what the
  // writer writes in ingest_group_budget (at its recent rate, commit
  // included), and at least ingest_group_min_items items (whole messages
  // always). A write queued behind a stream (another stream, an
  // UpsertPosts) waits for one group. Longer budgets mean fewer, cheaper
  // commits a post (a commit costs about 240 ms at 1M posts) and longer
  // waits; docs/operations.md, "Streams".
  std::chrono::milliseconds ingest_group_budget{400};
  int ingest_group_min_items = 1000;
  // Graceful shutdown (SIGTERM): how long calls in flight (and queued) get
  // to finish once the server stops accepting; then they are cancelled.
  // Longer lets bigger batches and analyses finish; shorter exits sooner.
  std::chrono::milliseconds drain_timeout{10000};
  // Who callers are: bearer-token keys, issuer, audience, roles claim, and
  // service accounts by client certificate. With none, every caller is
  // anonymous (api/caller.h says what that allows) and the server listens
  // on loopback only.
  AuthOptions auth;
  // PEM certificate chain and private key for TLS on the port: both or
  // neither. Without them the port speaks plaintext. Server::Reload re-reads
  // them and the client CA.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA certificates that client certificates (mTLS) must chain to. A
  // client certificate is then requested and verified, not required.
  std::string client_ca_file;
  // Accept a non-loopback --listen without authentication or without TLS.
  // Logs a warning at start: anyone who reaches the port may do what an
  // anonymous caller may, and tokens cross the network in plaintext.
  bool insecure = false;

  // Fills unset fields from WHOKNOWS_LISTEN, WHOKNOWS_DATA and
  // WHOKNOWS_REFRESH_MS (flags win over the environment).
  void ApplyEnvironment(bool listen_set, bool data_set, bool refresh_set);
  absl::Status Validate() const;
};

// Admin.GetStatus (api/admin.h) reports the server's figures to admins.
//
// Health (grpc.health.v1, service "") reports NOT_SERVING until the first
// expertise model for the data folder is loaded (restored from disk, or
// built in the background), then SERVING: a load balancer or the intranet
// waits for it rather than take answers ranked by text alone. Calls are
// answered meanwhile, and each response says which model answered
// (ModelVersion). Start does not wait: on a big folder the first build
// takes minutes.
//
// Thread safety: Start once; then port(), Wait() and Shutdown() from any
// thread. Shutdown may be called more than once, from several threads; the
// first call does the work and the others return once it is done. The
// destructor must not race a Shutdown still running in another thread (the
// CLI joins its signal thread first).
class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerOptions& options);
  ~Server();
  int port() const { return port_; }
  index::Catalog& catalog() { return *catalog_; }
  // The expertise model behind FindExperts, rebuilt in the background.
  const ranking::ModelStore& models() const { return *models_; }
  void Wait();
  // Stops accepting calls, lets those in flight (and queued) finish within
  // options.drain_timeout, cancels the rest, and stops the executors.
  void Shutdown();
  // Re-reads the TLS certificate, key and client CA and the bearer-token
  // keys from their files (`whoknows serve` does on SIGHUP): new
  // connections and calls use them. A part whose files are bad keeps what
  // it had, and the error names its flag.
  absl::Status Reload();

  // The executors (ServerOptions::analysis_executor, ingest_executor).
  // Tests occupy them to see what callers get when they are busy.
  Executor& analysis_executor() { return *analysis_executor_; }
  Executor& ingest_executor() { return *ingest_executor_; }

 private:
  Server() = default;
  // Polls for the first model, then reports SERVING (or returns once
  // stop_readiness_ is notified).
  void ReportServingOnceReady();
  // Sets Health's status for "" and what Admin.GetStatus reports.
  void SetServing(bool serving);
  // Before the catalog and the model store, which report into it from
  // their threads until they are destroyed.
  std::unique_ptr<ErrorRing> errors_;
  std::unique_ptr<CallCounters> calls_;
  std::atomic<bool> serving_{false};
  // A follower's lock on its folder (index::DataDirLock), held until
  // everything that writes into the folder is gone.
  std::unique_ptr<index::DataDirLock> follower_lock_;
  std::unique_ptr<index::Catalog> catalog_;
  std::unique_ptr<ranking::ModelStore> models_;
  // Who was suggested lately (the exposure budget, ranking/exposure.h): in
  // memory only, read by finder_, fed by the Expertise service.
  std::unique_ptr<ranking::ExposureLedger> exposure_;
  std::unique_ptr<ranking::OutcomeStore> outcomes_;
  std::unique_ptr<ranking::ExpertFinder> finder_;
  std::unique_ptr<Eraser> eraser_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<AuditLog> audit_;
  // Before the services and the gRPC server: tasks finish calls, so the
  // executors stop after the server.
  std::unique_ptr<Executor> analysis_executor_;
  std::unique_ptr<Executor> ingest_executor_;
  // Before server_: its port's handshakes ask it for the certificate.
  std::unique_ptr<TlsCredentials> tls_;
  std::unique_ptr<grpc::Service> expertise_;
  std::unique_ptr<grpc::Service> ingest_;
  std::unique_ptr<grpc::Service> networks_;
  std::unique_ptr<grpc::Service> admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::chrono::milliseconds drain_timeout_{0};
  absl::Notification stop_readiness_;
  std::thread readiness_;  // runs ReportServingOnceReady, joined by Shutdown
  std::once_flag shut_down_;
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_SERVER_H_
