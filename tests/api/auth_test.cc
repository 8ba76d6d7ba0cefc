#include "api/auth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/pki.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

using testing_util::KeyPair;
using testing_util::SignToken;

constexpr int64_t kNow = 1'800'000'000;

std::string WriteKeys(const std::string& name, const std::string& text) {
  const std::string path = testing_util::TestDir(/*create=*/true) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

AuthOptions Options(const std::string& keys_file) {
  AuthOptions o;
  o.jwt_keys_file = keys_file;
  o.issuer = "https://idp.example";
  o.audience = "whoknows";
  o.clock_skew = std::chrono::seconds(30);
  o.clock = [] { return absl::FromUnixSeconds(kNow); };
  return o;
}

std::string Claims(const std::string& extra = "") {
  return absl::StrCat(R"({"iss":"https://idp.example","aud":"whoknows",)",
                      R"("sub":"u0001","exp":)", kNow + 600, extra, "}");
}

const KeyPair& Rsa() { return testing_util::SharedRsaKey(); }
const KeyPair& Ec() { return testing_util::SharedEcKey(); }

TEST(AuthTest, VerifiesRs256AndEs256FromPem) {
  auto auth = Authenticator::Create(
      Options(WriteKeys("both.pem", Rsa().public_pem + Ec().public_pem)));
  ASSERT_TRUE(auth.ok()) << auth.status();
  for (const auto& [key, alg] :
       {std::pair{&Rsa(), "RS256"}, std::pair{&Ec(), "ES256"}}) {
    auto caller = (*auth)->VerifyToken(
        SignToken(*key, alg, Claims(R"(,"roles":["employee","hr","other"])")));
    ASSERT_TRUE(caller.ok()) << alg << ": " << caller.status();
    EXPECT_EQ(caller->subject, "u0001");
    EXPECT_EQ(caller->RoleNames(), "employee hr");
    EXPECT_EQ(caller->method, AuthMethod::kToken);
  }
}

TEST(AuthTest, VerifiesWithJwksAndKid) {
  const std::string jwks =
      absl::StrCat(R"({"keys":[)", Rsa().jwk.substr(0, Rsa().jwk.size() - 1),
                   R"(,"kid":"r1"},)", Ec().jwk.substr(0, Ec().jwk.size() - 1),
                   R"(,"kid":"e1","alg":"ES256"}]})");
  auto auth = Authenticator::Create(Options(WriteKeys("keys.jwks", jwks)));
  ASSERT_TRUE(auth.ok()) << auth.status();
  auto caller = (*auth)->VerifyToken(SignToken(Ec(), "ES256", Claims(), "e1"));
  EXPECT_TRUE(caller.ok()) << caller.status();
  caller = (*auth)->VerifyToken(SignToken(Rsa(), "RS256", Claims(), "r1"));
  EXPECT_TRUE(caller.ok()) << caller.status();
  caller = (*auth)->VerifyToken(SignToken(Rsa(), "RS256", Claims(), "e1"));
  EXPECT_FALSE(caller.ok());
}

TEST(AuthTest, RolesFromConfiguredClaimAsString) {
  AuthOptions o = Options(WriteKeys("rsa.pem", Rsa().public_pem));
  o.roles_claim = "whoknows_roles";
  auto auth = Authenticator::Create(o);
  ASSERT_TRUE(auth.ok());
  auto caller = (*auth)->VerifyToken(SignToken(
      Rsa(), "RS256",
      Claims(R"(,"whoknows_roles":"intranet  ingest","roles":["admin"])")));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->RoleNames(), "intranet ingest");
}

TEST(AuthTest, RefusesBadTokens) {
  auto auth = Authenticator::Create(
      Options(WriteKeys("rsa-only.pem", Rsa().public_pem)));
  ASSERT_TRUE(auth.ok());
  const KeyPair other = testing_util::MakeRsaKey();
  struct Case {
    const char* name;
    std::string token;
    const char* message;
  };
  const std::string iss = R"({"iss":"https://idp.example","sub":"u1",)";
  const Case cases[] = {
      {"expired",
       SignToken(
           Rsa(), "RS256",
           absl::StrCat(iss, R"("aud":"whoknows","exp":)", kNow - 31, "}")),
       "expired"},
      {"within skew",
       SignToken(
           Rsa(), "RS256",
           absl::StrCat(iss, R"("aud":"whoknows","exp":)", kNow - 29, "}")),
       ""},
      {"not yet valid",
       SignToken(Rsa(), "RS256", Claims(absl::StrCat(R"(,"nbf":)", kNow + 60))),
       "not valid before"},
      {"no exp",
       SignToken(Rsa(), "RS256", absl::StrCat(iss, R"("aud":"whoknows"})")),
       "without exp"},
      {"wrong audience",
       SignToken(Rsa(), "RS256",
                 absl::StrCat(iss, R"("aud":["mail","chat"],"exp":)", kNow + 60,
                              "}")),
       "audience"},
      {"audience in array",
       SignToken(Rsa(), "RS256",
                 absl::StrCat(iss, R"("aud":["mail","whoknows"],"exp":)",
                              kNow + 60, "}")),
       ""},
      {"wrong issuer",
       SignToken(Rsa(), "RS256",
                 absl::StrCat(R"({"iss":"https://evil","sub":"u1",)",
                              R"("aud":"whoknows","exp":)", kNow + 60, "}")),
       "issuer"},
      {"wrong key", SignToken(other, "RS256", Claims()), "signature"},
      {"no configured key for alg", SignToken(Ec(), "ES256", Claims()),
       "no configured ES256 key"},
      // The public key used as an HMAC secret: the classic confusion.
      {"hs256 with public key",
       [&] {
         KeyPair k = Rsa();
         k.private_pem = k.public_pem;
         return SignToken(k, "HS256", Claims());
       }(),
       "not accepted"},
      {"alg none",
       [&] {
         std::string t = SignToken(Rsa(), "RS256", Claims());
         t = t.substr(t.find('.'));
         return absl::StrCat("eyJhbGciOiJub25lIn0", t.substr(0, t.rfind('.')),
                             ".");
       }(),
       "not accepted"},
      {"tampered claims",
       [&] {
         std::string t = SignToken(Rsa(), "RS256", Claims());
         std::string forged =
             SignToken(other, "RS256", Claims(R"(,"roles":["admin"])"));
         const size_t a = t.find('.'), b = t.rfind('.');
         const size_t fa = forged.find('.'), fb = forged.rfind('.');
         return t.substr(0, a) + forged.substr(fa, fb - fa) + t.substr(b);
       }(),
       "signature"},
      {"garbage", "not a token", "malformed"},
  };
  for (const Case& c : cases) {
    auto caller = (*auth)->VerifyToken(c.token);
    if (std::string_view(c.message).empty()) {
      EXPECT_TRUE(caller.ok()) << c.name << ": " << caller.status();
      continue;
    }
    ASSERT_FALSE(caller.ok()) << c.name;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated)
        << c.name;
    EXPECT_NE(caller.status().message().find(c.message), std::string::npos)
        << c.name << ": " << caller.status();
  }
}

TEST(AuthTest, AuthenticateReadsMetadataAndCertificates) {
  AuthOptions o = Options(WriteKeys("rsa2.pem", Rsa().public_pem));
  o.service_accounts["connector-1"] = Role::kIngest;
  auto auth = Authenticator::Create(o);
  ASSERT_TRUE(auth.ok());
  auto missing = (*auth)->Authenticate(nullptr, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(missing.status().message().find("missing"), std::string::npos);
  const std::string basic = "Basic dXNlcjpwdw==";
  EXPECT_FALSE((*auth)->Authenticate(&basic, {}).ok());
  const std::string bearer =
      "Bearer " + SignToken(Rsa(), "RS256", Claims(R"(,"roles":"admin")"));
  auto token = (*auth)->Authenticate(&bearer, {});
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(token->Has(Role::kAdmin));
  auto cert = (*auth)->Authenticate(nullptr, {"connector-1"});
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->subject, "connector-1");
  EXPECT_EQ(cert->RoleNames(), "ingest");
  EXPECT_EQ(cert->method, AuthMethod::kClientCertificate);
  EXPECT_EQ((*auth)->Authenticate(nullptr, {"stranger"}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AuthTest, AnonymousOnlyWithoutConfiguration) {
  auto auth = Authenticator::Create(AuthOptions{});
  ASSERT_TRUE(auth.ok());
  auto caller = (*auth)->Authenticate(nullptr, {});
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->roles, 0u);
  EXPECT_EQ(caller->method, AuthMethod::kNone);
  const std::string bearer = "Bearer x.y.z";
  EXPECT_EQ((*auth)->Authenticate(&bearer, {}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AuthTest, RefusesBadKeyFilesAndOptions) {
  EXPECT_FALSE(Authenticator::Create(Options(WriteKeys("empty.pem", ""))).ok());
  EXPECT_FALSE(
      Authenticator::Create(
          Options(WriteKeys("bad.jwks",
                            R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})")))
          .ok());
  EXPECT_FALSE(Authenticator::Create(Options("/nonexistent/keys.pem")).ok());
  AuthOptions no_issuer = Options(WriteKeys("rsa3.pem", Rsa().public_pem));
  no_issuer.issuer.clear();
  EXPECT_EQ(no_issuer.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace whoknows::api
