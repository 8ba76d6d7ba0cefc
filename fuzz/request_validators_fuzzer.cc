// Fuzzes every request validator: the first byte of the input picks a
// request type, the rest is parsed as that protobuf (as gRPC would), then
// validated as the service does:
//   0 FindExpertsRequest    api::ValidateFindExperts
//   1 UpsertPostsRequest    index::ValidatePost on each post
//   2 UpsertPeopleRequest   index::ValidatePerson on each person
//   3 IngestStreamRequest   both
//   4 AnalyzeNetworkRequest api::ValidateAnalyzeNetwork
//   5 SuggestForPostRequest api::ValidateSuggestForPost
//   6 RecordOutcomeRequest  index::ValidateOutcome on its outcome
//   7 GetStatusRequest      api::ValidateGetStatus
// Besides crashes and sanitizer reports it checks the contract of a
// validator: a refusal is INVALID_ARGUMENT whose message starts with the
// field ("posts[2].tags[0]: must be 1-64 bytes"), and what it accepts the
// store accepts too: valid posts and people are written to a real catalog
// in a scratch folder, which must not fail (an INTERNAL "Term too long"
// from Xapian is a validator that let too much through). A valid outcome
// must survive its line in outcomes.jsonl (what Load reads back is what was
// recorded, to the second) and be appended to a real log.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/admin.h"
#include "api/expertise.h"
#include "api/networks.h"
#include "api/suggest.h"
#include "fuzz/fuzz_support.h"
#include "index/catalog.h"
#include "index/outcomes.h"
#include "index/validation.h"
#include "whoknows/v1/admin.pb.h"
#include "whoknows/v1/expertise.pb.h"
#include "whoknows/v1/ingest.pb.h"
#include "whoknows/v1/networks.pb.h"

namespace {

using whoknows::fuzz::Fail;
namespace v1 = whoknows::v1;

// "field: reason", the field a path of names and [indexes].
bool NamesField(std::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == 0 || colon == std::string_view::npos ||
      colon + 2 == message.size())
    return false;
  for (char c : message.substr(0, colon)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

void CheckRefusal(const absl::Status& s, const char* request) {
  if (s.ok()) return;
  // Debian's abseil has its own string_view.
  const std::string_view message(s.message().data(), s.message().size());
  if (!absl::IsInvalidArgument(s) || !NamesField(message))
    Fail(std::string(request) +
         ": not INVALID_ARGUMENT naming the field: " + s.ToString());
}

whoknows::index::Catalog& Store() {
  static whoknows::index::Catalog* catalog = [] {
    whoknows::index::CatalogOptions o;
    o.data_dir = whoknows::fuzz::ScratchDir("validators") + "/data";
    o.dictionary_dir = "";  // translations play no part in writes
    auto opened = whoknows::index::Catalog::Open(o);
    if (!opened.ok())
      Fail("cannot open a catalog: " + opened.status().ToString());
    return opened->release();  // lives until exit, like the server's
  }();
  return *catalog;
}

// A write of validated records may be refused for what only the store
// knows (INVALID_ARGUMENT), never fail.
void CheckStored(const absl::Status& s, const char* what) {
  if (s.ok() || absl::IsInvalidArgument(s)) return;
  Fail(std::string("the store failed on ") + what +
       " the validator accepted: " + s.ToString());
}

// Validates like the services; writes what is valid.
template <typename Request>
absl::Status ValidatePosts(const Request& r) {
  std::vector<v1::Post> posts(r.posts().begin(), r.posts().end());
  for (size_t i = 0; i < posts.size(); ++i) {
    const std::string where = "posts[" + std::to_string(i) + "]";
    if (auto s = whoknows::index::ValidatePost(posts[i], where, {}); !s.ok())
      return s;
    v1::Post normal = posts[i];
    whoknows::index::NormalizePost(normal);
    if (!whoknows::index::ValidatePost(normal, where, {}).ok())
      Fail("a valid post is invalid once normalized");
  }
  if (!posts.empty()) CheckStored(Store().UpsertPosts(posts), "posts");
  return absl::OkStatus();
}

template <typename Request>
absl::Status ValidatePeople(const Request& r) {
  std::vector<v1::Person> people(r.people().begin(), r.people().end());
  for (size_t i = 0; i < people.size(); ++i) {
    const std::string where = "people[" + std::to_string(i) + "]";
    if (auto s = whoknows::index::ValidatePerson(people[i], where, {}); !s.ok())
      return s;
  }
  if (!people.empty()) CheckStored(Store().UpsertPeople(people), "people");
  return absl::OkStatus();
}

// Validates like RecordOutcome (the outcome on its own: whether the
// question and people exist is the service's to check); a valid outcome
// round-trips through its JSON line and is appended to a real log.
absl::Status ValidateRecordOutcome(const v1::RecordOutcomeRequest& r) {
  if (!r.has_outcome()) return absl::InvalidArgumentError("outcome: required");
  v1::Outcome o = r.outcome();
  o.DiscardUnknownFields();  // never stored: the line holds known fields
  if (auto s = whoknows::index::ValidateOutcome(&o, "outcome", {}); !s.ok())
    return s;
  auto back = whoknows::index::OutcomeFromJsonLine(
      whoknows::index::OutcomeToJsonLine(o));
  if (!back.ok())
    Fail("a valid outcome's line does not parse: " + back.status().ToString());
  o.mutable_time()->set_nanos(0);  // the log keeps time to the second
  if (!google::protobuf::util::MessageDifferencer::Equals(o, *back))
    Fail("a valid outcome changes through its line: " + o.ShortDebugString() +
         " -> " + back->ShortDebugString());
  static whoknows::index::OutcomeLog* log =
      new whoknows::index::OutcomeLog(whoknows::fuzz::ScratchDir("outcomes"));
  if (auto s = log->Append(o); !s.ok())
    Fail("appending a valid outcome failed: " + s.ToString());
  return absl::OkStatus();
}

template <typename Request>
bool Parse(std::string_view bytes, Request* r) {
  return r->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field fails the parse, as in gRPC; the log
  // line protobuf writes for each would drown the fuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 20)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  switch (data[0] % 8) {
    case 0: {
      v1::FindExpertsRequest r;
      if (Parse(bytes, &r))
        CheckRefusal(whoknows::api::ValidateFindExperts(r), "FindExperts");
      break;
    }
    case 1: {
      v1::UpsertPostsRequest r;
      if (Parse(bytes, &r)) CheckRefusal(ValidatePosts(r), "UpsertPosts");
      break;
    }
    case 2: {
      v1::UpsertPeopleRequest r;
      if (Parse(bytes, &r)) CheckRefusal(ValidatePeople(r), "UpsertPeople");
      break;
    }
    case 3: {
      v1::IngestStreamRequest r;
      if (Parse(bytes, &r)) {
        absl::Status s = ValidatePeople(r);
        if (s.ok()) s = ValidatePosts(r);
        CheckRefusal(s, "IngestStream");
      }
      break;
    }
    case 4: {
      v1::AnalyzeNetworkRequest r;
      if (Parse(bytes, &r))
        CheckRefusal(whoknows::api::ValidateAnalyzeNetwork(
                         r, whoknows::api::NetworksServiceOptions{}),
                     "AnalyzeNetwork");
      break;
    }
    case 5: {
      v1::SuggestForPostRequest r;
      if (Parse(bytes, &r))
        CheckRefusal(whoknows::api::ValidateSuggestForPost(r),
                     "SuggestForPost");
      break;
    }
    case 6: {
      v1::RecordOutcomeRequest r;
      if (Parse(bytes, &r))
        CheckRefusal(ValidateRecordOutcome(r), "RecordOutcome");
      break;
    }
    case 7: {
      v1::GetStatusRequest r;
      if (Parse(bytes, &r))
        CheckRefusal(whoknows::api::ValidateGetStatus(r), "GetStatus");
      break;
    }
  }
  return 0;
}
