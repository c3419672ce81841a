// Session bookkeeping and limits.
#include "server/session_registry.hpp"

namespace ferry::server {

std::uint64_t session_registry::open(const std::string& addr) {
  std::lock_guard lock(mu_);
  if (limits_.max_sessions && sessions_.size() >= limits_.max_sessions) return 0;
  auto& n = per_addr_[addr];
  if (limits_.max_sessions_per_ip && n >= limits_.max_sessions_per_ip) {
    if (n == 0) per_addr_.erase(addr);
    return 0;
  }
  ++n;
  const auto id = next_id_++;
  sessions_.emplace(id, info{addr, {}});
  return id;
}

bool session_registry::bind_user(std::uint64_t id, const std::string& user,
                                 unsigned max_for_user) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  auto& n = per_user_[user];
  if (max_for_user && n >= max_for_user) {
    if (n == 0) per_user_.erase(user);
    return false;
  }
  ++n;
  it->second.user = user;
  return true;
}

void session_registry::close(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto dec = [](auto& map, const std::string& key) {
    auto m = map.find(key);
    if (m != map.end() && --m->second == 0) map.erase(m);
  };
  dec(per_addr_, it->second.addr);
  if (!it->second.user.empty()) dec(per_user_, it->second.user);
  sessions_.erase(it);
}

std::size_t session_registry::count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

unsigned session_registry::user_count(const std::string& user) const {
  std::lock_guard lock(mu_);
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

}  // namespace ferry::server
