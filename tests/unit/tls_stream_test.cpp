// byte_stream over real loopback TCP: the server side is a byte_stream in a
// coroutine on an io_context thread (as a session runs it), the client a
// plain blocking OpenSSL client on the test thread. Covers the handshake and
// its version floor, bulk data both ways, the tls-exporter channel binding,
// close_notify vs. a cut connection (the truncation guard), session
// resumption tied to a reuse token, and the plain (no TLS) stream.
#include "session/byte_stream.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "session/use_nothrow.hpp"
#include "test_certs.hpp"
#include "test_files.hpp"

namespace ferry::session {
namespace {
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// ---- certificates -------------------------------------------------------

/// A self-signed EC P-256 pair written as PEM.
void write_pair(const fs::path& cert, const fs::path& key) {
  auto k = test::new_key();
  ASSERT_TRUE(k);
  auto x = test::self_signed(k.get(), "ferry-test");
  ASSERT_TRUE(x);
  test::write(cert, test::cert_pem(x.get()));
  test::write(key, test::key_pem(k.get()));
}

// ---- hashing ------------------------------------------------------------

class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~sha256() { EVP_MD_CTX_free(ctx_); }
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string hash_of(const std::vector<unsigned char>& data) {
  sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> v(n);
  EXPECT_EQ(RAND_bytes(v.data(), static_cast<int>(n)), 1);
  return v;
}

// ---- the blocking client --------------------------------------------------

/// A blocking TCP connection to 127.0.0.1:port whose reads and writes give
/// up after 30 s, so a stuck server fails the test instead of hanging it.
int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = 30;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += buf;
    out += '\n';
  }
  return out;
}

struct tls_client {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;

  /// min/max: the protocol versions the client offers (0 = library default).
  tls_client(unsigned short port, int min_version = 0, int max_version = 0) {
    fd = connect_to(port);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    ctx = SSL_CTX_new(TLS_client_method());
    if (min_version != 0) SSL_CTX_set_min_proto_version(ctx, min_version);
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx, max_version);
    if (max_version != 0 && max_version < TLS1_2_VERSION) {
      // OpenSSL 3 refuses to even offer TLS 1.1 above security level 0.
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
  }
  ~tls_client() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    close_tcp();
  }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  void close_tcp() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  bool connect() {
    ERR_clear_error();
    return SSL_connect(ssl) == 1;
  }

  bool write_all(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    while (n > 0) {
      std::size_t w = 0;
      if (SSL_write_ex(ssl, c, n, &w) != 1) return false;
      c += w;
      n -= w;
    }
    return true;
  }
  bool write_all(const std::string& s) { return write_all(s.data(), s.size()); }

  bool read_exact(void* p, std::size_t n) {
    auto* c = static_cast<unsigned char*>(p);
    while (n > 0) {
      std::size_t r = 0;
      if (SSL_read_ex(ssl, c, n, &r) != 1) return false;
      c += r;
      n -= r;
    }
    return true;
  }
  std::string read_exact(std::size_t n) {
    std::string s(n, '\0');
    return read_exact(s.data(), n) ? s : std::string();
  }

  std::string channel_binding() {
    std::string out(32, '\0');
    const char label[] = "EXPORTER-Channel-Binding";
    EXPECT_EQ(SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), 32,
                                         label, 24, nullptr, 0, 0),
              1);
    return out;
  }
};

// ---- the server loop ----------------------------------------------------

class TlsStream : public ::testing::Test {
 protected:
  // A client write to a connection the server closed fails instead of
  // killing the test binary.
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    dir_ = test::fresh_test_dir("tls_stream");
    fs::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(write_pair(dir_ / "server.crt", dir_ / "server.key"));
    std::string error;
    ctx_ = tls_context::load(dir_ / "server.crt", dir_ / "server.key", error);
    ASSERT_TRUE(ctx_) << error;
    acc_ = std::make_unique<tcp::acceptor>(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port_ = acc_->local_endpoint().port();
    loop_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    work_.reset();
    io_.stop();
    if (loop_.joinable()) loop_.join();
    acc_.reset();
    fs::remove_all(dir_);
  }

  /// Accepts the next connection as a byte_stream and runs `body` on it in
  /// the io_context; the future is ready when `body` has returned. `body`
  /// is copied into the coroutine frame, so what it captures by reference
  /// must outlive the wait on the future.
  template <class Body>
  std::future<void> serve(Body body) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    asio::co_spawn(io_, accept_then(*acc_, std::move(body)), [done](std::exception_ptr e) {
      if (e)
        done->set_exception(e);
      else
        done->set_value();
    });
    return f;
  }

  template <class Body>
  static asio::awaitable<void> accept_then(tcp::acceptor& acc, Body body) {
    auto [ec, sock] = co_await acc.async_accept(use_nothrow);
    if (ec) throw std::system_error(ec);
    byte_stream s(std::move(sock));
    co_await body(s);
  }

  /// Waits (bounded) for the server coroutine; false on a timeout or an exception.
  static bool finished(std::future<void>& f) {
    if (f.wait_for(120s) != std::future_status::ready) {
      ADD_FAILURE() << "the server coroutine did not finish";
      return false;
    }
    try {
      f.get();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the server coroutine threw: " << e.what();
      return false;
    }
    return true;
  }

  /// Serves one TLS connection with token `token`: handshake, one byte
  /// written (so the client reads the TLS 1.3 tickets sent before it), then
  /// the resumption checks against `a` and `b`.
  struct resume_result {
    bool ok = false;
    std::string error;
    bool with_a = false, with_b = false;
    std::string describe;
  };
  std::future<void> serve_resumable(const reuse_token& token, const reuse_token& a,
                                    const reuse_token& b, resume_result& out) {
    return serve([this, &token, &a, &b, &out](byte_stream& s) -> asio::awaitable<void> {
      out.ok = co_await s.handshake(*ctx_, token, out.error);
      if (!out.ok) co_return;
      out.with_a = s.resumed_with(a);
      out.with_b = s.resumed_with(b);
      out.describe = s.describe();
      co_await s.write(asio::buffer("!", 1));
    });
  }

  /// The session a client holds after a full handshake with token `a`
  /// (nullptr on failure); the caller frees it.
  SSL_SESSION* first_connection(const reuse_token& a, const reuse_token& b, int max_version) {
    resume_result r;
    auto f = serve_resumable(a, a, b, r);
    tls_client c(port_, 0, max_version);
    EXPECT_TRUE(c.connect()) << openssl_errors();
    EXPECT_EQ(c.read_exact(1), "!");
    SSL_SESSION* sess = SSL_get1_session(c.ssl);
    // A client freed without close_notify marks its session not resumable.
    SSL_shutdown(c.ssl);
    EXPECT_TRUE(finished(f));
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.with_a) << "a full handshake is not a resumption";
    EXPECT_FALSE(SSL_session_reused(c.ssl));
    EXPECT_NE(sess, nullptr);
    if (sess != nullptr) {
      EXPECT_EQ(SSL_SESSION_is_resumable(sess), 1);
    }
    return sess;
  }

  void resumes_with_the_first_token(int max_version);

  fs::path dir_;
  std::shared_ptr<tls_context> ctx_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<tcp::acceptor> acc_;
  unsigned short port_ = 0;
  std::thread loop_;
};

constexpr std::size_t big = 32u << 20;  // 32 MiB

TEST_F(TlsStream, HandshakeNegotiatesTls12OrLater) {
  bool ok = false, secure = false;
  std::string error, describe;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    secure = s.secure();
    describe = s.describe();
    co_await s.write(asio::buffer("!", 1));
  });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(ok) << error;
  EXPECT_TRUE(secure);
  EXPECT_GE(SSL_version(c.ssl), TLS1_2_VERSION);
  const std::string version = SSL_get_version(c.ssl);
  const std::string cipher = SSL_get_cipher_name(c.ssl);
  EXPECT_EQ(describe.rfind(version + " ", 0), 0u) << describe << " vs " << version;
  EXPECT_NE(describe.find(cipher), std::string::npos) << describe << " vs " << cipher;
  EXPECT_EQ(describe.find("resumed"), std::string::npos) << describe;
}

TEST_F(TlsStream, Tls12ClientIsServedWithTls12) {
  bool ok = false;
  std::string error, describe;
  std::optional<std::string> binding;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    describe = s.describe();
    binding = s.channel_binding();
    co_await s.write(asio::buffer("!", 1));
  });
  tls_client c(port_, 0, TLS1_2_VERSION);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(SSL_version(c.ssl), TLS1_2_VERSION);
  EXPECT_EQ(describe.rfind("TLSv1.2 ", 0), 0u) << describe;
  EXPECT_TRUE(describe.find("GCM") != std::string::npos ||
              describe.find("CHACHA20") != std::string::npos)
      << "an AEAD suite: " << describe;
  ASSERT_TRUE(binding.has_value());
  EXPECT_EQ(*binding, c.channel_binding());
}

TEST_F(TlsStream, BulkDataBothWaysArrivesIntact) {
  const auto up = random_bytes(big);
  const auto down = random_bytes(big);
  bool ok = false;
  std::string error, up_hash;
  std::size_t up_bytes = 0, down_written = 0;
  std::error_code read_ec, write_ec;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    if (!ok) co_return;
    std::vector<char> buf(256 * 1024);
    sha256 h;
    while (up_bytes < big) {
      auto [ec, n] = co_await s.read_some(asio::buffer(buf));
      if (ec) {
        read_ec = ec;
        break;
      }
      h.update(buf.data(), n);
      up_bytes += n;
    }
    up_hash = h.hex();
    auto [ec, n] = co_await s.write(asio::buffer(down));
    write_ec = ec;
    down_written = n;
  });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_TRUE(c.write_all(up.data(), up.size())) << openssl_errors();
  std::vector<unsigned char> got(big);
  EXPECT_TRUE(c.read_exact(got.data(), got.size())) << openssl_errors();
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(ok) << error;
  EXPECT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(up_bytes, big);
  EXPECT_EQ(up_hash, hash_of(up)) << "client to server";
  EXPECT_FALSE(write_ec) << write_ec.message();
  EXPECT_EQ(down_written, big);
  EXPECT_EQ(hash_of(got), hash_of(down)) << "server to client";
}

TEST_F(TlsStream, ChannelBindingMatchesTheClientsExporter) {
  bool ok = false;
  std::string error;
  std::optional<std::string> binding;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    binding = s.channel_binding();
    co_await s.write(asio::buffer("!", 1));
  });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(ok) << error;
  ASSERT_TRUE(binding.has_value());
  EXPECT_EQ(binding->size(), 32u);
  EXPECT_EQ(*binding, c.channel_binding());
  EXPECT_NE(*binding, std::string(32, '\0'));
}

/// The server writes one byte, then reads until an error; what it read and
/// the error that ended it.
struct read_to_end {
  bool ok = false;
  std::string error, data;
  std::error_code end, again;
};

asio::awaitable<void> read_until_error(byte_stream& s, const tls_context& ctx, read_to_end& out) {
  out.ok = co_await s.handshake(ctx, tls_context::make_token(), out.error);
  if (!out.ok) co_return;
  co_await s.write(asio::buffer("!", 1));
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    auto [ec, n] = co_await s.read_some(asio::buffer(buf));
    if (ec) {
      out.end = ec;
      auto [ec2, n2] = co_await s.read_some(asio::buffer(buf));
      out.again = ec2;
      co_return;
    }
    out.data.append(buf, n);
  }
}

TEST_F(TlsStream, CloseNotifyIsEof) {
  read_to_end r;
  auto f = serve([&](byte_stream& s) { return read_until_error(s, *ctx_, r); });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  EXPECT_TRUE(c.write_all("bye"));
  EXPECT_GE(SSL_shutdown(c.ssl), 0) << "close_notify sent";
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.data, "bye");
  EXPECT_EQ(r.end, asio::error::eof) << r.end.message();
  EXPECT_EQ(r.again, asio::error::eof) << "EOF is sticky: " << r.again.message();
}

TEST_F(TlsStream, CutWithoutCloseNotifyIsNotEof) {
  read_to_end r;
  auto f = serve([&](byte_stream& s) { return read_until_error(s, *ctx_, r); });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");  // drains the tickets too: the FIN below is a clean FIN
  EXPECT_TRUE(c.write_all("partial"));
  ASSERT_EQ(::shutdown(c.fd, SHUT_WR), 0);  // TCP FIN, no close_notify
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.data, "partial");
  EXPECT_EQ(r.end, std::make_error_code(std::errc::connection_aborted)) << r.end.message();
  EXPECT_NE(r.end, asio::error::eof);
  EXPECT_TRUE(r.again) << "still an error on the next read";
  EXPECT_NE(r.again, asio::error::eof) << r.again.message();
}

TEST_F(TlsStream, ResetWithoutCloseNotifyIsNotEof) {
  read_to_end r;
  auto f = serve([&](byte_stream& s) { return read_until_error(s, *ctx_, r); });
  tls_client c(port_);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  const linger lg{1, 0};
  ASSERT_EQ(::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  c.close_tcp();  // TCP RST
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.end) << "an error";
  EXPECT_NE(r.end, asio::error::eof) << r.end.message();
}

TEST_F(TlsStream, Tls11ClientIsRefused) {
  bool ok = true;
  std::string error;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
  });
  tls_client c(port_, TLS1_1_VERSION, TLS1_1_VERSION);
  EXPECT_FALSE(c.connect());
  // The refusal came from the server (an alert), not from the client
  // failing to offer TLS 1.1 at all.
  const unsigned long e = ERR_peek_last_error();
  EXPECT_EQ(ERR_GET_REASON(e), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION) << openssl_errors();
  ASSERT_TRUE(finished(f));
  EXPECT_FALSE(ok);
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find("protocol"), std::string::npos) << error;
}

TEST_F(TlsStream, HandshakeFailsOnGarbageAndOnAnEarlyClose) {
  {
    bool ok = true;
    std::string error;
    auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
      ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    });
    const int fd = connect_to(port_);
    ASSERT_GE(fd, 0);
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    EXPECT_EQ(::send(fd, req, sizeof req - 1, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof req - 1));
    EXPECT_TRUE(finished(f));
    ::close(fd);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(error.empty());
  }
  {
    bool ok = true;
    std::string error;
    auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
      ok = co_await s.handshake(*ctx_, tls_context::make_token(), error);
    });
    const int fd = connect_to(port_);
    ASSERT_GE(fd, 0);
    ::close(fd);
    EXPECT_TRUE(finished(f));
    EXPECT_FALSE(ok);
    EXPECT_FALSE(error.empty());
  }
}

void TlsStream::resumes_with_the_first_token(int max_version) {
  const auto a = tls_context::make_token();
  const auto b = tls_context::make_token();
  SSL_SESSION* sess = first_connection(a, b, max_version);
  ASSERT_NE(sess, nullptr);

  resume_result r;
  auto f = serve_resumable(a, a, b, r);
  tls_client c(port_, 0, max_version);
  ASSERT_EQ(SSL_set_session(c.ssl, sess), 1);
  SSL_SESSION_free(sess);
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(SSL_session_reused(c.ssl), 1) << "the client resumed";
  EXPECT_TRUE(r.with_a) << "the ticket carries the first connection's token";
  EXPECT_FALSE(r.with_b);
  EXPECT_NE(r.describe.find("resumed"), std::string::npos) << r.describe;
}

TEST_F(TlsStream, ResumedSessionCarriesItsToken) { resumes_with_the_first_token(0); }

TEST_F(TlsStream, ResumedSessionCarriesItsTokenOverTls12) {
  resumes_with_the_first_token(TLS1_2_VERSION);
}

// An FTP data connection handshakes with its control connection's token and
// then checks resumed_with(that token): a ticket issued on another control
// connection must not pass, even though the data connection is tagged with
// the checking token.
TEST_F(TlsStream, ResumingAnotherConnectionsTicketDoesNotMatchTheNewToken) {
  for (const int max_version : {0, TLS1_2_VERSION}) {
    SCOPED_TRACE(max_version == 0 ? "TLS 1.3" : "TLS 1.2");
    const auto a = tls_context::make_token();
    const auto b = tls_context::make_token();
    SSL_SESSION* sess = first_connection(a, b, max_version);
    ASSERT_NE(sess, nullptr);

    resume_result r;
    auto f = serve_resumable(b, a, b, r);  // this connection is tagged b
    tls_client c(port_, 0, max_version);
    ASSERT_EQ(SSL_set_session(c.ssl, sess), 1);
    SSL_SESSION_free(sess);
    ASSERT_TRUE(c.connect()) << openssl_errors();
    EXPECT_EQ(c.read_exact(1), "!");
    ASSERT_TRUE(finished(f));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(SSL_session_reused(c.ssl), 1) << "the client resumed";
    EXPECT_FALSE(r.with_b) << "the ticket was issued under token a";
    EXPECT_TRUE(r.with_a);
  }
}

TEST_F(TlsStream, FullHandshakeIsNotResumedWithAnyToken) {
  const auto a = tls_context::make_token();
  const auto b = tls_context::make_token();
  SSL_SESSION* sess = first_connection(a, b, 0);
  ASSERT_NE(sess, nullptr);
  SSL_SESSION_free(sess);

  resume_result r;
  auto f = serve_resumable(a, a, b, r);
  tls_client c(port_);  // no session offered
  ASSERT_TRUE(c.connect()) << openssl_errors();
  EXPECT_EQ(c.read_exact(1), "!");
  ASSERT_TRUE(finished(f));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.with_a);
  EXPECT_FALSE(r.with_b);
  EXPECT_EQ(r.describe.find("resumed"), std::string::npos) << r.describe;
}

TEST_F(TlsStream, PlainStreamReadsAndWrites) {
  std::string got;
  bool secure = true;
  std::optional<std::string> binding = "x";
  std::string describe = "x";
  std::size_t buffered = 1;
  bool resumed = true;
  std::error_code read_ec, write_ec, end_ec;
  auto f = serve([&](byte_stream& s) -> asio::awaitable<void> {
    secure = s.secure();
    binding = s.channel_binding();
    describe = s.describe();
    buffered = s.buffered();
    resumed = s.resumed_with(reuse_token{});
    char buf[64];
    while (got.size() < 4) {
      auto [ec, n] = co_await s.read_some(asio::buffer(buf));
      if (ec) {
        read_ec = ec;
        co_return;
      }
      got.append(buf, n);
    }
    auto [wec, wn] = co_await s.write(asio::buffer("pong", 4));
    write_ec = wec;
    auto [eec, en] = co_await s.read_some(asio::buffer(buf));
    end_ec = eec;
  });
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::send(fd, "ping", 4, MSG_NOSIGNAL), 4);
  char reply[4] = {};
  std::size_t have = 0;
  while (have < 4) {
    const ssize_t n = ::recv(fd, reply + have, 4 - have, 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  const bool done = finished(f);
  ::close(fd);
  ASSERT_TRUE(done);
  EXPECT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(got, "ping");
  EXPECT_FALSE(write_ec) << write_ec.message();
  EXPECT_EQ(std::string(reply, have), "pong");
  EXPECT_EQ(end_ec, asio::error::eof) << "a FIN is EOF on a plain stream: " << end_ec.message();
  EXPECT_FALSE(secure);
  EXPECT_EQ(binding, std::nullopt);
  EXPECT_EQ(describe, "");
  EXPECT_EQ(buffered, 0u);
  EXPECT_FALSE(resumed);
}

}  // namespace
}  // namespace ferry::session
