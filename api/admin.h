// Admin.GetStatus: what an operator watches, in aggregate figures only
// (docs/operations.md, "What to watch"), and the small records it reads
// that no other part keeps: recent background errors and calls in flight.
#ifndef WHOKNOWS_API_ADMIN_H_
#define WHOKNOWS_API_ADMIN_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "whoknows/v1/admin.pb.h"

namespace whoknows::index {
class Catalog;
}
namespace whoknows::ranking {
class ExposureLedger;
class ModelStore;
}  // namespace whoknows::ranking

namespace whoknows::api {

class Executor;

// Background errors the server keeps (GetStatusRequest.max_errors' range).
inline constexpr int kKeptBackgroundErrors = 16;

// The last few failures of background work (publish, journal, model), each
// with its time: what stderr alone used to hold. Bounded: the oldest is
// dropped when a new one comes and it is full.
// Thread safety: every method may be called from any thread; its mutex is a
// leaf (callers may hold the catalog's writer lock).
class ErrorRing {
 public:
  struct Entry {
    int64_t unix_ms = 0;
    std::string source;  // "publish", "journal", "model", "erasure"
    absl::Status error;
  };

  explicit ErrorRing(size_t capacity = kKeptBackgroundErrors)
      : capacity_(capacity) {}
  void Add(std::string source, absl::Status error, int64_t unix_ms)
      ABSL_LOCKS_EXCLUDED(mu_);
  // At most `max` (0: all kept), newest first.
  std::vector<Entry> Recent(size_t max = 0) const ABSL_LOCKS_EXCLUDED(mu_);
  // Errors added since construction, those dropped included.
  int64_t total() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // oldest first
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

// The services whose calls are counted in flight.
enum class Service { kExpertise = 0, kIngest, kNetworks, kAdmin };
inline constexpr int kServiceCount = 4;
const char* ServiceName(Service service);  // "whoknows.v1.Expertise"

// Unary calls in flight per service: incremented once a call is
// authorized, decremented when it finishes. Lock-free.
struct CallCounters {
  std::array<std::atomic<int>, kServiceCount> in_flight{};
};

// Where GetStatus reads its figures; every pointer outlives the calls.
struct StatusSources {
  std::string version;     // the release, "0.1.0"
  int64_t started_ms = 0;  // unix ms the server started
  std::string weights;     // fusion weights' provenance ("" = defaults)
  const index::Catalog* catalog = nullptr;
  const ranking::ModelStore* models = nullptr;
  const ranking::ExposureLedger* exposure = nullptr;
  std::vector<const Executor*> executors;
  const CallCounters* calls = nullptr;
  const ErrorRing* errors = nullptr;
  std::function<bool()> serving;  // what Health reports for ""
};

// INVALID_ARGUMENT naming the field, or OK.
absl::Status ValidateGetStatus(const v1::GetStatusRequest& request);

// The figures at `now_ms` (unix ms). Validates the request first.
absl::StatusOr<v1::GetStatusResponse> GetStatus(
    const StatusSources& sources, const v1::GetStatusRequest& request,
    int64_t now_ms);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_ADMIN_H_
