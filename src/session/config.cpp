// ferryd.toml parsing.
#include "session/config.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>
#include <system_error>
#include <type_traits>

#include <toml++/toml.h>

#include "proto/units.hpp"
#include "session/send_method.hpp"

namespace ferry::session {

std::optional<endpoint_spec> parse_endpoint(const std::string& text) {
  endpoint_spec ep;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    ep.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    ep.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (ep.host.empty()) ep.host = "0.0.0.0";
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const unsigned long p = std::stoul(port);
  if (p > 65535) return std::nullopt;
  ep.port = static_cast<std::uint16_t>(p);
  return ep;
}

namespace {

constexpr std::int64_t ten_years = 10LL * 365 * 24 * 3600;

/// "FILE: KEY = VALUE is out of range: an integer from MIN to MAX".
std::string out_of_range(const std::filesystem::path& file, std::string_view key, const toml::node& value,
                         std::int64_t min, std::int64_t max) {
  std::ostringstream v;
  value.visit([&](const auto& n) {
    if constexpr (toml::is_table<decltype(n)>) v << "a table";
    else if constexpr (toml::is_array<decltype(n)>) v << "an array";
    else v << n;
  });
  return file.string() + ": " + std::string(key) + " = " + v.str() + " is out of range: it must be an integer from " +
         std::to_string(min) + " to " + std::to_string(max);
}

/// The [ftp] table.
bool load_ftp(const toml::table& doc, const std::filesystem::path& file, ftp_config& ftp,
              std::string& error) {
  const auto* t = doc["ftp"].as_table();
  if (t == nullptr) {
    if (doc.contains("ftp")) {
      error = file.string() + ": ftp must be a table ([ftp])";
      return false;
    }
    return true;
  }
  auto bad = [&](const char* what) {
    error = file.string() + ": ftp." + what;
    return false;
  };
  if (auto v = (*t)["listen"]; v) {
    auto s = v.value_exact<std::string>();
    auto ep = s ? parse_endpoint(*s) : std::nullopt;
    if (!ep) return bad("listen must be \"HOST:PORT\"");
    ftp.listen = *ep;
  }
  if (auto v = (*t)["pasv_ports"]; v) {
    auto s = v.value_exact<std::string>();
    unsigned lo = 0, hi = 0;
    char dash = 0;
    if (!s || std::sscanf(s->c_str(), "%u%c%u", &lo, &dash, &hi) != 3 || dash != '-' || lo == 0 ||
        hi > 65535 || lo > hi)
      return bad("pasv_ports must be \"LOW-HIGH\", e.g. \"50000-50100\"");
    ftp.pasv_min = static_cast<std::uint16_t>(lo);
    ftp.pasv_max = static_cast<std::uint16_t>(hi);
  }
  if (auto v = (*t)["implicit_listen"]; v) {
    auto s = v.value_exact<std::string>();
    auto ep = s ? parse_endpoint(*s) : std::nullopt;
    if (!ep) return bad("implicit_listen must be \"HOST:PORT\"");
    ftp.implicit_listen = *ep;
  }
  if (auto v = (*t)["require_tls"]; v) {
    auto b = v.value_exact<bool>();
    if (!b) return bad("require_tls must be true or false");
    ftp.require_tls = *b;
  }
  for (auto [key, field] : {std::pair{"active", &ftp.active}, std::pair{"allow_plaintext", &ftp.allow_plaintext},
                            std::pair{"require_tls_session_reuse", &ftp.require_tls_session_reuse}}) {
    if (auto v = (*t)[key]; v) {
      auto b = v.value_exact<bool>();
      if (!b) return bad((std::string(key) + " must be true or false").c_str());
      *field = *b;
    }
  }
  if (auto v = (*t)["encoding"]; v) {
    auto s = v.value_exact<std::string>();
    if (!s || s->empty()) return bad("encoding must be a name such as \"utf-8\" or \"gbk\"");
    ftp.encoding = *s;
  }
  if (auto v = (*t)["data_timeout"]; v) {
    auto i = v.value_exact<std::int64_t>();
    if (!i || *i <= 0 || *i > ten_years) {
      error = out_of_range(file, "ftp.data_timeout", *v.node(), 1, ten_years);
      return false;
    }
    ftp.data_timeout = std::chrono::seconds(*i);
  }
  return true;
}

/// The [tls] table.
bool load_tls(const toml::table& doc, const std::filesystem::path& file, tls_config& tls,
              std::string& error) {
  const auto* t = doc["tls"].as_table();
  if (t == nullptr) {
    if (doc.contains("tls")) {
      error = file.string() + ": tls must be a table ([tls])";
      return false;
    }
    return true;
  }
  auto bad = [&](const char* what) {
    error = file.string() + ": tls." + what;
    return false;
  };
  for (auto [key, field] : {std::pair{"cert", &tls.cert}, std::pair{"key", &tls.key}}) {
    if (auto v = (*t)[key]; v) {
      auto s = v.value_exact<std::string>();
      if (!s || s->empty()) return bad((std::string(key) + " must be a file path").c_str());
      *field = *s;
    }
  }
  if (auto v = (*t)["required"]; v) {
    auto b = v.value_exact<bool>();
    if (!b) return bad("required must be true or false");
    tls.required = *b;
  }
  return true;
}

/// The [exec] table.
bool load_exec(const toml::table& doc, const std::filesystem::path& file, exec_config& ex,
               std::string& error) {
  const auto* t = doc["exec"].as_table();
  if (t == nullptr) {
    if (doc.contains("exec")) {
      error = file.string() + ": exec must be a table ([exec])";
      return false;
    }
    return true;
  }
  auto bad = [&](const std::string& what) {
    error = file.string() + ": exec." + what;
    return false;
  };
  for (auto [key, field] : {std::pair{"allow_unconfined", &ex.allow_unconfined},
                            std::pair{"allow_network", &ex.allow_network}}) {
    if (auto v = (*t)[key]; v) {
      auto b = v.value_exact<bool>();
      if (!b) return bad(std::string(key) + " must be true or false");
      *field = *b;
    }
  }
  // Counts: positive integers (a limit of 0 would refuse every command).
  auto count = [&](const char* key, std::int64_t max, auto&& set) {
    auto v = (*t)[key];
    if (!v) return true;
    auto i = v.value_exact<std::int64_t>();
    if (!i || *i < 1 || *i > max) {
      error = out_of_range(file, "exec." + std::string(key), *v.node(), 1, max);
      return false;
    }
    set(*i);
    return true;
  };
  if (!count("timeout", ten_years, [&](std::int64_t i) { ex.timeout = std::chrono::seconds(i); }) ||
      !count("cpu_seconds", ten_years, [&](std::int64_t i) { ex.cpu_seconds = static_cast<std::uint64_t>(i); }) ||
      !count("max_processes", 1 << 20, [&](std::int64_t i) { ex.max_processes = static_cast<std::uint64_t>(i); }) ||
      !count("max_running", 1 << 16, [&](std::int64_t i) { ex.max_running = static_cast<unsigned>(i); }) ||
      !count("max_per_user", 1 << 16, [&](std::int64_t i) { ex.max_per_user = static_cast<unsigned>(i); }))
    return false;
  for (auto [key, field] : {std::pair{"max_output", &ex.max_output}, std::pair{"max_memory", &ex.max_memory}}) {
    if (auto v = (*t)[key]; v) {
      auto s = v.value_exact<std::string>();
      auto n = s ? parse_size(*s) : std::nullopt;
      if (!n || *n == 0) return bad(std::string(key) + " must be a size such as \"16MiB\"");
      *field = *n;
    }
  }
  return true;
}

}  // namespace

bool config::load(const std::filesystem::path& file, bool required, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (!required) return true;
    error = "config file not found: " + file.string();
    return false;
  }
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    error = file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
            std::string(e.description());
    return false;
  }
  // Every value is honoured as written or refused with the setting, the
  // value and the range (issue 13): nothing is clamped or adjusted quietly.
  for (auto&& [key, node] : t)
    if (!node.is_table()) set_in_file.emplace_back(key.str());
  // Integers only (value_exact: `true` is not 1), within [min, max]: the
  // field's range (no wrapping), timeouts below ten years (a deadline must
  // not overflow), and what the setting can mean (an idle timeout of 0 would
  // close every session at once).
  auto in_range = [&](const char* key, auto& field, std::int64_t min, std::int64_t max) -> bool {
    using field_type = std::remove_reference_t<decltype(field)>;
    if (auto v = t[key]; v) {
      auto i = v.value_exact<std::int64_t>();
      if (!i || *i < min || *i > max) {
        error = out_of_range(file, key, *v.node(), min, max);
        return false;
      }
      field = static_cast<field_type>(*i);
    }
    return true;
  };
  auto positive = [&](const char* key, auto& field) -> bool {
    using field_type = std::remove_reference_t<decltype(field)>;
    constexpr std::int64_t max =
        std::is_same_v<field_type, std::int64_t>
            ? ten_years
            : static_cast<std::int64_t>(std::min<std::uint64_t>(std::numeric_limits<field_type>::max(),
                                                                std::numeric_limits<std::int64_t>::max()));
    return in_range(key, field, 0, max);
  };
  if (auto v = t["listen"]; v) {
    auto s = v.value_exact<std::string>();
    auto ep = s ? parse_endpoint(*s) : std::nullopt;
    if (!ep) {
      error = file.string() + ": listen must be \"HOST:PORT\"";
      return false;
    }
    listen = *ep;
  }
  std::int64_t idle = idle_timeout.count(), login = login_timeout.count();
  // drain_timeout's old name stays accepted; both at once is ambiguous.
  if (t.contains("drain_timeout") && t.contains("shutdown_timeout")) {
    error = file.string() + ": drain_timeout and shutdown_timeout (its old name) are both set; keep drain_timeout";
    return false;
  }
  std::int64_t drain = drain_timeout.count();
  if (!in_range("threads", threads, 0, max_event_loops) || !in_range("fs_workers", fs_workers, 0, max_fs_workers) ||
      !in_range("idle_timeout", idle, 1, ten_years) || !positive("drain_timeout", drain) ||
      !positive("shutdown_timeout", drain) || !in_range("login_timeout", login, 1, ten_years) ||
      !positive("max_sessions", max_sessions) || !positive("max_sessions_per_ip", max_sessions_per_ip) ||
      !positive("max_pending_logins", max_pending_logins) ||
      !positive("max_pending_logins_per_ip", max_pending_logins_per_ip) ||
      !in_range("max_auth_attempts", max_auth_attempts, 1, 1000) ||
      !positive("ban_after", ban_after) || !positive("ban_seconds", ban_seconds) ||
      !positive("max_uploads_per_session", max_uploads_per_session) ||
      !positive("max_uploads_per_user", max_uploads_per_user) ||
      !positive("max_open_uploads", max_open_uploads) || !positive("max_files", max_files))
    return false;
  if (auto v = t["rate"]; v) {
    auto s = v.value_exact<std::string>();
    auto r = s ? (s->empty() ? std::optional<std::uint64_t>(0) : parse_rate(*s)) : std::nullopt;
    if (!r) {
      error = file.string() + ": rate must be like \"100MiB/s\" (\"\" = unlimited)";
      return false;
    }
    rate = *r;
  }
  if (auto v = t["download_method"]; v) {
    auto s = v.value_exact<std::string>();
    if (!s || (*s != "auto" && !parse_send_method(*s))) {
      error = file.string() + ": download_method must be \"auto\", \"copy\", \"sendfile\" or \"splice\"";
      return false;
    }
    download_method = *s;
  }
  if (auto v = t["metrics_listen"]; v) {
    auto s = v.value_exact<std::string>();
    auto ep = s ? (s->empty() ? std::optional<endpoint_spec>() : parse_endpoint(*s)) : std::nullopt;
    if (!s || (!s->empty() && !ep)) {
      error = file.string() + ": metrics_listen must be \"HOST:PORT\" (\"\" = off)";
      return false;
    }
    metrics_listen = ep;
  }
  if (auto v = t["udp_status"]; v) {
    auto b = v.value_exact<bool>();
    if (!b) {
      error = file.string() + ": udp_status must be true or false";
      return false;
    }
    udp_status = *b;
  }
  if (auto v = t["log_format"]; v) {
    auto s = v.value_exact<std::string>();
    if (!s || (*s != "text" && *s != "json")) {
      error = file.string() + ": log_format must be \"text\" or \"json\"";
      return false;
    }
    log_format = *s;
  }
  if (auto v = t["log_level"]; v) {
    auto s = v.value_exact<std::string>();
    if (!s || (*s != "debug" && *s != "info" && *s != "warn" && *s != "error")) {
      error = file.string() + ": log_level must be \"debug\", \"info\", \"warn\" or \"error\"";
      return false;
    }
    log_level = *s;
  }
  if (auto v = t["user"]; v) {
    auto s = v.value_exact<std::string>();
    if (!s) {
      error = file.string() + ": user must be a string (an account name)";
      return false;
    }
    user = *s;
  }
  if (!load_ftp(t, file, ftp, error) || !load_tls(t, file, tls, error) || !load_exec(t, file, exec, error))
    return false;
  idle_timeout = std::chrono::seconds(idle);
  login_timeout = std::chrono::seconds(login);
  drain_timeout = std::chrono::seconds(drain);
  return true;
}

std::string default_config_text() {
  return R"(# ferryd settings. Every value shown is the built-in default unless its comment
# says "default:" or "off unless"; uncomment to change.
# Command-line flags (--listen, --threads) override this file. A value out of
# range is refused (ferryd does not start; a reload keeps the running values),
# never adjusted.

# listen = "127.0.0.1:9021"
# threads = 0                 # event loops; 0 = one per CPU core; at most 1024
# fs_workers = 0              # threads for filesystem calls that can block; 0 = 16; at most 1024
# idle_timeout = 300          # seconds without a request before a session is closed (at least 1)
# login_timeout = 30          # seconds to complete hello + authentication (at least 1)
# drain_timeout = 30          # SIGTERM / ctl drain: seconds running transfers get to finish
#                             # (shutdown_timeout, its old name, is still accepted)
# max_sessions = 1024         # whole server; more than the descriptor limit allows is refused
# max_sessions_per_ip = 128
# max_pending_logins = 256    # connections not logged in yet: their own pool, so a
# max_pending_logins_per_ip = 32  # flood that never logs in cannot lock users out
# max_auth_attempts = 3       # failed logins before the connection is closed (1 to 1000)
# ban_after = 30              # failed logins from one address that ban it; 0 = never
# ban_seconds = 900           # how long a ban lasts
# max_uploads_per_session = 16  # uploads open at once (each holds a file descriptor)
# max_uploads_per_user = 64
# max_open_uploads = 0        # whole server; 0 = a third of the descriptor limit
# rate = ""                   # bandwidth cap for the whole server, e.g. "500MiB/s"; "" = none
# max_files = 1000000         # names (files, dirs, links) per home, unless the account sets its own; 0 = none
# download_method = "auto"    # "auto" = the fastest here, measured at start; or "copy" (pread+send), "sendfile", "splice"
# metrics_listen = "127.0.0.1:9100"  # Prometheus GET /metrics; off unless set
# udp_status = true           # answer `ferry ping` (UDP, same address and port as listen)
# log_level = "info"          # the server's own log (stderr): "debug", "info" (3 lines per session), "warn", "error"
# log_format = "text"         # ROOT/log/ferryd.log (logins, sessions, file changes): "text" or "json"
# user = ""                  # started as root: serve as this account; "" = the owner of the root

# [tls]                       # TLS for both protocols (ferryd init creates the pair)
# cert = "tls/cert.pem"       # PEM certificate chain; relative to the root
# key = "tls/key.pem"         # PEM private key (mode 0600); SIGHUP re-reads both files
#                             # (a change of these paths needs a restart)
# required = true             # refuse plain native sessions; default: true off loopback

# [ftp]                       # the FTP front-end (RFC 959), off unless listen is set
# listen = "127.0.0.1:2121"
# pasv_ports = "50000-50100"  # passive data ports; default: any free port
# active = false              # allow PORT/EPRT (only to the client's own address)
# allow_plaintext = false     # accept PASS on non-loopback listeners without TLS
# require_tls = true          # USER/PASS only after AUTH TLS; default: true off loopback when TLS is on
# require_tls_session_reuse = false  # data connections must resume the control's TLS session
#                             # (curl, lftp, FileZilla do; Python's ftplib does not)
# implicit_listen = "127.0.0.1:9990"  # implicit FTPS (TLS from the first byte); off unless set
# encoding = "utf-8"          # file names for legacy clients, e.g. "gbk"
# data_timeout = 30           # seconds to wait for a data connection

# [exec]                      # remote commands, for accounts with exec = true
# timeout = 60                # seconds of wall clock; then SIGTERM, and SIGKILL 2 s later
# max_output = "16MiB"        # stdout + stderr sent back; past it the command is killed
# cpu_seconds = 60            # CPU time (RLIMIT_CPU)
# max_processes = 64          # RLIMIT_NPROC; counts every task of the service user, ferryd's too
# max_memory = "1GiB"         # address space per process (RLIMIT_AS)
# max_running = 8             # commands at once, whole server
# max_per_user = 2            # commands at once, per user
# allow_network = false       # let commands open TCP/UDP sockets (never Unix ones)
# allow_unconfined = false    # run commands where the kernel lacks Landlock ABI 6 (unsafe)
)";
}

}  // namespace ferry::session
