// TLS on the server's port from PEM files that can be replaced while it
// serves: Reload() re-reads the certificate chain, the private key and the
// client CA (mTLS), checks them, and new connections use them; connections
// already open keep theirs. `whoknows serve` calls it on SIGHUP.
//
// gRPC 1.51 cannot swap the credentials of a listening port, and its
// FileWatcherCertificateProvider only polls. Its SSL server credentials can
// instead ask a callback for the configuration at every handshake
// (grpc_ssl_server_credentials_create_options_using_config_fetcher); this
// class answers that callback, cheaply when nothing changed.
#ifndef WHOKNOWS_API_TLS_CREDENTIALS_H_
#define WHOKNOWS_API_TLS_CREDENTIALS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace grpc {
class ServerCredentials;
}

namespace whoknows::api {

struct TlsFiles {
  std::string cert_file;       // PEM certificate chain, leaf first
  std::string key_file;        // PEM private key of the leaf
  std::string client_ca_file;  // PEM CAs of client certificates; optional
};

// Thread safety: Reload from any thread; gRPC's handshakes read the current
// files' contents concurrently. The credentials serve one listening port,
// and must not outlive this object (the server owns both).
class TlsCredentials {
 public:
  // Reads and checks the files: INVALID_ARGUMENT naming the flag
  // (--tls-cert, --tls-key, --client-ca) and what is wrong.
  static absl::StatusOr<std::unique_ptr<TlsCredentials>> Create(
      const TlsFiles& files);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Re-reads and checks the files; new handshakes use them from now on. On
  // error the current ones stay, and the error says why.
  absl::Status Reload();

  // For ServerBuilder::AddListeningPort.
  std::shared_ptr<grpc::ServerCredentials> credentials() const {
    return credentials_;
  }

  // The files' contents, checked.
  struct Pem {
    std::string cert_chain;
    std::string private_key;
    std::string client_ca;  // empty without mTLS
  };
  // For gRPC's handshake callback: the contents when they changed since its
  // last call, else nullopt.
  std::optional<Pem> TakeChanged();

 private:
  static absl::StatusOr<Pem> Read(const TlsFiles& files);

  explicit TlsCredentials(const TlsFiles& files) : files_(files) {}

  const TlsFiles files_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  absl::Mutex mu_;
  Pem current_ ABSL_GUARDED_BY(mu_);
  // Bumped by each successful Reload; the handshake callback hands gRPC a
  // new configuration when it differs from the one it handed last.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t fetched_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_TLS_CREDENTIALS_H_
