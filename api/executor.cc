#include "api/executor.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/thread_priority.h"

namespace whoknows::api {
namespace {

// Weight of the newest task in the moving mean of durations.
constexpr double kMeanWeight = 0.2;

}  // namespace

absl::Status ExecutorOptions::Validate(const std::string& flag) const {
  if (threads < 1 || threads > 64)
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "-threads: must be 1-64, got ", threads));
  if (max_queued < 0 || max_queued > 100000)
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "-queue: must be 0-100000, got ", max_queued));
  return absl::OkStatus();
}

Executor::Executor(std::string name, const ExecutorOptions& options)
    : name_(std::move(name)), options_(options) {
  threads_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] { Work(); });
    // Thread names are at most 15 characters.
    (void)pthread_setname_np(threads_.back().native_handle(),
                             ("wk-" + name_).substr(0, 15).c_str());
  }
}

Executor::~Executor() { Shutdown(); }

bool Executor::TrySubmit(Task task) {
  absl::MutexLock lock(&mu_);
  // Idle threads take tasks beyond max_queued: they start at once.
  const int idle = options_.threads - running_;
  if (stopping_ ||
      static_cast<int>(queue_.size()) >= options_.max_queued + idle)
    return false;
  queue_.push_back(std::move(task));
  return true;
}

std::chrono::milliseconds Executor::RetryAfter() const {
  absl::MutexLock lock(&mu_);
  const double ahead = static_cast<double>(queue_.size()) + running_;
  const double ms = ahead * mean_ms_ / options_.threads;
  return std::chrono::milliseconds(
      std::max<int64_t>(10, static_cast<int64_t>(std::ceil(ms))));
}

void Executor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock lock(&join_mu_);
  if (joined_) return;
  for (auto& t : threads_) t.join();
  joined_ = true;
}

int Executor::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int Executor::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

bool Executor::HasWork() const { return stopping_ || !queue_.empty(); }

void Executor::Work() {
  if (options_.background_priority) LowerThisThreadsPriority();
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Executor::HasWork));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    const auto start = std::chrono::steady_clock::now();
    std::move(task)();
    task = nullptr;  // what it captured goes before the next one starts
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    absl::MutexLock lock(&mu_);
    --running_;
    mean_ms_ =
        mean_ms_ == 0 ? ms : (1 - kMeanWeight) * mean_ms_ + kMeanWeight * ms;
  }
}

}  // namespace whoknows::api
