// Prometheus text exposition (format 0.0.4) of the server's counters. Pure:
// a snapshot in, text out, so it is unit-tested without a socket.
#pragma once
#include <string>

#include "session/server_stats.hpp"

namespace ferry::server {

/// The /metrics body for `s`: ferry_sessions{protocol} (gauge),
/// ferry_logins_total{result}, ferry_bytes_total{direction},
/// ferry_transfers_total{direction,result}, ferry_transfer_duration_seconds
/// (histogram), ferry_exec_runs_total, ferry_uptime_seconds.
std::string metrics_text(const session::stats_snapshot& s);

/// What the metrics responder answers to one request head ("GET /metrics
/// HTTP/1.1\r\n..."): 200 for GET (or HEAD) of /metrics, 404 for another
/// path, 405 for another method, 400 when it is not an HTTP request line.
int metrics_status(const std::string& head);

}  // namespace ferry::server
