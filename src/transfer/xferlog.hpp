// The transfer log: one line per finished or aborted transfer in the classic
// wu-ftpd/vsftpd xferlog format, so existing log analysers read it:
//   DDD MMM dd hh:mm:ss YYYY SECS HOST BYTES PATH b _ DIR r USER SERVICE 0 * STATUS
// DIR is o (download) or i (upload); STATUS c (complete) or i (incomplete).
// PATH is the virtual path; whitespace and control bytes become '_' so every
// line keeps 18 fields.
#pragma once
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "vfs/unique_fd.hpp"

namespace ferry::transfer {

struct xfer_record {
  std::time_t end = 0;           ///< wall-clock time the transfer ended
  double seconds = 0;            ///< duration
  std::string host;              ///< peer address
  std::uint64_t bytes = 0;       ///< bytes moved in this transfer
  std::string path;              ///< virtual path
  bool incoming = false;         ///< upload
  std::string user;
  std::string service = "ferry";
  bool complete = false;
};

/// The line for `r`, with a trailing newline. Pure (UTC time).
std::string xferlog_line(const xfer_record& r);

/// Appends lines to ROOT/log/xferlog. Thread-safe; one write(2) per line so
/// concurrent lines never interleave. Failures are ignored after a warning.
class xferlog {
 public:
  /// Opens (creating ROOT/log and the file, mode 0640) in append mode.
  explicit xferlog(const std::filesystem::path& file);
  void write(const xfer_record& r);
  /// Opens the file again by its name (after logrotate renamed it: SIGHUP).
  /// False when it cannot; the old file is kept then.
  bool reopen();

 private:
  const std::filesystem::path file_;
  std::mutex mu_;  ///< guards fd_ against reopen()
  vfs::unique_fd fd_;
};

}  // namespace ferry::transfer
