// tls_limit_bench: the machine's limit for one TLS 1.3 stream over loopback.
//
// A minimal OpenSSL 3 sender/receiver pair: nothing but TCP + TLS between a
// buffer in memory and a buffer in memory, so the speed it measures is what
// the cipher allows on this machine with nothing else in the way ("the TLS
// limit"). ferry's native protocol and its FTPS front-end are compared with it.
//
//   - one 127.0.0.1 TCP connection, TLS 1.3 only, one cipher suite
//     (default TLS_AES_128_GCM_SHA256), 16 KiB records (OpenSSL's default
//     maximum fragment), no compression, no kTLS (user-space crypto);
//   - an in-memory self-signed ECDSA P-256 certificate (generated at start),
//     verified by the receiver against itself;
//   - sender = TLS server: SSL_write of a 1 MiB buffer, N times;
//   - receiver = TLS client, in a child process (as ferry's client and server
//     are two processes) or with --threads a thread: read-ahead on, SSL_read
//     into a 1 MiB buffer, the bytes discarded (or with --to-file DIR written
//     to a file there, which is then removed);
//   - both directions run the same code, so one direction is measured.
// Timed in the receiver from connect() to the last byte read (the handshake,
// a few ms, is inside and also printed alone). Best of --reps runs.
//
// Usage: tls_limit_bench [MIB] [--reps N] [--cipher aes-128-gcm|aes-256-gcm|chacha20]
//                        [--threads] [--to-file DIR]
//   MIB defaults to 1024. Last line (machine-readable, MB/s = 10^6 bytes/s):
//   TLS_LIMIT MBps=... cipher=TLS_AES_128_GCM_SHA256 mib=... runs=A,B,C handshake_ms=... receiver=discard|file
//
// Not a test. Plain POSIX + OpenSSL 3.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t MiB = 1024 * 1024;
constexpr const char* kName = "tls_limit_bench";

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "%s: %s: %s\n", kName, what, std::strerror(errno));
  std::exit(2);
}

[[noreturn]] void die_msg(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", kName, what.c_str());
  std::exit(2);
}

[[noreturn]] void die_ssl(const char* what) {
  std::fprintf(stderr, "%s: %s:", kName, what);
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    std::fprintf(stderr, " %s", buf);
  }
  std::fprintf(stderr, "\n");
  std::exit(2);
}

double now_s() {
  using clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC: same in parent and child
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// ---- identity: self-signed ECDSA P-256, in memory ---------------------------

struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

Identity make_identity() {
  Identity id;
  id.key = EVP_EC_gen("P-256");
  if (id.key == nullptr) die_ssl("EVP_EC_gen(P-256)");
  id.cert = X509_new();
  if (id.cert == nullptr) die_ssl("X509_new");
  X509_set_version(id.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(id.cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(id.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(id.cert), 86400L);
  X509_NAME* name = X509_get_subject_name(id.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tls_limit_bench"), -1, -1, 0);
  X509_set_issuer_name(id.cert, name);
  if (X509_set_pubkey(id.cert, id.key) != 1) die_ssl("X509_set_pubkey");
  if (X509_sign(id.cert, id.key, EVP_sha256()) == 0) die_ssl("X509_sign");
  return id;
}

// ---- contexts ------------------------------------------------------------------

SSL_CTX* make_ctx(bool server, const char* suite, const Identity& id) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) die_ssl("SSL_CTX_new");
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    die_ssl("TLS 1.3 only");
  if (SSL_CTX_set_ciphersuites(ctx, suite) != 1) die_ssl("SSL_CTX_set_ciphersuites");
  if (server) {
    if (SSL_CTX_use_certificate(ctx, id.cert) != 1) die_ssl("SSL_CTX_use_certificate");
    if (SSL_CTX_use_PrivateKey(ctx, id.key) != 1) die_ssl("SSL_CTX_use_PrivateKey");
    if (SSL_CTX_check_private_key(ctx) != 1) die_ssl("SSL_CTX_check_private_key");
  } else {
    // Trust exactly the generated certificate (self-signed leaf as anchor).
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    if (X509_STORE_add_cert(store, id.cert) != 1) die_ssl("X509_STORE_add_cert");
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_read_ahead(ctx, 1);  // receiver: fill the read buffer past one record
  }
  // Nothing else: default 16 KiB max fragment, no compression (TLS 1.3 has none).
  return ctx;
}

// ---- the two ends ----------------------------------------------------------------

struct RxResult {
  std::uint64_t received;
  double t_connect;    // before connect()
  double t_handshake;  // SSL_connect returned
  double t_end;        // last expected byte read
  int ok;
};

// Every blocking socket call gives up after 60 s (a dead peer must not hang
// the benchmark); errors then end the program.
void set_timeouts(int fd) {
  timeval tv{60, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    die("setsockopt timeouts");
}

int make_listener(sockaddr_in& a) {
  int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  a = sockaddr_in{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (::listen(ls, 1) != 0) die("listen");
  socklen_t alen = sizeof a;
  if (::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &alen) != 0) die("getsockname");
  set_timeouts(ls);  // accept() gives up too if the receiver never connects
  return ls;
}

void write_all(int fd, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Receiver: TLS client. Reads `size` bytes into a 1 MiB buffer (discarding or
// writing them to sink_path), then waits for the sender's close_notify.
RxResult receive(SSL_CTX* ctx, const sockaddr_in& a, std::uint64_t size, const std::string& sink_path) {
  RxResult r{0, 0, 0, 0, 0};
  int sink = -1;
  if (!sink_path.empty()) {
    sink = ::open(sink_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sink < 0) die("open sink file");
  }
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  set_timeouts(s);
  r.t_connect = now_s();
  if (::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) die("connect");
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) die_ssl("SSL_new");
  SSL_set_fd(ssl, s);
  if (SSL_connect(ssl) != 1) die_ssl("SSL_connect");
  r.t_handshake = now_s();
  std::vector<unsigned char> buf(MiB);
  while (r.received < size) {
    int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) {
      if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) break;
      die_ssl("SSL_read");
    }
    if (sink >= 0) write_all(sink, buf.data(), static_cast<std::size_t>(n));
    r.received += static_cast<std::uint64_t>(n);
  }
  r.t_end = now_s();
  // The sender's close_notify (and nothing more).
  int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
  r.ok = r.received == size && n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ::close(s);
  if (sink >= 0) ::close(sink);
  return r;
}

// Sender: TLS server. SSL_write of a 1 MiB buffer until `size` bytes are out.
std::uint64_t send_all(SSL_CTX* ctx, int ls, std::uint64_t size, const std::vector<unsigned char>& buf) {
  int s = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
  if (s < 0) die("accept");
  set_timeouts(s);
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) die_ssl("SSL_new");
  SSL_set_fd(ssl, s);
  if (SSL_accept(ssl) != 1) die_ssl("SSL_accept");
  std::uint64_t done = 0;
  while (done < size) {
    std::uint64_t left = size - done;
    int want = static_cast<int>(left < buf.size() ? left : buf.size());
    int n = SSL_write(ssl, buf.data(), want);  // blocking, no partial writes: all or error
    if (n <= 0) die_ssl("SSL_write");
    done += static_cast<std::uint64_t>(n);
  }
  // close_notify, then wait for the receiver's (so nothing is cut by a reset).
  if (SSL_shutdown(ssl) == 0) {
    unsigned char tmp[256];
    while (SSL_read(ssl, tmp, sizeof tmp) > 0) {
    }
  }
  SSL_free(ssl);
  ::close(s);
  return done;
}

bool g_threads = false;

// One transfer; returns the receiver's times.
RxResult run_once(SSL_CTX* sctx, SSL_CTX* cctx, std::uint64_t size, const std::vector<unsigned char>& buf,
                  const std::string& sink_path) {
  sockaddr_in a{};
  int ls = make_listener(a);
  RxResult res{};
  std::thread rx;
  pid_t child = -1;
  int report[2] = {-1, -1};
  if (g_threads) {
    rx = std::thread([&] { res = receive(cctx, a, size, sink_path); });
  } else {
    if (::pipe2(report, O_CLOEXEC) != 0) die("pipe2");
    child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
      ::close(report[0]);
      ::close(ls);
      const RxResult r = receive(cctx, a, size, sink_path);
      const bool ok = ::write(report[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
      ::_exit(ok ? 0 : 3);
    }
    ::close(report[1]);
  }
  std::uint64_t sent = send_all(sctx, ls, size, buf);
  if (g_threads) {
    rx.join();
  } else {
    if (::read(report[0], &res, sizeof res) != static_cast<ssize_t>(sizeof res))
      die_msg("receiver process failed");
    ::close(report[0]);
    int status = 0;
    (void)::waitpid(child, &status, 0);
  }
  ::close(ls);
  if (sent != size || res.received != size || !res.ok)
    die_msg("short or unclean transfer: sent " + std::to_string(sent) + " received " +
            std::to_string(res.received) + " of " + std::to_string(size));
  if (!sink_path.empty()) ::unlink(sink_path.c_str());
  return res;
}

const char* suite_for(const std::string& c) {
  if (c == "aes-128-gcm") return "TLS_AES_128_GCM_SHA256";
  if (c == "aes-256-gcm") return "TLS_AES_256_GCM_SHA384";
  if (c == "chacha20" || c == "chacha20-poly1305") return "TLS_CHACHA20_POLY1305_SHA256";
  return nullptr;
}

constexpr const char* kUsage =
    "usage: tls_limit_bench [MIB] [--reps N] [--cipher aes-128-gcm|aes-256-gcm|chacha20] [--threads] "
    "[--to-file DIR]";

}  // namespace

int main(int argc, char** argv) {
  long mib = 1024;
  int reps = 3;
  std::string cipher = "aes-128-gcm";
  std::string to_dir;
  bool have_mib = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--cipher" && i + 1 < argc) {
      cipher = argv[++i];
    } else if (a == "--to-file" && i + 1 < argc) {
      to_dir = argv[++i];
    } else if (a == "--threads") {
      g_threads = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("%s\n", kUsage);
      return 0;
    } else if (!have_mib && !a.empty() && a[0] != '-') {
      mib = std::atol(a.c_str());
      have_mib = true;
    } else {
      die_msg("unexpected argument: " + a + "\n" + kUsage);
    }
  }
  const char* suite = suite_for(cipher);
  if (suite == nullptr) die_msg("unknown cipher '" + cipher + "' (aes-128-gcm, aes-256-gcm, chacha20)");
  if (mib < 1) die_msg("MIB must be >= 1");
  if (reps < 1) reps = 1;
  const auto size = static_cast<std::uint64_t>(mib) * MiB;
  const std::string sink_path =
      to_dir.empty() ? std::string() : to_dir + "/tls_limit_bench.sink." + std::to_string(::getpid());

  const Identity id = make_identity();
  SSL_CTX* sctx = make_ctx(true, suite, id);
  SSL_CTX* cctx = make_ctx(false, suite, id);

  // The payload: 1 MiB of non-repeating bytes (AES-GCM does not care, but
  // nothing should be able to shortcut zeros).
  std::vector<unsigned char> buf(MiB);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (auto& b : buf) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<unsigned char>(x);
  }

  std::printf("%s: %ld MiB, %s (TLS 1.3, 16 KiB records, ECDSA P-256), loopback 127.0.0.1, "
              "SSL_write 1 MiB -> SSL_read 1 MiB%s, receiver in a %s, %s, best of %d\n",
              kName, mib, suite, " (read-ahead)", g_threads ? "thread" : "child process",
              to_dir.empty() ? "bytes discarded" : ("written to a file in " + to_dir).c_str(), reps);
  std::printf("%s, %s\n", OpenSSL_version(OPENSSL_VERSION), OpenSSL_version(OPENSSL_CPU_INFO));
  std::fflush(stdout);

  double best = 0, best_hs_ms = 0;
  std::string runs;
  for (int r = 0; r < reps; ++r) {
    const RxResult res = run_once(sctx, cctx, size, buf, sink_path);
    const double secs = res.t_end - res.t_connect;
    const double mbps = static_cast<double>(size) / secs / 1e6;
    const double hs_ms = (res.t_handshake - res.t_connect) * 1e3;
    std::printf("run %d: %.0f MB/s (%.3f s, handshake %.2f ms)\n", r + 1, mbps, secs, hs_ms);
    std::fflush(stdout);
    char b[32];
    std::snprintf(b, sizeof b, "%s%.0f", r ? "," : "", mbps);
    runs += b;
    if (mbps > best) {
      best = mbps;
      best_hs_ms = hs_ms;
    }
  }
  std::printf("TLS_LIMIT MBps=%.0f cipher=%s mib=%ld runs=%s handshake_ms=%.2f receiver=%s\n", best, suite, mib,
              runs.c_str(), best_hs_ms, to_dir.empty() ? "discard" : "file");
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  X509_free(id.cert);
  EVP_PKEY_free(id.key);
  return 0;
}
