// Tokens shaped to break the verifier rather than to pass it: JSON members
// of the wrong type in the header or the signed claims, times beyond any
// clock. Each is UNAUTHENTICATED, never an exception (found by a hostile
// review: the exception made gRPC answer UNIMPLEMENTED and skip the audit).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/auth.h"
#include "tests/testing/pki.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

constexpr int64_t kNow = 1'800'000'000;

const testing_util::KeyPair& Rsa() { return testing_util::SharedRsaKey(); }

std::unique_ptr<Authenticator> MakeAuthenticator() {
  const std::string keys = testing_util::TestDir(true) + "/rsa.pem";
  std::ofstream(keys) << Rsa().public_pem;
  AuthOptions o;
  o.jwt_keys_file = keys;
  o.issuer = "https://idp.example";
  o.audience = "whoknows";
  o.clock = [] { return absl::FromUnixSeconds(kNow); };
  auto auth = Authenticator::Create(o);
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? std::move(*auth) : nullptr;
}

// A compact JWS with this header and payload and a junk signature.
std::string Unsigned(const std::string& header, const std::string& payload) {
  return absl::StrCat(absl::WebSafeBase64Escape(header), ".",
                      absl::WebSafeBase64Escape(payload), ".c2ln");
}

// Finding: the JOSE header is read with nlohmann's value(), which throws
// when "alg" or "kid" is not a string. The exception leaves VerifyToken
// before the signature is checked; on the server gRPC catches it, the call
// gets UNIMPLEMENTED instead of UNAUTHENTICATED, and the refused attempt
// (e.g. DeletePerson) never reaches the audit log. Anyone can send it.
TEST(HostileTokenTest, HeaderFieldsOfTheWrongTypeAreUnauthenticated) {
  auto auth = MakeAuthenticator();
  ASSERT_NE(auth, nullptr);
  for (const std::string header : {R"({"alg":"RS256","kid":5})", R"({"alg":1})",
                                   R"({"alg":null})", R"({"alg":["RS256"]})"}) {
    absl::StatusOr<Caller> caller;
    EXPECT_NO_THROW(caller = auth->VerifyToken(Unsigned(header, "{}")))
        << header;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated)
        << header << ": " << caller.status();
  }
}

// Finding: the same for claims of the wrong type in a token the IdP did
// sign ("iss" or "sub" a number): an exception, not UNAUTHENTICATED.
TEST(HostileTokenTest, SignedClaimsOfTheWrongTypeAreUnauthenticated) {
  auto auth = MakeAuthenticator();
  ASSERT_NE(auth, nullptr);
  const std::string exp = absl::StrCat(R"("exp":)", kNow + 600);
  for (const std::string& claims :
       {absl::StrCat(R"({"iss":5,"aud":"whoknows","sub":"u1",)", exp, "}"),
        absl::StrCat(R"({"iss":"https://idp.example","aud":"whoknows",)",
                     R"("sub":7,)", exp, "}")}) {
    absl::StatusOr<Caller> caller;
    EXPECT_NO_THROW(caller = auth->VerifyToken(
                        testing_util::SignToken(Rsa(), "RS256", claims)))
        << claims;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated)
        << claims << ": " << caller.status();
  }
}

// exp and nbf far beyond any clock (1e300 seconds) are refused without
// converting them to an integer (undefined behaviour).
TEST(HostileTokenTest, TimesBeyondAnyClockAreUnauthenticated) {
  auto auth = MakeAuthenticator();
  ASSERT_NE(auth, nullptr);
  const std::string base = R"({"iss":"https://idp.example","aud":"whoknows",)"
                           R"("sub":"u1",)";
  for (const std::string& claims :
       {base + R"("exp":1e300})", base + R"("exp":-1e300})",
        absl::StrCat(base, R"("exp":)", kNow + 600, R"(,"nbf":1e300})")}) {
    auto caller =
        auth->VerifyToken(testing_util::SignToken(Rsa(), "RS256", claims));
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated)
        << claims << ": " << caller.status();
  }
}

}  // namespace
}  // namespace whoknows::api
