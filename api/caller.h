// What a caller may do: the one table of rights per role and per RPC, and
// the one function that authenticates and authorizes a gRPC call. Health
// checking and reflection are not listed: they stay open.
#ifndef WHOKNOWS_API_CALLER_H_
#define WHOKNOWS_API_CALLER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/auth.h"

namespace grpc {
class ServerContextBase;
}

namespace whoknows::api {

enum class Right {
  kAsk,                  // FindExperts as oneself (or anonymously)
  kAskOnBehalf,          // FindExperts with any asker_id
  kAnalyzeNetwork,       // aggregate network figures
  kPersonLevelNetworks,  // brokers, isolated people, ... by name
  kFullProfiles,         // leaving, joined, team, manager in answers
  kIngest,               // UpsertPeople, UpsertPosts, IngestStream
  kDeletePost,           // DeletePost
  kDeletePerson,         // DeletePerson (erasure)
  kChangeOptOut,         // clear anyone's opted_out, UpsertPeople included
  kSetOwnOptOut,         // SetOptOut for oneself
  kSetOptOutOnBehalf,    // SetOptOut for anyone (on behalf of a user)
  kCompact,              // Compact (makes deletions physical)
  kRecordOwnOutcome,     // RecordOutcome for a question one asked oneself
  kRecordOutcome,        // RecordOutcome for any question and helper
  kReadStatus,           // Admin.GetStatus (no role but admin holds it)
};

const char* RightName(Right right);

// The rights of each role (admin holds them all). An anonymous caller, on a
// server without authentication, which listens on loopback only, may ask
// anonymously and see aggregate network figures: never write, delete or see
// person-level results.
bool HasRight(const Caller& caller, Right right);

// OK, or PERMISSION_DENIED naming the right and the caller's roles
// (UNAUTHENTICATED for an anonymous caller: credentials would help).
absl::Status Require(const Caller& caller, Right right);

enum class Rpc {
  kFindExperts,
  kSuggestForPost,
  kUpsertPeople,
  kUpsertPosts,
  kIngestStream,
  kDeletePost,
  kDeletePerson,
  kCompact,
  kAnalyzeNetwork,
  kSetOptOut,
  kRecordOutcome,
  kGetStatus,
};

// The right each RPC needs to be called at all.
Right RequiredRight(Rpc rpc);

// Authenticates the call (authorization metadata, verified client
// certificate) and checks the RPC's right. `who`, when given, receives the
// authenticated caller even when the right is missing (for the audit log).
absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& context,
                                 const Authenticator& authenticator, Rpc rpc,
                                 Caller* who = nullptr);

// FindExperts' asker (and SuggestForPost's author, `field` naming it): an
// employee asks as themself (an empty asker_id becomes their subject;
// another is PERMISSION_DENIED); the intranet may set any; an anonymous
// caller none.
absl::Status AuthorizeAsker(const Caller& caller, std::string* asker_id,
                            const char* field = "asker_id");

// SetOptOut's person: an employee (or hr) only their own id; the intranet
// and admins anyone's; else PERMISSION_DENIED naming the right.
absl::Status AuthorizeOptOutTarget(const Caller& caller,
                                   const std::string& person_id);

// RecordOutcome's question: a caller with the right "record-outcome" (the
// intranet, admins) may record any; others (employees, hr) only for a
// question post they wrote (`question_author`, empty when the post is not
// there or not public), so that nobody records help they gave themself or
// pins an outcome on a question they did not ask. The same
// PERMISSION_DENIED whether the post is missing, private or someone else's:
// no probing of post ids.
absl::Status AuthorizeOutcomeQuestion(const Caller& caller,
                                      const std::string& question_author);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_CALLER_H_
