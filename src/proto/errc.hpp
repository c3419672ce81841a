// ferry's error codes and the one table mapping each to its wire status and
// machine-readable error string (DESIGN §2). Registered as a std::error_code
// category so I/O code can carry them as values.
#pragma once
#include <string_view>
#include <system_error>

namespace ferry {

enum class errc {
  ok = 0,
  bad_request,
  version_not_supported,
  not_authenticated,
  auth_failed,
  forbidden,
  not_found,
  exists,
  not_empty,
  is_directory,
  not_directory,
  busy,
  quota_exceeded,
  checksum_mismatch,
  too_many_sessions,
  rate_limited,
  internal,
};

struct errc_info {
  int status;                ///< wire status code
  std::string_view error;    ///< wire "error" string (snake_case)
  std::string_view text;     ///< human words, e.g. "not found"
};

/// The single table: status, wire error string and human text for each code.
const errc_info& info(errc e) noexcept;

/// Maps a wire error string back to a code (client side); internal if unknown.
errc errc_from_string(std::string_view error) noexcept;

/// Maps an errno from a filesystem call to the code the client sees.
errc errc_from_errno(int err) noexcept;

const std::error_category& ferry_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), ferry_category()};
}

}  // namespace ferry

template <>
struct std::is_error_code_enum<ferry::errc> : std::true_type {};
