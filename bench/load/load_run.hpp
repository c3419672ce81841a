// Runs one ferry-load measurement: raises the descriptor limit, warms up (one
// login per account that decides TLS in automatic mode and fills the
// client-key cache), starts the sessions on --threads io_context threads,
// releases them all together, and merges the figures. Blocking; call from main().
#pragma once
#include <string>

#include "load/load_options.hpp"
#include "load/load_report.hpp"

namespace ferry::load {

/// `password` is the account's. A failed warm-up (no server, wrong
/// password) is returned as `fatal` with the result empty.
struct run_outcome {
  load_result result;
  std::string fatal;
};

run_outcome run_load(const load_options& opts, std::string password);

}  // namespace ferry::load
