// A process's memory figures from /proc/PID/status (VmRSS, VmHWM), for the
// server-RSS rows. The parser is pure; read_proc_status() is the one read.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::load {

struct proc_memory {
  std::uint64_t rss_kib = 0;  ///< VmRSS: resident now
  std::uint64_t hwm_kib = 0;  ///< VmHWM: peak resident
};

/// Parses the text of /proc/PID/status; nullopt unless both VmRSS and VmHWM
/// are present with a "kB" value.
std::optional<proc_memory> parse_proc_status(std::string_view text);

/// Reads /proc/PID/status; nullopt when the process is gone or unreadable.
std::optional<proc_memory> read_proc_status(int pid);

/// Resets VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs); false
/// when not permitted.
bool reset_peak_rss(int pid);

}  // namespace ferry::load
