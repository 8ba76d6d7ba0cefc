// A throw-away identity setup for end-to-end tests: a CA and a server
// certificate for TLS on loopback, an ES256 token signer, and channels
// that carry a token.
#ifndef WHOKNOWS_TESTS_API_SECURE_ENV_H_
#define WHOKNOWS_TESTS_API_SECURE_ENV_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/server.h"
#include "tests/testing/pki.h"

namespace whoknows::api {

class SecureEnv {
 public:
  static constexpr char kIssuer[] = "https://idp.test";

  // Writes the files into `dir` (created).
  explicit SecureEnv(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    server_cert_ = ca_.ServerCertificate();
    Write("ca.pem", ca_.cert_pem());
    Write("server.pem", server_cert_.cert_pem);
    Write("server.key", server_cert_.key_pem);
    Write("jwt.pem", signer_.public_pem);
  }

  // TLS, bearer tokens signed by this environment, and optionally mTLS.
  void Configure(ServerOptions* o, bool client_certificates = false) const {
    o->tls_cert_file = dir_ + "/server.pem";
    o->tls_key_file = dir_ + "/server.key";
    o->auth.jwt_keys_file = dir_ + "/jwt.pem";
    o->auth.issuer = kIssuer;
    o->auth.audience = "whoknows";
    if (client_certificates) o->client_ca_file = dir_ + "/ca.pem";
  }

  // A server on a free loopback port over `data`, configured as above, that
  // refreshes its snapshot every 50 ms and never rebuilds its model, and
  // ranks by relevance alone: suites that compare answers across calls,
  // restarts or restored copies must not see the exposure budget (which
  // moves people with every answer; tests/api/exposure_test.cc sets it).
  ServerOptions TestServerOptions(const std::string& data) const {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = data;
    o.refresh_interval = std::chrono::milliseconds(50);
    o.model_rebuild_interval = std::chrono::milliseconds(0);
    o.ranking.exposure_weight = 0;
    Configure(&o);
    return o;
  }

  // A valid token for `subject` with space-separated `roles`; `extra`
  // replaces claims (e.g. R"("aud":"other")" comes last and wins).
  std::string Token(const std::string& subject, const std::string& roles,
                    const std::string& extra = "") const {
    nlohmann::json claims = {{"iss", kIssuer},
                             {"aud", "whoknows"},
                             {"sub", subject},
                             {"roles", roles},
                             {"exp", absl::ToUnixSeconds(absl::Now()) + 600}};
    claims.update(nlohmann::json::parse("{" + extra + "}"));
    return testing_util::SignToken(signer_, "ES256", claims.dump());
  }

  // TLS to 127.0.0.1:port with this CA; the token, when not empty, on every
  // call; a client certificate when given.
  std::shared_ptr<grpc::Channel> Channel(
      int port, const std::string& token,
      const testing_util::Certificate* client = nullptr) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_.cert_pem();
    if (client) {
      ssl.pem_private_key = client->key_pem;
      ssl.pem_cert_chain = client->cert_pem;
    }
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
    if (!token.empty())
      creds = grpc::CompositeChannelCredentials(
          creds, grpc::AccessTokenCredentials(token));
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds,
                                     args);
  }

  // An admin's channel to 127.0.0.1:port (tests about answers, not roles).
  std::shared_ptr<grpc::Channel> AdminChannel(int port) const {
    return Channel(port, Token("admin", "admin"));
  }

  const testing_util::TestCa& ca() const { return ca_; }
  const testing_util::KeyPair& signer() const { return signer_; }

 private:
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name) << text;
  }

  std::string dir_;
  testing_util::TestCa ca_;
  testing_util::Certificate server_cert_;
  testing_util::KeyPair signer_ = testing_util::MakeEcKey();
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_TESTS_API_SECURE_ENV_H_
