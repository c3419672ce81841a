// The ferryd server, the top floor: binds the native and FTP listeners,
// spreads sessions over the io_context pool, and handles signals — SIGHUP
// reloads the accounts; SIGINT/SIGTERM drain: stop accepting, ask every
// session to finish (idle ones close at once, transfers run to their end),
// wait up to shutdown_timeout, then stop. A second signal stops at once.
// Construct, bind(), bind_ftp(), then run() on the main thread.
#pragma once
#include <memory>
#include <optional>

#include <asio/ip/tcp.hpp>

#include "session/config.hpp"

namespace ferry::session {
struct server_context;
}

namespace ferry::server {

class io_pool;
class listener;
class status_responder;

class server {
 public:
  /// Throws std::runtime_error when the root is unusable.
  explicit server(session::config cfg);
  ~server();

  /// Binds the native listener; throws std::system_error on failure.
  asio::ip::tcp::endpoint bind();
  /// Binds the FTP listener when configured; nullopt when FTP is off.
  std::optional<asio::ip::tcp::endpoint> bind_ftp();
  /// Binds the implicit FTPS listener when configured.
  std::optional<asio::ip::tcp::endpoint> bind_ftps();
  /// Serves until a stop signal and the drain after it; returns the exit status.
  int run();

 private:
  // Declared first, destroyed last: sessions still running when the pool is
  // destroyed close their registry entries on the way out.
  std::unique_ptr<session::server_context> ctx_;
  std::unique_ptr<io_pool> pool_;
  std::unique_ptr<listener> native_;
  std::unique_ptr<listener> ftp_;
  std::unique_ptr<listener> ftps_;
  std::unique_ptr<status_responder> status_;  ///< UDP status on the native port
};

}  // namespace ferry::server
