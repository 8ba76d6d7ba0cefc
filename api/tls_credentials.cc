#include "api/tls_credentials.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace whoknows::api {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty())
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  return text.str();
}

BioPtr Bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM text; INVALID_ARGUMENT when there is none.
absl::StatusOr<X509Ptr> FirstCertificate(const std::string& pem,
                                         const char* flag) {
  X509Ptr cert(PEM_read_bio_X509(Bio(pem).get(), nullptr, nullptr, nullptr));
  if (!cert)
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": no PEM CERTIFICATE block"));
  return cert;
}

// The key is a private key, and the one of the chain's first certificate.
absl::Status CheckKeyPair(const std::string& chain, const std::string& key) {
  WK_ASSIGN_OR_RETURN(X509Ptr leaf, FirstCertificate(chain, "--tls-cert"));
  PkeyPtr pkey(
      PEM_read_bio_PrivateKey(Bio(key).get(), nullptr, nullptr, nullptr));
  if (!pkey) return absl::InvalidArgumentError("--tls-key: no PEM private key");
  if (X509_check_private_key(leaf.get(), pkey.get()) != 1)
    return absl::InvalidArgumentError(
        "--tls-key: does not match the certificate of --tls-cert");
  return absl::OkStatus();
}

// gRPC's handshake callback: hands over a new configuration when the files
// changed (gRPC takes ownership of it), else says nothing changed.
grpc_ssl_certificate_config_reload_status FetchConfig(
    void* user_data, grpc_ssl_server_certificate_config** config) {
  auto pem = static_cast<TlsCredentials*>(user_data)->TakeChanged();
  if (!pem) return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  grpc_ssl_pem_key_cert_pair pair = {pem->private_key.c_str(),
                                     pem->cert_chain.c_str()};
  // gRPC 1.51 asserts that a fetched configuration has root certificates,
  // though without a client CA it never asks for a client certificate to
  // verify with them: the server's own chain stands in.
  const std::string& roots =
      pem->client_ca.empty() ? pem->cert_chain : pem->client_ca;
  *config = grpc_ssl_server_certificate_config_create(roots.c_str(), &pair, 1);
  return *config ? GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW
                 : GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
}

// grpc::ServerCredentials over C credentials: gRPC 1.51's C++ API has no
// public way to build SSL credentials with a configuration callback, but
// ServerCredentials is an interface whose one job is to add the port (as
// gRPC's own InsecureServerCredentials does).
class FetchingServerCredentials final : public grpc::ServerCredentials {
 public:
  FetchingServerCredentials(grpc_ssl_client_certificate_request_type request,
                            TlsCredentials* source) {
    // After the base constructor: gRPC is initialized.
    creds_ = grpc_ssl_server_credentials_create_with_options(
        grpc_ssl_server_credentials_create_options_using_config_fetcher(
            request, &FetchConfig, source));
  }
  ~FetchingServerCredentials() override {
    if (creds_) grpc_server_credentials_release(creds_);
  }
  bool ok() const { return creds_ != nullptr; }
  // whoknows authenticates in api/auth.cc, not with a metadata processor.
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials* creds_ = nullptr;
};

}  // namespace

absl::StatusOr<TlsCredentials::Pem> TlsCredentials::Read(
    const TlsFiles& files) {
  Pem pem;
  WK_ASSIGN_OR_RETURN(pem.cert_chain, ReadPem(files.cert_file, "--tls-cert"));
  WK_ASSIGN_OR_RETURN(pem.private_key, ReadPem(files.key_file, "--tls-key"));
  WK_RETURN_IF_ERROR(CheckKeyPair(pem.cert_chain, pem.private_key));
  if (!files.client_ca_file.empty()) {
    WK_ASSIGN_OR_RETURN(pem.client_ca,
                        ReadPem(files.client_ca_file, "--client-ca"));
    WK_RETURN_IF_ERROR(FirstCertificate(pem.client_ca, "--client-ca").status());
  }
  return pem;
}

absl::StatusOr<std::unique_ptr<TlsCredentials>> TlsCredentials::Create(
    const TlsFiles& files) {
  WK_ASSIGN_OR_RETURN(Pem pem, Read(files));
  std::unique_ptr<TlsCredentials> tls(new TlsCredentials(files));
  {
    absl::MutexLock lock(&tls->mu_);
    tls->current_ = std::move(pem);
  }
  // A client certificate is requested and verified, not required: callers
  // with tokens need none.
  auto creds = std::make_shared<FetchingServerCredentials>(
      files.client_ca_file.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY,
      tls.get());
  if (!creds->ok())
    return absl::InternalError("cannot create the TLS credentials");
  tls->credentials_ = std::move(creds);
  return tls;
}

TlsCredentials::~TlsCredentials() = default;

absl::Status TlsCredentials::Reload() {
  WK_ASSIGN_OR_RETURN(Pem pem, Read(files_));
  absl::MutexLock lock(&mu_);
  current_ = std::move(pem);
  ++generation_;
  return absl::OkStatus();
}

std::optional<TlsCredentials::Pem> TlsCredentials::TakeChanged() {
  absl::MutexLock lock(&mu_);
  if (fetched_generation_ == generation_) return std::nullopt;
  fetched_generation_ = generation_;
  return current_;
}

}  // namespace whoknows::api
