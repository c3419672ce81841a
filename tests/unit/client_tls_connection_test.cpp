// The client connection's TLS layer against an OpenSSL server on the other end
// of a socketpair: the handshake, the certificate it hands over for pinning,
// tls-exporter channel binding equal on both ends, frames and a bulk body
// over TLS, a server without TLS (closing, or answering with a frame) told
// apart from a failed handshake, and --ca verification with OpenSSL's reasons.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "auth/scram.hpp"
#include "client/connection.hpp"
#include "proto/frame.hpp"
#include "test_files.hpp"

namespace {

using namespace ferry::client;
using json = nlohmann::json;

// OpenSSL writes with write(2): like ferry, a test peer that hangs up must not kill us.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

/// A self-signed P-256 certificate for `san` ("IP:127.0.0.1,DNS:localhost").
struct identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  explicit identity(const char* san) {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("ferry test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(cert, key, EVP_sha256());
  }
  ~identity() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  std::string der() const {
    unsigned char* out = nullptr;
    const int n = i2d_X509(cert, &out);
    std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return s;
  }
  void write_pem(const std::filesystem::path& p) const {
    FILE* f = std::fopen(p.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
  }
};

/// Plays the server on one end of a socketpair, in a thread.
class peer {
 public:
  explicit peer(std::function<void(int fd)> play) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    client_fd_ = fds[0];
    thread_ = std::thread([play = std::move(play), fd = fds[1]] {
      play(fd);
      ::close(fd);
    });
  }
  ~peer() { thread_.join(); }
  int client_fd() const { return client_fd_; }

 private:
  int client_fd_;
  std::thread thread_;
};

/// A TLS server session on `fd` with `id`; runs `then` on it when the
/// handshake succeeds.
void serve_tls(int fd, const identity& id, const std::function<void(SSL*)>& then) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, id.cert);
  SSL_CTX_use_PrivateKey(ctx, id.key);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    then(ssl);
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}

bool read_exact(SSL* ssl, std::string& out, std::size_t n) {
  out.resize(n);
  std::size_t got = 0;
  while (got < n) {
    std::size_t k = 0;
    if (SSL_read_ex(ssl, out.data() + got, n - got, &k) != 1) return false;
    got += k;
  }
  return true;
}

TEST(ClientTlsConnection, HandshakeCertificateBindingAndBulkBody) {
  const identity id("IP:127.0.0.1");
  std::string server_binding;
  std::string big(3 * 1024 * 1024 + 11, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + i / 7);
  std::optional<std::string> binding;
  {
    peer p([&](int fd) {
      serve_tls(fd, id, [&](SSL* ssl) {
        server_binding.resize(32);
        SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(server_binding.data()), 32,
                                   "EXPORTER-Channel-Binding", 24, nullptr, 0, 0);
        // read the client's frame (4-byte length + header), answer with a body
        std::string len, header;
        if (!read_exact(ssl, len, 4)) return;
        std::size_t n = 0;
        for (const char ch : len) n = (n << 8) | static_cast<unsigned char>(ch);
        if (!read_exact(ssl, header, n)) return;
        const std::string reply =
            ferry::proto::encode_frame(json{{"id", 1}, {"status", 200}, {"body", big.size()}});
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_write(ssl, big.data(), static_cast<int>(big.size()));
        std::string rest;
        read_exact(ssl, rest, 1);  // until the client closes
      });
    });
    connection c(p.client_fd());
    const auto started = c.start_tls(tls_settings{"127.0.0.1", std::nullopt}, 5000);
    ASSERT_TRUE(started) << started.error().text;
    EXPECT_EQ(*started, tls_start::established);
    EXPECT_TRUE(c.is_tls());
    EXPECT_FALSE(c.tls_version().empty());
    EXPECT_EQ(c.peer_certificate(), id.der());
    binding = c.channel_binding();
    ASSERT_TRUE(binding);
    EXPECT_EQ(binding->size(), ferry::auth::tls_exporter_bytes);

    ASSERT_TRUE(c.send(json{{"op", "get"}, {"id", 1}}));
    json header;
    std::uint64_t body = 0;
    ASSERT_TRUE(c.receive(header, body));
    EXPECT_EQ(header["status"], 200);
    ASSERT_EQ(body, big.size());
    std::string got;
    std::unique_ptr<char[]> scratch(new char[1 << 20]);
    for (int guard = 0; c.body_remaining() > 0 && guard < 1000; ++guard) {
      const auto chunk = c.body_chunk(scratch.get(), 1 << 20);
      ASSERT_TRUE(chunk) << chunk.error().text;
      got.append(*chunk);
    }
    EXPECT_TRUE(got == big);
  }  // the client closes, then the server thread is joined
  EXPECT_EQ(binding, server_binding);
}

TEST(ClientTlsConnection, ServerThatClosesOnTheClientHelloDoesNotOfferTls) {
  peer p([](int fd) {
    char first = 0;
    (void)!::read(fd, &first, 1);  // 0x16, then hang up with the rest unread
  });
  connection c(p.client_fd());
  const auto started = c.start_tls(tls_settings{"localhost", std::nullopt}, 5000);
  ASSERT_TRUE(started) << started.error().text;
  EXPECT_EQ(*started, tls_start::not_offered);
  EXPECT_FALSE(c.is_open());
}

TEST(ClientTlsConnection, ServerThatAnswersWithAFrameDoesNotOfferTls) {
  peer p([](int fd) {
    char buf[512];
    (void)!::read(fd, buf, sizeof buf);
    const std::string reply = ferry::proto::encode_frame(
        json{{"id", 0}, {"status", 400}, {"error", "bad_request"}, {"message", "bad length"}});
    (void)!::write(fd, reply.data(), reply.size());
  });
  connection c(p.client_fd());
  const auto started = c.start_tls(tls_settings{"localhost", std::nullopt}, 5000);
  ASSERT_TRUE(started) << started.error().text;
  EXPECT_EQ(*started, tls_start::not_offered);
}

TEST(ClientTlsConnection, SilentServerTimesOut) {
  peer p([](int fd) {
    char buf[512];
    (void)!::read(fd, buf, sizeof buf);
    ::usleep(600 * 1000);
  });
  connection c(p.client_fd());
  const auto started = c.start_tls(tls_settings{"localhost", std::nullopt}, 200);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().text, "TLS handshake timed out");
  EXPECT_FALSE(c.is_open());
}

/// Runs a handshake against `id` with the CA file `ca` and the host name `host`.
result<tls_start> handshake_with_ca(const identity& id, const std::string& host,
                                    const std::string& ca) {
  peer p([&](int fd) { serve_tls(fd, id, [](SSL*) {}); });
  connection c(p.client_fd());
  auto r = c.start_tls(tls_settings{host, ca}, 5000);
  c.close();
  return r;
}

TEST(ClientTlsConnection, CaVerifiesTheChainAndTheName) {
  const auto dir = ferry::test::fresh_test_dir("tls");
  std::filesystem::create_directories(dir);
  const identity id("IP:127.0.0.1,DNS:files.example");
  id.write_pem(dir / "ca.pem");
  const identity stranger("IP:127.0.0.1,DNS:files.example");
  stranger.write_pem(dir / "other.pem");
  const std::string ca = (dir / "ca.pem").string();

  auto r = handshake_with_ca(id, "127.0.0.1", ca);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(*r, tls_start::established);
  r = handshake_with_ca(id, "Files.Example", ca);
  EXPECT_TRUE(r) << r.error().text;

  r = handshake_with_ca(id, "other.example", ca);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text, "certificate verify failed: hostname mismatch");
  r = handshake_with_ca(id, "127.0.0.2", ca);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text, "certificate verify failed: IP address mismatch");
  r = handshake_with_ca(id, "127.0.0.1", (dir / "other.pem").string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("certificate verify failed: "), std::string::npos) << r.error().text;

  ferry::test::write(dir / "junk.pem", "not a certificate\n");
  r = handshake_with_ca(id, "127.0.0.1", (dir / "junk.pem").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text.rfind("cannot load CA certificates from " + (dir / "junk.pem").string(), 0),
            0u) << r.error().text;
  std::filesystem::remove_all(dir);
}

TEST(ClientTlsConnection, PlainConnectionHasNoTlsFacts) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  connection c(fds[0]);
  EXPECT_FALSE(c.is_tls());
  EXPECT_EQ(c.peer_certificate(), "");
  EXPECT_FALSE(c.channel_binding());
  EXPECT_EQ(c.tls_version(), "");
  ::close(fds[1]);
}

}  // namespace
