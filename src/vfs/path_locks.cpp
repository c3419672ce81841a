#include "vfs/path_locks.hpp"

namespace ferry::vfs {

path_locks::guard& path_locks::guard::operator=(guard&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = o.owner_;
    key_ = std::move(o.key_);
    o.owner_ = nullptr;
  }
  return *this;
}

void path_locks::guard::reset() {
  if (owner_ != nullptr) owner_->unlock(key_);
  owner_ = nullptr;
}

path_locks::guard path_locks::try_lock(path_key key) {
  std::lock_guard lock(mu_);
  if (!held_.insert(key).second) return {};
  return guard(this, std::move(key));
}

void path_locks::unlock(const path_key& key) {
  std::lock_guard lock(mu_);
  held_.erase(key);
}

}  // namespace ferry::vfs
