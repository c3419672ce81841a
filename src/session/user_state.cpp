#include "session/user_state.hpp"

namespace ferry::session {

std::shared_ptr<user_state> user_table::get(std::string_view user) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) it = users_.emplace(std::string(user), std::make_shared<user_state>()).first;
  return it->second;
}

}  // namespace ferry::session
