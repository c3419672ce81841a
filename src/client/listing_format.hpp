// Text the user reads for listings, stat and quota: `drwxr-xr-x` mode
// strings, the long-listing line shared by ls -l and lls -l, local dates and
// the quota sentence. Pure: no I/O (dates use the process's local time zone).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/file_entry.hpp"

namespace ferry::client {

/// ls-style type character: 'd' dir, '-' file, 'l' link, '?' other.
char type_char(entry_type t) noexcept;

/// Ten characters, e.g. "drwxr-xr-x", "-rwsr-x--T". Bits above 07777 are ignored.
std::string mode_string(entry_type t, std::uint32_t mode);

/// "0755" (at least four octal digits).
std::string mode_octal(std::uint32_t mode);

/// "2026-11-23 14:05" in local time; sixteen '?' if out of range.
std::string format_date(std::int64_t unix_seconds);

/// As format_date with seconds: "2026-11-23 14:05:09".
std::string format_date_seconds(std::int64_t unix_seconds);

/// SECURITY: a name from the server (or disk) with control characters could
/// move the cursor or rewrite the terminal, and one with a bidi override could
/// show "invoice\u202Efdp.exe" as "invoiceexe.pdf": C0 controls, DEL, C1
/// controls (U+0080-U+009F: CSI, OSC, ST) and the bidi embedding, override
/// and isolate controls are each shown as '?', bytes that are not UTF-8 as
/// U+FFFD. Everything else passes through.
std::string printable(std::string_view name);

/// One long-listing line, no newline: mode, human size (right-aligned in
/// 10), exact bytes (right-aligned in 12, for scripts), local date, name:
/// "-rw-r-----    4.2 KiB         4321 2026-11-23 14:05 file.bin".
std::string format_long_entry(const file_entry& e);

/// The labelled lines `stat` prints (name, type, size, mode, modified), each
/// without newline. `shown_name` is used when the entry carries no name.
std::vector<std::string> format_stat(const file_entry& e, std::string_view shown_name);

/// "used 1.2 MiB of 100.0 MiB (1.2%)", or "used 1.2 MiB (no limit)" when
/// limit is 0.
std::string format_quota(std::uint64_t used, std::uint64_t limit);
/// "12 of 1000000 files (0.0%)", or "12 files (no limit)" when max_files is 0.
std::string format_file_count(std::uint64_t files, std::uint64_t max_files);

}  // namespace ferry::client
