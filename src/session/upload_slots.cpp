#include "session/upload_slots.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace ferry::session {
namespace {

/// Adds one to `n` unless it is at `cap` (0 = none).
bool take_one(std::atomic<unsigned>& n, unsigned cap) {
  unsigned v = n.load(std::memory_order_relaxed);
  do {
    if (cap != 0 && v >= cap) return false;
  } while (!n.compare_exchange_weak(v, v + 1, std::memory_order_relaxed));
  return true;
}

}  // namespace

std::optional<upload_slot> upload_slot::take(std::atomic<unsigned>& server, unsigned server_cap,
                                             std::atomic<unsigned>& user, unsigned user_cap) {
  if (!take_one(user, user_cap)) return std::nullopt;
  if (!take_one(server, server_cap)) {
    user.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return upload_slot(&server, &user);
}

void upload_slot::release() noexcept {
  if (server_ != nullptr) server_->fetch_sub(1, std::memory_order_relaxed);
  if (user_ != nullptr) user_->fetch_sub(1, std::memory_order_relaxed);
  server_ = user_ = nullptr;
}

descriptor_limit raise_descriptor_limit() {
  descriptor_limit out;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return out;
  out.before = out.now = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit up = rl;
    up.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) out.now = up.rlim_cur;
  }
  return out;
}

descriptor_budget budget_for(unsigned long nofile) noexcept {
  // The listeners, the event loops, log files, accept's spare: 64.
  constexpr unsigned long reserve = 64;
  const unsigned long usable = nofile > reserve + 6 ? nofile - reserve : 6;
  const unsigned long third = std::min<unsigned long>(usable / 3, 1u << 20);
  return {static_cast<unsigned>(std::max<unsigned long>(third, 2)),
          static_cast<unsigned>(std::max<unsigned long>(third, 2))};
}

}  // namespace ferry::session
