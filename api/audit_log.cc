#include "api/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace whoknows::api {
namespace {

const char* MethodName(AuthMethod m) {
  switch (m) {
    case AuthMethod::kNone:
      return "none";
    case AuthMethod::kToken:
      return "token";
    case AuthMethod::kClientCertificate:
      return "client-certificate";
  }
  return "?";
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path, std::function<absl::Time()> clock) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::FailedPreconditionError(
        absl::StrCat("audit log ", path, ": ", std::strerror(errno)));
  if (!clock) clock = [] { return absl::Now(); };
  return std::unique_ptr<AuditLog>(new AuditLog(fd, std::move(clock)));
}

AuditLog::~AuditLog() { ::close(fd_); }

std::string AuditLog::Format(const AuditEntry& e, absl::Time time) {
  nlohmann::json line;
  line["time"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  line["method"] = e.method;
  line["subject"] = e.caller.subject;
  nlohmann::json roles = nlohmann::json::array();
  for (Role r : {Role::kEmployee, Role::kIntranet, Role::kIngest, Role::kHr,
                 Role::kAdmin})
    if (e.caller.Has(r)) roles.push_back(std::string(RoleName(r)));
  line["roles"] = roles;
  line["auth"] = MethodName(e.caller.method);
  line["code"] = absl::StatusCodeToString(e.code);
  if (!e.target.empty()) line["target"] = e.target;
  if (!e.counts.empty()) line["counts"] = e.counts;
  return line.dump();
}

absl::Status AuditLog::Append(const AuditEntry& entry) {
  const std::string line = Format(entry, clock_()) + "\n";
  absl::MutexLock lock(&mu_);
  absl::Status s;
  // O_APPEND: one write is one line at the end, even if a write is short
  // (then the rest follows; lines of other calls wait for the mutex).
  size_t done = 0;
  while (s.ok() && done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      s = absl::InternalError(
          absl::StrCat("audit log write: ", std::strerror(errno)));
    else
      done += n;
  }
  if (s.ok() && ::fsync(fd_) != 0)
    s = absl::InternalError(
        absl::StrCat("audit log fsync: ", std::strerror(errno)));
  const std::string error(s.message());
  if (error != last_error_) {
    if (!s.ok()) std::fprintf(stderr, "whoknows: %s\n", error.c_str());
    last_error_ = error;
  }
  return s;
}

}  // namespace whoknows::api
