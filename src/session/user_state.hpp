// Per-user state shared by all sessions of that user, on any thread: the quota
// ledger and the bandwidth token bucket. Created on first login and kept for
// the life of the server (a few hundred bytes per user).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "transfer/rate_limiter.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::session {

struct user_state {
  vfs::quota_ledger quota;
  transfer::rate_limiter rate;
};

class user_table {
 public:
  std::shared_ptr<user_state> get(std::string_view user);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<user_state>, std::less<>> users_;
};

}  // namespace ferry::session
