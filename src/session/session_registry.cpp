// Session bookkeeping, limits and the shutdown gate.
#include "session/session_registry.hpp"

namespace ferry::session {

std::uint64_t session_registry::open(const std::string& addr) {
  std::lock_guard lock(mu_);
  if (gate_closed_) return 0;
  if (limits_.max_pending && pending_ >= limits_.max_pending) return 0;
  const auto at = [](auto& map, const std::string& key) {
    const auto it = map.find(key);
    return it == map.end() ? 0u : it->second;
  };
  if (limits_.max_sessions_per_ip && at(per_addr_, addr) >= limits_.max_sessions_per_ip) return 0;
  if (limits_.max_pending_per_ip && at(pending_per_addr_, addr) >= limits_.max_pending_per_ip) return 0;
  ++per_addr_[addr];
  ++pending_per_addr_[addr];
  ++pending_;
  const auto id = next_id_++;
  sessions_.emplace(id, info{addr, {}, {}, {}, {}, true});
  return id;
}

void session_registry::on_stop(std::uint64_t id, stopper stop) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.stop = std::move(stop);
  if (stopping_) it->second.stop();
}

void session_registry::publish(std::uint64_t id, std::shared_ptr<const session_activity> activity,
                               stopper kick) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.activity = std::move(activity);
  it->second.kick = std::move(kick);
}

std::vector<session_registry::entry> session_registry::list() const {
  std::lock_guard lock(mu_);
  std::vector<entry> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back({id, s.user, s.activity});
  return out;
}

bool session_registry::kick(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second.kick) return false;
  it->second.kick();
  return true;
}

std::size_t session_registry::kick_user(const std::string& user) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto& [id, s] : sessions_)
    if (s.user == user && s.kick) {
      s.kick();
      ++n;
    }
  return n;
}

bool session_registry::bind_user(std::uint64_t id, const std::string& user,
                                 unsigned max_for_user) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second.user.empty()) return false;
  if (limits_.max_sessions && logged_in_ >= limits_.max_sessions) return false;
  auto& n = per_user_[user];
  if (max_for_user && n >= max_for_user) {
    if (n == 0) per_user_.erase(user);
    return false;
  }
  ++n;
  ++logged_in_;
  it->second.user = user;
  leave_pending(it->second);
  return true;
}

namespace {

template <class Map>
void decrement(Map& map, const std::string& key) {
  auto m = map.find(key);
  if (m != map.end() && --m->second == 0) map.erase(m);
}

}  // namespace

void session_registry::leave_pending(info& s) {
  if (!s.pending) return;
  s.pending = false;
  --pending_;
  decrement(pending_per_addr_, s.addr);
}

void session_registry::unbind_user(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.user.empty()) return;
  decrement(per_user_, it->second.user);
  --logged_in_;
  it->second.user.clear();
}

void session_registry::close(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  decrement(per_addr_, it->second.addr);
  if (!it->second.user.empty()) {
    decrement(per_user_, it->second.user);
    --logged_in_;
  }
  leave_pending(it->second);
  sessions_.erase(it);
  ++closed_;
  if (sessions_.empty()) idle_.notify_all();
}

std::uint64_t session_registry::closed_total() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::size_t session_registry::count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::size_t session_registry::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
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
