// The JSONL exchange format (data/README.md): one JSON object a line, each
// a person, a post or (for network analyses) an interaction.
#ifndef WHOKNOWS_IMPORTERS_JSONL_H_
#define WHOKNOWS_IMPORTERS_JSONL_H_

#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "importers/import.h"
#include "index/interactions.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {
class Catalog;
}

namespace whoknows::importers {

// A parsed JSONL line: one person or one post.
using Record = std::variant<v1::Person, v1::Post>;

// Parses one line of the exchange format. The error says which field is
// wrong. Timestamps are checked against `validation` (default: the system
// clock, 1 day of tolerance).
absl::StatusOr<Record> ParseJsonlRecord(
    std::string_view line, const index::ValidationOptions& validation = {});
// The inverse, for exports and tests.
std::string ToJsonl(const v1::Person& person);
std::string ToJsonl(const v1::Post& post);

// Parses a JSONL interaction record:
// {"type":"interaction","id":"m1","from":"a","to":["b","c"] or "b",
//  "time":"2001-05-01T10:00:00Z" or unix seconds,"kind":"email"}.
absl::StatusOr<index::Interaction> ParseInteractionRecord(
    std::string_view line, const index::ValidationOptions& validation = {});

// Imports a JSONL file of people and posts, in batches. A post whose author
// has no person record (in the catalog or earlier in the file) gives them a
// minimal one (the id), which their person record replaces whenever it
// comes. Posts with no title and no body are counted as empty, not skipped.
absl::StatusOr<ImportStats> ImportJsonl(const std::string& path,
                                        index::Catalog& catalog,
                                        const ImportOptions& options);

// Imports JSONL with person, post and interaction records (people and posts
// as in ImportJsonl, interactions into the data folder's InteractionLog).
// Interactions are appended after the people and posts of their batch.
absl::StatusOr<ImportStats> ImportInteractionsJsonl(
    const std::string& path, index::Catalog& catalog,
    const ImportOptions& options);

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_JSONL_H_
