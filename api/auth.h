// Who is calling: bearer tokens (JWT, verified offline against configured
// public keys) and client certificates of service accounts, turned into a
// Caller with roles. What a role may do is decided in api/caller.h.
#ifndef WHOKNOWS_API_AUTH_H_
#define WHOKNOWS_API_AUTH_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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
  // Verified tokens remembered (by SHA-256 of their bytes) so that a token
  // sent again skips the signature check; the oldest is dropped when full.
  // At most about 4 MB at 8,192 (the table's slack included). 0 verifies
  // every call (the baseline of bench/auth_bench).
  size_t token_cache_entries = 8192;

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
  // are verified with its keys from now on, and no token verified before is
  // taken on trust. On error the current keys stay and the error names
  // --jwt-keys. Without a keys file, nothing to do.
  absl::Status ReloadKeys();

  const AuthOptions& options() const { return options_; }

  // Tokens whose signature was checked (cache misses that got as far), and
  // tokens remembered now: what tests and benchmarks observe the cache by.
  uint64_t signature_checks() const { return signature_checks_.load(); }
  size_t cached_tokens() const;

 private:
  using Keys = std::shared_ptr<const std::vector<PublicKey>>;
  // What a verified token proved. exp and nbf are checked against the
  // clock at every use, so a remembered token expires when it would have.
  struct Verified {
    Caller caller;
    absl::Time exp;
    absl::Time nbf;  // InfinitePast without nbf
  };
  explicit Authenticator(const AuthOptions& options) : options_(options) {}
  // The keys, and what `digest`'s token proved if it is remembered.
  Keys Lookup(const std::string& digest, std::optional<Verified>* hit) const;
  // Remembers a token verified with `keys`, unless they were replaced
  // meanwhile (a reload must not let a retired key's token back in).
  void Remember(std::string digest, const Verified& verified,
                const Keys& keys) const;

  const AuthOptions options_;
  mutable absl::Mutex mu_;
  Keys keys_ ABSL_GUARDED_BY(mu_) = std::make_shared<std::vector<PublicKey>>();
  // SHA-256 of a token -> what it proved; oldest first in cache_order_.
  mutable absl::flat_hash_map<std::string, Verified> cache_
      ABSL_GUARDED_BY(mu_);
  mutable std::deque<std::string> cache_order_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<uint64_t> signature_checks_{0};
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_AUTH_H_
