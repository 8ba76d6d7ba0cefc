// Importers: the JSONL exchange format and Stack Exchange data dumps.
#ifndef WHOKNOWS_INDEX_IMPORTER_H_
#define WHOKNOWS_INDEX_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {

struct ImportProgress {
  std::string phase;        // e.g. "Posts.xml"
  int64_t records = 0;      // records read so far in this phase
  int64_t bytes_done = 0;   // bytes of input consumed in this phase
  int64_t bytes_total = 0;  // size of the phase's input, 0 if unknown
};

struct ImportOptions {
  // Fail on the first malformed record instead of skipping it. Batches
  // committed before it stay.
  bool strict = false;
  // Records written per commit. Bigger batches import faster and lose more
  // work to a crash mid-batch.
  int batch_size = 2000;
  // Only records created before this time (unix seconds); 0 means all. Used
  // by evaluation to ingest only what existed at a cut-off.
  int64_t created_before = 0;
  // Called after each batch and at the end of each phase. Optional.
  std::function<void(const ImportProgress&)> on_progress;
  // Called with "file:line: reason" (or "file row Id=N: reason") for each
  // skipped record. Optional.
  std::function<void(const std::string&)> on_problem;
};

struct ImportStats {
  int64_t people = 0;   // people written
  int64_t posts = 0;    // posts written (comments included)
  int64_t skipped = 0;  // malformed records skipped
};

// A parsed JSONL line: one person or one post.
using Record = std::variant<v1::Person, v1::Post>;

// Parses one line of the exchange format (data/README.md). The error says
// which field is wrong.
absl::StatusOr<Record> ParseJsonlRecord(std::string_view line);
// The inverse, for exports and tests.
std::string ToJsonl(const v1::Person& person);
std::string ToJsonl(const v1::Post& post);

// Imports a JSONL file (people and posts, one JSON object a line).
absl::StatusOr<ImportStats> ImportJsonl(const std::string& path,
                                        Catalog& catalog,
                                        const ImportOptions& options);

// Reads a Stack Exchange dump folder without writing anywhere: Users.xml
// (optional) as people, Posts.xml (required) as questions and answers,
// Comments.xml (optional) as comments, Votes.xml favourites as likes and
// PostLinks.xml duplicate links folded into the original question's text.
// The XML is streamed; memory grows with the number of favourites and
// links, not with the size of the posts. Person ids are the dump's user Ids;
// post ids are the dump's post Ids, comments are "c<Id>".
struct StackExchangeSink {
  std::function<absl::Status(v1::Person)> person;
  std::function<absl::Status(v1::Post)> post;
};
absl::StatusOr<ImportStats> ReadStackExchange(const std::string& dump_dir,
                                              const ImportOptions& options,
                                              const StackExchangeSink& sink);

// ReadStackExchange into a catalog, in batches.
absl::StatusOr<ImportStats> ImportStackExchange(const std::string& dump_dir,
                                                Catalog& catalog,
                                                const ImportOptions& options);

// Strips tags from Stack Exchange HTML bodies and decodes entities; block
// elements become line breaks. Not a sanitizer: the output is plain text.
std::string HtmlToText(std::string_view html);

// Parses "2017-06-28T08:32:23.123" or RFC 3339 ("...Z", "+02:00") as UTC unix
// seconds.
absl::StatusOr<int64_t> ParseTimestamp(std::string_view text);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_IMPORTER_H_
