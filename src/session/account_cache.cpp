// Reloading account cache.
#include "session/account_cache.hpp"

#include <spdlog/spdlog.h>

namespace ferry::session {

bool account_cache::reload(std::string& error) {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(file_, ec);
  auto size = ec ? 0 : std::filesystem::file_size(file_, ec);
  auto loaded = auth::account_store::load(file_, error);
  if (!loaded) return false;
  std::lock_guard lock(mu_);
  store_ = std::move(*loaded);
  mtime_ = mtime;
  size_ = size;
  return true;
}

std::optional<auth::account> account_cache::find(std::string_view user) {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(file_, ec);
  auto size = ec ? 0 : std::filesystem::file_size(file_, ec);
  bool stale;
  {
    std::lock_guard lock(mu_);
    stale = mtime != mtime_ || size != size_;
  }
  if (stale) {
    std::string error;
    if (!reload(error)) spdlog::error("accounts: keeping previous accounts: {}", error);
  }
  std::lock_guard lock(mu_);
  auto it = store_.users.find(user);
  if (it == store_.users.end()) return std::nullopt;
  return it->second;
}

}  // namespace ferry::session
