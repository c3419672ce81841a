// Session bookkeeping, limits and the shutdown gate.
#include "session/session_registry.hpp"

namespace ferry::session {

std::uint64_t session_registry::open(const std::string& addr) {
  std::lock_guard lock(mu_);
  if (gate_closed_) return 0;
  if (limits_.max_sessions && sessions_.size() >= limits_.max_sessions) return 0;
  auto& n = per_addr_[addr];
  if (limits_.max_sessions_per_ip && n >= limits_.max_sessions_per_ip) {
    if (n == 0) per_addr_.erase(addr);
    return 0;
  }
  ++n;
  const auto id = next_id_++;
  sessions_.emplace(id, info{addr, {}, {}});
  return id;
}

void session_registry::on_stop(std::uint64_t id, stopper stop) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.stop = std::move(stop);
  if (stopping_) it->second.stop();
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

namespace {

template <class Map>
void decrement(Map& map, const std::string& key) {
  auto m = map.find(key);
  if (m != map.end() && --m->second == 0) map.erase(m);
}

}  // namespace

void session_registry::unbind_user(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.user.empty()) return;
  decrement(per_user_, it->second.user);
  it->second.user.clear();
}

void session_registry::close(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  decrement(per_addr_, it->second.addr);
  if (!it->second.user.empty()) decrement(per_user_, it->second.user);
  sessions_.erase(it);
  if (sessions_.empty()) idle_.notify_all();
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

void session_registry::close_gate() {
  std::lock_guard lock(mu_);
  gate_closed_ = true;
}

bool session_registry::gate_closed() const {
  std::lock_guard lock(mu_);
  return gate_closed_;
}

void session_registry::stop_all() {
  std::lock_guard lock(mu_);
  gate_closed_ = true;
  stopping_ = true;
  for (auto& [id, s] : sessions_)
    if (s.stop) s.stop();
}

bool session_registry::wait_idle(clock::time_point deadline) {
  std::unique_lock lock(mu_);
  idle_.wait_until(lock, deadline, [this] { return sessions_.empty() || released_; });
  return sessions_.empty();
}

void session_registry::release_waiters() {
  std::lock_guard lock(mu_);
  released_ = true;
  idle_.notify_all();
}

}  // namespace ferry::session
