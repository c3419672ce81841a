// The server's TLS context and its reloading holder, with certificates made
// here (EC P-256, self-signed, PEM in a fresh directory): load() on a good
// pair (and its fingerprint, computed independently), the load errors
// (missing file, garbage PEM, a key that does not match), and tls_provider's
// reload rules — off without files, a half pair or a broken file refused
// with the loaded pair kept, and a renewed pair swapped in while a session
// still holds (and can still handshake with) the old context.
#include "session/tls_context.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "test_certs.hpp"
#include "test_files.hpp"

namespace ferry::session {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::cert_pem;
using test::der_of;
using test::key_pem;
using test::new_key;
using test::pkey_ptr;
using test::self_signed;
using test::x509_ptr;

/// "SHA256:AB:CD:..." computed here, not with the library's helper.
std::string expected_fingerprint(const std::string& der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(len, 32u);
  std::string out = "SHA256";
  for (unsigned int i = 0; i < len; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, ":%02X", md[i]);
    out += hex;
  }
  return out;
}

/// Writes a self-signed pair as cert/key PEM files; returns the expected
/// fingerprint. With `mismatched`, the key file holds a different key.
std::string write_pair(const fs::path& cert, const fs::path& key, const char* cn,
                       bool mismatched = false) {
  auto k = new_key();
  EXPECT_TRUE(k);
  auto x = self_signed(k.get(), cn);
  EXPECT_TRUE(x);
  test::write(cert, cert_pem(x.get()));
  if (mismatched) {
    auto other = new_key();
    test::write(key, key_pem(other.get()));
  } else {
    test::write(key, key_pem(k.get()));
  }
  return expected_fingerprint(der_of(x.get()));
}

std::string peer_fingerprint(SSL* ssl) {
  x509_ptr peer(SSL_get1_peer_certificate(ssl));
  if (!peer) return "(no peer certificate)";
  return expected_fingerprint(der_of(peer.get()));
}

void set_timeouts(int fd) {
  timeval tv{};
  tv.tv_sec = 30;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// A blocking handshake over a socketpair with `ctx` as the server; the
/// fingerprint of the certificate the client saw, or "" when it failed.
std::string handshake_with(const tls_context& ctx) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return "";
  set_timeouts(fds[0]);
  set_timeouts(fds[1]);
  SSL* server = ctx.new_connection(fds[0], tls_context::make_token());
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return "";
  auto accepted = std::async(std::launch::async, [server] { return SSL_accept(server); });

  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL* client = SSL_new(cctx);
  SSL_set_fd(client, fds[1]);
  const int c = SSL_connect(client);
  std::string fp = c == 1 ? peer_fingerprint(client) : "";
  // Bounded by the socket timeouts.
  EXPECT_EQ(accepted.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(accepted.get(), 1);
  SSL_free(client);
  SSL_CTX_free(cctx);
  SSL_free(server);
  ::close(fds[0]);
  ::close(fds[1]);
  return fp;
}

bool mentions_mismatch(const std::string& error) {
  return error.find("mismatch") != std::string::npos ||
         error.find("does not match") != std::string::npos;
}

class TlsContext : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::fresh_test_dir("tls_context");
    fs::create_directories(dir_);
    cert_ = dir_ / "server.crt";
    key_ = dir_ / "server.key";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_, cert_, key_;
};

TEST_F(TlsContext, LoadsAGoodPairWithItsFingerprint) {
  const std::string fp = write_pair(cert_, key_, "ferry-test");
  ASSERT_EQ(fp.size(), std::string("SHA256").size() + 32 * 3);
  std::string error;
  auto ctx = tls_context::load(cert_, key_, error);
  ASSERT_TRUE(ctx) << error;
  EXPECT_EQ(ctx->fingerprint(), fp);
  EXPECT_EQ(handshake_with(*ctx), fp) << "a client sees the loaded certificate";
}

TEST_F(TlsContext, TwoPairsHaveDifferentFingerprints) {
  const std::string a = write_pair(cert_, key_, "one");
  const std::string b = write_pair(dir_ / "b.crt", dir_ / "b.key", "two");
  std::string error;
  auto ca = tls_context::load(cert_, key_, error);
  auto cb = tls_context::load(dir_ / "b.crt", dir_ / "b.key", error);
  ASSERT_TRUE(ca && cb) << error;
  EXPECT_NE(ca->fingerprint(), cb->fingerprint());
  EXPECT_EQ(ca->fingerprint(), a);
  EXPECT_EQ(cb->fingerprint(), b);
}

TEST_F(TlsContext, MissingCertificateFileIsAnError) {
  write_pair(dir_ / "other.crt", key_, "x");
  std::string error;
  EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr);
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  EXPECT_NE(error.find(cert_.string()), std::string::npos) << error;
}

TEST_F(TlsContext, MissingKeyFileIsAnError) {
  write_pair(cert_, dir_ / "other.key", "x");
  std::string error;
  EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr);
  EXPECT_NE(error.find("key"), std::string::npos) << error;
  EXPECT_NE(error.find(key_.string()), std::string::npos) << error;
}

TEST_F(TlsContext, GarbageCertificatePemIsAnError) {
  write_pair(cert_, key_, "x");
  for (const std::string& garbage :
       {std::string("this is not a certificate\n"),
        std::string("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==!!\n-----END CERTIFICATE-----\n"),
        std::string("")}) {
    test::write(cert_, garbage);
    std::string error;
    EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr) << garbage;
    EXPECT_NE(error.find("TLS certificate " + cert_.string()), std::string::npos) << error;
    EXPECT_GT(error.size(), ("TLS certificate " + cert_.string() + ": ").size()) << "with a reason";
  }
}

TEST_F(TlsContext, GarbageKeyPemIsAnError) {
  write_pair(cert_, key_, "x");
  test::write(key_, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  std::string error;
  EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr);
  EXPECT_NE(error.find("TLS key " + key_.string()), std::string::npos) << error;
}

TEST_F(TlsContext, KeyThatDoesNotMatchTheCertificateIsAnError) {
  // Another P-256 key: OpenSSL refuses it while loading the key.
  write_pair(cert_, key_, "x", /*mismatched=*/true);
  std::string error;
  EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr);
  EXPECT_TRUE(mentions_mismatch(error)) << error;
  EXPECT_NE(error.find(key_.string()), std::string::npos) << error;
}

TEST_F(TlsContext, KeyOfAnotherTypeThanTheCertificateIsAnError) {
  // An RSA key for an EC certificate loads into another slot; only the
  // final pair check catches it.
  write_pair(cert_, dir_ / "ec.key", "x");
  pkey_ptr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  ASSERT_TRUE(rsa);
  test::write(key_, key_pem(rsa.get()));
  std::string error;
  EXPECT_EQ(tls_context::load(cert_, key_, error), nullptr);
  EXPECT_TRUE(mentions_mismatch(error)) << error;
  EXPECT_NE(error.find(key_.string()), std::string::npos) << error;
}

TEST_F(TlsContext, TokensAreRandom) {
  const auto a = tls_context::make_token();
  const auto b = tls_context::make_token();
  EXPECT_NE(a, b);
  EXPECT_NE(a, reuse_token{});
}

TEST_F(TlsContext, ProviderWithNeitherFileStaysOff) {
  tls_provider p(cert_, key_);
  std::string error;
  EXPECT_TRUE(p.reload(error)) << error;
  EXPECT_FALSE(p.enabled());
  EXPECT_EQ(p.current(), nullptr);
  EXPECT_TRUE(p.reload(error)) << "still off on a later reload: " << error;
  EXPECT_FALSE(p.enabled());
}

TEST_F(TlsContext, ProviderRefusesAHalfPair) {
  write_pair(cert_, dir_ / "elsewhere.key", "x");
  {
    tls_provider p(cert_, key_);
    std::string error;
    EXPECT_FALSE(p.reload(error));
    EXPECT_NE(error.find(key_.string()), std::string::npos) << "names the missing key: " << error;
    EXPECT_FALSE(p.enabled());
  }
  fs::remove(cert_);
  fs::rename(dir_ / "elsewhere.key", key_);
  {
    tls_provider p(cert_, key_);
    std::string error;
    EXPECT_FALSE(p.reload(error));
    EXPECT_NE(error.find(cert_.string()), std::string::npos) << "names the missing cert: " << error;
    EXPECT_FALSE(p.enabled());
  }
}

TEST_F(TlsContext, ProviderLoadsAGoodPair) {
  const std::string fp = write_pair(cert_, key_, "x");
  tls_provider p(cert_, key_);
  std::string error;
  ASSERT_TRUE(p.reload(error)) << error;
  ASSERT_TRUE(p.enabled());
  EXPECT_EQ(p.current()->fingerprint(), fp);
}

TEST_F(TlsContext, ProviderKeepsTheOldContextWhenANewFileIsBroken) {
  const std::string fp = write_pair(cert_, key_, "x");
  tls_provider p(cert_, key_);
  std::string error;
  ASSERT_TRUE(p.reload(error)) << error;
  const auto before = p.current();

  test::write(cert_, "garbage\n");
  error.clear();
  EXPECT_FALSE(p.reload(error));
  EXPECT_FALSE(error.empty());
  ASSERT_TRUE(p.enabled());
  EXPECT_EQ(p.current(), before) << "the same context object";
  EXPECT_EQ(p.current()->fingerprint(), fp);

  // A renewed cert whose key was not replaced with it: refused too.
  write_pair(cert_, key_, "y", /*mismatched=*/true);
  error.clear();
  EXPECT_FALSE(p.reload(error));
  EXPECT_TRUE(mentions_mismatch(error)) << error;
  EXPECT_EQ(p.current(), before);
  EXPECT_EQ(handshake_with(*p.current()), fp) << "and it still serves the old certificate";
}

TEST_F(TlsContext, ProviderKeepsTheOldContextWhenBothFilesAreGone) {
  const std::string fp = write_pair(cert_, key_, "x");
  tls_provider p(cert_, key_);
  std::string error;
  ASSERT_TRUE(p.reload(error)) << error;
  const auto before = p.current();
  fs::remove(cert_);
  fs::remove(key_);
  error.clear();
  EXPECT_FALSE(p.reload(error)) << "a reload never silently turns TLS off";
  EXPECT_FALSE(error.empty());
  ASSERT_TRUE(p.enabled());
  EXPECT_EQ(p.current(), before);
  EXPECT_EQ(p.current()->fingerprint(), fp);
}

TEST_F(TlsContext, ProviderSwapsInARenewedPairWhileASessionHoldsTheOld) {
  const std::string old_fp = write_pair(cert_, key_, "old");
  tls_provider p(cert_, key_);
  std::string error;
  ASSERT_TRUE(p.reload(error)) << error;
  std::shared_ptr<const tls_context> session = p.current();  // a running session's copy

  const std::string new_fp = write_pair(cert_, key_, "new");
  ASSERT_NE(new_fp, old_fp);
  ASSERT_TRUE(p.reload(error)) << error;
  ASSERT_TRUE(p.enabled());
  EXPECT_EQ(p.current()->fingerprint(), new_fp);
  EXPECT_NE(p.current(), session);

  // The provider dropped its reference; the session's copy still works.
  EXPECT_EQ(session.use_count(), 1);
  EXPECT_EQ(session->fingerprint(), old_fp);
  EXPECT_EQ(handshake_with(*session), old_fp);
  EXPECT_EQ(handshake_with(*p.current()), new_fp);
}

}  // namespace
}  // namespace ferry::session
