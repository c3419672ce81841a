// The errc table. Order of entries follows the enum. Several codes share a
// wire error ("bad_request", "quota_exceeded": docs/protocol.md fixes the wire
// strings): they differ in FTP code or message, which is why they are
// separate rows.
#include "proto/errc.hpp"

#include <array>
#include <cctype>
#include <cerrno>

namespace ferry {
namespace {

constexpr std::array<errc_info, 34> table{{
    {200, "ok", 200, "ok"},
    {400, "bad_request", 501, "bad request"},
    {400, "bad_request", 553, "file name not allowed"},
    {400, "bad_request", 553, "file name too long"},
    {400, "bad_request", 553, "names of the form .NAME.ferry-part are reserved"},
    {400, "bad_request", 554, "offset is beyond the end of the file"},
    {400, "bad_request", 451, "byte count does not match the announced size"},
    {505, "version_not_supported", 500, "protocol version not supported"},
    {401, "not_authenticated", 530, "not authenticated"},
    {401, "auth_failed", 530, "authentication failed"},
    {401, "auth_failed", 530, "channel binding mismatch"},
    {403, "forbidden", 550, "permission denied"},
    {403, "forbidden", 530, "this server requires TLS"},
    {404, "not_found", 550, "not found"},
    {409, "exists", 550, "already exists"},
    {409, "not_empty", 550, "directory not empty"},
    {409, "is_directory", 550, "is a directory"},
    {409, "not_directory", 550, "not a directory"},
    {409, "busy", 450, "busy"},
    {413, "quota_exceeded", 552, "quota exceeded"},
    {413, "quota_exceeded", 552, "file-count limit (max_files) reached"},
    {422, "checksum_mismatch", 451, "checksum mismatch"},
    {429, "too_many_sessions", 421, "too many sessions"},
    {429, "too_many_uploads", 450, "too many open uploads; finish or close some first"},
    {429, "rate_limited", 421, "rate limited"},
    {507, "insufficient_storage", 452, "insufficient storage on the server"},
    {409, "file_changed", 451, "the file changed on the server while it was being sent; try again"},
    {503, "home_unavailable", 550, "your home directory is unavailable (removed or moved on the server)"},
    {403, "forbidden", 550, "remote execution is not enabled for this account"},
    {503, "exec_unavailable", 502, "remote execution is unavailable on this server"},
    {404, "not_found", 550, "command not found"},
    {429, "too_many_commands", 450, "too many commands running; wait for one to finish"},
    {400, "bad_request", 553, "a directory cannot move into itself"},
    {500, "internal", 451, "internal error"},
}};
static_assert(table.size() == static_cast<std::size_t>(errc::internal) + 1);

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

std::string describe(errc e, std::string_view subject) {
  std::string s(info(e).text);
  if (!subject.empty()) s.append(": ").append(subject);
  return s;
}

std::string ftp_text(errc e) {
  std::string s(info(e).text);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  s += '.';
  return s;
}

errc errc_from_string(std::string_view error) noexcept {
  // First match: a shared wire string ("bad_request") maps to its first row.
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].error == error) return static_cast<errc>(i);
  return errc::internal;
}

errc errc_from_errno(int err) noexcept {
  switch (err) {
    case 0: return errc::ok;
    case ENOENT: return errc::not_found;
    case ESTALE: return errc::home_unavailable;  // vfs::jail::home_alive
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
      return errc::name_too_long;
    case EINVAL:  // e.g. renaming a directory into itself: the target name is not allowed
      return errc::bad_name;
    case EDQUOT:
    case ENOSPC:
      return errc::insufficient_storage;
    case EBUSY:
    case EAGAIN:  // a lease, or a resolution that kept racing renames
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
