#include "api/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/caller.h"
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
                   const ranking::ExpertFinder& finder,
                   const Authenticator& auth)
      : catalog_(catalog), finder_(finder), auth_(auth) {}

  grpc::ServerUnaryReactor* FindExperts(
      grpc::CallbackServerContext* ctx, const v1::FindExpertsRequest* request,
      v1::FindExpertsResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpc(Find(*ctx, *request, response)));
    return reactor;
  }

 private:
  absl::Status Find(const grpc::ServerContextBase& ctx,
                    const v1::FindExpertsRequest& request,
                    v1::FindExpertsResponse* response) const {
    WK_ASSIGN_OR_RETURN(Caller caller,
                        Authorize(ctx, auth_, Rpc::kFindExperts));
    v1::FindExpertsRequest r = request;
    WK_RETURN_IF_ERROR(AuthorizeAsker(caller, r.mutable_asker_id()));
    WK_ASSIGN_OR_RETURN(*response, api::FindExperts(catalog_, finder_, r));
    if (!HasRight(caller, Right::kFullProfiles)) KeepPublicProfiles(response);
    return absl::OkStatus();
  }

  const index::Catalog& catalog_;
  const ranking::ExpertFinder& finder_;
  const Authenticator& auth_;
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
  IngestService(index::Catalog& catalog, const Authenticator& auth)
      : catalog_(catalog), auth_(auth) {}

  grpc::ServerUnaryReactor* UpsertPeople(
      grpc::CallbackServerContext* ctx, const v1::UpsertPeopleRequest* request,
      v1::UpsertPeopleResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = Authorize(*ctx, auth_, Rpc::kUpsertPeople).status();
    if (s.ok()) s = CheckBatch(request->people_size(), "people");
    if (s.ok()) s = catalog_.UpsertPeople(Copy(request->people()));
    if (s.ok()) response->set_upserted(request->people_size());
    reactor->Finish(ToGrpc(s));
    return reactor;
  }

  grpc::ServerUnaryReactor* UpsertPosts(
      grpc::CallbackServerContext* ctx, const v1::UpsertPostsRequest* request,
      v1::UpsertPostsResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = Authorize(*ctx, auth_, Rpc::kUpsertPosts).status();
    if (s.ok()) s = CheckBatch(request->posts_size(), "posts");
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
      // Ends at once with `denied` when the caller may not ingest.
      Reader(index::Catalog& catalog, v1::IngestStreamResponse* response,
             const absl::Status& denied)
          : catalog_(catalog), response_(response) {
        if (!denied.ok()) {
          Finish(ToGrpc(denied));
          return;
        }
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
    return new Reader(catalog_, response,
                      Authorize(*ctx, auth_, Rpc::kIngestStream).status());
  }

  grpc::ServerUnaryReactor* DeletePost(
      grpc::CallbackServerContext* ctx, const v1::DeletePostRequest* request,
      v1::DeletePostResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    if (auto caller = Authorize(*ctx, auth_, Rpc::kDeletePost); !caller.ok()) {
      reactor->Finish(ToGrpc(caller.status()));
      return reactor;
    }
    auto found = catalog_.DeletePost(request->post_id());
    if (found.ok()) response->set_found(*found);
    reactor->Finish(ToGrpc(found.status()));
    return reactor;
  }

  grpc::ServerUnaryReactor* DeletePerson(
      grpc::CallbackServerContext* ctx, const v1::DeletePersonRequest* request,
      v1::DeletePersonResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    if (auto caller = Authorize(*ctx, auth_, Rpc::kDeletePerson);
        !caller.ok()) {
      reactor->Finish(ToGrpc(caller.status()));
      return reactor;
    }
    auto result = catalog_.DeletePerson(request->person_id());
    if (result.ok()) {
      response->set_found(result->found);
      response->set_posts_deleted(result->posts_deleted);
    }
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

 private:
  index::Catalog& catalog_;
  const Authenticator& auth_;
};

// Networks: HR analyses of the colleague network (api/networks.cc).
class NetworksService final : public v1::Networks::CallbackService {
 public:
  NetworksService(const index::Catalog& catalog,
                  const NetworksServiceOptions& options,
                  const Authenticator& auth)
      : catalog_(catalog), options_(options), auth_(auth) {}

  grpc::ServerUnaryReactor* AnalyzeNetwork(
      grpc::CallbackServerContext* ctx,
      const v1::AnalyzeNetworkRequest* request,
      v1::AnalyzeNetworkResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Authorize(*ctx, auth_, Rpc::kAnalyzeNetwork);
    if (!caller.ok()) {
      reactor->Finish(ToGrpc(caller.status()));
      return reactor;
    }
    auto result = api::AnalyzeNetwork(catalog_, *request, *caller, options_);
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(ToGrpc(result.status()));
    return reactor;
  }

 private:
  const index::Catalog& catalog_;
  const NetworksServiceOptions options_;
  const Authenticator& auth_;
};

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty())
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  return text.str();
}

// TLS (and optionally mTLS) from the PEM files, or plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  WK_ASSIGN_OR_RETURN(std::string cert,
                      ReadPem(options.tls_cert_file, "--tls-cert"));
  WK_ASSIGN_OR_RETURN(std::string key,
                      ReadPem(options.tls_key_file, "--tls-key"));
  grpc::SslServerCredentialsOptions ssl(
      options.client_ca_file.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!options.client_ca_file.empty()) {
    WK_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                        ReadPem(options.client_ca_file, "--client-ca"));
  }
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(ssl);
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
  if (max_message_bytes < 1024)
    return absl::InvalidArgumentError("max_message_bytes: too small");
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

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options) {
  WK_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Server> server(new Server());
  WK_ASSIGN_OR_RETURN(server->authenticator_,
                      Authenticator::Create(options.auth));
  WK_ASSIGN_OR_RETURN(auto credentials, Credentials(options));
  if (options.insecure)
    std::fprintf(stderr, "whoknows: WARNING: --insecure: %s accepts %s%s\n",
                 options.listen.c_str(),
                 options.auth.enabled() ? "tokens" : "anonymous callers",
                 options.tls_cert_file.empty() ? " in plaintext" : "");
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
  const Authenticator& auth = *server->authenticator_;
  server->expertise_ = std::make_unique<ExpertiseService>(
      *server->catalog_, *server->finder_, auth);
  server->ingest_ = std::make_unique<IngestService>(*server->catalog_, auth);
  server->networks_ = std::make_unique<NetworksService>(*server->catalog_,
                                                        options.networks, auth);

  grpc::EnableDefaultHealthCheckService(true);
  // Links the health service's descriptor into the generated pool, where
  // reflection looks symbols up (gRPC's own implementation carries none).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
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
