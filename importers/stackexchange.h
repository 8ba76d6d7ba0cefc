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

// Posts and comments of deleted accounts carry no user id, only the name
// the account had (OwnerDisplayName, UserDisplayName): they are read under
// the person "name:<that name>" (which no numeric dump id can be), or,
// without a usable name, under the one shared kDeletedAccountId, an
// inactive person and so never a candidate.
inline constexpr char kNamedAuthorPrefix[] = "name:";
inline constexpr char kDeletedAccountId[] = "deleted-account";
// Whether `person_id` is one of the dump's own user ids (not a person made
// from a display name, nor the deleted account).
bool IsDumpUserId(const std::string& person_id);

// Where ReadStackExchange sends what it reads; an error stops the read.
struct StackExchangeSink {
  std::function<absl::Status(v1::Person)> person;
  std::function<absl::Status(v1::Post)> post;
  // Optional: a minimal person (id, and the display name when the dump
  // names them) for the author of a post or comment that Users.xml does not
  // have (or when there is no Users.xml), sent once, before their first post.
  std::function<absl::Status(v1::Person)> author;
  // Optional: a well-formed post or comment with no text (counted in
  // ImportStats::empty_posts, never sent to `post`): what the protocol of an
  // evaluation still needs to know of, e.g. an accepted answer that is only
  // an image.
  std::function<absl::Status(const v1::Post&)> empty_post = nullptr;
};

// Reads a Stack Exchange dump folder without writing anywhere: Users.xml
// (optional) as people, the authors it lacks from the posts and comments
// themselves (OwnerUserId / OwnerDisplayName, UserId / UserDisplayName,
// LastEditorUserId / LastEditorDisplayName for names; deleted accounts as
// above), Posts.xml (required) as questions and answers,
// Comments.xml (optional) as comments, Votes.xml favourites as likes and
// PostLinks.xml duplicate links folded into the original question's text.
// The XML is streamed; memory grows with the number of favourites and
// links, not with the size of the posts. Person ids are the dump's user Ids;
// post ids are the dump's post Ids, comments are "c<Id>". With
// `created_before`, nothing created at or after it is read, and answers
// accepted after it are not marked accepted. Posts and comments with no text
// (an answer that is only an image) are counted in `empty_posts`, not sent.
absl::StatusOr<ImportStats> ReadStackExchange(const std::string& dump_dir,
                                              const ImportOptions& options,
                                              const StackExchangeSink& sink);

// ReadStackExchange into a catalog, in batches.
absl::StatusOr<ImportStats> ImportStackExchange(const std::string& dump_dir,
                                                index::Catalog& catalog,
                                                const ImportOptions& options);

}  // namespace whoknows::importers

#endif  // WHOKNOWS_IMPORTERS_STACKEXCHANGE_H_
