#include "api/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <span>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "api/admin.h"
#include "api/audit_log.h"
#include "api/caller.h"
#include "api/erasure.h"
#include "api/expertise.h"
#include "api/group_pace.h"
#include "api/outcomes.h"
#include "api/request_errors.h"
#include "api/suggest.h"
#include "api/tls_credentials.h"
#include "common/status_macros.h"
#include "common/thread_priority.h"
#include "grpc/health/v1/health.pb.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/shards.h"
#include "index/validation.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "ranking/exposure.h"
#include "ranking/learning.h"
#include "ranking/outcomes.h"
#include "whoknows/v1/admin.grpc.pb.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"
#include "whoknows/v1/networks.grpc.pb.h"

namespace whoknows::api {
namespace {

// The one place where module statuses become gRPC statuses (the codes are
// the same numbers).
grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

// RepeatedPtrField is not contiguous; the catalog takes spans.
template <typename T>
std::vector<T> Copy(const google::protobuf::RepeatedPtrField<T>& items) {
  return {items.begin(), items.end()};
}

absl::Status CheckBatch(int items, const char* field) {
  if (items == 0)
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty batch"));
  if (items > index::kMaxBatchItems)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", items, " items, more than the limit of ",
                     index::kMaxBatchItems));
  return absl::OkStatus();
}

// An IngestStream stops reading past this many bytes of messages read and
// not yet being written (the ingest executor is slower than the network).
constexpr size_t kMaxQueuedBytes = 32 << 20;

// The full gRPC method of an RPC, as the audit log names it.
const char* MethodName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kFindExperts:
      return "whoknows.v1.Expertise/FindExperts";
    case Rpc::kSuggestForPost:
      return "whoknows.v1.Expertise/SuggestForPost";
    case Rpc::kUpsertPeople:
      return "whoknows.v1.Ingest/UpsertPeople";
    case Rpc::kUpsertPosts:
      return "whoknows.v1.Ingest/UpsertPosts";
    case Rpc::kIngestStream:
      return "whoknows.v1.Ingest/IngestStream";
    case Rpc::kDeletePost:
      return "whoknows.v1.Ingest/DeletePost";
    case Rpc::kDeletePerson:
      return "whoknows.v1.Ingest/DeletePerson";
    case Rpc::kCompact:
      return "whoknows.v1.Ingest/Compact";
    case Rpc::kAnalyzeNetwork:
      return "whoknows.v1.Networks/AnalyzeNetwork";
    case Rpc::kSetOptOut:
      return "whoknows.v1.Ingest/SetOptOut";
    case Rpc::kRecordOutcome:
      return "whoknows.v1.Ingest/RecordOutcome";
    case Rpc::kGetStatus:
      return "whoknows.v1.Admin/GetStatus";
  }
  return "?";
}

// The service an RPC belongs to, for the calls in flight (Admin.GetStatus).
Service ServiceOf(Rpc rpc) {
  switch (rpc) {
    case Rpc::kFindExperts:
    case Rpc::kSuggestForPost:
      return Service::kExpertise;
    case Rpc::kAnalyzeNetwork:
      return Service::kNetworks;
    case Rpc::kGetStatus:
      return Service::kAdmin;
    default:
      return Service::kIngest;
  }
}

// What a call leaves in the audit log: privileged calls set `record` (up
// front, or in their body once they know, as person-level analyses do) and
// fill in the ids and counts.
struct AuditNote {
  bool record = false;
  std::string target;  // an id, never text
  std::map<std::string, int64_t> counts;
};

// Records a call in the audit log when its note asks for it. `who` is the
// authenticated caller (anonymous when authentication failed), `outcome`
// the call's status.
void Audit(AuditLog& log, Rpc rpc, const Caller& who,
           const absl::Status& outcome, AuditNote note) {
  if (!note.record) return;
  AuditEntry e;
  e.method = MethodName(rpc);
  e.caller = who;
  e.code = outcome.code();
  e.target = std::move(note.target);
  e.counts = std::move(note.counts);
  (void)log.Append(e);  // logged by AuditLog; the call has happened
}

// Why a call's work must not start, or go on: its deadline has passed
// (DEADLINE_EXCEEDED) or the client cancelled (CANCELLED); OK otherwise.
// `when` says where the work stands ("queued for ingest").
absl::Status Interrupted(const grpc::CallbackServerContext& ctx,
                         const std::string& when) {
  if (std::chrono::system_clock::now() >= ctx.deadline())
    return absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while ", when, ": not done"));
  if (ctx.IsCancelled())
    return absl::CancelledError(
        absl::StrCat("cancelled by the client while ", when, ": not done"));
  return absl::OkStatus();
}

// RESOURCE_EXHAUSTED for a call `executor` refused, with the retry hint in
// the message and, in milliseconds, in the `retry-after-ms` trailer.
absl::Status Overloaded(const Executor& executor,
                        grpc::CallbackServerContext* ctx) {
  const int64_t after = executor.RetryAfter().count();
  ctx->AddTrailingMetadata("retry-after-ms", std::to_string(after));
  return absl::ResourceExhaustedError(absl::StrCat(
      executor.name(), " queue is full (", executor.queued(), " waiting, ",
      executor.running(), " running): retry after ", after, " ms"));
}

// The steps every unary RPC shares, so that a handler states only what
// differs: authenticate and authorize (api/caller.h decides), run the body
// with the caller, audit, finish. `Body` is
// `absl::Status(const Caller&, AuditNote&)`; it runs only once the caller
// holds the RPC's right. With an executor the body runs there (when its
// queue is full the call gets RESOURCE_EXHAUSTED), and not at all when the
// deadline passes or the client cancels before it starts; the reactor is
// finished from the executor's thread. Without one (queries: short and
// never queued) it runs on gRPC's thread. Each call counts in `calls` (per
// service) from its arrival until it is finished.
class CallHandler {
 public:
  CallHandler(const Authenticator& auth, AuditLog& audit, CallCounters& calls)
      : auth_(auth), audit_(audit), calls_(calls) {}

  template <typename Body>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Rpc rpc,
                                   Executor* executor, AuditNote note,
                                   Body body) const {
    auto* reactor = ctx->DefaultReactor();
    calls_.in_flight[static_cast<int>(ServiceOf(rpc))].fetch_add(1);
    Caller who;
    absl::StatusOr<Caller> caller = Authorize(*ctx, auth_, rpc, &who);
    if (!caller.ok() || executor == nullptr) {
      absl::Status s = caller.status();
      if (s.ok()) s = body(*caller, note);
      Finish(reactor, rpc, who, s, std::move(note));
      return reactor;
    }
    auto task = [calls = *this, ctx, reactor, rpc, who, note,
                 caller = *std::move(caller), body = std::move(body),
                 when =
                     absl::StrCat("queued for ", executor->name())]() mutable {
      absl::Status s = Interrupted(*ctx, when);
      if (s.ok()) s = body(caller, note);
      calls.Finish(reactor, rpc, who, s, std::move(note));
    };
    if (!executor->TrySubmit(std::move(task)))
      Finish(reactor, rpc, who, Overloaded(*executor, ctx), std::move(note));
    return reactor;
  }

  const Authenticator& auth() const { return auth_; }
  AuditLog& audit() const { return audit_; }

 private:
  void Finish(grpc::ServerUnaryReactor* reactor, Rpc rpc, const Caller& who,
              const absl::Status& s, AuditNote note) const {
    Audit(audit_, rpc, who, s, std::move(note));
    calls_.in_flight[static_cast<int>(ServiceOf(rpc))].fetch_sub(1);
    reactor->Finish(ToGrpc(s));
  }

  const Authenticator& auth_;
  AuditLog& audit_;
  CallCounters& calls_;
};

// The audit note of a privileged call.
AuditNote Recorded(std::string target = "",
                   std::map<std::string, int64_t> counts = {}) {
  return {
      .record = true, .target = std::move(target), .counts = std::move(counts)};
}

// Whether `next` lacks a group that `stored` has.
bool LeavesAGroup(const v1::Person& stored, const v1::Person& next) {
  for (const auto& g : stored.groups()) {
    if (std::find(next.groups().begin(), next.groups().end(), g) ==
        next.groups().end())
      return true;
  }
  return false;
}

// Writes people and posts as one write (Catalog::Upsert: both or, after a
// crash, neither) with the caller's opt-out policy: a stored opted_out stays
// unless the caller may change anyone's (an admin); the person themself
// clears theirs with SetOptOut, never through a service token's `sub`.
// Counts what changed for the audit log (opt-out changes against the
// published snapshot). A person leaving a private group is published before
// the call returns, so that their very next answer no longer uses the
// group's posts.
absl::Status Upsert(index::Catalog& catalog, const Caller& caller,
                    std::span<const v1::Person> people,
                    std::span<const v1::Post> posts,
                    std::map<std::string, int64_t>* counts) {
  index::UpsertPolicy policy;
  policy.may_clear_any_opt_out = HasRight(caller, Right::kChangeOptOut);
  std::map<std::string, int64_t> opt_outs;
  bool left_a_group = false;
  if (!people.empty()) {
    // Released before the write: a publish during the write would otherwise
    // leave this the last reference, and the writer thread would free the
    // replaced snapshot (O(posts): about a tenth of its time at 1M posts).
    const auto snap = catalog.snapshot();
    for (const auto& p : people) {
      const v1::Person* stored = snap->FindPerson(p.id());
      if (stored && !left_a_group) left_a_group = LeavesAGroup(*stored, p);
      const bool was = stored && stored->opted_out();
      const bool kept = was && !p.opted_out() && !policy.MayClearOptOut(p.id());
      if (kept) ++opt_outs["opt_out_kept"];
      if (was != (p.opted_out() || kept)) ++opt_outs["opt_out_changes"];
    }
  }
  WK_RETURN_IF_ERROR(catalog.Upsert(people, posts, policy));
  if (left_a_group) catalog.Refresh();
  for (const auto& [key, n] : opt_outs) (*counts)[key] += n;
  if (!people.empty())
    (*counts)["people"] += static_cast<int64_t>(people.size());
  if (!posts.empty()) (*counts)["posts"] += static_cast<int64_t>(posts.size());
  return absl::OkStatus();
}

class ExpertiseService final : public v1::Expertise::CallbackService {
 public:
  ExpertiseService(const index::Catalog& catalog,
                   const ranking::ExpertFinder& finder,
                   ranking::ExposureLedger& exposure, index::Clock clock,
                   CallHandler calls)
      : catalog_(catalog),
        finder_(finder),
        exposure_(exposure),
        clock_(std::move(clock)),
        calls_(calls) {}

  grpc::ServerUnaryReactor* FindExperts(
      grpc::CallbackServerContext* ctx, const v1::FindExpertsRequest* request,
      v1::FindExpertsResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kFindExperts, /*executor=*/nullptr, AuditNote{},
        [this, request, response](const Caller& caller,
                                  AuditNote&) -> absl::Status {
          v1::FindExpertsRequest r = *request;
          WK_RETURN_IF_ERROR(AuthorizeAsker(caller, r.mutable_asker_id()));
          WK_ASSIGN_OR_RETURN(*response,
                              api::FindExperts(catalog_, finder_, r));
          RecordSuggested(*response, catalog_, exposure_, clock_());
          if (!HasRight(caller, Right::kFullProfiles))
            KeepPublicProfiles(response);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* SuggestForPost(
      grpc::CallbackServerContext* ctx,
      const v1::SuggestForPostRequest* request,
      v1::SuggestForPostResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kSuggestForPost, /*executor=*/nullptr, AuditNote{},
        [this, request, response](const Caller& caller,
                                  AuditNote&) -> absl::Status {
          v1::SuggestForPostRequest r = *request;
          WK_RETURN_IF_ERROR(
              AuthorizeAsker(caller, r.mutable_author_id(), "author_id"));
          // Read, not fed: a client calls this on every pause in typing,
          // and one draft must not push its own experts down as it grows
          // (docs/ranking.md, "Exposure budget").
          WK_ASSIGN_OR_RETURN(*response,
                              api::SuggestForPost(catalog_, finder_, r));
          if (!HasRight(caller, Right::kFullProfiles)) {
            for (auto& m : *response->mutable_experts())
              *m.mutable_person() = PublicProfile(m.person());
          }
          return absl::OkStatus();
        });
  }

 private:
  const index::Catalog& catalog_;
  const ranking::ExpertFinder& finder_;
  ranking::ExposureLedger& exposure_;
  const index::Clock clock_;
  const CallHandler calls_;
};

// IngestStream reads raw messages and parses them itself: gRPC takes a
// message that does not parse for the end of the stream (api/request_errors.h).
class IngestService final
    : public v1::Ingest::WithRawCallbackMethod_IngestStream<
          v1::Ingest::CallbackService> {
 public:
  IngestService(index::Catalog& catalog, Eraser& eraser,
                ranking::ExposureLedger& exposure,
                ranking::OutcomeStore& outcomes, CallHandler calls,
                Executor& executor, absl::Duration group_budget,
                int group_min_items)
      : catalog_(catalog),
        eraser_(eraser),
        exposure_(exposure),
        outcomes_(outcomes),
        calls_(calls),
        executor_(executor),
        pace_(group_budget, group_min_items) {}

  grpc::ServerUnaryReactor* UpsertPeople(
      grpc::CallbackServerContext* ctx, const v1::UpsertPeopleRequest* request,
      v1::UpsertPeopleResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kUpsertPeople, &executor_, Recorded(),
        [this, request, response](const Caller& caller,
                                  AuditNote& note) -> absl::Status {
          WK_RETURN_IF_ERROR(CheckBatch(request->people_size(), "people"));
          WK_RETURN_IF_ERROR(api::Upsert(
              catalog_, caller, Copy(request->people()), {}, &note.counts));
          response->set_upserted(request->people_size());
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* UpsertPosts(
      grpc::CallbackServerContext* ctx, const v1::UpsertPostsRequest* request,
      v1::UpsertPostsResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kUpsertPosts, &executor_, Recorded("", {{"posts", 0}}),
        [this, request, response](const Caller&,
                                  AuditNote& note) -> absl::Status {
          WK_RETURN_IF_ERROR(CheckBatch(request->posts_size(), "posts"));
          WK_RETURN_IF_ERROR(catalog_.UpsertPosts(Copy(request->posts())));
          response->set_upserted(request->posts_size());
          note.counts["posts"] = request->posts_size();
          return absl::OkStatus();
        });
  }

  grpc::ServerReadReactor<grpc::ByteBuffer>* IngestStream(
      grpc::CallbackServerContext* ctx, grpc::ByteBuffer* response) override {
    // Group commit: messages are read while the ingest executor writes the
    // ones before them, and those that arrived meanwhile are written
    // together, in groups of what the writer writes in about
    // ServerOptions::ingest_group_budget (GroupPace; one commit each), instead
    // of one commit per message (a commit's cost grows with the vocabulary, not
    // with the batch). An idle server still writes a lone message at once. The
    // response, the stream's only acknowledgement, is sent after the last write
    // is committed; the first bad message ends the stream, keeping what came
    // before. One audit line for the stream.
    class Reader final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
     public:
      Reader(index::Catalog& catalog, AuditLog& audit, Executor& executor,
             GroupPace& pace, grpc::CallbackServerContext* ctx,
             grpc::ByteBuffer* response, absl::StatusOr<Caller> caller,
             const Caller& who)
          : catalog_(catalog),
            audit_(audit),
            executor_(executor),
            pace_(pace),
            ctx_(ctx),
            raw_response_(response),
            caller_(std::move(caller)),
            who_(who) {
        if (!caller_.ok()) {
          End(caller_.status());
          return;
        }
        StartRead(&raw_);
      }
      void OnReadDone(bool ok) override {
        bool read_on = false, drain = false;
        {
          absl::MutexLock lock(&mu_);
          if (ended_) return;
          if (!ok) {  // the client closed its side
            closed_ = true;
          } else {
            queued_bytes_ += raw_.Length();
            queue_.push_back(std::move(raw_));
            raw_ = grpc::ByteBuffer();
            read_on = queued_bytes_ < kMaxQueuedBytes;
            paused_ = !read_on;
          }
          drain = !draining_;
          draining_ = true;
        }
        if (read_on) StartRead(&raw_);
        if (drain && !executor_.TrySubmit([this] { Drain(); })) {
          int next;
          {
            absl::MutexLock lock(&mu_);
            next = handed_ + 1;
          }
          End(InMessage(next, Overloaded(executor_, ctx_)));
        }
      }
      void OnDone() override { delete this; }

     private:
      // On the executor: writes what was read, one group at a time, until
      // nothing is left; then the end, once the client has closed its side.
      // Between groups it gives the thread up when other work waits for it
      // (an UpsertPosts, another stream) and queues itself behind that
      // work: a stream that never runs dry would otherwise hold the ingest
      // thread, and every other write would wait for its end.
      void Drain() {
        for (;;) {
          if (carry_.empty()) {
            bool read_on = false, end = false;
            {
              absl::MutexLock lock(&mu_);
              carry_.swap(queue_);
              queued_bytes_ = 0;
              carry_first_ = handed_ + 1;
              handed_ += static_cast<int>(carry_.size());
              read_on = paused_;
              paused_ = false;
              if (carry_.empty()) {
                draining_ = false;
                end = closed_;
              }
            }
            if (read_on) StartRead(&raw_);
            if (carry_.empty()) {
              if (end) End(absl::OkStatus());
              return;
            }
          }
          absl::Status s = Interrupted(*ctx_, "queued for ingest");
          if (s.ok()) s = WriteNextGroup();
          if (!s.ok()) {
            End(s);  // draining_ stays set: nothing more is written
            return;
          }
          if (executor_.queued() > 0 &&
              executor_.TrySubmit([this] { Drain(); }))
            return;
        }
      }
      // Parses messages from the front of carry_ and writes those that go
      // together as one group (at most pace_.MaxItems() items unless one
      // message holds more; a record twice starts a new group); the error
      // names the message at fault.
      absl::Status WriteNextGroup() {
        std::vector<v1::IngestStreamRequest> group;
        std::set<std::string> ids;
        int items = 0;
        const int max_items = pace_.MaxItems();
        const int first = carry_first_;
        while (!carry_.empty()) {
          v1::IngestStreamRequest request;
          absl::Status parsed = ParseRequest(carry_.front(), &request);
          const int n = request.people_size() + request.posts_size();
          if (parsed.ok() && n > index::kMaxBatchItems) {
            parsed = absl::InvalidArgumentError(absl::StrCat(
                n, " items, more than the limit of ", index::kMaxBatchItems));
          }
          if (!parsed.ok()) {
            WK_RETURN_IF_ERROR(WriteGroup(group, first));
            return InMessage(carry_first_, parsed);
          }
          const bool full = items + n > max_items;
          if ((Repeats(request, &ids) || full) && !group.empty()) break;
          items += n;
          group.push_back(std::move(request));
          carry_.pop_front();
          ++carry_first_;
        }
        return WriteGroup(group, first);
      }
      // Whether `r` names a person or post already in `ids`; adds its ids.
      static bool Repeats(const v1::IngestStreamRequest& r,
                          std::set<std::string>* ids) {
        bool repeated = false;
        for (const auto& p : r.people())
          repeated |= !ids->insert("person:" + p.id()).second;
        for (const auto& p : r.posts())
          repeated |= !ids->insert("post:" + p.id()).second;
        return repeated;
      }
      // The messages of `group` (numbered from `first`) as one write: both
      // or, after a crash, neither, as each message alone would be. When
      // the write is refused as invalid, the messages are written one by one
      // instead, so that those before the bad one stay and the error names
      // it.
      absl::Status WriteGroup(const std::vector<v1::IngestStreamRequest>& group,
                              size_t first) {
        if (group.empty()) return absl::OkStatus();
        std::vector<v1::Person> people;
        std::vector<v1::Post> posts;
        for (const auto& r : group) {
          people.insert(people.end(), r.people().begin(), r.people().end());
          posts.insert(posts.end(), r.posts().begin(), r.posts().end());
        }
        const absl::Time started = absl::Now();
        absl::Status s =
            api::Upsert(catalog_, *caller_, people, posts, &counts_);
        if (s.ok()) {
          pace_.Wrote(static_cast<int>(people.size() + posts.size()),
                      absl::Now() - started);
          Count(people.size(), posts.size());
          return absl::OkStatus();
        }
        if (group.size() == 1 || !absl::IsInvalidArgument(s))
          return group.size() == 1 ? InMessage(static_cast<int>(first), s)
                                   : InMessages(first, group.size(), s);
        for (size_t i = 0; i < group.size(); ++i)
          WK_RETURN_IF_ERROR(WriteGroup({group[i]}, first + i));
        return absl::OkStatus();
      }
      void Count(size_t people, size_t posts) {
        response_.set_people_upserted(response_.people_upserted() +
                                      static_cast<int32_t>(people));
        response_.set_posts_upserted(response_.posts_upserted() +
                                     static_cast<int32_t>(posts));
      }
      static absl::Status InMessage(int n, const absl::Status& s) {
        return absl::Status(s.code(),
                            absl::StrCat("message ", n, ": ", s.message()));
      }
      static absl::Status InMessages(size_t first, size_t n,
                                     const absl::Status& s) {
        return absl::Status(
            s.code(), absl::StrCat("messages ", first, "-", first + n - 1, ": ",
                                   s.message()));
      }
      // Once: audits and finishes the call. Touches nothing after Finish
      // (OnDone may delete this at once).
      void End(const absl::Status& s) {
        {
          absl::MutexLock lock(&mu_);
          if (ended_) return;
          ended_ = true;
          counts_["messages"] = handed_ + static_cast<int>(queue_.size());
        }
        Audit(audit_, Rpc::kIngestStream, who_, s,
              Recorded("", std::move(counts_)));
        if (s.ok()) {
          grpc::Slice bytes(response_.SerializeAsString());
          *raw_response_ = grpc::ByteBuffer(&bytes, 1);
        }
        Finish(ToGrpc(s));
      }

      index::Catalog& catalog_;
      AuditLog& audit_;
      Executor& executor_;
      GroupPace& pace_;
      grpc::CallbackServerContext* const ctx_;
      grpc::ByteBuffer* raw_response_;
      // Written by Drain (one at a time) and read by End after it.
      v1::IngestStreamResponse response_;
      std::map<std::string, int64_t> counts_;
      const absl::StatusOr<Caller> caller_;
      const Caller who_;      // authenticated, even when refused
      grpc::ByteBuffer raw_;  // the read under way (one at a time)
      absl::Mutex mu_;
      std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
      size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
      int handed_ ABSL_GUARDED_BY(mu_) = 0;       // messages given to Drain
      bool closed_ ABSL_GUARDED_BY(mu_) = false;  // the client's side
      bool paused_ ABSL_GUARDED_BY(mu_) = false;  // no read under way
      bool draining_ ABSL_GUARDED_BY(mu_) = false;
      bool ended_ ABSL_GUARDED_BY(mu_) = false;
      // Messages taken from queue_ and not written yet, and the number of
      // the first: Drain's alone (one Drain at a time: draining_).
      std::deque<grpc::ByteBuffer> carry_;
      int carry_first_ = 0;
    };
    Caller who;
    auto caller = Authorize(*ctx, calls_.auth(), Rpc::kIngestStream, &who);
    return new Reader(catalog_, calls_.audit(), executor_, pace_, ctx, response,
                      std::move(caller), who);
  }

  grpc::ServerUnaryReactor* DeletePost(
      grpc::CallbackServerContext* ctx, const v1::DeletePostRequest* request,
      v1::DeletePostResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kDeletePost, &executor_,
        Recorded(request->post_id().substr(0, 128), {{"posts", 0}}),
        [this, request, response](const Caller&,
                                  AuditNote& note) -> absl::Status {
          WK_ASSIGN_OR_RETURN(bool found,
                              catalog_.DeletePost(request->post_id()));
          response->set_found(found);
          note.counts["posts"] = found ? 1 : 0;
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* DeletePerson(
      grpc::CallbackServerContext* ctx, const v1::DeletePersonRequest* request,
      v1::DeletePersonResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kDeletePerson, &executor_,
        Recorded(request->person_id().substr(0, 128)),
        [this, request, response](const Caller&,
                                  AuditNote& note) -> absl::Status {
          WK_RETURN_IF_ERROR(Writable());  // before any file is touched
          // api/erasure.h
          WK_ASSIGN_OR_RETURN(*response, eraser_.DeletePerson(*request));
          exposure_.Forget(request->person_id());  // the exposure budget
          note.counts = {{"people", response->found() ? 1 : 0},
                         {"posts", response->posts_deleted()},
                         {"interactions", response->interactions_removed()},
                         {"outcomes", response->outcomes_removed()}};
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const v1::CompactRequest* /*request*/,
                                    v1::CompactResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kCompact, &executor_, Recorded(),
        [this, response](const Caller&, AuditNote&) -> absl::Status {
          WK_ASSIGN_OR_RETURN(auto result, catalog_.Compact());
          response->set_bytes_before(result.bytes_before);
          response->set_bytes_after(result.bytes_after);
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* SetOptOut(
      grpc::CallbackServerContext* ctx, const v1::SetOptOutRequest* request,
      v1::SetOptOutResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kSetOptOut, &executor_,
        Recorded(request->person_id().substr(0, 128), {{"opt_out_changes", 0}}),
        [this, request, response](const Caller& caller,
                                  AuditNote& note) -> absl::Status {
          const std::string& id = request->person_id();
          if (id.empty())
            return absl::InvalidArgumentError("person_id: required");
          // Who may, before whether the person exists: no probing of ids.
          WK_RETURN_IF_ERROR(AuthorizeOptOutTarget(caller, id));
          WK_ASSIGN_OR_RETURN(bool changed,
                              catalog_.SetOptOut(id, request->opted_out()));
          response->set_person_id(id);
          response->set_opted_out(request->opted_out());
          response->set_changed(changed);
          note.counts["opt_out_changes"] = changed ? 1 : 0;
          return absl::OkStatus();
        });
  }

  grpc::ServerUnaryReactor* RecordOutcome(
      grpc::CallbackServerContext* ctx, const v1::RecordOutcomeRequest* request,
      v1::RecordOutcomeResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kRecordOutcome, &executor_,
        Recorded(request->outcome().helper_id().substr(0, 128),
                 {{"outcomes", 0}}),
        [this, request, response](const Caller& caller,
                                  AuditNote& note) -> absl::Status {
          // outcomes.jsonl is the writer's.
          WK_RETURN_IF_ERROR(Writable());
          // Not during an erasure (--ingest-threads above 1): its check of
          // the helper and asker reads the published snapshot.
          WK_ASSIGN_OR_RETURN(*response, eraser_.OutsideErasures([&] {
            return api::RecordOutcome(caller, catalog_, outcomes_,
                                      catalog_.options().validation, *request);
          }));
          note.counts["outcomes"] = 1;
          return absl::OkStatus();
        });
  }

 private:
  // FAILED_PRECONDITION on a read-only front-end (`serve --follow`), as the
  // catalog's own writes say, for the calls that write files beside it.
  absl::Status Writable() const {
    const index::CatalogOptions& o = catalog_.options();
    if (!o.read_only && !o.follow) return absl::OkStatus();
    return absl::FailedPreconditionError(
        "catalog is read-only: this front-end follows a writer (serve "
        "--follow); send writes to the writer");
  }

  index::Catalog& catalog_;
  Eraser& eraser_;
  ranking::ExposureLedger& exposure_;
  ranking::OutcomeStore& outcomes_;
  const CallHandler calls_;
  Executor& executor_;
  // Shared by the streams: the rate is the writer's, whoever wrote last.
  GroupPace pace_;
};

// Networks: HR analyses of the colleague network (api/networks.cc).
class NetworksService final : public v1::Networks::CallbackService {
 public:
  NetworksService(const index::Catalog& catalog,
                  const NetworksServiceOptions& options, CallHandler calls,
                  Executor& executor)
      : catalog_(catalog),
        options_(options),
        calls_(calls),
        executor_(executor) {}

  grpc::ServerUnaryReactor* AnalyzeNetwork(
      grpc::CallbackServerContext* ctx,
      const v1::AnalyzeNetworkRequest* request,
      v1::AnalyzeNetworkResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kAnalyzeNetwork, &executor_, AuditNote{},
        [this, ctx, request, response](const Caller& caller,
                                       AuditNote& note) -> absl::Status {
          auto result = api::AnalyzeNetwork(
              catalog_, *request, caller, options_,
              [ctx] { return !Interrupted(*ctx, "analysing").ok(); });
          // Stopped between stages: say why.
          if (result.status().code() == absl::StatusCode::kCancelled) {
            if (auto why = Interrupted(*ctx, "analysing"); !why.ok())
              result = why;
          }
          if (result.ok()) *response = std::move(*result);
          // Person-level analyses are privileged: recorded, with how many
          // people were named as brokers.
          note.record = request->person_level() &&
                        HasRight(caller, Right::kPersonLevelNetworks);
          note.counts = {{"brokers", result.ok()
                                         ? response->current().brokers_size()
                                         : 0}};
          return result.status();
        });
  }

 private:
  const index::Catalog& catalog_;
  const NetworksServiceOptions options_;
  const CallHandler calls_;
  Executor& executor_;
};

// Admin: the operator's view (api/admin.h). Not audited: monitoring polls
// it, and it reveals no person.
class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(StatusSources sources, CallHandler calls)
      : sources_(std::move(sources)), calls_(calls) {}

  grpc::ServerUnaryReactor* GetStatus(
      grpc::CallbackServerContext* ctx, const v1::GetStatusRequest* request,
      v1::GetStatusResponse* response) override {
    return calls_.Handle(
        ctx, Rpc::kGetStatus, /*executor=*/nullptr, AuditNote{},
        [this, request, response](const Caller&, AuditNote&) -> absl::Status {
          WK_ASSIGN_OR_RETURN(*response,
                              api::GetStatus(sources_, *request,
                                             absl::ToUnixMillis(absl::Now())));
          return absl::OkStatus();
        });
  }

 private:
  const StatusSources sources_;
  const CallHandler calls_;
};

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace

void ServerOptions::ApplyEnvironment(bool listen_set, bool data_set,
                                     bool refresh_set) {
  if (const char* v = std::getenv("WHOKNOWS_LISTEN"); v && !listen_set)
    listen = v;
  if (const char* v = std::getenv("WHOKNOWS_DATA"); v && !data_set)
    data_dir = v;
  if (const char* v = std::getenv("WHOKNOWS_REFRESH_MS"); v && !refresh_set)
    refresh_interval = std::chrono::milliseconds(std::atoll(v));
}

absl::Status ServerOptions::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("--data: required");
  if (networks.min_group_size < 1 ||
      networks.min_group_size > networks.limits.max_min_group_size)
    return absl::InvalidArgumentError(absl::StrCat(
        "--min-group: must be 1-", networks.limits.max_min_group_size));
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: want HOST:PORT, got \"", listen, "\""));
  const std::string port = listen.substr(colon + 1);
  int port_number = 0;
  if (port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port, &port_number) || port_number > 65535)
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: bad port \"", port, "\""));
  if (refresh_interval.count() < 1 || refresh_interval.count() > 3600 * 1000)
    return absl::InvalidArgumentError("--refresh-ms: must be 1-3600000");
  if (!(publish_cpu_share >= 0 && publish_cpu_share <= 1))
    return absl::InvalidArgumentError(absl::StrCat(
        "--publish-cpu-share: must be 0-1, got ", publish_cpu_share));
  for (const auto& shard : post_shards) {
    if (auto s = index::ParseShardServers(shard); !s.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("--post-shard: ", s.status().message()));
  }
  if (change_log_on_folder && follow)
    return absl::InvalidArgumentError(
        "--change-log-on-folder: a follower (--follow) writes no log; give "
        "it to the writer");
  if (max_message_bytes < 1024)
    return absl::InvalidArgumentError(
        "--max-message-bytes: must be at least 1024");
  if (handshake_timeout < std::chrono::milliseconds(100) ||
      handshake_timeout > std::chrono::minutes(10))
    return absl::InvalidArgumentError(
        "--handshake-timeout-ms: must be 100-600000");
  if (max_connection_idle < std::chrono::seconds(1))
    return absl::InvalidArgumentError(
        "--max-connection-idle-ms: must be at least 1000");
  if (future_tolerance_seconds < 0)
    return absl::InvalidArgumentError("--future-tolerance-s: must be >= 0");
  if (!clock) return absl::InvalidArgumentError("clock: required");
  WK_RETURN_IF_ERROR(analysis_executor.Validate("--analysis"));
  WK_RETURN_IF_ERROR(ingest_executor.Validate("--ingest"));
  if (ingest_group_budget.count() < 0 ||
      ingest_group_budget > std::chrono::minutes(1))
    return absl::InvalidArgumentError(
        "--ingest-group-budget-ms: must be 0-60000");
  if (ingest_group_min_items < 1 ||
      ingest_group_min_items > index::kMaxBatchItems)
    return absl::InvalidArgumentError(absl::StrCat(
        "--ingest-group-min-items: must be 1-", index::kMaxBatchItems));
  if (drain_timeout.count() < 0 || drain_timeout > std::chrono::hours(1))
    return absl::InvalidArgumentError("--drain-ms: must be 0-3600000");
  if (auto s = ranking.Validate(); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("ranking.", s.message()));
  WK_RETURN_IF_ERROR(auth.Validate());
  if (tls_cert_file.empty() != tls_key_file.empty())
    return absl::InvalidArgumentError(
        "--tls-cert, --tls-key: give both or neither");
  if (!client_ca_file.empty() && tls_cert_file.empty())
    return absl::InvalidArgumentError("--client-ca: needs --tls-cert");
  if (!auth.service_accounts.empty() && client_ca_file.empty())
    return absl::InvalidArgumentError(
        "--service-account: needs --client-ca to verify certificates");
  const std::string host = listen.substr(0, colon);
  if (!insecure && !IsLoopback(host)) {
    if (!auth.enabled())
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: ", host,
          " is not loopback and no authentication is configured "
          "(--jwt-keys or --service-account); pass --insecure to accept "
          "anyone who reaches the port"));
    if (tls_cert_file.empty())
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: ", host,
          " is not loopback and there is no TLS (--tls-cert, --tls-key); "
          "pass --insecure to send tokens in plaintext"));
  }
  return absl::OkStatus();
}

namespace {

std::string Seconds(int64_t us) {
  return absl::StrFormat("%.2f", static_cast<double>(us) / 1e6);
}

// One stderr line with what each stage of Server::Start cost (seconds):
// the catalog's open (records, first snapshot and its parts), the model's
// restore (or that it builds in the background), and the rest.
void LogStartup(const index::Catalog& catalog,
                const ranking::ExpertiseModel* model, int64_t catalog_us,
                int64_t model_us, int64_t total_us) {
  const index::OpenTimings o = catalog.stats().open;
  const index::PublishTimings& p = o.first_publish;
  std::string line = absl::StrCat(
      "whoknows: start-up ", Seconds(total_us), " s: catalog ",
      Seconds(catalog_us), " (stores ", Seconds(o.stores_us), ", records ",
      Seconds(o.records_us),
      o.records_from_file ? " from derived.bin" : " scanned",
      ", first snapshot ", Seconds(o.publish_us), ": copy ", Seconds(p.copy_us),
      p.posts_listed ? " (posts listed in the file's order)" : "", ", groups ",
      Seconds(p.groups_us), ", build ", Seconds(p.build_us), " of which graph ",
      p.graph_from_file ? "from graph.bin" : Seconds(p.graph_us), ", docids ",
      Seconds(p.docids_us), p.docids_from_file ? " from docids.bin" : "",
      ", graph.tsv ", Seconds(p.save_us), "), model ", Seconds(model_us));
  if (model) {
    const ranking::ModelTimings& m = model->timings();
    auto read = [](bool restored) {
      return restored ? " read from the file" : "";
    };
    absl::StrAppend(
        &line, " (file ", Seconds(m.file_us), ", ties ", Seconds(m.ties_us),
        read(model->ties_restored()), ", pagerank ", Seconds(m.pagerank_us),
        read(model->pagerank_restored()), ", tags ", Seconds(m.tags_us),
        read(model->tags_restored()), ", clients ", Seconds(m.clients_us),
        read(model->clients_restored()), ")");
  } else {
    absl::StrAppend(&line, " (none restored: built in the background)");
  }
  absl::StrAppend(&line, ", rest ", Seconds(total_us - catalog_us - model_us),
                  "\n");
  std::fputs(line.c_str(), stderr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options) {
  WK_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Server> server(new Server());
  const int64_t started_ms = absl::ToUnixMillis(absl::Now());
  server->errors_ = std::make_unique<ErrorRing>();
  server->calls_ = std::make_unique<CallCounters>();
  WK_ASSIGN_OR_RETURN(server->authenticator_,
                      Authenticator::Create(options.auth));
  // TLS (and optionally mTLS) from the PEM files, reloadable; or plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty()) {
    WK_ASSIGN_OR_RETURN(
        server->tls_,
        TlsCredentials::Create({.cert_file = options.tls_cert_file,
                                .key_file = options.tls_key_file,
                                .client_ca_file = options.client_ca_file}));
    credentials = server->tls_->credentials();
  }
  if (options.insecure)
    std::fprintf(stderr, "whoknows: WARNING: --insecure: %s accepts %s%s\n",
                 options.listen.c_str(),
                 options.auth.enabled() ? "tokens" : "anonymous callers",
                 options.tls_cert_file.empty() ? " in plaintext" : "");
  index::CatalogOptions copts;
  copts.data_dir = options.data_dir;
  copts.refresh_interval = options.refresh_interval;
  copts.publish_cpu_share = options.publish_cpu_share;
  for (const auto& shard : options.post_shards)
    copts.post_shards.push_back(absl::StrSplit(shard, ','));
  copts.follow = options.follow;
  copts.change_log_on_folder = options.change_log_on_folder;
  copts.validation.clock = options.clock;
  copts.validation.future_tolerance_seconds = options.future_tolerance_seconds;
  copts.on_background_error = [errors = server->errors_.get()](
                                  const char* source, const absl::Status& e) {
    errors->Add(source, e, absl::ToUnixMillis(absl::Now()));
  };
  // A follower's folder is its own, never a writer's or another
  // follower's: the model store below persists into it. Taken before the
  // catalog opens, so that a folder another process holds is refused at
  // once rather than after its records are read (seconds at 1M posts); a
  // folder that is not there yet is left to the open's own error.
  if (options.follow) {
    std::error_code missing;
    if (std::filesystem::is_directory(options.data_dir, missing)) {
      auto lock = index::DataDirLock::Acquire(index::DataDir(options.data_dir));
      if (!lock.ok()) return lock.status();
      server->follower_lock_ = std::move(*lock);
    }
  }
  // The model's file needs no snapshot until its restore: it is read on a
  // second core while the catalog opens, whose records keep one core busy
  // (docs/measurements.md, stop 34). The restore checks it is still the
  // file on disk.
  const std::string model_path = index::DataDir(options.data_dir).embeddings();
  std::future<absl::StatusOr<std::shared_ptr<ranking::ExpertiseModel::Stored>>>
      model_ahead;
  try {
    model_ahead = std::async(std::launch::async, [model_path] {
      // Below the catalog's threads: it takes a core they leave idle, and
      // the start waits for it only once they are done.
      LowerThisThreadsPriority();
      return ranking::ExpertiseModel::ReadAhead(model_path);
    });
  } catch (const std::system_error&) {
    // No thread to be had: the store reads the file itself.
  }
  absl::Time stage = absl::Now();
  auto catalog = index::Catalog::Open(copts);
  if (!catalog.ok()) return catalog.status();
  if (options.follow && !server->follower_lock_) {
    auto lock = index::DataDirLock::Acquire(index::DataDir(options.data_dir));
    if (!lock.ok()) return lock.status();
    server->follower_lock_ = std::move(*lock);
  }
  server->catalog_ = std::move(*catalog);
  const int64_t catalog_us = absl::ToInt64Microseconds(absl::Now() - stage);
  ranking::RankingOptions ranking = options.ranking;
  ranking.clock = options.clock;
  if (auto s = ranking::ApplyLearnedWeights(options.data_dir, &ranking);
      !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "learned ranking weights: ", s.message(),
        " (fix or delete the file; `whoknows learn` rewrites it)"));
  }
  ranking::ModelStoreOptions mopts;
  mopts.path = model_path;
  mopts.min_rebuild_interval = options.model_rebuild_interval;
  mopts.min_retrain_interval = options.model_retrain_interval;
  mopts.model.clock = options.clock;
  mopts.on_background_error =
      [errors = server->errors_.get()](const absl::Status& e) {
        errors->Add("model", e, absl::ToUnixMillis(absl::Now()));
      };
  WK_RETURN_IF_ERROR(mopts.Validate());
  stage = absl::Now();
  std::shared_ptr<ranking::ExpertiseModel::Stored> read_ahead;
  if (model_ahead.valid()) {
    // An unreadable file is said by the store's own read.
    auto read = model_ahead.get();
    if (read.ok()) read_ahead = *std::move(read);
  }
  server->models_ = std::make_unique<ranking::ModelStore>(
      *server->catalog_, mopts, std::move(read_ahead));
  const int64_t model_us = absl::ToInt64Microseconds(absl::Now() - stage);
  server->exposure_ =
      std::make_unique<ranking::ExposureLedger>(ranking::ExposureLedgerOptions{
          .window_days = ranking.exposure_window_days});
  server->outcomes_ = std::make_unique<ranking::OutcomeStore>(*server->catalog_,
                                                              options.data_dir);
  if (auto s = server->outcomes_->Load(); !s.ok())
    return absl::Status(s.code(), absl::StrCat("outcomes: ", s.message()));
  server->finder_ = std::make_unique<ranking::ExpertFinder>(
      *server->catalog_, ranking,
      [models = server->models_.get()] { return models->current(); },
      server->exposure_.get(),
      [outcomes = server->outcomes_.get()] { return outcomes->current(); });
  WK_ASSIGN_OR_RETURN(
      server->audit_,
      AuditLog::Open(index::DataDir(options.data_dir).audit_log()));
  const CallHandler calls(*server->authenticator_, *server->audit_,
                          *server->calls_);
  server->expertise_ = std::make_unique<ExpertiseService>(
      *server->catalog_, *server->finder_, *server->exposure_, options.clock,
      calls);
  // Erasure, and the end of one a crash interrupted (the journal).
  EraserOptions erasure;
  erasure.data_dir = options.data_dir;
  erasure.outcomes = server->outcomes_.get();
  // An erasure finished for one that had not completed (here at start, or
  // by the next DeletePerson): the call that began it has its line (its
  // error, or none after a crash); this one says it is done, and its
  // exposure counter goes, as after DeletePerson. The id goes to the audit
  // log only, as the call's did, not to stderr.
  erasure.on_resumed = [audit = server->audit_.get(),
                        exposure =
                            server->exposure_.get()](const ErasureReceipt& r) {
    audit
        ->Append({.method = std::string(MethodName(Rpc::kDeletePerson)),
                  .caller = {.subject = "whoknows serve: resumed"},
                  .code = absl::StatusCode::kOk,
                  .target = r.person_id.substr(0, 128),
                  .counts = {{"people", r.profile_found ? 1 : 0},
                             {"posts", r.posts_deleted},
                             {"interactions", r.interactions_removed},
                             {"outcomes", r.outcomes_removed}}})
        .IgnoreError();  // Append logs its own failure
    exposure->Forget(r.person_id);
    std::fprintf(stderr,
                 "whoknows: finished an erasure that had not completed (%d "
                 "posts, %lld interactions, %lld outcomes; audit.jsonl names "
                 "whom)\n",
                 r.posts_deleted,
                 static_cast<long long>(r.interactions_removed),
                 static_cast<long long>(r.outcomes_removed));
  };
  erasure.on_incomplete = [errors =
                               server->errors_.get()](const absl::Status& e) {
    errors->Add("erasure", e, absl::ToUnixMillis(absl::Now()));
  };
  server->eraser_ = std::make_unique<Eraser>(*server->catalog_,
                                             server->models_.get(), erasure);
  if (auto resumed = server->eraser_->ResumePending(); !resumed.ok()) {
    return absl::Status(resumed.status().code(),
                        absl::StrCat("finishing an interrupted erasure: ",
                                     resumed.status().message()));
  }
  server->analysis_executor_ =
      std::make_unique<Executor>("analysis", options.analysis_executor);
  server->ingest_executor_ =
      std::make_unique<Executor>("ingest", options.ingest_executor);
  server->drain_timeout_ = options.drain_timeout;
  server->ingest_ = std::make_unique<IngestService>(
      *server->catalog_, *server->eraser_, *server->exposure_,
      *server->outcomes_, calls, *server->ingest_executor_,
      absl::FromChrono(options.ingest_group_budget),
      options.ingest_group_min_items);
  server->networks_ = std::make_unique<NetworksService>(
      *server->catalog_, options.networks, calls, *server->analysis_executor_);
  server->admin_ = std::make_unique<AdminService>(
      StatusSources{
          .version = WHOKNOWS_VERSION,
          .started_ms = started_ms,
          .weights = ranking.weights.provenance,
          .catalog = server->catalog_.get(),
          .models = server->models_.get(),
          .exposure = server->exposure_.get(),
          .executors = {server->ingest_executor_.get(),
                        server->analysis_executor_.get()},
          .calls = server->calls_.get(),
          .errors = server->errors_.get(),
          .serving = [s = server.get()] { return s->serving_.load(); }},
      calls);

  grpc::EnableDefaultHealthCheckService(true);
  // Links the health service's descriptor into the generated pool, where
  // reflection looks symbols up (gRPC's own implementation carries none).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // Descriptors held by peers that never finish a handshake, or that stop
  // calling, are given back (gRPC 1.51 has no cap on connections).
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(options.handshake_timeout.count()));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(
          std::min<int64_t>(options.max_connection_idle.count(), INT32_MAX)));
  // Requests that do not parse: INVALID_ARGUMENT, not UNIMPLEMENTED.
  QuietProtobufParseErrors();
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeRequestErrorInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(server->expertise_.get());
  builder.RegisterService(server->ingest_.get());
  builder.RegisterService(server->networks_.get());
  builder.RegisterService(server->admin_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  const std::shared_ptr<const ranking::ExpertiseModel> model =
      server->models_->current();
  LogStartup(*server->catalog_, model.get(), catalog_us, model_us,
             absl::ToInt64Microseconds(absl::Now() -
                                       absl::FromUnixMillis(started_ms)));
  if (model) {
    server->SetServing(true);
  } else {
    server->SetServing(false);
    server->readiness_ =
        std::thread([s = server.get()] { s->ReportServingOnceReady(); });
  }
  return server;
}

void Server::ReportServingOnceReady() {
  constexpr absl::Duration kPoll = absl::Milliseconds(20);
  while (!stop_readiness_.WaitForNotificationWithTimeout(kPoll)) {
    if (models_->current()) {
      SetServing(true);
      return;
    }
  }
}

void Server::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
  serving_ = serving;
}

Server::~Server() { Shutdown(); }

absl::Status Server::Reload() {
  absl::Status tls = tls_ ? tls_->Reload() : absl::OkStatus();
  absl::Status keys = authenticator_->ReloadKeys();
  if (tls.ok()) return keys;
  if (keys.ok()) return tls;
  return absl::InvalidArgumentError(
      absl::StrCat(tls.message(), "; ", keys.message()));
}

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  std::call_once(shut_down_, [this] {
    stop_readiness_.Notify();
    if (readiness_.joinable()) readiness_.join();
    // gRPC stops accepting, waits for calls in flight until the deadline,
    // cancels the rest (a queued task then finishes its call as CANCELLED
    // without running; an analysis stops at its next stage), and returns
    // once every reactor is done. Nothing is left for the executors then.
    if (server_)
      server_->Shutdown(std::chrono::system_clock::now() + drain_timeout_);
    if (ingest_executor_) ingest_executor_->Shutdown();
    if (analysis_executor_) analysis_executor_->Shutdown();
  });
}

}  // namespace whoknows::api
