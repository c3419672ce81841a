// The embedded account source: ROOT/accounts.toml, re-read whenever its
// modification time or size changes (so `ferryd user passwd` takes effect at
// the next login without a restart) and on reload(). Thread-safe.
#pragma once
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/account_store.hpp"
#include "session/account_source.hpp"

namespace ferry::session {

class account_cache final : public account_source {
 public:
  explicit account_cache(std::filesystem::path file) : file_(std::move(file)) {}

  /// Loads the file now; false + error when it is unreadable or invalid.
  bool reload(std::string& error) override;
  /// The account, refreshed from disk if the file changed. A file that became
  /// invalid keeps the last good copy (and logs).
  std::optional<auth::account> find(std::string_view user) override;

 private:
  std::filesystem::path file_;
  std::mutex mu_;
  auth::account_store store_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
};

}  // namespace ferry::session
