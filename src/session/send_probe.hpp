// Measuring the send methods on the machine ferryd runs on (the way the
// kernel times its RAID-6 routines at boot): which one is fastest differs
// between kernels and machines of the same kind, so it is not fixed in code.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "session/fs_workers.hpp"
#include "session/send_method.hpp"

namespace ferry::session {

struct send_probe_options {
  std::uint64_t bytes = 24u << 20;  ///< the file sent per run
  int rounds = 3;                   ///< runs per method and kind, in turns; the best counts
};

/// Sends an unnamed file of `opt.bytes` (made in `dir`, so on the file system
/// homes live on, and kept in the page cache) through the sessions' own
/// send_file() with each method, plain and hashed with `algo`, over a
/// loopback TCP connection to a thread that reads 1 MiB at a time and
/// discards. MB/s run from the first byte sent to the last byte received.
/// Stops early (figures so far) when `stop` is set; a method that fails
/// gets 0. Sets `error` and returns no figures when nothing can be measured.
send_figures probe_send_methods(fs_workers& fs, const std::filesystem::path& dir, std::string_view algo,
                                const std::atomic<bool>& stop, std::string& error, send_probe_options opt = {});

}  // namespace ferry::session
