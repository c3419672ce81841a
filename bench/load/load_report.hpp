// What a ferry-load run measured, and its text: a table for people and
// `LOAD key=value` / `LOADOP op=... ` lines for scripts (bench/load.sh). Pure.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "load/latency_stats.hpp"
#include "load/proc_status.hpp"

namespace ferry::load {

struct op_row {
  std::string name;  ///< "get", "ls", "ls_first", "login", ...
  latency_summary latency;
};

struct load_result {
  std::string mode;            ///< "mix", "logins-only", "idle"
  std::string mix;             ///< the mix as given (mix mode)
  bool tls = false;
  std::uint32_t sessions = 0;
  std::uint32_t threads = 1;   ///< event-loop threads the sessions ran on
  std::uint32_t logged_in = 0; ///< sessions that got past login
  double wall_s = 0;           ///< the measured phase, from the release of all sessions to the last op
  std::uint64_t ops = 0;       ///< successful timed ops (logins in logins-only)
  std::uint64_t bytes_down = 0;  ///< get bodies received
  std::uint64_t bytes_up = 0;    ///< put bodies sent
  std::uint64_t ls_entries = 0;  ///< entries received by ls
  std::vector<op_row> rows;
  std::map<std::string, std::uint64_t> errors;  ///< kind ("get:not_found", "connect:...") -> count
  std::optional<proc_memory> rss_before;  ///< server, before the sessions connected
  std::optional<proc_memory> rss_loaded;  ///< server, all sessions up (idle) / end of the run
  std::optional<proc_memory> rss_after;   ///< server, after the sessions closed
  bool hwm_reset = false;                 ///< VmHWM was reset before the run
};

std::uint64_t error_total(const load_result& r) noexcept;

/// The human table (several lines, ends with a newline).
std::string format_report(const load_result& r);

/// The machine lines: one `LOAD ...`, one `LOADOP ...` per row, one
/// `LOADERR kind=... n=...` per error kind; values have no spaces.
std::string format_machine(const load_result& r);

}  // namespace ferry::load
