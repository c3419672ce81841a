// ferry's error codes and the one table that turns each into a reply, for
// both protocols: its native wire status and machine-readable error string
// (docs/protocol.md), its FTP reply code, and its message. Registered as a
// std::error_code category so I/O code can carry them as values.
#pragma once
#include <string>
#include <string_view>
#include <system_error>

namespace ferry {

enum class errc {
  ok = 0,
  bad_request,        ///< malformed request: wrong type, missing field, bad syntax
  bad_name,           ///< a path the server will not use (NUL, bad encoding, too deep)
  name_too_long,      ///< a component over 255 bytes (with the part-file affixes)
  reserved_name,      ///< ".NAME.ferry-part": only an upload may create or touch it
  offset_beyond_end,  ///< resume / REST offset past the data there is
  size_mismatch,      ///< an upload's bytes differ from its announced size
  version_not_supported,
  not_authenticated,
  auth_failed,
  channel_binding_mismatch,  ///< SCRAM-PLUS: the TLS channel does not end at this server
  forbidden,
  tls_required,       ///< plain session where the server requires TLS
  not_found,
  exists,
  not_empty,
  is_directory,
  not_directory,
  busy,
  quota_exceeded,
  too_many_files,     ///< the account's file-count limit (max_files); on the wire a quota_exceeded
  checksum_mismatch,
  too_many_sessions,
  too_many_uploads,
  rate_limited,
  insufficient_storage,  ///< the filesystem is full (ENOSPC, EDQUOT), whatever the user's quota
  file_changed,       ///< a file was rewritten while it was being sent: the bytes sent mix two versions
  home_unavailable,   ///< the user's home was removed or moved away (by the administrator)
  exec_not_permitted, ///< the account may not run commands (exec = false); on the wire a forbidden
  exec_unavailable,   ///< the server cannot run commands safely (no Landlock, serving as root)
  command_not_found,  ///< exec: no such program on the fixed PATH; on the wire a not_found
  too_many_commands,  ///< exec: the user's or the server's commands-at-once limit
  move_into_itself,   ///< mv of a directory to a place inside it
  internal,
};

struct errc_info {
  int status;                ///< native wire status code
  std::string_view error;    ///< native wire "error" string (snake_case)
  int ftp_code;              ///< FTP reply code (RFC 959 §4.2)
  std::string_view text;     ///< human words, e.g. "not found"
};

/// The single table: native status, wire error string, FTP code and text.
const errc_info& info(errc e) noexcept;

/// "not found: /a/b" — the text, then what it is about (native "message").
std::string describe(errc e, std::string_view subject);

/// The text as an FTP reply sentence: "Not found." (capitalized, one period).
std::string ftp_text(errc e);

/// Maps a wire error string back to a code (client side); internal if unknown.
errc errc_from_string(std::string_view error) noexcept;

/// A refusal for want of room (quota, file count, full disk): the transfer
/// logs record these, unlike refusals of a bad request.
constexpr bool is_space_refusal(errc e) noexcept {
  return e == errc::quota_exceeded || e == errc::too_many_files || e == errc::insufficient_storage;
}

/// Maps an errno from a filesystem call to the code the client sees.
errc errc_from_errno(int err) noexcept;

const std::error_category& ferry_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), ferry_category()};
}

}  // namespace ferry

template <>
struct std::is_error_code_enum<ferry::errc> : std::true_type {};
