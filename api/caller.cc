#include "api/caller.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"

namespace whoknows::api {
namespace {

struct RoleRights {
  Role role;
  std::initializer_list<Right> rights;
};

// The table. Admin is not listed: it holds every right.
const RoleRights kRoleRights[] = {
    {Role::kEmployee,
     {Right::kAsk, Right::kAnalyzeNetwork, Right::kSetOwnOptOut,
      Right::kRecordOwnOutcome}},
    {Role::kIntranet,
     {Right::kAsk, Right::kAskOnBehalf, Right::kAnalyzeNetwork,
      Right::kSetOwnOptOut, Right::kSetOptOutOnBehalf, Right::kRecordOwnOutcome,
      Right::kRecordOutcome}},
    {Role::kIngest, {Right::kIngest, Right::kDeletePost}},
    {Role::kHr,
     {Right::kAsk, Right::kAnalyzeNetwork, Right::kPersonLevelNetworks,
      Right::kFullProfiles, Right::kSetOwnOptOut, Right::kRecordOwnOutcome}},
};

// What a caller without credentials may do on an unconfigured server.
constexpr Right kAnonymousRights[] = {Right::kAsk, Right::kAnalyzeNetwork};

std::vector<std::string> Names(const grpc::AuthContext& auth,
                               const char* property) {
  std::vector<std::string> out;
  for (const auto& v : auth.FindPropertyValues(property))
    out.emplace_back(v.data(), v.size());
  return out;
}

}  // namespace

const char* RightName(Right right) {
  switch (right) {
    case Right::kAsk:
      return "ask";
    case Right::kAskOnBehalf:
      return "ask-on-behalf";
    case Right::kAnalyzeNetwork:
      return "analyze-network";
    case Right::kPersonLevelNetworks:
      return "person-level-networks";
    case Right::kFullProfiles:
      return "full-profiles";
    case Right::kIngest:
      return "ingest";
    case Right::kDeletePost:
      return "delete-post";
    case Right::kDeletePerson:
      return "delete-person";
    case Right::kChangeOptOut:
      return "change-opt-out";
    case Right::kSetOwnOptOut:
      return "set-own-opt-out";
    case Right::kSetOptOutOnBehalf:
      return "set-opt-out-on-behalf";
    case Right::kCompact:
      return "compact";
    case Right::kRecordOwnOutcome:
      return "record-own-outcome";
    case Right::kRecordOutcome:
      return "record-outcome";
    case Right::kReadStatus:
      return "read-status";
  }
  return "?";
}

bool HasRight(const Caller& caller, Right right) {
  if (caller.method == AuthMethod::kNone) {
    for (Right r : kAnonymousRights)
      if (r == right) return true;
    return false;
  }
  if (caller.Has(Role::kAdmin)) return true;
  for (const auto& [role, rights] : kRoleRights) {
    if (!caller.Has(role)) continue;
    for (Right r : rights)
      if (r == right) return true;
  }
  return false;
}

absl::Status Require(const Caller& caller, Right right) {
  if (HasRight(caller, right)) return absl::OkStatus();
  if (caller.method == AuthMethod::kNone)
    return absl::UnauthenticatedError(
        absl::StrCat("the right \"", RightName(right),
                     "\" needs credentials (this server has no "
                     "authentication configured)"));
  return absl::PermissionDeniedError(
      absl::StrCat("missing the right \"", RightName(right), "\" (",
                   caller.subject, " has roles: ", caller.RoleNames(), ")"));
}

Right RequiredRight(Rpc rpc) {
  switch (rpc) {
    case Rpc::kFindExperts:
    case Rpc::kSuggestForPost:
      return Right::kAsk;
    case Rpc::kUpsertPeople:
    case Rpc::kUpsertPosts:
    case Rpc::kIngestStream:
      return Right::kIngest;
    case Rpc::kDeletePost:
      return Right::kDeletePost;
    case Rpc::kDeletePerson:
      return Right::kDeletePerson;
    case Rpc::kCompact:
      return Right::kCompact;
    case Rpc::kAnalyzeNetwork:
      return Right::kAnalyzeNetwork;
    case Rpc::kSetOptOut:
      return Right::kSetOwnOptOut;
    case Rpc::kRecordOutcome:
      return Right::kRecordOwnOutcome;
    case Rpc::kGetStatus:
      return Right::kReadStatus;
  }
  return Right::kDeletePerson;  // unreachable; the strictest
}

absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& context,
                                 const Authenticator& authenticator, Rpc rpc,
                                 Caller* who) {
  const auto& metadata = context.client_metadata();
  std::string authorization;
  const auto it = metadata.find("authorization");
  if (it != metadata.end())
    authorization.assign(it->second.data(), it->second.size());
  std::vector<std::string> names;
  if (auto auth = context.auth_context(); auth && auth->IsPeerAuthenticated()) {
    names = Names(*auth, GRPC_X509_CN_PROPERTY_NAME);
    for (auto& san : Names(*auth, GRPC_X509_SAN_PROPERTY_NAME))
      names.push_back(std::move(san));
  }
  auto caller = authenticator.Authenticate(
      it != metadata.end() ? &authorization : nullptr, names);
  if (!caller.ok()) return caller.status();
  if (who) *who = *caller;
  if (auto s = Require(*caller, RequiredRight(rpc)); !s.ok()) return s;
  return caller;
}

absl::Status AuthorizeAsker(const Caller& caller, std::string* asker_id,
                            const char* field) {
  if (asker_id->empty() || *asker_id == caller.subject) {
    if (caller.Has(Role::kEmployee) || caller.Has(Role::kHr))
      *asker_id = caller.subject;
    return absl::OkStatus();
  }
  if (HasRight(caller, Right::kAskOnBehalf)) return absl::OkStatus();
  if (caller.method == AuthMethod::kNone)
    return absl::UnauthenticatedError(
        absl::StrCat(field, ": asking on behalf of someone needs credentials"));
  return absl::PermissionDeniedError(absl::StrCat(
      field, ": ", caller.subject, " may only ask as themself (asking as ",
      *asker_id, " needs the right \"", RightName(Right::kAskOnBehalf), "\")"));
}

absl::Status AuthorizeOptOutTarget(const Caller& caller,
                                   const std::string& person_id) {
  if (person_id == caller.subject && HasRight(caller, Right::kSetOwnOptOut))
    return absl::OkStatus();
  if (HasRight(caller, Right::kSetOptOutOnBehalf)) return absl::OkStatus();
  if (caller.method == AuthMethod::kNone)
    return absl::UnauthenticatedError(
        "person_id: changing an opt-out needs credentials");
  return absl::PermissionDeniedError(absl::StrCat(
      "person_id: ", caller.subject,
      " may only change their own opt-out (changing ", person_id,
      "'s needs the right \"", RightName(Right::kSetOptOutOnBehalf), "\")"));
}

absl::Status AuthorizeOutcomeQuestion(const Caller& caller,
                                      const std::string& question_author) {
  if (HasRight(caller, Right::kRecordOutcome)) return absl::OkStatus();
  if (!question_author.empty() && question_author == caller.subject &&
      HasRight(caller, Right::kRecordOwnOutcome))
    return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "outcome.question_post_id: ", caller.subject,
      " may only record outcomes of a public question they asked (naming "
      "their own question post; others need the right \"",
      RightName(Right::kRecordOutcome), "\")"));
}

}  // namespace whoknows::api
