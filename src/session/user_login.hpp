// What every protocol does once a user has proved who they are: bind the
// session to the user (per-user session limit), open the home as a jail, and
// attach the user's shared quota ledger and token bucket. The native protocol
// and the FTP front-end both call this, so their limits cannot drift apart.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "session/nav_state.hpp"

namespace ferry::vfs {
class jail;
}

namespace ferry::session {

struct server_context;
struct user_state;

struct user_login {
  std::unique_ptr<vfs::jail> jail;
  std::shared_ptr<user_state> state;
  std::string user;
};

enum class login_refusal { none, unknown_user, too_many_sessions, home_unavailable };

/// Logs session `session_id` in as `user`: fills `out` and points `nav` at the
/// jail and the ledger. Logs refusals; records the success with the throttle
/// for `peer_addr`.
login_refusal open_user_login(server_context& ctx, std::uint64_t session_id, const std::string& user,
                              const std::string& peer_addr, user_login& out, nav_state& nav);

/// "1.2.3.4" from "1.2.3.4:5678", "::1" from "[::1]:5678".
std::string address_of(const std::string& peer);

}  // namespace ferry::session
