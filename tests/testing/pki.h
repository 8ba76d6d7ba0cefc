// Throw-away keys, certificates and tokens for tests: a CA, server and
// client certificates for TLS on loopback, and signed JWTs (OpenSSL and
// libjwt, the libraries the server verifies them with).
#ifndef WHOKNOWS_TESTS_TESTING_PKI_H_
#define WHOKNOWS_TESTS_TESTING_PKI_H_

#include <string>

namespace whoknows::testing_util {

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
  std::string jwk;          // the public key as a JWK object (JSON)
};

KeyPair MakeRsaKey();  // 2048 bits
KeyPair MakeEcKey();   // P-256
// One key of each kind a test binary makes once and shares (a 2048-bit
// RSA key takes tens of milliseconds to make).
const KeyPair& SharedRsaKey();
const KeyPair& SharedEcKey();

// A compact JWS of `claims` (a JSON object) signed with `key`; alg is
// "RS256" or "ES256"; kid is put into the header when not empty.
std::string SignToken(const KeyPair& key, const std::string& alg,
                      const std::string& claims, const std::string& kid = "");

struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};

// A CA that signs server and client certificates valid for a day.
class TestCa {
 public:
  TestCa();
  const std::string& cert_pem() const { return ca_.cert_pem; }
  // For "localhost" and 127.0.0.1.
  Certificate ServerCertificate() const;
  // CN=common_name, for client authentication.
  Certificate ClientCertificate(const std::string& common_name) const;

 private:
  Certificate Issue(const std::string& common_name, bool server) const;
  Certificate ca_;
};

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_PKI_H_
