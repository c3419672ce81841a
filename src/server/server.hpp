// The ferryd server: binds the native listener, spreads accepted connections
// over the io_context pool, handles SIGINT/SIGTERM (stop) and SIGHUP (reload
// accounts). Construct, bind(), then run() on the main thread.
#pragma once
#include <memory>
#include <optional>

#include <asio/ip/tcp.hpp>

#include "server/config.hpp"

namespace ferry::server {

class io_pool;
struct server_context;

class server {
 public:
  /// Throws std::runtime_error when the root is unusable.
  explicit server(config cfg);
  ~server();

  /// Binds the listener (SO_REUSEADDR); throws std::system_error on failure.
  asio::ip::tcp::endpoint bind();
  /// Binds the FTP listener when configured; nullopt when FTP is off.
  std::optional<asio::ip::tcp::endpoint> bind_ftp();
  /// Serves until a stop signal; returns the exit status.
  int run();

 private:
  std::unique_ptr<server_context> ctx_;
  std::unique_ptr<io_pool> pool_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<asio::ip::tcp::acceptor> ftp_acceptor_;
};

}  // namespace ferry::server
