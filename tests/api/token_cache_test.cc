// The cache of verified bearer tokens (AuthOptions::token_cache_entries):
// a token sent again is not verified again, yet it expires (and becomes
// valid) exactly when an uncached one would, a key rotation refuses a
// retired key's tokens at once, failures are never remembered, and the
// bound holds. Counted through Authenticator::signature_checks().
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/auth.h"
#include "tests/testing/pki.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

using testing_util::KeyPair;
using testing_util::SignToken;

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kSkew = 30;

const KeyPair& Rsa() { return testing_util::SharedRsaKey(); }
const KeyPair& Ec() { return testing_util::SharedEcKey(); }

std::string WriteKeys(const std::string& name, const std::string& text) {
  const std::string path = testing_util::TestDir(/*create=*/true) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Options whose clock reads *now (unix seconds).
AuthOptions Options(const std::string& keys_file, std::atomic<int64_t>* now,
                    size_t cache_entries = 8192) {
  AuthOptions o;
  o.jwt_keys_file = keys_file;
  o.issuer = "https://idp.example";
  o.clock_skew = std::chrono::seconds(kSkew);
  o.clock = [now] { return absl::FromUnixSeconds(now->load()); };
  o.token_cache_entries = cache_entries;
  return o;
}

std::string Claims(const std::string& sub, const std::string& extra = "") {
  return absl::StrCat(R"({"iss":"https://idp.example","aud":"whoknows",)",
                      R"("sub":")", sub, R"(","exp":)", kNow + 600, extra, "}");
}

TEST(TokenCacheTest, ASecondCallDoesNotVerifyTheSignatureAgain) {
  std::atomic<int64_t> now{kNow};
  const std::string keys =
      WriteKeys("both.pem", Rsa().public_pem + Ec().public_pem);
  auto cached = Authenticator::Create(Options(keys, &now));
  auto uncached = Authenticator::Create(Options(keys, &now, 0));
  ASSERT_TRUE(cached.ok() && uncached.ok());
  for (const auto& [key, alg] :
       {std::pair{&Rsa(), "RS256"}, std::pair{&Ec(), "ES256"}}) {
    const std::string token =
        SignToken(*key, alg, Claims("u1", R"(,"roles":["employee","hr"])"));
    const uint64_t checks = (*cached)->signature_checks();
    for (int i = 0; i < 3; ++i) {
      auto caller = (*cached)->VerifyToken(token);
      ASSERT_TRUE(caller.ok()) << alg << ": " << caller.status();
      EXPECT_EQ(caller->subject, "u1");
      EXPECT_EQ(caller->RoleNames(), "employee hr");
      EXPECT_EQ(caller->method, AuthMethod::kToken);
      ASSERT_TRUE((*uncached)->VerifyToken(token).ok());
    }
    EXPECT_EQ((*cached)->signature_checks(), checks + 1) << alg;
    // The request's part is still read at every call.
    const std::string basic = "Basic " + token;
    EXPECT_EQ((*cached)->Authenticate(&basic, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    const std::string bearer = "Bearer " + token;
    EXPECT_TRUE((*cached)->Authenticate(&bearer, {}).ok());
    EXPECT_EQ((*cached)->signature_checks(), checks + 1) << alg;
  }
  EXPECT_EQ((*cached)->cached_tokens(), 2u);
  EXPECT_EQ((*uncached)->signature_checks(), 6u);
  EXPECT_EQ((*uncached)->cached_tokens(), 0u);
}

// At each instant both answer the same, the cached one without verifying.
TEST(TokenCacheTest, ARememberedTokenExpiresAndStartsWhenAnUncachedOneWould) {
  std::atomic<int64_t> now{kNow};
  const std::string keys = WriteKeys("rsa.pem", Rsa().public_pem);
  auto cached = Authenticator::Create(Options(keys, &now));
  auto uncached = Authenticator::Create(Options(keys, &now, 0));
  ASSERT_TRUE(cached.ok() && uncached.ok());
  const int64_t exp = kNow + 600, nbf = kNow + 100;
  const std::string token =
      SignToken(Rsa(), "RS256", Claims("u1", absl::StrCat(R"(,"nbf":)", nbf)));
  struct Step {
    int64_t at;
    const char* refusal;  // empty: accepted
  };
  const Step steps[] = {
      {nbf - kSkew, ""},  // first accepted, and remembered
      {nbf - kSkew - 1, "not valid before"},
      {kNow, "not valid before"},
      {nbf, ""},
      {exp + kSkew, ""},
      {exp + kSkew + 1, "expired"},
      {exp + 86400, "expired"},
      {exp, ""},  // a clock set back
  };
  for (const Step& step : steps) {
    now = step.at;
    for (Authenticator* auth : {cached->get(), uncached->get()}) {
      auto caller = auth->VerifyToken(token);
      if (std::string_view(step.refusal).empty()) {
        EXPECT_TRUE(caller.ok()) << step.at << ": " << caller.status();
        continue;
      }
      ASSERT_FALSE(caller.ok()) << step.at;
      EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
      EXPECT_NE(caller.status().message().find(step.refusal), std::string::npos)
          << step.at << ": " << caller.status();
    }
  }
  EXPECT_EQ((*cached)->signature_checks(), 1u);
  EXPECT_EQ((*uncached)->signature_checks(), std::size(steps));
}

TEST(TokenCacheTest, AReloadRefusesARemovedKeysTokensAtOnce) {
  std::atomic<int64_t> now{kNow};
  const std::string path =
      WriteKeys("rotate.pem", Rsa().public_pem + Ec().public_pem);
  auto auth = Authenticator::Create(Options(path, &now));
  ASSERT_TRUE(auth.ok());
  const std::string old_key = SignToken(Rsa(), "RS256", Claims("u1"));
  const std::string new_key = SignToken(Ec(), "ES256", Claims("u2"));
  ASSERT_TRUE((*auth)->VerifyToken(old_key).ok());
  ASSERT_TRUE((*auth)->VerifyToken(new_key).ok());
  ASSERT_EQ((*auth)->cached_tokens(), 2u);

  std::ofstream(path) << Ec().public_pem;
  ASSERT_TRUE((*auth)->ReloadKeys().ok());
  EXPECT_EQ((*auth)->cached_tokens(), 0u);
  auto refused = (*auth)->VerifyToken(old_key);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("no configured RS256 key"),
            std::string::npos)
      << refused.status();
  // The kept key's tokens are verified again once, then remembered.
  const uint64_t checks = (*auth)->signature_checks();
  EXPECT_TRUE((*auth)->VerifyToken(new_key).ok());
  EXPECT_TRUE((*auth)->VerifyToken(new_key).ok());
  EXPECT_EQ((*auth)->signature_checks(), checks + 1);
}

TEST(TokenCacheTest, FailuresAreNeverRemembered) {
  std::atomic<int64_t> now{kNow};
  auto auth = Authenticator::Create(
      Options(WriteKeys("rsa-only.pem", Rsa().public_pem), &now));
  ASSERT_TRUE(auth.ok());
  const KeyPair other = testing_util::MakeRsaKey();
  KeyPair hmac = Rsa();
  hmac.private_pem = hmac.public_pem;
  std::string none = SignToken(Rsa(), "RS256", Claims("u1"));
  none = absl::StrCat(
      "eyJhbGciOiJub25lIn0",
      none.substr(none.find('.'), none.rfind('.') - none.find('.')), ".");
  const std::pair<std::string, const char*> cases[] = {
      {SignToken(other, "RS256", Claims("u1")), "signature"},
      {SignToken(hmac, "HS256", Claims("u1")), "not accepted"},
      {none, "not accepted"},
      // Signed by the configured key, but not for us: verified each time.
      {SignToken(Rsa(), "RS256",
                 absl::StrCat(R"({"iss":"https://evil","aud":"whoknows",)",
                              R"("sub":"u1","exp":)", kNow + 600, "}")),
       "issuer"},
      {SignToken(Rsa(), "RS256", Claims("")), "without sub"},
  };
  for (const auto& [token, refusal] : cases)
    for (int i = 0; i < 2; ++i) {
      auto caller = (*auth)->VerifyToken(token);
      ASSERT_FALSE(caller.ok()) << refusal;
      EXPECT_NE(caller.status().message().find(refusal), std::string::npos)
          << caller.status();
    }
  EXPECT_EQ((*auth)->cached_tokens(), 0u);
  EXPECT_EQ((*auth)->signature_checks(), 6u);  // 3 signed by a key we have
}

TEST(TokenCacheTest, TheOldestIsDroppedAtTheBound) {
  std::atomic<int64_t> now{kNow};
  auto auth = Authenticator::Create(
      Options(WriteKeys("ec.pem", Ec().public_pem), &now, /*entries=*/2));
  ASSERT_TRUE(auth.ok());
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    tokens.push_back(SignToken(Ec(), "ES256", Claims(absl::StrCat("u", i))));
    ASSERT_TRUE((*auth)->VerifyToken(tokens.back()).ok());
    EXPECT_LE((*auth)->cached_tokens(), 2u);
  }
  EXPECT_EQ((*auth)->signature_checks(), 3u);
  // u1 and u2 are remembered; u0, the oldest, went.
  EXPECT_EQ((*auth)->VerifyToken(tokens[2])->subject, "u2");
  EXPECT_EQ((*auth)->VerifyToken(tokens[1])->subject, "u1");
  EXPECT_EQ((*auth)->signature_checks(), 3u);
  EXPECT_EQ((*auth)->VerifyToken(tokens[0])->subject, "u0");
  EXPECT_EQ((*auth)->signature_checks(), 4u);
  EXPECT_EQ((*auth)->cached_tokens(), 2u);
}

// Calls from several threads while the keys are reloaded: every answer is
// right for one of the key sets, and nothing races (tsan builds).
TEST(TokenCacheTest, ConcurrentCallsAndReloads) {
  std::atomic<int64_t> now{kNow};
  const std::string path = WriteKeys("both2.pem", Ec().public_pem);
  auto auth = Authenticator::Create(Options(path, &now, 4));
  ASSERT_TRUE(auth.ok());
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i)
    tokens.push_back(SignToken(Ec(), "ES256", Claims(absl::StrCat("u", i))));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto caller = (*auth)->VerifyToken(tokens[(i + t) % tokens.size()]);
        if (!caller.ok() ||
            caller->subject != absl::StrCat("u", (i + t) % tokens.size()))
          ++failures;
      }
    });
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*auth)->ReloadKeys().ok());
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE((*auth)->cached_tokens(), 4u);
}

}  // namespace
}  // namespace whoknows::api
