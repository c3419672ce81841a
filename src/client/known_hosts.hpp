// The client's pins of server certificates (trust on first use, as ssh's
// known_hosts): $XDG_CONFIG_HOME/ferry/known_hosts, one `HOST:PORT SHA256:..`
// line per server ("[::1]:9021" for IPv6), '#' comments, blank lines. The
// format and the lookup are pure; reading and appending the file are the only
// I/O here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::client {

/// What the file says about a server's certificate.
struct pin_lookup {
  enum class state {
    unknown,  ///< no line for this server
    match,    ///< a line pins this very certificate
    changed,  ///< the server is pinned, but to another certificate
    malformed,  ///< a line for this server holds no SHA-256 fingerprint
  };
  state status = state::unknown;
  std::size_t line = 0;  ///< 1-based line of the match, or of the first other pin
  std::string pinned;    ///< the fingerprint on that line
};

/// The key of a server in the file: host_port() with a host name in lower
/// case ("example.org:9021", "[::1]:9021").
std::string pin_key(std::string_view host, std::uint16_t port);

/// The 64 uppercase hex digits of a SHA-256 fingerprint written as ferry,
/// ferryd or openssl print it ("SHA256:AB:CD:...", "sha256 Fingerprint=AB:..",
/// "AB:CD:..", "abcd..."); "" when `text` is not one.
std::string fingerprint_digits(std::string_view text);

/// Looks `key` up in the text of a known_hosts file. Fingerprints compare by
/// their digits (fingerprint_digits), so a pin pasted from openssl matches;
/// any line for `key` that pins `fingerprint` is a match, even after lines
/// pinning others. Lines that are not two or more fields are skipped;
/// fields after the second are ignored.
pin_lookup find_pin(std::string_view text, std::string_view key, std::string_view fingerprint);

/// The line append_pin() writes, without its newline.
std::string pin_line(std::string_view key, std::string_view fingerprint);

/// $XDG_CONFIG_HOME/ferry/known_hosts when that variable holds an absolute
/// path (the XDG rule), else HOME/.config/ferry/known_hosts; `home` null or
/// empty: the password database's home directory.
std::filesystem::path known_hosts_path(const char* xdg_config_home, const char* home);

/// The whole file; "" when it does not exist; nullopt with `error` set when
/// it cannot be read.
std::optional<std::string> read_known_hosts(const std::filesystem::path& file, std::string& error);

/// Appends pin_line(key, fingerprint) to `file`, creating its missing
/// directories (0700) and the file (0600), and first ending an unterminated
/// last line. False with `error` set on failure.
bool append_pin(const std::filesystem::path& file, std::string_view key,
                std::string_view fingerprint, std::string& error);

}  // namespace ferry::client
