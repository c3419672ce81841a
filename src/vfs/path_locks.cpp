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
  if (owner_ != nullptr) owner_->release(key_);
  owner_ = nullptr;
}

path_locks::guard path_locks::try_lock(path_key key) {
  if (!acquire(key)) return {};
  return guard(this, std::move(key));
}

bool local_path_locks::acquire(const path_key& key) {
  std::lock_guard lock(mu_);
  return held_.insert(key).second;
}

void local_path_locks::release(const path_key& key) {
  std::lock_guard lock(mu_);
  held_.erase(key);
}

}  // namespace ferry::vfs
