// Who is calling: bearer tokens (JWT, verified offline against configured
// public keys) and client certificates of service accounts, turned into a
// Caller with roles. What a role may do is decided in api/caller.h.
#ifndef WHOKNOWS_API_AUTH_H_
#define WHOKNOWS_API_AUTH_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace whoknows::api {

// A caller's role. Roles add up: a caller may hold several.
enum class Role : unsigned {
  kEmployee = 1u << 0,  // asks FindExperts as themself
  kIntranet = 1u << 1,  // a service asking on behalf of signed-in users
  kIngest = 1u << 2,    // a connector writing people and posts
  kHr = 1u << 3,        // person-level network analyses, full profiles
  kAdmin = 1u << 4,     // everything, deletion of people included
};

// "employee", "intranet", ...; nullopt for another word.
std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// How the caller proved who they are.
enum class AuthMethod {
  kNone,               // nobody: an anonymous caller of an unconfigured server
  kToken,              // a verified bearer token
  kClientCertificate,  // a verified client certificate (mTLS)
};

struct Caller {
  // The token's subject (a person id), or the service account's certificate
  // name; empty for an anonymous caller.
  std::string subject;
  // Bitwise or of Role values.
  unsigned roles = 0;
  AuthMethod method = AuthMethod::kNone;

  bool Has(Role role) const { return (roles & static_cast<unsigned>(role)); }
  // "employee hr", or "none".
  std::string RoleNames() const;
};

struct AuthOptions {
  // PEM file of public keys (one or more "PUBLIC KEY" blocks, RSA or EC
  // P-256) or a JWKS file ({"keys": [...]}, RSA n/e or EC P-256 x/y) that
  // bearer tokens are verified with. Empty: no bearer tokens.
  std::string jwt_keys_file;
  // Required `iss` of tokens (the identity provider's issuer URL).
  std::string issuer;
  // Required `aud` of tokens (a string, or one of an array).
  std::string audience = "whoknows";
  // Claim that carries the roles: a JSON array of names or a
  // space-separated string.
  std::string roles_claim = "roles";
  // Tolerance on exp and nbf for clocks that disagree. Larger accepts
  // tokens that expired longer ago.
  std::chrono::seconds clock_skew{60};
  // Service accounts by client certificate: a certificate's common name or
  // subject alternative name -> the role it gets. Needs a client CA.
  std::map<std::string, Role> service_accounts;
  // Now; tests inject a fixed time. Null means absl::Now.
  std::function<absl::Time()> clock;

  // Tokens or client certificates are configured.
  bool enabled() const {
    return !jwt_keys_file.empty() || !service_accounts.empty();
  }
  absl::Status Validate() const;
};

// A verification key, as PEM (what libjwt takes).
struct PublicKey {
  std::string kid;  // JWKS key id; empty for PEM
  std::string alg;  // "RS256" or "ES256"
  std::string pem;  // SubjectPublicKeyInfo PEM
};

// The public keys of a PEM or JWKS file's text; INVALID_ARGUMENT when there
// is none or one is malformed or of an unsupported type.
absl::StatusOr<std::vector<PublicKey>> ParsePublicKeys(std::string_view text);

// Verifies credentials. Thread safety: Authenticate, VerifyToken and
// ReloadKeys may be called from any thread; a call verifies with the keys
// current when it starts.
class Authenticator {
 public:
  // Reads and parses the keys; INVALID_ARGUMENT naming the file and what is
  // wrong with it.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const AuthOptions& options);
  ~Authenticator();

  // The caller of a request with this `authorization` metadata value (null
  // when absent) and the names (CN, SANs) of a verified client certificate
  // (empty without one). UNAUTHENTICATED, saying why, when credentials are
  // present but invalid, or absent on a server that requires them; an
  // anonymous Caller when absent on a server without authentication.
  absl::StatusOr<Caller> Authenticate(
      const std::string* authorization,
      const std::vector<std::string>& certificate_names) const;

  // The verified claims of a bearer token (without "Bearer ").
  absl::StatusOr<Caller> VerifyToken(std::string_view token) const;

  // Re-reads the keys file (key rotation at the identity provider): tokens
  // are verified with its keys from now on. On error the current keys stay
  // and the error names --jwt-keys. Without a keys file, nothing to do.
  absl::Status ReloadKeys();

  const AuthOptions& options() const { return options_; }

 private:
  using Keys = std::shared_ptr<const std::vector<PublicKey>>;
  explicit Authenticator(const AuthOptions& options) : options_(options) {}
  Keys keys() const;

  const AuthOptions options_;
  mutable absl::Mutex mu_;
  Keys keys_ ABSL_GUARDED_BY(mu_) = std::make_shared<std::vector<PublicKey>>();
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_AUTH_H_
