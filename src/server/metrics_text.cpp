// Prometheus text formatting.
#include "server/metrics_text.hpp"

#include <fmt/format.h>

namespace ferry::server {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

/// Prometheus floats: shortest round-trip text; integers print without ".0".
std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

std::string metrics_text(const session::stats_snapshot& s) {
  std::string out;
  family(out, "ferry_sessions", "gauge", "Live connections by protocol (logged in or not).");
  for (const auto& [proto, n] : s.sessions) out += fmt::format("ferry_sessions{{protocol=\"{}\"}} {}\n", proto, n);
  family(out, "ferry_pending_logins", "gauge", "Connections that have not logged in yet.");
  out += fmt::format("ferry_pending_logins {}\n", s.pending);
  family(out, "ferry_logins_total", "counter", "Logins by result.");
  out += fmt::format("ferry_logins_total{{result=\"ok\"}} {}\n", s.logins_ok);
  out += fmt::format("ferry_logins_total{{result=\"failed\"}} {}\n", s.logins_failed);
  family(out, "ferry_bytes_total", "counter", "File bytes moved by direction (in = uploads), counted when a transfer ends.");
  out += fmt::format("ferry_bytes_total{{direction=\"in\"}} {}\n", s.bytes_in);
  out += fmt::format("ferry_bytes_total{{direction=\"out\"}} {}\n", s.bytes_out);
  family(out, "ferry_transfers_total", "counter", "Transfers by direction and result.");
  out += fmt::format("ferry_transfers_total{{direction=\"in\",result=\"complete\"}} {}\n", s.transfers_in);
  out += fmt::format("ferry_transfers_total{{direction=\"out\",result=\"complete\"}} {}\n", s.transfers_out);
  out += fmt::format("ferry_transfers_total{{direction=\"in\",result=\"failed\"}} {}\n", s.failed_in);
  out += fmt::format("ferry_transfers_total{{direction=\"out\",result=\"failed\"}} {}\n", s.failed_out);
  family(out, "ferry_transfer_duration_seconds", "histogram", "Duration of completed transfers.");
  for (std::size_t i = 0; i < session::transfer_seconds_buckets.size(); ++i)
    out += fmt::format("ferry_transfer_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       number(session::transfer_seconds_buckets[i]), s.duration_buckets[i]);
  out += fmt::format("ferry_transfer_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", s.duration_buckets.back());
  out += fmt::format("ferry_transfer_duration_seconds_sum {}\n", number(s.duration_sum));
  out += fmt::format("ferry_transfer_duration_seconds_count {}\n", s.duration_count);
  family(out, "ferry_exec_runs_total", "counter", "Remote commands run.");
  out += fmt::format("ferry_exec_runs_total {}\n", s.exec_runs);
  family(out, "ferry_uptime_seconds", "gauge", "Seconds since the server started.");
  out += fmt::format("ferry_uptime_seconds {}\n", number(s.uptime));
  return out;
}

int metrics_status(const std::string& head) {
  const auto eol = head.find("\r\n");
  const std::string line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string::npos || line.find(' ', sp2 + 1) != std::string::npos) return 400;
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return 400;
  if (target.empty() || target.front() != '/') return 400;
  for (const char c : method)
    if (c < 'A' || c > 'Z') return 400;
  // The scraper may add a query string (?name[]=...): the answer is the same.
  const auto path = target.substr(0, target.find('?'));
  if (path != "/metrics") return 404;
  if (method != "GET" && method != "HEAD") return 405;
  return 200;
}

}  // namespace ferry::server
