// The self-signed certificate `ferryd init` writes: generated into a fresh
// directory and read back with OpenSSL — the key, the certificate's fields and
// extensions, the file modes, keeping an existing pair, and the errors.
#include "server/self_signed.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "test_files.hpp"

namespace ferry::server {
namespace {
namespace fs = std::filesystem;

struct file_close {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

x509_ptr read_cert(const fs::path& p) {
  std::unique_ptr<FILE, file_close> f(std::fopen(p.c_str(), "r"));
  if (!f) return nullptr;
  return x509_ptr(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
}

pkey_ptr read_key(const fs::path& p) {
  std::unique_ptr<FILE, file_close> f(std::fopen(p.c_str(), "r"));
  if (!f) return nullptr;
  return pkey_ptr(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

/// The subjectAltName entries as "DNS:name" / "IP:text" (OpenSSL's own spelling).
std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* gens = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!gens) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    if (g->type == GEN_DNS) {
      const auto* s = g->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (g->type == GEN_IPADD) {
      const auto* o = g->d.iPAddress;
      const int family = ASN1_STRING_length(o) == 4 ? AF_INET : AF_INET6;
      char text[INET6_ADDRSTRLEN] = {};
      ::inet_ntop(family, ASN1_STRING_get0_data(o), text, sizeof text);
      out.push_back(std::string("IP:") + text);
    }
  }
  GENERAL_NAMES_free(gens);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class SelfSigned : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = test::fresh_test_dir("self_signed");
    fs::create_directories(base_);
    dir_ = base_ / "tls";
  }
  void TearDown() override { fs::remove_all(base_); }

  cert_names names_{{"host.example", "localhost"}, {"127.0.0.1", "::1", "192.0.2.7", "2001:db8::5"}};
  fs::path base_, dir_;
};

TEST_F(SelfSigned, KeyIsEcP256AndMatchesTheCertificate) {
  ASSERT_EQ(create_self_signed(dir_, names_), "");
  auto key = read_key(dir_ / "key.pem");
  auto cert = read_cert(dir_ / "cert.pem");
  ASSERT_TRUE(key);
  ASSERT_TRUE(cert);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  char group[64] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  // PKCS#8, unencrypted
  EXPECT_EQ(test::read(dir_ / "key.pem").rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
}

TEST_F(SelfSigned, CertificateFields) {
  ASSERT_EQ(create_self_signed(dir_, names_), "");
  auto cert = read_cert(dir_ / "cert.pem");
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);

  char cn[256] = {};
  ASSERT_GT(X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn), 0);
  EXPECT_STREQ(cn, "host.example");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  ASSERT_TRUE(bn);
  EXPECT_FALSE(BN_is_negative(bn));
  EXPECT_EQ(BN_num_bytes(bn), 16);
  BN_free(bn);

  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);

  // notBefore about an hour ago, notAfter 825 days ahead (a minute of slack).
  const std::time_t now = std::time(nullptr);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())), 1);
  EXPECT_EQ(days * 86400L + secs, cert_validity_days * 86400L + cert_backdate_seconds);
  std::time_t t = now - cert_backdate_seconds + 60;
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &t), 0);
  t = now - cert_backdate_seconds - 60;
  EXPECT_GT(X509_cmp_time(X509_get0_notBefore(cert.get()), &t), 0);

  const auto sans = alt_names(cert.get());
  for (const auto& s : {"DNS:host.example", "DNS:localhost", "IP:127.0.0.1", "IP:::1", "IP:192.0.2.7",
                        "IP:2001:db8::5"})
    EXPECT_TRUE(contains(sans, s)) << s;
  EXPECT_EQ(sans.size(), 6u);

  // CA:FALSE, critical; keyUsage digitalSignature only, critical; serverAuth.
  const uint32_t flags = X509_get_extension_flags(cert.get());
  EXPECT_TRUE(flags & EXFLAG_BCONS);
  EXPECT_FALSE(flags & EXFLAG_CA);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    const int at = X509_get_ext_by_NID(cert.get(), nid, -1);
    ASSERT_GE(at, 0) << nid;
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), at)), 1) << nid;
  }
  EXPECT_TRUE(X509_get0_subject_key_id(cert.get()));
  EXPECT_EQ(X509_check_host(cert.get(), "host.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
}

TEST_F(SelfSigned, FileModes) {
  ASSERT_EQ(create_self_signed(dir_, names_), "");
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(mode_of(dir_ / "key.pem"), 0600u);
  EXPECT_EQ(mode_of(dir_ / "cert.pem"), 0644u);
}

TEST_F(SelfSigned, ModesDoNotDependOnTheUmask) {
  const mode_t old = ::umask(0);
  const auto e = create_self_signed(dir_, names_);
  ::umask(old);
  ASSERT_EQ(e, "");
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(mode_of(dir_ / "key.pem"), 0600u);
}

TEST_F(SelfSigned, SecondCallKeepsThePair) {
  ASSERT_EQ(create_self_signed(dir_, names_), "");
  std::string error;
  const auto first = cert_fingerprint_sha256(dir_ / "cert.pem", error);
  ASSERT_EQ(first.size(), 32u * 3 - 1) << error;
  const auto key = test::read(dir_ / "key.pem");
  ASSERT_EQ(create_self_signed(dir_, {{"other.example"}, {}}), "");
  EXPECT_EQ(cert_fingerprint_sha256(dir_ / "cert.pem", error), first);
  EXPECT_EQ(test::read(dir_ / "key.pem"), key);
}

TEST_F(SelfSigned, HalfAPairIsAnErrorAndNotOverwritten) {
  fs::create_directory(dir_);
  test::write(dir_ / "key.pem", "not ours\n");
  EXPECT_NE(create_self_signed(dir_, names_), "");
  EXPECT_EQ(test::read(dir_ / "key.pem"), "not ours\n");
  EXPECT_FALSE(fs::exists(dir_ / "cert.pem"));
}

TEST_F(SelfSigned, SymlinkAtTheKeyNameIsNotFollowed) {
  fs::create_directory(dir_);
  fs::create_symlink(base_ / "elsewhere", dir_ / "key.pem");
  EXPECT_NE(create_self_signed(dir_, names_), "");
  EXPECT_FALSE(fs::exists(base_ / "elsewhere"));
}

TEST_F(SelfSigned, UnwritableDirIsAnError) {
  // Under a regular file: fails for root too (tests may run as root).
  test::write(base_ / "file", "x");
  const auto e = create_self_signed(base_ / "file" / "tls", names_);
  EXPECT_NE(e, "");
  EXPECT_NE(e.find("file"), std::string::npos) << e;
  if (::geteuid() != 0) {
    fs::create_directory(dir_);
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_NE(create_self_signed(dir_, names_), "");
    fs::permissions(dir_, fs::perms::owner_all);
  }
}

TEST_F(SelfSigned, BadNamesAreRefused) {
  EXPECT_NE(create_self_signed(dir_, {{"evil,IP:1.2.3.4"}, {}}), "");
  EXPECT_NE(create_self_signed(dir_, {{"ok.example"}, {"not-an-ip"}}), "");
  EXPECT_NE(create_self_signed(dir_, {}), "");
  EXPECT_FALSE(fs::exists(dir_ / "key.pem"));
}

TEST_F(SelfSigned, FingerprintOfAMissingFileIsAnError) {
  std::string error;
  EXPECT_EQ(cert_fingerprint_sha256(base_ / "nope.pem", error), "");
  EXPECT_NE(error, "");
}

TEST(LocalCertNames, HasHostNameLoopbackAndNoLinkLocal) {
  const auto n = local_cert_names();
  ASSERT_FALSE(n.dns.empty());
  EXPECT_TRUE(contains(n.dns, "localhost"));
  EXPECT_TRUE(contains(n.ips, "127.0.0.1"));
  EXPECT_TRUE(contains(n.ips, "::1"));
  for (const auto& ip : n.ips) EXPECT_NE(ip.rfind("fe80:", 0), 0u) << ip;
  auto sorted = n.ips;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(FqdnFromHosts, Table) {
  const std::string hosts =
      "127.0.0.1\tlocalhost\n"
      "# 10.0.0.1 box.commented.example box\n"
      "127.0.1.1\tBox.Example.ORG box\n"
      "10.0.0.2 other.example.org other\n";
  EXPECT_EQ(fqdn_from_hosts(hosts, "box"), "box.example.org");
  EXPECT_EQ(fqdn_from_hosts(hosts, "other"), "other.example.org");
  EXPECT_EQ(fqdn_from_hosts(hosts, "bo"), "");
  EXPECT_EQ(fqdn_from_hosts(hosts, "missing"), "");
  EXPECT_EQ(fqdn_from_hosts(hosts, ""), "");
  EXPECT_EQ(fqdn_from_hosts("127.0.1.1 box\n", "box"), "");
}

}  // namespace
}  // namespace ferry::server
