// The errc table. Order of entries follows the enum.
#include "proto/errc.hpp"

#include <array>
#include <cerrno>
#include <string>

namespace ferry {
namespace {

constexpr std::array<errc_info, 17> table{{
    {200, "ok", "ok"},
    {400, "bad_request", "bad request"},
    {505, "version_not_supported", "protocol version not supported"},
    {401, "not_authenticated", "not authenticated"},
    {401, "auth_failed", "authentication failed"},
    {403, "forbidden", "permission denied"},
    {404, "not_found", "not found"},
    {409, "exists", "already exists"},
    {409, "not_empty", "directory not empty"},
    {409, "is_directory", "is a directory"},
    {409, "not_directory", "not a directory"},
    {409, "busy", "busy"},
    {413, "quota_exceeded", "quota exceeded"},
    {422, "checksum_mismatch", "checksum mismatch"},
    {429, "too_many_sessions", "too many sessions"},
    {429, "rate_limited", "rate limited"},
    {500, "internal", "internal error"},
}};

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= table.size()) return "unknown";
    return std::string(table[static_cast<std::size_t>(ev)].text);
  }
};

}  // namespace

const errc_info& info(errc e) noexcept { return table[static_cast<std::size_t>(e)]; }

errc errc_from_string(std::string_view error) noexcept {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].error == error) return static_cast<errc>(i);
  return errc::internal;
}

errc errc_from_errno(int err) noexcept {
  switch (err) {
    case 0: return errc::ok;
    case ENOENT: return errc::not_found;
    case EEXIST: return errc::exists;
    case ENOTEMPTY: return errc::not_empty;
    case EISDIR: return errc::is_directory;
    case ENOTDIR: return errc::not_directory;
    case EACCES:
    case EPERM:
    case EROFS:
    case EXDEV:   // openat2 refused to leave the root
    case ELOOP:   // magic link or symlink loop
      return errc::forbidden;
    case ENAMETOOLONG:
    case EINVAL:
      return errc::bad_request;
    case EDQUOT:
    case ENOSPC:
      return errc::quota_exceeded;
    case EBUSY:
      return errc::busy;
    default:
      return errc::internal;
  }
}

const std::error_category& ferry_category() noexcept {
  static const category c;
  return c;
}

}  // namespace ferry
