// Key rotation at the identity provider: Authenticator::ReloadKeys re-reads
// the JWKS (or PEM) file, so tokens of a new key are accepted and those of
// a retired one refused, without a restart; a bad file keeps the keys.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/auth.h"
#include "tests/testing/pki.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

using testing_util::KeyPair;

constexpr int64_t kNow = 1'800'000'000;

// A JWKS of (key, kid) pairs, as an identity provider publishes it.
std::string Jwks(
    std::initializer_list<std::pair<const KeyPair*, const char*>> keys) {
  std::string out = R"({"keys":[)";
  const char* sep = "";
  for (const auto& [key, kid] : keys) {
    absl::StrAppend(&out, sep, key->jwk.substr(0, key->jwk.size() - 1),
                    R"(,"kid":")", kid, R"("})");
    sep = ",";
  }
  return out + "]}";
}

std::string Token(const KeyPair& key, const std::string& kid) {
  return testing_util::SignToken(
      key, "ES256",
      absl::StrCat(R"({"iss":"https://idp.example","aud":"whoknows",)",
                   R"("sub":"u0001","exp":)", kNow + 600, "}"),
      kid);
}

TEST(AuthReloadTest, RotatesJwksKeysWithoutRestart) {
  const std::string path = testing_util::TestDir(true) + "/keys.jwks";
  const KeyPair k1 = testing_util::MakeEcKey(), k2 = testing_util::MakeEcKey();
  std::ofstream(path) << Jwks({{&k1, "k1"}});
  AuthOptions o;
  o.jwt_keys_file = path;
  o.issuer = "https://idp.example";
  o.clock = [] { return absl::FromUnixSeconds(kNow); };
  auto auth = Authenticator::Create(o);
  ASSERT_TRUE(auth.ok()) << auth.status();
  Authenticator& a = **auth;
  EXPECT_TRUE(a.VerifyToken(Token(k1, "k1")).ok());
  EXPECT_FALSE(a.VerifyToken(Token(k2, "k2")).ok());

  // The provider publishes the next key beside the current one...
  std::ofstream(path) << Jwks({{&k1, "k1"}, {&k2, "k2"}});
  ASSERT_TRUE(a.ReloadKeys().ok());
  EXPECT_TRUE(a.VerifyToken(Token(k1, "k1")).ok());
  EXPECT_TRUE(a.VerifyToken(Token(k2, "k2")).ok());

  // ... then retires the old one.
  std::ofstream(path) << Jwks({{&k2, "k2"}});
  ASSERT_TRUE(a.ReloadKeys().ok());
  EXPECT_EQ(a.VerifyToken(Token(k1, "k1")).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(a.VerifyToken(Token(k2, "k2")).ok());

  // A truncated download changes nothing, and says so.
  std::ofstream(path) << R"({"keys":[)";
  absl::Status s = a.ReloadKeys();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("--jwt-keys: ", 0), 0u) << s;
  EXPECT_TRUE(a.VerifyToken(Token(k2, "k2")).ok());
}

TEST(AuthReloadTest, WithoutAKeysFileThereIsNothingToReload) {
  auto auth = Authenticator::Create(AuthOptions());
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->ReloadKeys().ok());
}

}  // namespace
}  // namespace whoknows::api
