// A small pool of threads with a bounded queue, for the work that must not
// hold gRPC's callback threads or wait without bound: network analyses and
// ingest. A full queue refuses a task at once (the server answers
// RESOURCE_EXHAUSTED with a retry hint) instead of letting a burst of slow
// calls pile up behind each other and behind the queries.
#ifndef WHOKNOWS_API_EXECUTOR_H_
#define WHOKNOWS_API_EXECUTOR_H_

#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace whoknows::api {

struct ExecutorOptions {
  // Threads running tasks. Each busy one takes a core: more finish a burst
  // sooner and leave fewer cycles to queries (the defaults suit 2 cores).
  int threads = 1;
  // Tasks waiting for a busy thread; one more is refused (an idle thread
  // always takes a task). More absorbs longer bursts, and a queued task waits
  // longer before it starts (when its deadline passes meanwhile it is not run).
  int max_queued = 8;
  // Run the threads (and the threads they start) at a lower scheduling
  // priority (nice +10), so that queries on gRPC's threads get the cores
  // first when both want them. Off: the same priority as queries.
  bool background_priority = true;

  // OK, or INVALID_ARGUMENT naming the field as a flag of the prefix
  // `flag` ("--ingest" gives "--ingest-threads", "--ingest-queue").
  absl::Status Validate(const std::string& flag) const;
};

// Thread safety: every method may be called from any thread, and all but
// Shutdown from a task. Tasks run in the order they were submitted (one thread)
// or start in that order (several).
class Executor {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  // `name` says which work it runs ("ingest"), in messages and thread
  // names. Starts the threads; `options` must be valid.
  Executor(std::string name, const ExecutorOptions& options);
  // Shutdown().
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` and returns true, or returns false at once, without
  // running it, when every thread is busy and max_queued tasks are already
  // waiting, or Shutdown has begun.
  bool TrySubmit(Task task) ABSL_LOCKS_EXCLUDED(mu_);

  // How long a task refused now should wait before it is sent again: the
  // work ahead of it (waiting and running tasks) times the mean time of
  // recent tasks, over the threads; at least 10 ms.
  std::chrono::milliseconds RetryAfter() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting tasks, runs those already queued, and joins the
  // threads. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& name() const { return name_; }
  const ExecutorOptions& options() const { return options_; }
  int queued() const ABSL_LOCKS_EXCLUDED(mu_);
  int running() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const ExecutorOptions options_;
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);  // oldest first
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Moving mean of task durations (0 until one has run).
  double mean_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;  // started by the constructor
  absl::Mutex join_mu_;               // one Shutdown joins; leaf
  bool joined_ ABSL_GUARDED_BY(join_mu_) = false;
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_EXECUTOR_H_
