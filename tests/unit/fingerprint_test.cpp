// Certificate fingerprints: fixed SHA-256 vectors, and a certificate built in
// memory whose fingerprint must equal OpenSSL's own X509_digest in the
// `openssl x509 -fingerprint` format.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "auth/fingerprint.hpp"

namespace {

using ferry::auth::cert_fingerprint;

struct x509_free_fn {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free_fn {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// A self-signed Ed25519 certificate for `cn`, DER-encoded; the X509 is kept for X509_digest.
std::unique_ptr<X509, x509_free_fn> make_cert(const char* cn) {
  std::unique_ptr<EVP_PKEY, pkey_free_fn> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return nullptr;
  std::unique_ptr<X509, x509_free_fn> x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  if (X509_sign(x.get(), key.get(), nullptr) <= 0) return nullptr;
  return x;
}

std::string der_of(X509* x) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(x, &buf);
  if (len <= 0) return {};
  std::string der(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return der;
}

std::string colon_hex(const unsigned char* md, unsigned int len) {
  std::string out = "SHA256:";
  char pair[4];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(pair, sizeof pair, "%02X", md[i]);
    if (i != 0) out += ':';
    out += pair;
  }
  return out;
}

const std::regex fingerprint_shape("SHA256:([0-9A-F]{2}:){31}[0-9A-F]{2}");

TEST(Fingerprint, FixedVectors) {
  EXPECT_EQ(cert_fingerprint(""),
            "SHA256:E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:"
            "27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55");
  EXPECT_EQ(cert_fingerprint("abc"),
            "SHA256:BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:"
            "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD");
  EXPECT_EQ(cert_fingerprint(std::string("a\0b", 3)).size(), 7u + 32u * 3u - 1u);
  EXPECT_NE(cert_fingerprint(std::string("a\0b", 3)), cert_fingerprint("a"));
}

TEST(Fingerprint, GeneratedCertificateMatchesOpenSsl) {
  const auto cert = make_cert("ferry.test");
  ASSERT_TRUE(cert);
  const std::string der = der_of(cert.get());
  ASSERT_FALSE(der.empty());

  const auto fp = cert_fingerprint(der);
  EXPECT_TRUE(std::regex_match(fp, fingerprint_shape)) << fp;

  // Independently: the digest `openssl x509 -fingerprint -sha256` uses, and a plain EVP_Digest.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &len), 1);
  ASSERT_EQ(len, 32u);
  EXPECT_EQ(fp, colon_hex(md, len));
  ASSERT_EQ(EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(fp, colon_hex(md, len));
}

TEST(Fingerprint, DistinctCertificatesDiffer) {
  const auto a = make_cert("a.test");
  const auto b = make_cert("a.test");  // same name, fresh key
  ASSERT_TRUE(a && b);
  const auto der_a = der_of(a.get());
  EXPECT_EQ(cert_fingerprint(der_a), cert_fingerprint(der_a));
  EXPECT_NE(cert_fingerprint(der_a), cert_fingerprint(der_of(b.get())));
}

}  // namespace
