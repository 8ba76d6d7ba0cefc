#include "api/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/erasure.h"
#include "api/expertise.h"
#include "common/status_macros.h"
#include "grpc/health/v1/health.pb.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/validation.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "ranking/learning.h"
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

class ExpertiseService final : public v1::Expertise::CallbackService {
 public:
  ExpertiseService(const index::Catalog& catalog,
                   const ranking::ExpertFinder& finder)
      : catalog_(catalog), finder_(finder) {}

  grpc::ServerUnaryReactor* FindExperts(
      grpc::CallbackServerContext* ctx, const v1::FindExpertsRequest* request,
      v1::FindExpertsResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto result = api::FindExperts(catalog_, finder_, *request);
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

 private:
  const index::Catalog& catalog_;
  const ranking::ExpertFinder& finder_;
};

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

class IngestService final : public v1::Ingest::CallbackService {
 public:
  IngestService(index::Catalog& catalog, Eraser& eraser)
      : catalog_(catalog), eraser_(eraser) {}

  grpc::ServerUnaryReactor* UpsertPeople(
      grpc::CallbackServerContext* ctx, const v1::UpsertPeopleRequest* request,
      v1::UpsertPeopleResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = CheckBatch(request->people_size(), "people");
    if (s.ok()) s = catalog_.UpsertPeople(Copy(request->people()));
    if (s.ok()) response->set_upserted(request->people_size());
    reactor->Finish(ToGrpc(s));
    return reactor;
  }

  grpc::ServerUnaryReactor* UpsertPosts(
      grpc::CallbackServerContext* ctx, const v1::UpsertPostsRequest* request,
      v1::UpsertPostsResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = CheckBatch(request->posts_size(), "posts");
    if (s.ok()) s = catalog_.UpsertPosts(Copy(request->posts()));
    if (s.ok()) response->set_upserted(request->posts_size());
    reactor->Finish(ToGrpc(s));
    return reactor;
  }

  grpc::ServerReadReactor<v1::IngestStreamRequest>* IngestStream(
      grpc::CallbackServerContext* ctx,
      v1::IngestStreamResponse* response) override {
    // Each message is committed as it arrives; the first bad one ends the
    // stream, keeping what came before.
    class Reader final
        : public grpc::ServerReadReactor<v1::IngestStreamRequest> {
     public:
      Reader(index::Catalog& catalog, v1::IngestStreamResponse* response)
          : catalog_(catalog), response_(response) {
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) {  // the client closed its side
          Finish(grpc::Status::OK);
          return;
        }
        ++message_;
        absl::Status s;
        const int items = request_.people_size() + request_.posts_size();
        if (items > index::kMaxBatchItems) {
          s = absl::InvalidArgumentError(absl::StrCat(
              "message ", message_, ": ", items,
              " items, more than the limit of ", index::kMaxBatchItems));
        }
        if (s.ok() && request_.people_size() > 0)
          s = catalog_.UpsertPeople(Copy(request_.people()));
        if (s.ok())
          response_->set_people_upserted(response_->people_upserted() +
                                         request_.people_size());
        if (s.ok() && request_.posts_size() > 0)
          s = catalog_.UpsertPosts(Copy(request_.posts()));
        if (s.ok())
          response_->set_posts_upserted(response_->posts_upserted() +
                                        request_.posts_size());
        if (!s.ok()) {
          Finish(grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                              absl::StrCat("message ", message_, ": ",
                                           std::string(s.message()))));
          return;
        }
        request_.Clear();
        StartRead(&request_);
      }
      void OnDone() override { delete this; }

     private:
      index::Catalog& catalog_;
      v1::IngestStreamResponse* response_;
      v1::IngestStreamRequest request_;
      int message_ = 0;
    };
    return new Reader(catalog_, response);
  }

  grpc::ServerUnaryReactor* DeletePost(
      grpc::CallbackServerContext* ctx, const v1::DeletePostRequest* request,
      v1::DeletePostResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto found = catalog_.DeletePost(request->post_id());
    if (found.ok()) response->set_found(*found);
    reactor->Finish(ToGrpc(found.status()));
    return reactor;
  }

  grpc::ServerUnaryReactor* DeletePerson(
      grpc::CallbackServerContext* ctx, const v1::DeletePersonRequest* request,
      v1::DeletePersonResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto result = eraser_.DeletePerson(*request);  // api/erasure.h
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

  // Admin only (api/caller.h decides who is an admin).
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const v1::CompactRequest* /*request*/,
                                    v1::CompactResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto result = catalog_.Compact();
    if (result.ok()) {
      response->set_bytes_before(result->bytes_before);
      response->set_bytes_after(result->bytes_after);
    }
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

 private:
  index::Catalog& catalog_;
  Eraser& eraser_;
};

// Networks: HR analyses of the colleague network (api/networks.cc).
class NetworksService final : public v1::Networks::CallbackService {
 public:
  NetworksService(const index::Catalog& catalog,
                  const NetworksServiceOptions& options)
      : catalog_(catalog), options_(options) {}

  grpc::ServerUnaryReactor* AnalyzeNetwork(
      grpc::CallbackServerContext* ctx,
      const v1::AnalyzeNetworkRequest* request,
      v1::AnalyzeNetworkResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto result = api::AnalyzeNetwork(
        catalog_, *request, CallerFrom(*ctx, options_.caller), options_);
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

 private:
  const index::Catalog& catalog_;
  const NetworksServiceOptions options_;
};

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
  if (max_message_bytes < 1024)
    return absl::InvalidArgumentError("max_message_bytes: too small");
  if (auto s = ranking.Validate(); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("ranking.", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options) {
  WK_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Server> server(new Server());
  index::CatalogOptions copts;
  copts.data_dir = options.data_dir;
  copts.refresh_interval = options.refresh_interval;
  auto catalog = index::Catalog::Open(copts);
  if (!catalog.ok()) return catalog.status();
  server->catalog_ = std::move(*catalog);
  ranking::RankingOptions ranking = options.ranking;
  if (auto s = ranking::ApplyLearnedWeights(options.data_dir, &ranking);
      !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "learned ranking weights: ", s.message(),
        " (fix or delete the file; `whoknows learn` rewrites it)"));
  }
  ranking::ModelStoreOptions mopts;
  mopts.path = index::DataDir(options.data_dir).embeddings();
  mopts.min_rebuild_interval = options.model_rebuild_interval;
  WK_RETURN_IF_ERROR(mopts.Validate());
  server->models_ =
      std::make_unique<ranking::ModelStore>(*server->catalog_, mopts);
  server->finder_ = std::make_unique<ranking::ExpertFinder>(
      *server->catalog_, ranking,
      [models = server->models_.get()] { return models->current(); });
  server->expertise_ =
      std::make_unique<ExpertiseService>(*server->catalog_, *server->finder_);
  // Erasure, and the end of one a crash interrupted (the journal).
  server->eraser_ =
      std::make_unique<Eraser>(*server->catalog_, server->models_.get(),
                               EraserOptions{.data_dir = options.data_dir});
  if (auto resumed = server->eraser_->ResumePending(); !resumed.ok()) {
    return absl::Status(resumed.status().code(),
                        absl::StrCat("finishing an interrupted erasure: ",
                                     resumed.status().message()));
  }
  server->ingest_ =
      std::make_unique<IngestService>(*server->catalog_, *server->eraser_);
  server->networks_ =
      std::make_unique<NetworksService>(*server->catalog_, options.networks);

  grpc::EnableDefaultHealthCheckService(true);
  // Links the health service's descriptor into the generated pool, where
  // reflection looks symbols up (gRPC's own implementation carries none).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(server->expertise_.get());
  builder.RegisterService(server->ingest_.get());
  builder.RegisterService(server->networks_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  return server;
}

Server::~Server() { Shutdown(); }

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  std::call_once(shut_down_, [this] {
    if (server_)
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
  });
}

}  // namespace whoknows::api
