// Least privilege: ferryd needs no root. Started as root (to bind a low port,
// or as `make run` and CI are), it binds its listeners and then becomes the
// unprivileged user that serves: `user` in ferryd.toml, else the owner of
// ROOT. It refuses to serve as root unless told --allow-root.
#pragma once
#include <filesystem>
#include <string>

namespace ferry::server {

struct privilege_plan {
  bool change = false;   ///< running as root and dropping to uid/gid
  bool as_root = false;  ///< staying root (only with --allow-root)
  unsigned uid = 0;
  unsigned gid = 0;
  std::string name;      ///< the account's name, for the log
};

/// What to do, from who we are (`euid`), the `user` setting ("" = none), the
/// owner of ROOT and --allow-root. Throws std::runtime_error with advice when
/// the answer would be "serve as root" without allow_root.
privilege_plan plan_privileges(unsigned euid, const std::string& user, const std::filesystem::path& root,
                               bool allow_root);

/// Carries out the plan: supplementary groups, gid, then uid, and checks that
/// root cannot be regained. Throws std::runtime_error on any failure.
void drop_privileges(const privilege_plan& p);

}  // namespace ferry::server
