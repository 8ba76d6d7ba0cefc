// Certificate and key rotation without a restart, over real TLS on
// loopback: Server::Reload (what `whoknows serve` does on SIGHUP) re-reads
// the server certificate, its key, the client CA of mTLS and the bearer
// token keys; new connections and calls use them, and bad files keep the
// current ones.
#include "api/tls_credentials.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/server.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/pki.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

using Code = grpc::StatusCode;
using testing_util::Certificate;
using testing_util::KeyPair;
using testing_util::TestCa;

// What an operator rotates: the server's certificate and key, the CA of
// client certificates, and the identity provider's signing key.
struct Generation {
  TestCa ca;
  Certificate server = ca.ServerCertificate();
  Certificate connector = ca.ClientCertificate("connector");
  KeyPair signer = testing_util::MakeEcKey();
};

class TlsCredentialsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::TestDir(/*create=*/true);
    Install(a_);
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = dir_ + "/data";
    o.tls_cert_file = dir_ + "/server.pem";
    o.tls_key_file = dir_ + "/server.key";
    o.client_ca_file = dir_ + "/ca.pem";
    o.auth.jwt_keys_file = dir_ + "/jwt.pem";
    o.auth.issuer = SecureEnv::kIssuer;
    o.auth.service_accounts["connector"] = Role::kIngest;
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // Replaces a file as a deployment tool would: a new file renamed over it.
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name + ".new") << text;
    std::filesystem::rename(dir_ + "/" + name + ".new", dir_ + "/" + name);
  }
  void Install(const Generation& g) {
    Write("server.pem", g.server.cert_pem);
    Write("server.key", g.server.key_pem);
    Write("ca.pem", g.ca.cert_pem());
    Write("jwt.pem", g.signer.public_pem);
  }

  // A new connection (never a pooled one) trusting only `trusted`'s CA.
  std::shared_ptr<grpc::Channel> Channel(const Generation& trusted,
                                         const std::string& token,
                                         const Certificate* client = nullptr) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = trusted.ca.cert_pem();
    if (client) {
      ssl.pem_private_key = client->key_pem;
      ssl.pem_cert_chain = client->cert_pem;
    }
    auto creds = grpc::SslCredentials(ssl);
    if (!token.empty())
      creds = grpc::CompositeChannelCredentials(
          creds, grpc::AccessTokenCredentials(token));
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(server_->port()), creds, args);
  }

  static std::string Token(const Generation& g) {
    const int64_t exp = absl::ToUnixSeconds(absl::Now()) + 600;
    return testing_util::SignToken(
        g.signer, "ES256",
        absl::StrCat(R"({"iss":")", SecureEnv::kIssuer,
                     R"(","aud":"whoknows","sub":"u1","roles":"employee",)",
                     R"("exp":)", exp, "}"));
  }

  // FindExperts over a new connection trusting `trusted`, with a token.
  Code Ask(const Generation& trusted, const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::FindExpertsRequest request;
    request.set_query("kubernetes");
    v1::FindExpertsResponse response;
    return v1::Expertise::NewStub(Channel(trusted, token))
        ->FindExperts(&ctx, request, &response)
        .error_code();
  }

  // UpsertPeople as the service account of a client certificate.
  Code Ingest(const Generation& trusted, const Certificate& client) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::UpsertPeopleRequest request;
    *request.add_people() = testing_util::MakePerson("u1");
    v1::UpsertPeopleResponse response;
    return v1::Ingest::NewStub(Channel(trusted, "", &client))
        ->UpsertPeople(&ctx, request, &response)
        .error_code();
  }

  std::string dir_;
  Generation a_, b_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsCredentialsTest, ReloadServesTheNewCertificateKeyAndClientCa) {
  ASSERT_EQ(Ask(a_, Token(a_)), Code::OK);
  ASSERT_EQ(Ingest(a_, a_.connector), Code::OK);
  Install(b_);
  ASSERT_TRUE(server_->Reload().ok()) << server_->Reload();
  // The server presents B's certificate: only B's CA trusts it.
  EXPECT_EQ(Ask(b_, Token(b_)), Code::OK);
  EXPECT_EQ(Ask(a_, Token(b_)), Code::UNAVAILABLE);
  // Client certificates must chain to B's CA now.
  EXPECT_EQ(Ingest(b_, b_.connector), Code::OK);
  EXPECT_NE(Ingest(b_, a_.connector), Code::OK);
  // Tokens are verified with B's signing key only.
  EXPECT_EQ(Ask(b_, Token(a_)), Code::UNAUTHENTICATED);
}

TEST_F(TlsCredentialsTest, BadFilesKeepTheCurrentOnesAndSayWhy) {
  // Half a rotation: B's certificate with A's key.
  Write("server.pem", b_.server.cert_pem);
  absl::Status s = server_->Reload();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("--tls-key: does not match", 0), 0u)
      << s;
  Write("jwt.pem", "not a key");
  Write("ca.pem", "not a certificate");
  s = server_->Reload();
  EXPECT_NE(s.message().find("--jwt-keys"), std::string::npos) << s;
  EXPECT_EQ(Ask(a_, Token(a_)), Code::OK);
  EXPECT_EQ(Ingest(a_, a_.connector), Code::OK);
  // Once the key follows, the certificate is B's (the CA is still bad).
  Write("server.key", b_.server.key_pem);
  s = server_->Reload();
  EXPECT_EQ(std::string(s.message()).rfind("--client-ca: no PEM", 0), 0u) << s;
  Write("ca.pem", b_.ca.cert_pem());
  Write("jwt.pem", b_.signer.public_pem);
  EXPECT_TRUE(server_->Reload().ok());
  EXPECT_EQ(Ask(b_, Token(b_)), Code::OK);
}

TEST(TlsCredentialsCreateTest, NamesTheFlagOfABadFile) {
  const std::string dir = testing_util::TestDir(/*create=*/true);
  Generation g;
  std::ofstream(dir + "/cert.pem") << g.server.cert_pem;
  std::ofstream(dir + "/key.pem") << g.connector.key_pem;
  auto tls = TlsCredentials::Create({.cert_file = dir + "/cert.pem",
                                     .key_file = dir + "/key.pem",
                                     .client_ca_file = ""});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(tls.status().message()).rfind("--tls-key", 0), 0u);
  tls = TlsCredentials::Create({.cert_file = dir + "/none.pem",
                                .key_file = dir + "/key.pem",
                                .client_ca_file = ""});
  EXPECT_EQ(std::string(tls.status().message()).rfind("--tls-cert", 0), 0u);
}

}  // namespace
}  // namespace whoknows::api
