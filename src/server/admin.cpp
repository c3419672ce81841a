// ferryd init / user management.
#include "server/admin.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "auth/account_store.hpp"
#include "auth/scram.hpp"
#include "proto/units.hpp"
#include "server/self_signed.hpp"
#include "session/config.hpp"
#include "session/server_context.hpp"

namespace ferry::server {
namespace fs = std::filesystem;
namespace {

fs::path accounts_file(const fs::path& root) { return root / "accounts.toml"; }

/// Whom what an admin command creates in ROOT must belong to: ROOT's owner
/// (the service user ferryd serves as), when the command runs as root and
/// ROOT is someone else's. Otherwise nothing is given away (`give` is off).
struct root_owner {
  bool give = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

root_owner owner_of(const fs::path& root) {
  struct stat st {};
  if (::geteuid() != 0 || ::stat(root.c_str(), &st) != 0 || st.st_uid == 0) return {};
  return {true, st.st_uid, st.st_gid};
}

/// Gives `p` (created by this command) to ROOT's owner; the mode stays.
/// A file the server cannot open as its user would fail later, at a login.
std::string give(const fs::path& p, const root_owner& o) {
  if (!o.give) return {};
  if (::lchown(p.c_str(), o.uid, o.gid) != 0)
    return fmt::format("cannot give {} to uid {} (the owner of the root): {}", p.string(), o.uid,
                       std::strerror(errno));
  return {};
}

std::string apply(auth::account& a, const user_options& o) {
  if (o.quota) {
    auto q = parse_size(*o.quota);
    if (!q) return "invalid quota '" + *o.quota + "' (e.g. 100MiB, 2GiB, 0 for none)";
    a.quota = *q;
  }
  if (o.rate) {
    auto r = parse_rate(*o.rate);
    if (!r) return "invalid rate '" + *o.rate + "' (e.g. 10MiB/s, 0 for none)";
    a.rate = *r;
  }
  if (o.max_sessions) a.max_sessions = *o.max_sessions;
  if (o.max_files) {
    std::uint64_t n = 0;
    const auto& t = *o.max_files;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (t == "default") a.max_files.reset();
    else if (t.empty() || ec != std::errc() || end != t.data() + t.size())
      return "invalid max-files '" + t + "' (a number of files, 0 for none, or 'default')";
    else a.max_files = n;
  }
  if (o.exec) a.exec = *o.exec;
  return {};
}

/// Loads, lets `edit` change the store, saves atomically.
template <typename Edit>
std::string edit_accounts(const fs::path& root, Edit edit) {
  std::string error;
  if (!fs::is_directory(root / "home")) return "not a ferryd root (run: ferryd init --root " + root.string() + ")";
  auto store = auth::account_store::load(accounts_file(root), error);
  if (!store) return error;
  if (auto e = edit(*store); !e.empty()) return e;
  if (!store->save(accounts_file(root), error)) return error;
  return {};
}

/// What `ferryd init` creates, as the user running it.
std::string init_files(const fs::path& root, bool tls) {
  std::error_code ec;
  for (const auto& dir : {root, root / "home", root / "log"}) {
    fs::create_directories(dir, ec);
    if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  }
  ::chmod((root / "home").c_str(), 0711);  // users' names are not listable by others
  if (!fs::exists(root / "ferryd.toml")) {
    std::ofstream(root / "ferryd.toml") << session::default_config_text();
  }
  if (!fs::exists(accounts_file(root))) {
    std::string error;
    if (!auth::account_store{}.save(accounts_file(root), error)) return error;
  }
  try {
    session::load_or_create_secret(root);
  } catch (const std::exception& e) {
    return e.what();
  }
  if (tls) return create_self_signed(root / "tls", local_cert_names());
  return {};
}

}  // namespace

std::string init_root(const fs::path& root, bool tls) {
  // Run as root on a ROOT that belongs to the service user, whatever init
  // adds must be that user's, as if it had run init itself.
  const std::vector<fs::path> made_here{root / "home",          root / "log",         root / "ferryd.toml",
                                        accounts_file(root),    root / "secret",      root / "tls",
                                        root / "tls" / "key.pem", root / "tls" / "cert.pem"};
  std::vector<bool> existed;
  for (const auto& p : made_here) existed.push_back(fs::exists(fs::symlink_status(p)));
  auto e = init_files(root, tls);
  const auto owner = owner_of(root);
  for (std::size_t i = 0; i < made_here.size(); ++i)
    if (!existed[i] && fs::exists(fs::symlink_status(made_here[i])))
      if (auto g = give(made_here[i], owner); !g.empty() && e.empty()) e = g;
  return e;
}

std::string user_add(const fs::path& root, const std::string& name, const std::string& password,
                     int iterations, const user_options& opts) {
  if (!auth::valid_user_name(name))
    return "invalid user name '" + name + "' (1-32 of a-z 0-9 _ . -, not starting with . or -)";
  if (password.empty()) return "empty password";
  auto e = edit_accounts(root, [&](auth::account_store& s) -> std::string {
    if (s.users.count(name)) return "user '" + name + "' already exists";
    auth::account a;
    a.scram = auth::format_verifier(auth::make_verifier(password, iterations));
    if (auto err = apply(a, opts); !err.empty()) return err;
    s.users.emplace(name, std::move(a));
    return {};
  });
  if (!e.empty()) return e;
  std::error_code ec;
  const auto home = root / "home" / name;
  const bool created = fs::create_directory(home, ec);
  if (ec) return "cannot create home " + home.string() + ": " + ec.message();
  ::chmod(home.c_str(), 0700);
  // Made by root for a server that runs as ROOT's owner: that user's, or the
  // server could not open it (the login would fail: home unavailable).
  if (created) return give(home, owner_of(root));
  return {};
}

std::string user_passwd(const fs::path& root, const std::string& name, const std::string& password,
                        int iterations) {
  if (password.empty()) return "empty password";
  return edit_accounts(root, [&](auth::account_store& s) -> std::string {
    auto it = s.users.find(name);
    if (it == s.users.end()) return "no such user '" + name + "'";
    it->second.scram = auth::format_verifier(auth::make_verifier(password, iterations));
    return {};
  });
}

std::string user_del(const fs::path& root, const std::string& name, bool remove_home) {
  auto e = edit_accounts(root, [&](auth::account_store& s) -> std::string {
    if (!s.users.erase(name)) return "no such user '" + name + "'";
    return {};
  });
  if (!e.empty() || !remove_home) return e;
  // SECURITY: valid names only, so the path cannot leave ROOT/home.
  if (!auth::valid_user_name(name)) return {};
  std::error_code ec;
  fs::remove_all(root / "home" / name, ec);
  if (ec) return "account removed, but the home could not be: " + ec.message();
  return {};
}

std::string user_set(const fs::path& root, const std::string& name, const user_options& opts) {
  return edit_accounts(root, [&](auth::account_store& s) -> std::string {
    auto it = s.users.find(name);
    if (it == s.users.end()) return "no such user '" + name + "'";
    return apply(it->second, opts);
  });
}

std::string user_list(const fs::path& root, std::string& error) {
  auto store = auth::account_store::load(accounts_file(root), error);
  if (!store) return {};
  std::ostringstream out;
  out << fmt::format("{:<20} {:>12} {:>12} {:>8} {:>10} {}\n", "USER", "QUOTA", "RATE", "SESSIONS", "FILES",
                     "EXEC");
  for (const auto& [name, a] : store->users) {
    // FILES: "default" follows ferryd.toml's max_files; "-" is unlimited.
    const std::string files = !a.max_files ? "default" : *a.max_files ? std::to_string(*a.max_files) : "-";
    out << fmt::format("{:<20} {:>12} {:>12} {:>8} {:>10} {}\n", name,
                       a.quota ? format_size(a.quota) : "-",
                       a.rate ? format_size(a.rate) + "/s" : "-",
                       a.max_sessions ? std::to_string(a.max_sessions) : "-", files, a.exec ? "yes" : "no");
  }
  return out.str();
}

}  // namespace ferry::server
