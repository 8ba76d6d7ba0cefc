// Validation of people and posts at the ingest boundary, with limits.
#ifndef WHOKNOWS_INDEX_VALIDATION_H_
#define WHOKNOWS_INDEX_VALIDATION_H_

#include <string_view>

#include "absl/status/status.h"
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

// INVALID_ARGUMENT "<where>.<field>: <reason>", the form of every message.
absl::Status Invalid(std::string_view where, std::string_view field,
                     std::string_view reason);
// Ids are opaque but printable (they end up in Xapian terms and logs): at
// most kMaxIdBytes, no control characters; empty only when not `required`.
absl::Status CheckId(std::string_view id, std::string_view where,
                     std::string_view field, bool required);

// Returns OK or INVALID_ARGUMENT whose message starts with the field path,
// e.g. "people[3].id: required". `where` is the item's path ("people[3]").
absl::Status ValidatePerson(const v1::Person& person, std::string_view where);
absl::Status ValidatePost(const v1::Post& post, std::string_view where);

// Fills defaults that depend on other fields: a root's empty thread_id
// becomes its own id, an empty visibility "public", tags are lowercased.
void NormalizePost(v1::Post& post);

// True when the post may be used as evidence and shown to anyone.
bool IsPublic(const v1::Post& post);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_VALIDATION_H_
