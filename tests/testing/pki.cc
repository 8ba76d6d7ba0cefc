#include "tests/testing/pki.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace whoknows::testing_util {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(absl::StrCat("pki: ", what));
}

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n);
  BIO_free(bio);
  return out;
}

std::string PrivatePem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr),
      "write private key");
  return Drain(bio);
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PUBKEY(bio, key), "write public key");
  return Drain(bio);
}

std::string B64(const std::string& bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

std::string BnParam(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn), name);
  std::string out(std::max(BN_num_bytes(bn), pad), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), out.size());
  BN_free(bn);
  return out;
}

KeyPair Pair(EVP_PKEY* key, std::string jwk) {
  KeyPair k{PrivatePem(key), PublicPem(key), std::move(jwk)};
  EVP_PKEY_free(key);
  return k;
}

EVP_PKEY* ReadKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), pem.size());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Check(key, "read private key");
  return key;
}

X509* ReadCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), pem.size());
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Check(cert, "read certificate");
  return cert;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is
// null).
std::string MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer,
                     EVP_PKEY* issuer_key, bool ca, bool server) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert;
  if (ca) {
    AddExtension(cert, iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert, iss, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert, iss, NID_ext_key_usage,
                 server ? "serverAuth" : "clientAuth");
    if (server)
      AddExtension(cert, iss, NID_subject_alt_name,
                   "DNS:localhost,IP:127.0.0.1");
  }
  Check(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0,
        "sign certificate");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  X509_free(cert);
  return Drain(bio);
}

}  // namespace

KeyPair MakeRsaKey() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  Check(key, "RSA keygen");
  std::string jwk =
      absl::StrCat(R"({"kty":"RSA","use":"sig","n":")",
                   B64(BnParam(key, OSSL_PKEY_PARAM_RSA_N)), R"(","e":")",
                   B64(BnParam(key, OSSL_PKEY_PARAM_RSA_E)), R"("})");
  return Pair(key, jwk);
}

KeyPair MakeEcKey() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  Check(key, "EC keygen");
  std::string jwk = absl::StrCat(
      R"({"kty":"EC","crv":"P-256","x":")",
      B64(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)), R"(","y":")",
      B64(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)), R"("})");
  return Pair(key, jwk);
}

std::string SignToken(const KeyPair& key, const std::string& alg,
                      const std::string& claims, const std::string& kid) {
  jwt_t* jwt = nullptr;
  Check(jwt_new(&jwt) == 0, "jwt_new");
  Check(jwt_add_grants_json(jwt, claims.c_str()) == 0, "claims");
  if (!kid.empty()) jwt_add_header(jwt, "kid", kid.c_str());
  Check(jwt_set_alg(
            jwt, jwt_str_alg(alg.c_str()),
            reinterpret_cast<const unsigned char*>(key.private_pem.data()),
            key.private_pem.size()) == 0,
        "jwt_set_alg");
  char* text = jwt_encode_str(jwt);
  jwt_free(jwt);
  Check(text, "jwt_encode_str");
  std::string token(text);
  std::free(text);
  return token;
}

TestCa::TestCa() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  Check(key, "CA keygen");
  ca_.key_pem = PrivatePem(key);
  ca_.cert_pem =
      MakeCert(key, "whoknows test CA", nullptr, nullptr, true, false);
  EVP_PKEY_free(key);
}

Certificate TestCa::Issue(const std::string& common_name, bool server) const {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  Check(key, "keygen");
  EVP_PKEY* ca_key = ReadKey(ca_.key_pem);
  X509* ca_cert = ReadCert(ca_.cert_pem);
  Certificate c;
  c.key_pem = PrivatePem(key);
  c.cert_pem = MakeCert(key, common_name, ca_cert, ca_key, false, server);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  return c;
}

Certificate TestCa::ServerCertificate() const {
  return Issue("localhost", true);
}

Certificate TestCa::ClientCertificate(const std::string& common_name) const {
  return Issue(common_name, false);
}

const KeyPair& SharedRsaKey() {
  static const KeyPair k = MakeRsaKey();
  return k;
}

const KeyPair& SharedEcKey() {
  static const KeyPair k = MakeEcKey();
  return k;
}

}  // namespace whoknows::testing_util
