// `ferry ping HOST[:PORT]`: the UDP status ping (docs/protocol.md, "UDP
// status"). Sends one status request per interval, prints the round-trip
// time and the server's answer per reply, and a ping(8)-style summary. No
// login, no TCP: it tells whether ferryd is up and how loaded it is.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "proto/status_datagram.hpp"

namespace ferry::client {

/// The shortest interval allowed (ping(8)'s floor for ordinary users).
inline constexpr double min_ping_interval = 0.2;

struct ping_options {
  std::string host;
  std::uint16_t port = 0;
  unsigned count = 0;     ///< requests to send; 0 = until interrupted (SIGINT)
  double interval = 1.0;  ///< seconds between requests, >= min_ping_interval
  double timeout = 1.0;   ///< seconds to wait for each reply
};

/// Totals for the summary.
struct ping_stats {
  unsigned sent = 0;
  unsigned received = 0;
  double min_ms = 0, max_ms = 0, sum_ms = 0;

  void add(double rtt_ms);
  /// "--- HOST ferry ping statistics ---" and the totals (two or three lines).
  std::string summary(const std::string& what, double elapsed_ms) const;
};

/// One reply's line: "32 bytes from ADDR: seq=N time=T ms version=..." Pure.
std::string format_reply(const std::string& from, unsigned seq, double rtt_ms, const proto::status::reply& r);

/// Runs the ping; exit status 0 when any reply came, 1 when none did (or the
/// host cannot be resolved), 2 for bad options.
int run_ping(const ping_options& opt, std::ostream& out, std::ostream& err);

}  // namespace ferry::client
