// Self-signed server certificate for `ferryd init`: this machine's names, an
// ECDSA P-256 key and an X.509 v3 certificate built with the OpenSSL 3 API,
// and the two PEM files written so that the key is never readable by others.
#include "server/self_signed.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/fingerprint.hpp"

namespace ferry::server {
namespace fs = std::filesystem;
namespace {

template <auto Free>
struct ossl_free {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, ossl_free<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, ossl_free<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, ossl_free<BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, ossl_free<BN_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, ossl_free<X509_EXTENSION_free>>;
using names_ptr = std::unique_ptr<GENERAL_NAMES, ossl_free<GENERAL_NAMES_free>>;

void free_der(unsigned char* p) { OPENSSL_free(p); }

/// Longest subject CN X.520 allows (ub-common-name).
constexpr std::size_t max_cn_length = 64;
constexpr std::size_t max_dns_length = 253;
constexpr std::size_t serial_bytes = 16;

/// "what: <first queued OpenSSL error>", and the queue cleared.
std::string ssl_error(const std::string& what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  std::array<char, 256> buf{};
  ERR_error_string_n(e, buf.data(), buf.size());
  return what + ": " + buf.data();
}

std::string sys_error(const std::string& what, const fs::path& p) {
  return "cannot " + what + " " + p.string() + ": " + std::strerror(errno);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// Letters, digits, '-', '_' and '.' only: nothing a SAN parser or a log could
/// misread. Underscores are not valid host names but do occur in the wild.
bool valid_dns_name(std::string_view s) {
  if (s.empty() || s.size() > max_dns_length || s.front() == '.' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

/// The numeric form inet_ntop gives, so that equal addresses compare equal.
std::string address_text(const sockaddr* sa) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (::inet_ntop(AF_INET, &in->sin_addr, buf.data(), buf.size())) return buf.data();
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) return {};  // fe80::/10: meaningless without a scope
    if (::inet_ntop(AF_INET6, &in6->sin6_addr, buf.data(), buf.size())) return buf.data();
  }
  return {};
}

std::string build_alt_names(X509* cert, const cert_names& names) {
  names_ptr gens(sk_GENERAL_NAME_new_null());
  if (!gens) return ssl_error("out of memory");
  auto push = [&](int type, ASN1_STRING* value) {
    GENERAL_NAME* g = GENERAL_NAME_new();
    if (!g) {
      ASN1_STRING_free(value);
      return false;
    }
    GENERAL_NAME_set0_value(g, type, value);
    if (sk_GENERAL_NAME_push(gens.get(), g) > 0) return true;
    GENERAL_NAME_free(g);
    return false;
  };
  for (const auto& d : names.dns) {
    // SECURITY: a name is copied into the certificate only if it is a plain host name.
    if (!valid_dns_name(d)) return "invalid host name '" + d + "' for the certificate";
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (!s || !ASN1_STRING_set(s, d.data(), static_cast<int>(d.size())) || !push(GEN_DNS, s))
      return ssl_error("cannot add " + d);
  }
  for (const auto& ip : names.ips) {
    ASN1_OCTET_STRING* o = a2i_IPADDRESS(ip.c_str());
    if (!o) {
      ERR_clear_error();
      return "invalid IP address '" + ip + "' for the certificate";
    }
    if (!push(GEN_IPADD, o)) return ssl_error("cannot add " + ip);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return ssl_error("cannot add subjectAltName");
  return {};
}

std::string add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ssl_error(std::string("cannot add ") + value);
  return {};
}

std::string random_serial(X509* cert) {
  std::array<unsigned char, serial_bytes> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return ssl_error("no random serial");
  raw[0] &= 0x7f;              // positive: no sign bit in the DER INTEGER
  if (raw[0] == 0) raw[0] = 1;  // and a full 16 bytes long
  bn_ptr bn(BN_bin2bn(raw.data(), static_cast<int>(raw.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) return ssl_error("cannot set serial");
  return {};
}

/// The certificate for `key`, self-signed with SHA-256; error text in `error`.
x509_ptr make_cert(EVP_PKEY* key, const cert_names& names, std::string& error) {
  x509_ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    error = ssl_error("cannot create certificate");
    return nullptr;
  }
  std::string cn = names.dns.empty() ? names.ips.front() : names.dns.front();
  cn.resize(std::min(cn.size(), max_cn_length));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(cn.data()),
                                  static_cast<int>(cn.size()), -1, 0) ||
      X509_set_issuer_name(cert.get(), subject) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -cert_backdate_seconds) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), cert_validity_days, 0, nullptr) ||
      X509_set_pubkey(cert.get(), key) != 1) {
    error = ssl_error("cannot fill in the certificate");
    return nullptr;
  }
  error = random_serial(cert.get());
  if (error.empty()) error = build_alt_names(cert.get(), names);
  if (error.empty()) error = add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  if (error.empty()) error = add_ext(cert.get(), NID_key_usage, "critical,digitalSignature");
  if (error.empty()) error = add_ext(cert.get(), NID_ext_key_usage, "serverAuth");
  if (error.empty()) error = add_ext(cert.get(), NID_subject_key_identifier, "hash");
  if (!error.empty()) return nullptr;
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
    error = ssl_error("cannot sign the certificate");
    return nullptr;
  }
  return cert;
}

/// PEM text from `write` into a memory BIO that is wiped when freed (the key).
template <typename Write>
std::string to_pem(Write write, std::string& error) {
  bio_ptr bio(BIO_new(BIO_s_secmem()));
  if (!bio || write(bio.get()) != 1) {
    error = ssl_error("cannot encode PEM");
    return {};
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

/// Writes `data` to a new file created with exactly `mode`.
std::string write_new_file(const fs::path& p, const std::string& data, mode_t mode) {
  // SECURITY: O_EXCL|O_NOFOLLOW: nothing planted at the name (a file, a symlink)
  // is written through, and the file has `mode` from the instant it exists.
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("create", p);
  std::size_t done = 0;
  bool ok = ::fchmod(fd, mode) == 0;  // the umask may have narrowed it; never widens past `mode`
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (ok) return {};
  errno = saved;
  auto e = sys_error("write", p);
  ::unlink(p.c_str());
  return e;
}

/// `dir` as a directory, created 0700 when missing (an existing one is kept).
std::string make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) return sys_error("chmod", dir);
    return {};
  }
  if (errno != EEXIST) return sys_error("create", dir);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return sys_error("stat", dir);
  if (!S_ISDIR(st.st_mode)) return dir.string() + " exists and is not a directory";
  return {};
}

bool exists_no_follow(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 || errno != ENOENT;
}

}  // namespace

std::string fqdn_from_hosts(std::string_view hosts_text, std::string_view host) {
  if (host.empty()) return {};
  const std::string want = lower(host);
  const std::string prefix = want + ".";
  std::istringstream in{std::string(hosts_text)};
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string address, name, fqdn;
    bool names_host = false;
    words >> address;
    while (words >> name) {
      const auto l = lower(name);
      const bool qualified = l.size() > prefix.size() && l.compare(0, prefix.size(), prefix) == 0;
      names_host = names_host || l == want || qualified;
      if (qualified && fqdn.empty()) fqdn = l;
    }
    if (names_host && !fqdn.empty()) return fqdn;
  }
  return {};
}

cert_names local_cert_names() {
  cert_names out;
  std::array<char, HOST_NAME_MAX + 1> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) == 0) {
    const std::string host = lower(buf.data());
    if (valid_dns_name(host)) {
      add_unique(out.dns, host);
      // Only /etc/hosts, never the resolver: init must not wait on the network.
      if (host.find('.') == std::string::npos) {
        std::ifstream hosts("/etc/hosts");
        std::ostringstream text;
        text << hosts.rdbuf();
        if (auto fqdn = fqdn_from_hosts(text.str(), host); valid_dns_name(fqdn)) add_unique(out.dns, fqdn);
      }
    }
  }
  add_unique(out.dns, "localhost");
  out.ips = {"127.0.0.1", "::1"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (const ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      if (auto text = address_text(a->ifa_addr); !text.empty()) add_unique(out.ips, std::move(text));
    }
    ::freeifaddrs(list);
  }
  return out;
}

std::string create_self_signed(const fs::path& dir, const cert_names& names) {
  if (names.dns.empty() && names.ips.empty()) return "no name for the certificate";
  const auto key_file = dir / "key.pem", cert_file = dir / "cert.pem";
  if (auto e = make_dir(dir); !e.empty()) return e;
  const bool have_key = exists_no_follow(key_file), have_cert = exists_no_follow(cert_file);
  if (have_key && have_cert) return {};  // keep the identity users already trust
  if (have_key != have_cert) {
    const auto& present = have_key ? key_file : cert_file;
    const auto& missing = have_key ? cert_file : key_file;
    return present.string() + " exists without " + missing.string() + "; move it away to make a new pair";
  }

  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ssl_error("cannot generate the EC P-256 key");
  std::string error;
  x509_ptr cert = make_cert(key.get(), names, error);
  if (!cert) return error;
  std::string key_pem = to_pem(
      [&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); },
      error);
  if (!error.empty()) return error;
  const std::string cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }, error);
  if (!error.empty()) return error;

  error = write_new_file(key_file, key_pem, 0600);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!error.empty()) return error;
  error = write_new_file(cert_file, cert_pem, 0644);
  if (!error.empty()) {
    ::unlink(key_file.c_str());  // ours: created with O_EXCL above
    return error;
  }
  if (const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);  // the two names survive a crash
    ::close(fd);
  }
  return {};
}

std::string cert_fingerprint_sha256(const fs::path& cert_pem, std::string& error) {
  bio_ptr bio(BIO_new_file(cert_pem.c_str(), "r"));
  if (!bio) {
    error = ssl_error("cannot read " + cert_pem.string());
    return {};
  }
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  unsigned char* der = nullptr;
  const int n = cert ? i2d_X509(cert.get(), &der) : -1;
  if (n <= 0) {
    error = ssl_error("no certificate in " + cert_pem.string());
    return {};
  }
  const std::unique_ptr<unsigned char, ossl_free<free_der>> owned(der);
  std::string fp = auth::cert_fingerprint({reinterpret_cast<const char*>(der), static_cast<std::size_t>(n)});
  constexpr std::string_view prefix = "SHA256:";
  if (fp.compare(0, prefix.size(), prefix) == 0) fp.erase(0, prefix.size());
  return fp;
}

}  // namespace ferry::server
