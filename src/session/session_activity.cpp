// Per-session activity for the admin socket.
#include "session/session_activity.hpp"

#include <algorithm>
#include <ctime>

namespace ferry::session {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;
}

std::int64_t session_activity::now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
}

session_activity::session_activity(std::string protocol, std::string peer)
    : protocol_(std::move(protocol)), peer_(std::move(peer)), since_(std::time(nullptr)), last_ms_(now_ms()) {}

void session_activity::touch(bool tls) noexcept {
  tls_.store(tls, relaxed);
  last_ms_.store(now_ms(), relaxed);
}

void session_activity::begin_transfer(const std::string& path, bool incoming, std::uint64_t size,
                                      std::uint64_t offset) {
  {
    std::lock_guard lock(path_mu_);
    path_ = path;
  }
  incoming_.store(incoming, relaxed);
  size_.store(size, relaxed);
  offset_.store(offset, relaxed);
  done_.store(0, relaxed);
  started_ms_.store(now_ms(), relaxed);
  last_ms_.store(now_ms(), relaxed);
  transferring_.store(true, std::memory_order_release);
}

void session_activity::end_transfer(const std::string& path) {
  std::lock_guard lock(path_mu_);
  if (path_ != path) return;
  transferring_.store(false, std::memory_order_release);
  path_.clear();
}

session_activity::view session_activity::read() const {
  view v;
  v.protocol = protocol_;
  v.peer = peer_;
  v.since = since_;
  v.tls = tls_.load(relaxed);
  const auto now = now_ms();
  v.idle_ms = std::max<std::int64_t>(0, now - last_ms_.load(relaxed));
  v.transferring = transferring_.load(std::memory_order_acquire);
  if (!v.transferring) return v;
  {
    std::lock_guard lock(path_mu_);
    v.path = path_;
  }
  v.incoming = incoming_.load(relaxed);
  v.size = size_.load(relaxed);
  v.offset = offset_.load(relaxed);
  v.done = done_.load(relaxed);
  const auto ms = now - started_ms_.load(relaxed);
  v.rate = ms > 0 ? static_cast<double>(v.done) * 1000.0 / static_cast<double>(ms) : 0.0;
  return v;
}

}  // namespace ferry::session
