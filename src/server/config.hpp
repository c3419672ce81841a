// Server settings: embedded defaults, overridden by ROOT/ferryd.toml (or
// --config), overridden by command-line flags.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ferry::server {

struct endpoint_spec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9021;
};

/// Parses "HOST:PORT", "[V6]:PORT" or ":PORT". nullopt when malformed.
std::optional<endpoint_spec> parse_endpoint(const std::string& text);

struct config {
  std::filesystem::path root;
  endpoint_spec listen;
  unsigned threads = 0;                         ///< 0 = one per core
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds login_timeout{30};
  unsigned max_sessions = 1024;                 ///< whole server
  unsigned max_sessions_per_ip = 128;
  unsigned max_auth_attempts = 3;               ///< per connection
  std::uint64_t rate = 0;                       ///< whole-server bytes/s, 0 = unlimited
  /// How downloads leave: "copy" (pread + send, fastest on this kernel: see
  /// bench/transfer.sh) or "sendfile".
  std::string download_method = "copy";

  /// Loads `file` over the defaults. A missing file is fine unless `required`.
  /// Returns false and sets `error` on a bad file.
  bool load(const std::filesystem::path& file, bool required, std::string& error);
};

/// The text `ferryd init` writes: every setting, commented, at its default.
std::string default_config_text();

}  // namespace ferry::server
