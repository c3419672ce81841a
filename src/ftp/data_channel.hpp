// The FTP data connection of one control session: a passive listener (PASV,
// EPSV) or an active target (PORT, EPRT), then one connection per transfer.
//
// SECURITY: a passive connection is accepted only from the control
// connection's own address (no connection theft), and an active one is only
// ever made back to that address (no FTP bounce); the session checks the
// latter before calling connect_to().
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "session/byte_stream.hpp"

namespace ferry::ftp {

/// Same host, treating an IPv4-mapped IPv6 address as its IPv4 form.
bool same_host(const asio::ip::address& a, const asio::ip::address& b);

class data_channel {
 public:
  using tcp = asio::ip::tcp;

  explicit data_channel(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  ~data_channel() { reset(); }
  data_channel(const data_channel&) = delete;
  data_channel& operator=(const data_channel&) = delete;

  /// PASV/EPSV: listens on `local` at a port of [lo, hi] (a random start, so
  /// sessions spread over the range), or any free port when lo is 0. The
  /// port, or nullopt when none is free.
  std::optional<std::uint16_t> listen(const asio::ip::address& local, std::uint16_t lo, std::uint16_t hi);
  /// PORT/EPRT: the next transfer connects to `target`.
  void connect_to(tcp::endpoint target);
  bool passive() const noexcept { return pasv_ != nullptr; }
  bool active() const noexcept { return target_.has_value(); }
  bool ready() const noexcept { return passive() || active(); }

  /// The data connection for one transfer: accepted from `peer` only (others
  /// are refused and logged) or connected to the target, within `timeout`.
  /// The channel is reset either way: every transfer needs a new PASV/PORT.
  asio::awaitable<std::optional<tcp::socket>> open(const asio::ip::address& peer,
                                                   std::chrono::seconds timeout, std::uint64_t session_id);
  void reset();

 private:
  asio::any_io_executor ex_;
  std::unique_ptr<tcp::acceptor> pasv_;
  std::optional<tcp::endpoint> target_;
};

/// Ends a data connection: TLS close_notify and FIN first, so the client
/// sees a clean end.
void close_data(session::byte_stream& s);

}  // namespace ferry::ftp
