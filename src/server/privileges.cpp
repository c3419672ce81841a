#include "server/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace ferry::server {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

privilege_plan plan_privileges(unsigned euid, const std::string& user, const std::filesystem::path& root,
                               bool allow_root) {
  privilege_plan p;
  if (euid != 0) return p;  // already unprivileged: nothing to drop
  if (!user.empty()) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
      throw std::runtime_error("user \"" + user + "\" (ferryd.toml) does not exist");
    p.uid = pw.pw_uid;
    p.gid = pw.pw_gid;
    p.name = user;
  } else {
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + root.string() + ": " + errno_text());
    p.uid = st.st_uid;
    p.gid = st.st_gid;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    p.name = ::getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr
                 ? std::string(pw.pw_name)
                 : "uid " + std::to_string(st.st_uid);
  }
  if (p.uid == 0) {
    if (!allow_root)
      throw std::runtime_error(
          "ferryd would serve as root (" + (user.empty() ? root.string() + " is owned by root" : "user = \"" + user + "\"") +
          "): chown -R the root to an unprivileged service user, or set user = \"NAME\" in ferryd.toml; "
          "--allow-root serves as root anyway (not recommended)");
    p.as_root = true;
    return p;
  }
  p.change = true;
  return p;
}

void drop_privileges(const privilege_plan& p) {
  if (!p.change) return;
  const gid_t gid = p.gid;
  // Order matters: groups and gid while still root, then uid.
  if (::setgroups(1, &gid) != 0) throw std::runtime_error("setgroups: " + errno_text());
  if (::setgid(gid) != 0) throw std::runtime_error("setgid: " + errno_text());
  if (::setuid(p.uid) != 0) throw std::runtime_error("setuid: " + errno_text());
  // SECURITY: make sure there is no way back.
  if (::setuid(0) == 0 || ::geteuid() == 0) throw std::runtime_error("could still regain root after setuid");
}

}  // namespace ferry::server
