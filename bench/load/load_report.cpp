// load_report: the run's figures as a table and as key=value lines.
#include "load/load_report.hpp"

#include <cstdio>

namespace ferry::load {
namespace {

std::string fmt(const char* format, double v) {
  char b[64];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

double per_s(double n, double s) { return s > 0 ? n / s : 0; }

std::string ms(std::uint64_t micros) { return fmt("%.3f", static_cast<double>(micros) / 1000.0); }

// Server RSS grown per session, in KiB, between two readings.
std::optional<double> per_session_kib(const load_result& r) {
  if (!r.rss_before || !r.rss_loaded || r.logged_in == 0) return std::nullopt;
  return (static_cast<double>(r.rss_loaded->rss_kib) - static_cast<double>(r.rss_before->rss_kib)) /
         static_cast<double>(r.logged_in);
}

}  // namespace

std::uint64_t error_total(const load_result& r) noexcept {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : r.errors) n += count;
  return n;
}

std::string format_report(const load_result& r) {
  std::string out;
  out += "ferry-load " + r.mode + (r.mix.empty() ? "" : " (" + r.mix + ")") + ", " +
         std::to_string(r.sessions) + " sessions (" + std::to_string(r.logged_in) + " logged in), " +
         (r.tls ? "TLS" : "plain") + ", " + std::to_string(r.threads) + (r.threads == 1 ? " thread" : " threads") +
         "\n";
  out += "wall " + fmt("%.3f", r.wall_s) + " s, ops " + std::to_string(r.ops) + " (" +
         fmt("%.1f", per_s(static_cast<double>(r.ops), r.wall_s)) + "/s), down " +
         fmt("%.1f", per_s(static_cast<double>(r.bytes_down) / 1e6, r.wall_s)) + " MB/s, up " +
         fmt("%.1f", per_s(static_cast<double>(r.bytes_up) / 1e6, r.wall_s)) + " MB/s, errors " +
         std::to_string(error_total(r)) + "\n";
  if (!r.rows.empty()) {
    char b[160];
    std::snprintf(b, sizeof b, "%-10s %9s %10s %10s %10s %10s %10s\n", "op", "count", "p50 ms", "p90 ms",
                  "p99 ms", "max ms", "mean ms");
    out += b;
    for (const auto& row : r.rows) {
      const auto& l = row.latency;
      std::snprintf(b, sizeof b, "%-10s %9llu %10s %10s %10s %10s %10s\n", row.name.c_str(),
                    static_cast<unsigned long long>(l.count), ms(l.p50).c_str(), ms(l.p90).c_str(),
                    ms(l.p99).c_str(), ms(l.max).c_str(), ms(l.mean).c_str());
      out += b;
    }
  }
  for (const auto& [kind, count] : r.errors) out += "error " + kind + ": " + std::to_string(count) + "\n";
  auto mem = [&](const char* label, const std::optional<proc_memory>& m) {
    if (m) out += std::string("server ") + label + ": VmRSS " + std::to_string(m->rss_kib) + " kB, VmHWM " +
                  std::to_string(m->hwm_kib) + " kB\n";
  };
  mem("before", r.rss_before);
  mem(r.mode == "idle" ? "with sessions" : "at end", r.rss_loaded);
  mem("after close", r.rss_after);
  if (const auto k = per_session_kib(r); k && r.mode == "idle") {
    out += "server RSS per idle session: " + fmt("%.2f", *k) + " KiB\n";
  }
  return out;
}

std::string format_machine(const load_result& r) {
  std::string out = "LOAD mode=" + r.mode + " sessions=" + std::to_string(r.sessions) +
                    " logged_in=" + std::to_string(r.logged_in) + " tls=" + (r.tls ? "1" : "0") +
                    " wall_s=" + fmt("%.6f", r.wall_s) + " ops=" + std::to_string(r.ops) +
                    " ops_per_s=" + fmt("%.1f", per_s(static_cast<double>(r.ops), r.wall_s)) +
                    " bytes_down=" + std::to_string(r.bytes_down) + " bytes_up=" + std::to_string(r.bytes_up) +
                    " mb_per_s=" +
                    fmt("%.1f", per_s(static_cast<double>(r.bytes_down + r.bytes_up) / 1e6, r.wall_s)) +
                    " ls_entries=" + std::to_string(r.ls_entries) + " errors=" + std::to_string(error_total(r)) +
                    " threads=" + std::to_string(r.threads);
  if (r.rss_before) out += " rss_before_kib=" + std::to_string(r.rss_before->rss_kib);
  if (r.rss_loaded) {
    out += " rss_loaded_kib=" + std::to_string(r.rss_loaded->rss_kib) +
           " hwm_kib=" + std::to_string(r.rss_loaded->hwm_kib);
  }
  if (r.rss_after) out += " rss_after_kib=" + std::to_string(r.rss_after->rss_kib);
  if (const auto k = per_session_kib(r); k && r.mode == "idle") out += " rss_per_session_kib=" + fmt("%.2f", *k);
  out += "\n";
  for (const auto& row : r.rows) {
    const auto& l = row.latency;
    out += "LOADOP op=" + row.name + " n=" + std::to_string(l.count) + " p50_us=" + std::to_string(l.p50) +
           " p90_us=" + std::to_string(l.p90) + " p99_us=" + std::to_string(l.p99) +
           " max_us=" + std::to_string(l.max) + " mean_us=" + std::to_string(l.mean) + "\n";
  }
  for (const auto& [kind, count] : r.errors) {
    std::string k = kind;
    for (auto& c : k) {
      if (c == ' ') c = '_';
    }
    out += "LOADERR kind=" + k + " n=" + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace ferry::load
