#include "session/user_state.hpp"

namespace ferry::session {

user_table::user_table(ledger_factory make) : make_ledger_(std::move(make)) {
  if (!make_ledger_) make_ledger_ = [](std::string_view) { return std::make_unique<vfs::local_quota_ledger>(); };
}

std::shared_ptr<user_state> user_table::get(std::string_view user) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) {
    auto st = std::make_shared<user_state>();
    st->quota = make_ledger_(user);
    it = users_.emplace(std::string(user), std::move(st)).first;
  }
  return it->second;
}

}  // namespace ferry::session
