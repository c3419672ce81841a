// load_options: a table of flags, each with the function that stores it.
#include "load/load_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <string_view>

#include "proto/units.hpp"

namespace ferry::load {
namespace {

constexpr std::string_view default_mix = "get=50,put=20,ls=20,rm=10";
constexpr std::uint32_t max_sessions = 1000000;
constexpr std::uint32_t max_threads = 64;

template <typename T>
bool parse_uint(std::string_view text, T& out, T lo, T hi) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < lo || v > hi) {
    return false;
  }
  out = v;
  return true;
}

bool parse_seconds(std::string_view text, double& out) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v) ||
      v < 0 || v > 1e7) {
    return false;
  }
  out = v;
  return true;
}

// One flag: its name, whether it takes a value, and how it is stored; the
// function returns the error sentence, empty on success.
struct flag {
  std::string_view name;
  bool takes_value;
  std::function<std::string(load_options&, std::string_view)> apply;
};

std::string bad(std::string_view name, std::string_view what) {
  return "--" + std::string(name) + " must be " + std::string(what);
}

const std::vector<flag>& flags() {
  static const std::vector<flag> table = {
      {"host", true, [](load_options& o, std::string_view v) { o.host = v; return std::string(); }},
      {"port", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint16_t>(v, o.port, 1, 65535) ? "" : bad("port", "a port 1..65535");
       }},
      {"user", true, [](load_options& o, std::string_view v) { o.user = v; return std::string(); }},
      {"users", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint32_t>(v, o.users, 1, 100000) ? "" : bad("users", "an integer 1..100000");
       }},
      {"password-env", true,
       [](load_options& o, std::string_view v) { o.password_env = v; return std::string(); }},
      {"sessions", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint32_t>(v, o.sessions, 1, max_sessions) ? ""
                                                                           : bad("sessions", "an integer 1..1000000");
       }},
      {"threads", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint32_t>(v, o.threads, 1, max_threads) ? "" : bad("threads", "an integer 1..64");
       }},
      {"duration", true,
       [](load_options& o, std::string_view v) {
         return parse_seconds(v, o.duration_s) ? "" : bad("duration", "seconds (0..1e7)");
       }},
      {"ops", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint64_t>(v, o.ops, 1, UINT64_MAX) ? "" : bad("ops", "an integer above 0");
       }},
      {"ops-per-session", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint64_t>(v, o.ops_per_session, 1, UINT64_MAX)
                    ? ""
                    : bad("ops-per-session", "an integer above 0");
       }},
      {"mix", true,
       [](load_options& o, std::string_view v) {
         std::string err;
         auto m = op_mix::parse(v, err);
         if (m) o.mix = *m;
         return err;
       }},
      {"size", true,
       [](load_options& o, std::string_view v) {
         const auto s = parse_size(v);
         if (!s || *s > (std::uint64_t{1} << 34)) return bad("size", "a size such as 64KiB or 16MiB (at most 16 GiB)");
         o.file_size = *s;
         return std::string();
       }},
      {"get-path", true, [](load_options& o, std::string_view v) { o.get_path = v; return std::string(); }},
      {"ls-path", true, [](load_options& o, std::string_view v) { o.ls_path = v; return std::string(); }},
      {"work-dir", true,
       [](load_options& o, std::string_view v) {
         if (!v.starts_with("/") || v.size() < 2) return bad("work-dir", "an absolute path other than /");
         o.work_dir = v;
         return std::string();
       }},
      {"server-pid", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<int>(v, o.server_pid, 1, 1 << 30) ? "" : bad("server-pid", "a process id");
       }},
      {"tls", true,
       [](load_options& o, std::string_view v) {
         if (v == "auto") o.tls = tls_choice::automatic;
         else if (v == "on") o.tls = tls_choice::on;
         else if (v == "off") o.tls = tls_choice::off;
         else return bad("tls", "auto, on or off");
         return std::string();
       }},
      {"source-ips", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint32_t>(v, o.source_ips, 0, 254) ? "" : bad("source-ips", "an integer 0..254");
       }},
      {"login-concurrency", true,
       [](load_options& o, std::string_view v) {
         return parse_uint<std::uint32_t>(v, o.login_concurrency, 1, max_sessions)
                    ? ""
                    : bad("login-concurrency", "an integer 1..1000000");
       }},
      {"idle", true,
       [](load_options& o, std::string_view v) {
         o.mode = load_mode::idle;
         return parse_uint<std::uint32_t>(v, o.sessions, 1, max_sessions) ? "" : bad("idle", "an integer 1..1000000");
       }},
      {"hold", true,
       [](load_options& o, std::string_view v) { return parse_seconds(v, o.hold_s) ? "" : bad("hold", "seconds"); }},
      {"settle", true,
       [](load_options& o, std::string_view v) { return parse_seconds(v, o.settle_s) ? "" : bad("settle", "seconds"); }},
      {"think-ms", true,
       [](load_options& o, std::string_view v) {
         return parse_seconds(v, o.think_ms) ? "" : bad("think-ms", "milliseconds");
       }},
      {"timeout", true,
       [](load_options& o, std::string_view v) { return parse_seconds(v, o.timeout_s) ? "" : bad("timeout", "seconds"); }},
      {"logins-only", false,
       [](load_options& o, std::string_view) { o.mode = load_mode::logins_only; return std::string(); }},
      {"verify", false, [](load_options& o, std::string_view) { o.verify = true; return std::string(); }},
      {"no-key-cache", false, [](load_options& o, std::string_view) { o.key_cache = false; return std::string(); }},
      {"quiet", false, [](load_options& o, std::string_view) { o.quiet = true; return std::string(); }},
  };
  return table;
}

}  // namespace

parse_result parse_load_options(const std::vector<std::string>& args) {
  parse_result r;
  load_options o;
  std::string err;
  o.mix = *op_mix::parse(default_mix, err);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      r.help = true;
      return r;
    }
    if (!a.starts_with("--")) {
      r.error = "unexpected argument \"" + std::string(a) + "\" (see --help)";
      return r;
    }
    a.remove_prefix(2);
    std::optional<std::string_view> value;
    if (const auto eq = a.find('='); eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    const flag* f = nullptr;
    for (const auto& candidate : flags()) {
      if (candidate.name == a) f = &candidate;
    }
    if (f == nullptr) {
      r.error = "unknown option --" + std::string(a) + " (see --help)";
      return r;
    }
    if (f->takes_value && !value) {
      if (i + 1 >= args.size()) {
        r.error = "--" + std::string(a) + " needs a value";
        return r;
      }
      value = args[++i];
    } else if (!f->takes_value && value) {
      r.error = "--" + std::string(a) + " takes no value";
      return r;
    }
    if (auto e = f->apply(o, value.value_or("")); !e.empty()) {
      r.error = std::move(e);
      return r;
    }
  }
  if (o.user.empty()) {
    r.error = "--user is required";
    return r;
  }
  if (o.mode != load_mode::idle && o.duration_s == 0 && o.ops == 0 && o.ops_per_session == 0) {
    o.duration_s = 10;
  }
  if (o.mode == load_mode::idle && (o.ops != 0 || o.ops_per_session != 0)) {
    r.error = "--idle takes no --ops or --ops-per-session (use --hold)";
    return r;
  }
  r.options = std::move(o);
  return r;
}

std::string session_user(const load_options& o, std::uint32_t index) {
  if (o.users <= 1) return o.user;
  return o.user + std::to_string(index % o.users + 1);
}

std::uint32_t thread_count(const load_options& o) noexcept {
  return std::max<std::uint32_t>(1, std::min(o.threads, o.sessions));
}

std::vector<std::uint32_t> thread_sessions(const load_options& o, std::uint32_t t) {
  const auto n = thread_count(o);
  std::vector<std::uint32_t> out;
  if (t >= n) return out;
  out.reserve(o.sessions / n + 1);
  for (std::uint32_t i = t; i < o.sessions; i += n) out.push_back(i);
  return out;
}

std::uint32_t thread_login_cap(const load_options& o, std::uint32_t t) noexcept {
  const auto n = thread_count(o);
  const auto share = o.login_concurrency / n + (t < o.login_concurrency % n ? 1u : 0u);
  return std::max<std::uint32_t>(1, share);
}

std::string load_usage() {
  return R"(usage: ferry-load --user NAME [options]
  A load generator for ferryd: N concurrent native sessions in one process.
  The password is read from $FERRY_PASSWORD (--password-env VAR to change).
modes (default: the op mix):
  --mix get=50,put=20,ls=20,rm=10   ops drawn by weight (get put ls rm stat)
  --logins-only                     connect + SCRAM + bye, repeatedly
  --idle N                          hold N logged-in idle sessions (--hold S)
bounds (mix and logins-only; default --duration 10):
  --duration S  --ops N (all sessions)  --ops-per-session N  --timeout S (hard stop)
sessions:
  --host H (127.0.0.1)  --port P (9021)  --sessions N (1)  --tls auto|on|off
  --users N (log in as USER1..USERN, round robin; one password)
  --source-ips N (bind to 127.0.1.1..N)  --login-concurrency N (128, split over threads)  --no-key-cache
  --threads N (1; event-loop threads, sessions split round robin; at most --sessions)
ops:
  --size BYTES (64KiB; put size)  --get-path P  --ls-path P  --work-dir /load
  --think-ms MS  --verify (check get digests)
server figures:
  --server-pid PID (VmRSS/VmHWM from /proc)  --settle S (1; idle readings)
output: a report, then machine lines LOAD ... and LOADOP ...; --quiet: machine lines only
)";
}

}  // namespace ferry::load
