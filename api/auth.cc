#include "api/auth.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace whoknows::api {
namespace {

constexpr std::pair<Role, std::string_view> kRoleNames[] = {
    {Role::kEmployee, "employee"}, {Role::kIntranet, "intranet"},
    {Role::kIngest, "ingest"},     {Role::kHr, "hr"},
    {Role::kAdmin, "admin"},
};

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD,
                    Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr =
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
void FreeJwt(jwt_t* j) { jwt_free(j); }
using JwtPtr = std::unique_ptr<jwt_t, Deleter<jwt_t, FreeJwt>>;

// The cache's key: a token can be 8 KB, its digest is 32 bytes, and only
// tokens signed by a configured key are ever stored under one.
std::string Sha256(std::string_view token) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(token.data(), token.size(), out, &n, EVP_sha256(), nullptr))
    return std::string();
  return std::string(reinterpret_cast<const char*>(out), n);
}

// The PEM of a key, and the JWS algorithm it verifies: RSA keys RS256, EC
// keys on P-256 ES256; others are refused.
absl::StatusOr<PublicKey> ToPublicKey(EVP_PKEY* key, std::string kid) {
  PublicKey out;
  out.kid = std::move(kid);
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048)
      return absl::InvalidArgumentError("RSA key shorter than 2048 bits");
    out.alg = "RS256";
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                        sizeof group, &len) ||
        std::string_view(group) != "prime256v1")
      return absl::InvalidArgumentError("EC key not on P-256");
    out.alg = "ES256";
  } else {
    return absl::InvalidArgumentError("key neither RSA nor EC");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(bio.get(), key))
    return absl::InternalError("cannot write the key as PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  out.pem.assign(data, n);
  return out;
}

absl::StatusOr<std::string> Base64Url(const nlohmann::json& jwk,
                                      const char* field) {
  std::string out;
  if (!jwk.contains(field) || !jwk[field].is_string() ||
      !absl::WebSafeBase64Unescape(jwk[field].get<std::string>(), &out) ||
      out.empty())
    return absl::InvalidArgumentError(
        absl::StrCat("\"", field, "\": missing or not base64url"));
  return out;
}

absl::StatusOr<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <=
          0)
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid ", type, " public key"));
  return PkeyPtr(key);
}

// A JWK (RFC 7517) as an OpenSSL key: RSA from n and e, EC P-256 from x, y.
absl::StatusOr<PkeyPtr> FromJwk(const nlohmann::json& jwk) {
  const std::string kty = jwk.value("kty", "");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (kty == "RSA") {
    auto n = Base64Url(jwk, "n");
    if (!n.ok()) return n.status();
    auto e = Base64Url(jwk, "e");
    if (!e.ok()) return e.status();
    BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                         n->size(), nullptr));
    BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                         e->size(), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    return FromData("RSA", bld.get());
  }
  if (kty == "EC") {
    if (jwk.value("crv", "") != "P-256")
      return absl::InvalidArgumentError("EC key: crv must be P-256");
    auto x = Base64Url(jwk, "x");
    if (!x.ok()) return x.status();
    auto y = Base64Url(jwk, "y");
    if (!y.ok()) return y.status();
    if (x->size() != 32 || y->size() != 32)
      return absl::InvalidArgumentError("EC key: x and y must be 32 bytes");
    const std::string point = absl::StrCat("\x04", *x, *y);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                    "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                     point.data(), point.size());
    return FromData("EC", bld.get());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported kty \"", kty, "\" (want RSA or EC)"));
}

absl::StatusOr<std::vector<PublicKey>> ParseJwks(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") ||
      !doc["keys"].is_array())
    return absl::InvalidArgumentError("not a JWKS: want {\"keys\": [...]}");
  std::vector<PublicKey> keys;
  int i = 0;
  for (const auto& jwk : doc["keys"]) {
    const std::string where = absl::StrCat("keys[", i++, "]: ");
    if (!jwk.is_object())
      return absl::InvalidArgumentError(where + "not an object");
    // Keys for encryption are not for us.
    if (jwk.value("use", "sig") != "sig") continue;
    auto key = FromJwk(jwk);
    if (!key.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(where, key.status().message()));
    auto pub = ToPublicKey(key->get(), jwk.value("kid", ""));
    if (!pub.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(where, pub.status().message()));
    if (jwk.contains("alg") && jwk["alg"] != pub->alg)
      return absl::InvalidArgumentError(absl::StrCat(
          where, "alg does not match the key (want ", pub->alg, ")"));
    keys.push_back(std::move(*pub));
  }
  return keys;
}

absl::StatusOr<std::vector<PublicKey>> ParsePem(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  std::vector<PublicKey> keys;
  while (EVP_PKEY* raw =
             PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) {
    PkeyPtr key(raw);
    auto pub = ToPublicKey(key.get(), "");
    if (!pub.ok())
      return absl::InvalidArgumentError(absl::StrCat(
          "PEM key ", keys.size() + 1, ": ", pub.status().message()));
    keys.push_back(std::move(*pub));
  }
  return keys;
}

// The JOSE header of a compact JWS, decoded but not yet trusted.
absl::StatusOr<nlohmann::json> Header(std::string_view token) {
  const size_t dot = token.find('.');
  std::string text;
  if (dot == std::string_view::npos ||
      std::count(token.begin(), token.end(), '.') != 2 ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data(), dot), &text))
    return absl::UnauthenticatedError("malformed token: not a compact JWS");
  auto header = nlohmann::json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return absl::UnauthenticatedError("malformed token: bad header");
  return header;
}

// The audience claim matches: a string, or an array holding it.
bool AudienceMatches(const nlohmann::json& aud, const std::string& want) {
  if (aud.is_string()) return aud == want;
  if (aud.is_array())
    for (const auto& a : aud)
      if (a.is_string() && a == want) return true;
  return false;
}

// A string member of a token's JSON: "" when absent, an error when it is
// there but not a string (nlohmann's value() would throw).
absl::StatusOr<std::string> StringField(const nlohmann::json& object,
                                        const char* name, const char* what) {
  if (!object.contains(name)) return std::string();
  const auto& v = object[name];
  if (!v.is_string())
    return absl::UnauthenticatedError(
        absl::StrCat("malformed token: ", what, " ", name, " not a string"));
  return v.get<std::string>();
}

// A NumericDate claim (exp, nbf) as a time; a number beyond what a time can
// hold is an error, not undefined behaviour.
absl::StatusOr<absl::Time> TimeClaim(const nlohmann::json& claims,
                                     const char* name) {
  const auto& v = claims[name];
  if (!v.is_number())
    return absl::UnauthenticatedError(
        absl::StrCat("token ", name, " not a number"));
  const double seconds = v.get<double>();
  // Years 1 to 9999, as protobuf Timestamps.
  if (!(seconds >= -62135596800.0 && seconds <= 253402300799.0))
    return absl::UnauthenticatedError(
        absl::StrCat("token ", name, " out of range"));
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

// Stages of Authenticator::VerifyToken, in order.

// What the JOSE header says, once its algorithm is one we accept.
struct TokenHeader {
  std::string alg;  // "RS256" or "ES256"
  std::string kid;  // empty when the token names no key
};

// Decode: the algorithm is chosen by the key, never by the token: a token
// signed with HS256 and the public key as its secret, or "none", is refused
// here.
absl::StatusOr<TokenHeader> DecodeHeader(std::string_view token) {
  auto header = Header(token);
  if (!header.ok()) return header.status();
  TokenHeader out;
  WK_ASSIGN_OR_RETURN(out.alg, StringField(*header, "alg", "header"));
  WK_ASSIGN_OR_RETURN(out.kid, StringField(*header, "kid", "header"));
  if (out.alg != "RS256" && out.alg != "ES256")
    return absl::UnauthenticatedError(
        absl::StrCat("token algorithm \"", out.alg,
                     "\" not accepted (want RS256 or ES256)"));
  return out;
}

// Key selection: the configured keys of the token's algorithm, and of its
// kid when both the token and the key name one.
absl::StatusOr<std::vector<const PublicKey*>> SelectKeys(
    const std::vector<PublicKey>& keys, const TokenHeader& header) {
  std::vector<const PublicKey*> out;
  for (const PublicKey& key : keys) {
    if (key.alg != header.alg ||
        (!header.kid.empty() && !key.kid.empty() && key.kid != header.kid))
      continue;
    out.push_back(&key);
  }
  if (out.empty())
    return absl::UnauthenticatedError(
        absl::StrCat("no configured ", header.alg, " key",
                     header.kid.empty() ? "" : " with kid ", header.kid));
  return out;
}

// Signature: the token as libjwt decodes it with the first candidate key
// that verifies it with the header's algorithm.
absl::StatusOr<JwtPtr> VerifySignature(
    std::string_view token, const TokenHeader& header,
    const std::vector<const PublicKey*>& candidates) {
  const std::string text(token);
  for (const PublicKey* key : candidates) {
    jwt_t* raw = nullptr;
    if (jwt_decode(&raw, text.c_str(),
                   reinterpret_cast<const unsigned char*>(key->pem.data()),
                   static_cast<int>(key->pem.size())) != 0)
      continue;
    JwtPtr jwt(raw);
    if (jwt_alg_str(jwt_get_alg(jwt.get())) == header.alg) return jwt;
  }
  return absl::UnauthenticatedError(
      "bad token signature (not signed by a configured key)");
}

// Claims: the verified payload as a JSON object.
absl::StatusOr<nlohmann::json> DecodeClaims(jwt_t& jwt) {
  char* text = jwt_get_grants_json(&jwt, nullptr);
  if (!text) return absl::UnauthenticatedError("malformed token: no claims");
  auto claims = nlohmann::json::parse(text, nullptr, false);
  std::free(text);
  if (claims.is_discarded() || !claims.is_object())
    return absl::UnauthenticatedError("malformed token: bad claims");
  return claims;
}

// When a token may be used: exp (required) and nbf (optional).
struct Validity {
  absl::Time exp;
  absl::Time nbf = absl::InfinitePast();
};

absl::StatusOr<Validity> ValidityOf(const nlohmann::json& claims) {
  if (!claims.contains("exp"))
    return absl::UnauthenticatedError("token without exp");
  Validity out;
  WK_ASSIGN_OR_RETURN(out.exp, TimeClaim(claims, "exp"));
  if (claims.contains("nbf")) {
    WK_ASSIGN_OR_RETURN(out.nbf, TimeClaim(claims, "nbf"));
  }
  return out;
}

// exp and nbf against now, with the clock skew on both: at every call, the
// token's first as its remembered ones.
absl::Status CheckValidity(absl::Time exp, absl::Time nbf, absl::Time now,
                           absl::Duration skew) {
  if (now > exp + skew)
    return absl::UnauthenticatedError(
        absl::StrCat("token expired at ", absl::FormatTime(exp)));
  if (now + skew < nbf)
    return absl::UnauthenticatedError(
        absl::StrCat("token not valid before ", absl::FormatTime(nbf)));
  return absl::OkStatus();
}

// Claims: valid now, and issued by our issuer for our audience.
absl::StatusOr<Validity> CheckClaims(const nlohmann::json& claims,
                                     const AuthOptions& options,
                                     absl::Time now) {
  WK_ASSIGN_OR_RETURN(const Validity validity, ValidityOf(claims));
  WK_RETURN_IF_ERROR(CheckValidity(validity.exp, validity.nbf, now,
                                   absl::FromChrono(options.clock_skew)));
  WK_ASSIGN_OR_RETURN(const std::string iss,
                      StringField(claims, "iss", "claim"));
  if (iss != options.issuer)
    return absl::UnauthenticatedError(absl::StrCat(
        "wrong token issuer \"", iss, "\" (want \"", options.issuer, "\")"));
  if (!claims.contains("aud") ||
      !AudienceMatches(claims["aud"], options.audience))
    return absl::UnauthenticatedError(
        absl::StrCat("wrong token audience (want \"", options.audience, "\")"));
  return validity;
}

// The caller the token's sub names (a person id), without roles yet.
absl::StatusOr<Caller> SubjectOf(const nlohmann::json& claims) {
  Caller caller;
  caller.method = AuthMethod::kToken;
  WK_ASSIGN_OR_RETURN(caller.subject, StringField(claims, "sub", "claim"));
  if (caller.subject.empty())
    return absl::UnauthenticatedError("token without sub");
  if (caller.subject.size() > 128)
    return absl::UnauthenticatedError("token sub longer than 128 bytes");
  return caller;
}

// Roles: the roles claim, an array of names or a space-separated string.
// Names we do not know are other applications' roles: ignored.
unsigned RolesOf(const nlohmann::json& claims, const std::string& claim) {
  std::vector<std::string> names;
  if (claims.contains(claim)) {
    const auto& r = claims[claim];
    if (r.is_string()) {
      names = absl::StrSplit(r.get<std::string>(), ' ', absl::SkipEmpty());
    } else if (r.is_array()) {
      for (const auto& n : r)
        if (n.is_string()) names.push_back(n.get<std::string>());
    }
  }
  unsigned roles = 0;
  for (const auto& n : names)
    if (auto role = ParseRole(n)) roles |= static_cast<unsigned>(*role);
  return roles;
}

}  // namespace

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [role, n] : kRoleNames)
    if (n == name) return role;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  for (const auto& [r, n] : kRoleNames)
    if (r == role) return n;
  return "?";
}

std::string Caller::RoleNames() const {
  std::vector<std::string> names;
  for (const auto& [role, n] : kRoleNames)
    if (Has(role)) names.emplace_back(n);
  return names.empty() ? "none" : absl::StrJoin(names, " ");
}

absl::Status AuthOptions::Validate() const {
  if (!jwt_keys_file.empty()) {
    if (issuer.empty())
      return absl::InvalidArgumentError(
          "--jwt-issuer: required with --jwt-keys");
    if (audience.empty())
      return absl::InvalidArgumentError(
          "--jwt-audience: required with --jwt-keys");
    if (roles_claim.empty())
      return absl::InvalidArgumentError("--jwt-roles-claim: empty");
  }
  if (clock_skew < std::chrono::seconds(0) ||
      clock_skew > std::chrono::minutes(10))
    return absl::InvalidArgumentError("--jwt-clock-skew: must be 0-600 s");
  for (const auto& [name, role] : service_accounts)
    if (name.empty())
      return absl::InvalidArgumentError("--service-account: empty name");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PublicKey>> ParsePublicKeys(std::string_view text) {
  const bool json =
      absl::StartsWith(absl::StripLeadingAsciiWhitespace(
                           absl::string_view(text.data(), text.size())),
                       "{");
  auto keys = json ? ParseJwks(text) : ParsePem(text);
  if (keys.ok() && keys->empty())
    return absl::InvalidArgumentError(json ? "JWKS without signing keys"
                                           : "no PUBLIC KEY block");
  return keys;
}

namespace {

// The keys of a PEM or JWKS file; INVALID_ARGUMENT naming --jwt-keys.
absl::StatusOr<std::vector<PublicKey>> ReadPublicKeys(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in)
    return absl::InvalidArgumentError(
        absl::StrCat("--jwt-keys: cannot read ", path));
  auto keys = ParsePublicKeys(text.str());
  if (!keys.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("--jwt-keys: ", path, ": ", keys.status().message()));
  return keys;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const AuthOptions& options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<Authenticator> auth(new Authenticator(options));
  WK_RETURN_IF_ERROR(auth->ReloadKeys());
  return auth;
}

absl::Status Authenticator::ReloadKeys() {
  if (options_.jwt_keys_file.empty()) return absl::OkStatus();
  WK_ASSIGN_OR_RETURN(std::vector<PublicKey> keys,
                      ReadPublicKeys(options_.jwt_keys_file));
  Keys shared = std::make_shared<const std::vector<PublicKey>>(std::move(keys));
  absl::flat_hash_map<std::string, Verified> cache;
  std::deque<std::string> order;
  {
    absl::MutexLock lock(&mu_);
    keys_.swap(shared);
    // A token of a key just removed is refused from the next call on.
    cache_.swap(cache);
    cache_order_.swap(order);
  }
  // The old keys and tokens are freed here, outside mu_, which every call's
  // authentication takes.
  return absl::OkStatus();
}

Authenticator::~Authenticator() = default;

size_t Authenticator::cached_tokens() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

Authenticator::Keys Authenticator::Lookup(const std::string& digest,
                                          std::optional<Verified>* hit) const {
  absl::MutexLock lock(&mu_);
  if (!digest.empty()) {
    const auto it = cache_.find(digest);
    if (it != cache_.end()) *hit = it->second;
  }
  return keys_;
}

void Authenticator::Remember(std::string digest, const Verified& verified,
                             const Keys& keys) const {
  if (digest.empty() || options_.token_cache_entries == 0) return;
  absl::MutexLock lock(&mu_);
  if (keys_ != keys || cache_.contains(digest)) return;
  if (cache_.size() >= options_.token_cache_entries) {
    cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
  cache_order_.push_back(digest);
  cache_.emplace(std::move(digest), verified);
}

absl::StatusOr<Caller> Authenticator::VerifyToken(
    std::string_view token) const {
  const absl::Time now = options_.clock ? options_.clock() : absl::Now();
  const absl::Duration skew = absl::FromChrono(options_.clock_skew);
  std::string digest;
  if (options_.token_cache_entries > 0) digest = Sha256(token);
  std::optional<Verified> hit;
  // The set current when the call starts.
  const Keys keys = Lookup(digest, &hit);
  if (hit) {
    // The same bytes were verified with these keys (a reload empties the
    // cache); everything but the clock gives the same answer again.
    WK_RETURN_IF_ERROR(CheckValidity(hit->exp, hit->nbf, now, skew));
    return hit->caller;
  }
  if (keys->empty())
    return absl::UnauthenticatedError(
        "bearer tokens are not accepted: the server has no --jwt-keys");
  WK_ASSIGN_OR_RETURN(const TokenHeader header, DecodeHeader(token));
  WK_ASSIGN_OR_RETURN(const std::vector<const PublicKey*> candidates,
                      SelectKeys(*keys, header));
  signature_checks_.fetch_add(1, std::memory_order_relaxed);
  WK_ASSIGN_OR_RETURN(const JwtPtr jwt,
                      VerifySignature(token, header, candidates));
  WK_ASSIGN_OR_RETURN(const nlohmann::json claims, DecodeClaims(*jwt));
  WK_ASSIGN_OR_RETURN(const Validity validity,
                      CheckClaims(claims, options_, now));
  WK_ASSIGN_OR_RETURN(Caller caller, SubjectOf(claims));
  caller.roles = RolesOf(claims, options_.roles_claim);
  Remember(std::move(digest), {caller, validity.exp, validity.nbf}, keys);
  return caller;
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const std::string* authorization,
    const std::vector<std::string>& certificate_names) const {
  if (authorization) {
    absl::string_view value = *authorization;
    if (!absl::ConsumePrefix(&value, "Bearer ") &&
        !absl::ConsumePrefix(&value, "bearer "))
      return absl::UnauthenticatedError(
          "authorization metadata: want \"Bearer <token>\"");
    const absl::string_view token = absl::StripAsciiWhitespace(value);
    // The stages return errors for every input we know of; an exception
    // from a library on a shape nobody thought of is still a refusal, and
    // one the caller's audit line records.
    try {
      return VerifyToken(std::string_view(token.data(), token.size()));
    } catch (const std::exception& e) {
      return absl::UnauthenticatedError(
          absl::StrCat("malformed token (", e.what(), ")"));
    }
  }
  for (const std::string& name : certificate_names) {
    auto it = options_.service_accounts.find(name);
    if (it == options_.service_accounts.end()) continue;
    Caller caller;
    caller.subject = name;
    caller.roles = static_cast<unsigned>(it->second);
    caller.method = AuthMethod::kClientCertificate;
    return caller;
  }
  if (!certificate_names.empty() && !options_.service_accounts.empty())
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate ", certificate_names.front(),
                     " is not a configured service account"));
  if (options_.enabled())
    return absl::UnauthenticatedError(
        "missing credentials: send \"authorization: Bearer <token>\"");
  return Caller{};
}

}  // namespace whoknows::api
