// Directory listings as FTP clients parse them: LIST in the `ls -l` format
// (what vsftpd and ProFTPD send, which FileZilla, lftp, curl and Python's
// ftplib understand) and RFC 3659 MLSD/MLST fact lines. Pure; times in UTC.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "vfs/jail.hpp"

namespace ferry::ftp {

/// "-rw-r--r--    1 ftp      ftp          1234 Nov 23 10:57 name" — the date
/// shows the year instead of the time when older than six months (or in the
/// future) relative to `now`.
std::string list_line(const vfs::dir_entry& e, std::time_t now);

/// "type=file;size=1234;modify=20261123105736;perm=adfrw;unique=...; name"
/// (RFC 3659 §7; the name after one space).
std::string mlsx_line(const vfs::dir_entry& e, std::string_view name);

/// "20261123105736" (MDTM, MLSx modify).
std::string mdtm_time(std::int64_t unix_seconds);

}  // namespace ferry::ftp
