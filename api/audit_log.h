// The audit log: one JSON line per privileged call (ingest batches, opt-out
// changes, deletions, person-level HR analyses, and refused attempts at
// them) in the data folder's audit.jsonl, appended and fsynced before the
// call returns. Ids and counts only, never post text.
#ifndef WHOKNOWS_API_AUDIT_LOG_H_
#define WHOKNOWS_API_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/auth.h"

namespace whoknows::api {

struct AuditEntry {
  // Full gRPC method, e.g. "whoknows.v1.Ingest/DeletePerson".
  std::string method;
  // Who called; an anonymous Caller when authentication failed.
  Caller caller;
  // The call's outcome.
  absl::StatusCode code = absl::StatusCode::kOk;
  // What it touched: an id (the person or post deleted), never text.
  std::string target;
  // What it changed: "people", "posts", "opt_out_changes", ...
  std::map<std::string, int64_t> counts;
};

// Thread safety: Append may be called from any thread; lines never
// interleave.
class AuditLog {
 public:
  // Opens (creating, mode 0600) the file for appending. `clock` null means
  // absl::Now.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path, std::function<absl::Time()> clock = nullptr);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes one line and fsyncs it. An error is also logged (once per
  // change of error) on stderr: the call it records has already happened.
  absl::Status Append(const AuditEntry& entry);

  // The line for `entry` at `time` (no newline); exposed for tests.
  static std::string Format(const AuditEntry& entry, absl::Time time);

 private:
  AuditLog(int fd, std::function<absl::Time()> clock)
      : fd_(fd), clock_(std::move(clock)) {}
  absl::Mutex mu_;
  const int fd_;  // written under mu_
  const std::function<absl::Time()> clock_;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_AUDIT_LOG_H_
