// Validation of people and posts at the ingest boundary, with limits.
#ifndef WHOKNOWS_INDEX_VALIDATION_H_
#define WHOKNOWS_INDEX_VALIDATION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "index/clock.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {

// Limits documented in proto/whoknows/v1/*.proto.
inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kMaxShortTextBytes = 256;
inline constexpr size_t kMaxTitleBytes = 1024;
inline constexpr size_t kMaxBodyBytes = 1 << 20;
inline constexpr int kMaxTags = 32;
inline constexpr size_t kMaxTagBytes = 64;
inline constexpr int kMaxLikes = 10000;
inline constexpr int kMaxMentions = 1000;
inline constexpr int kMaxLanguages = 16;
inline constexpr int kMaxBatchItems = 10000;
inline constexpr int kMaxEmbeddingDims = 4096;
// A group name in "group:<name>": [a-z0-9-], 1-64 bytes.
inline constexpr size_t kMaxGroupBytes = 64;
// Groups of one person (Person.groups).
inline constexpr int kMaxGroupsPerPerson = 256;
// A language code: ASCII letters, digits and '-', 2-8 bytes ("sv", "pt-br").
inline constexpr size_t kMaxLanguageBytes = 8;
// The protobuf Timestamp range: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z, nanos in [0, 1e9).
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;
// Longest parent or manager chain a walk follows. Chains are acyclic since
// validation refuses cycles, but a folder written before may hold one, and
// no walk may loop on it.
inline constexpr int kMaxChainLength = 10000;

// What validation needs beyond the record: the server's clock, for times in
// the future.
struct ValidationOptions {
  // Unix seconds now; tests and the evaluation inject a fixed time.
  Clock clock = SystemClock;
  // A timestamp more than this many seconds after `clock()` is refused:
  // clocks of connectors drift a little, nothing is written next year. A
  // bigger tolerance lets more of the future in (and a post dated in the
  // future counts as brand new until then).
  int64_t future_tolerance_seconds = 86400;

  // OK, or INVALID_ARGUMENT naming the first field out of range.
  absl::Status Validate() const;
};

// INVALID_ARGUMENT "<where>.<field>: <reason>", the form of every message
// ("<field>: <reason>" when `where` is empty: a request's own field).
absl::Status Invalid(std::string_view where, std::string_view field,
                     std::string_view reason);
// Ids are opaque but printable (they end up in Xapian terms and logs): at
// most kMaxIdBytes, no control characters; empty only when not `required`.
absl::Status CheckId(std::string_view id, std::string_view where,
                     std::string_view field, bool required);

// Unix seconds and nanos that every stored or compared time must satisfy:
// within the protobuf Timestamp range, nanos in [0, 1e9), and at most
// `options.future_tolerance_seconds` after `now`. The message names the
// field and the time ("posts[3].created: 9999-12-31T00:00:00Z is more than
// 1 day in the future").
absl::Status CheckTime(int64_t seconds, int32_t nanos, int64_t now,
                       const ValidationOptions& options, std::string_view where,
                       std::string_view field);
// Only the Timestamp range (no future check): for request windows, which
// may lie ahead.
absl::Status CheckTimeRange(int64_t seconds, int32_t nanos,
                            std::string_view where, std::string_view field);

// Returns OK or INVALID_ARGUMENT whose message starts with the field path,
// e.g. "people[3].id: required". `where` is the item's path ("people[3]").
// Times are checked against `options.clock()` (CheckTime).
absl::Status ValidatePerson(const v1::Person& person, std::string_view where,
                            const ValidationOptions& options);
absl::Status ValidatePost(const v1::Post& post, std::string_view where,
                          const ValidationOptions& options);

// The chain from `start` through `next` (a parent, a manager; null or empty
// at the end of the chain) when it comes back to `start`: start, ..., start.
// Empty when the chain ends, meets a loop that does not pass through
// `start` (data stored before cycles were refused), or exceeds
// kMaxChainLength.
std::vector<std::string> FindCycle(
    const std::string& start,
    const std::function<const std::string*(const std::string&)>& next);
// "a -> b -> a", at most the first 8 links.
std::string DescribeChain(const std::vector<std::string>& chain);

// Fills defaults that depend on other fields: a root's empty thread_id
// becomes its own id, an empty visibility "public", tags are lowercased.
void NormalizePost(v1::Post& post);

// True when the post may be used as evidence and shown to anyone.
bool IsPublic(const v1::Post& post);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_VALIDATION_H_
