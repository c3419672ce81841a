// Navigation ops of the native protocol (pwd, cd, ls, stat, mkdir, rmdir, rm,
// mv, quota): request fields in, reply JSON out. Synchronous and socket-free;
// every path goes through vfs::resolve and then the jail.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "proto/errc.hpp"

namespace ferry::vfs {
class jail;
class quota_ledger;
}

namespace ferry::server {

struct nav_state {
  const vfs::jail* jail = nullptr;
  std::string cwd = "/";
  vfs::quota_ledger* quota = nullptr;  ///< the user's ledger (rm frees, quota reads)
  /// The home must be re-measured before the ledger is next used (set at
  /// login; done lazily so a login costs no walk of the home).
  bool quota_stale = false;
};

/// The user's ledger, re-measuring the home first when it is stale.
vfs::quota_ledger& fresh_quota(nav_state& st);

/// Runs a navigation op. Returns false when `op` is not one of them.
bool run_nav_op(const std::string& op, std::uint64_t id, const nlohmann::json& req,
                nav_state& st, nlohmann::json& reply);

/// True when `op` names a navigation op.
bool is_nav_op(std::string_view op);

/// {"id","status","error","message"} for a failure.
nlohmann::json error_reply(std::uint64_t id, errc e, const std::string& message);

}  // namespace ferry::server
