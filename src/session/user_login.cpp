#include "session/user_login.hpp"

#include <cstring>

#include <spdlog/spdlog.h>

#include "session/server_context.hpp"
#include "session/user_state.hpp"
#include "vfs/jail.hpp"

namespace ferry::session {

login_refusal open_user_login(server_context& ctx, std::uint64_t session_id, const std::string& user,
                              const std::string& peer_addr, user_login& out, nav_state& nav) {
  auto acct = ctx.accounts->find(user);
  if (!acct) return login_refusal::unknown_user;
  if (!ctx.registry.bind_user(session_id, user, acct->max_sessions)) {
    spdlog::warn("session {}: user {} refused: too many sessions", session_id, user);
    return login_refusal::too_many_sessions;
  }
  int err = 0;
  auto j = vfs::jail::open(ctx.home_of(user), err);
  if (!j) {
    spdlog::error("session {}: cannot open home of {}: {}", session_id, user, std::strerror(err));
    return login_refusal::home_unavailable;
  }
  out.jail = std::make_unique<vfs::jail>(std::move(*j));
  out.user = user;
  out.state = ctx.users.get(user);
  out.state->quota->set_limits(acct->quota, acct->max_files.value_or(ctx.cfg.max_files));
  out.state->rate.set_rate(acct->rate);
  nav.jail = out.jail.get();
  nav.quota = out.state->quota.get();
  nav.locks = ctx.locks.get();
  // Re-measure the home (lazily) when no other session of the user is live:
  // files may have changed behind the server's back (the ledger ignores this
  // while uploads are open).
  nav.quota_stale = !out.state->quota->known() || ctx.registry.user_count(user) <= 1;
  ctx.throttle.record_success(peer_addr, user);
  spdlog::info("session {}: user {} logged in from {}", session_id, user, peer_addr);
  return login_refusal::none;
}

std::string address_of(const std::string& peer) {
  const auto colon = peer.rfind(':');
  std::string a = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  return a;
}

}  // namespace ferry::session
