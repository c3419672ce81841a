// Per-user state shared by all sessions of that user, on any thread: the quota
// ledger and the bandwidth token bucket. Created on first login and kept for
// the life of the server (a few hundred bytes per user).
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "transfer/rate_limiter.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::session {

struct user_state {
  std::unique_ptr<vfs::quota_ledger> quota;
  transfer::rate_limiter rate;
  std::atomic<unsigned> open_uploads{0};  ///< across the user's sessions (upload_slots.hpp)
  std::atomic<unsigned> commands{0};      ///< remote commands running (exec.max_per_user)
};

class user_table {
 public:
  /// Makes the quota ledger of a user seen for the first time.
  using ledger_factory = std::function<std::unique_ptr<vfs::quota_ledger>(std::string_view user)>;

  /// By default each user gets an in-process ledger (vfs::local_quota_ledger).
  explicit user_table(ledger_factory make = {});
  std::shared_ptr<user_state> get(std::string_view user);

 private:
  ledger_factory make_ledger_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<user_state>, std::less<>> users_;
};

}  // namespace ferry::session
