// The settings that cost file descriptors, fitted to the process's limit:
// honoured when they fit, refused when ferryd.toml asked for more than the
// limit gives, trimmed (and said so) only when they are defaults.
#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

#include "session/config.hpp"
#include "session/upload_slots.hpp"

namespace ferry::session {

bool fit_descriptors(config& cfg, unsigned long nofile, unsigned& open_uploads_cap, std::string& error,
                     std::vector<std::string>& notes) {
  const auto budget = budget_for(nofile);
  // Logins in progress get a quarter of the sessions' share (at least 16).
  const unsigned pending = std::max(16u, budget.max_sessions / 4);
  struct bound {
    const char* key;
    unsigned& value;
    unsigned most;
  };
  // 0 keeps its documented meaning: no limit of its own for the two session
  // counts (the descriptor limit is then the bound), "a third of the
  // descriptor limit" for open uploads.
  unsigned uploads = cfg.max_open_uploads != 0 ? cfg.max_open_uploads : budget.max_open_uploads;
  for (const auto& b : {bound{"max_sessions", cfg.max_sessions, budget.max_sessions},
                        bound{"max_pending_logins", cfg.max_pending_logins, pending},
                        bound{"max_open_uploads", uploads, budget.max_open_uploads}}) {
    if (b.value == 0 || b.value <= b.most) continue;
    if (cfg.set_explicitly(b.key)) {
      error = fmt::format(
          "{} = {} needs more file descriptors than this process may open (limit {}): at most {} fit; "
          "lower {} or raise the limit (ulimit -n, LimitNOFILE= in the systemd unit)",
          b.key, b.value, nofile, b.most, b.key);
      return false;
    }
    notes.push_back(fmt::format("{} {} (the default) needs more descriptors than the limit of {}: using {}", b.key,
                                b.value, nofile, b.most));
    b.value = b.most;
  }
  open_uploads_cap = uploads;
  return true;
}

}  // namespace ferry::session
