// Stack Exchange data dumps (the shared datasets' format).
#ifndef WHOKNOWS_IMPORTERS_STACKEXCHANGE_H_
#define WHOKNOWS_IMPORTERS_STACKEXCHANGE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "importers/import.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {
class Catalog;
}

namespace whoknows::importers {

// Where ReadStackExchange sends what it reads; an error stops the read.
struct StackExchangeSink {
  std::function<absl::Status(v1::Person)> person;
  std::function<absl::Status(v1::Post)> post;
};

// Reads a Stack Exchange dump folder without writing anywhere: Users.xml
// (optional) as people, Posts.xml (required) as questions and answers,
// Comments.xml (optional) as comments, Votes.xml favourites as likes and
// PostLinks.xml duplicate links folded into the original question's text.
// The XML is streamed; memory grows with the number of favourites and
// links, not with the size of the posts. Person ids are the dump's user Ids;
// post ids are the dump's post Ids, comments are "c<Id>". With
// `created_before`, nothing created at or after it is read, and answers
// accepted after it are not marked accepted.
absl::StatusOr<ImportStats> ReadStackExchange(const std::string& dump_dir,
                                              const ImportOptions& options,
                                              const StackExchangeSink& sink);

// ReadStackExchange into a catalog, in batches.
absl::StatusOr<ImportStats> ImportStackExchange(const std::string& dump_dir,
                                                index::Catalog& catalog,
                                                const ImportOptions& options);

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_STACKEXCHANGE_H_
