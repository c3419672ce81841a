// Offline administration behind `ferryd init` and `ferryd user ...`: creating
// a root and editing the accounts file. Each function returns an error string
// (empty on success) for the CLI to print.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ferry::server {

/// Creates ROOT/ferryd.toml (if missing), ROOT/accounts.toml (0600, if
/// missing), ROOT/home/, ROOT/log/, ROOT/secret and, when `tls`, a self-signed
/// certificate ROOT/tls/cert.pem with its key ROOT/tls/key.pem (see
/// self_signed.hpp; an existing pair is kept). Idempotent.
std::string init_root(const std::filesystem::path& root, bool tls = true);

struct user_options {
  std::optional<std::string> quota;         ///< "100MiB"
  std::optional<std::string> rate;          ///< "10MiB/s"
  std::optional<std::uint32_t> max_sessions;
  std::optional<std::string> max_files;     ///< "N" (0 = unlimited) or "default" (ferryd.toml's)
  std::optional<bool> exec;
};

std::string user_add(const std::filesystem::path& root, const std::string& name,
                     const std::string& password, int iterations, const user_options& opts);
std::string user_passwd(const std::filesystem::path& root, const std::string& name,
                        const std::string& password, int iterations);
/// Removes the account; the home is deleted only when `remove_home`.
std::string user_del(const std::filesystem::path& root, const std::string& name, bool remove_home);
std::string user_set(const std::filesystem::path& root, const std::string& name,
                     const user_options& opts);
/// A table of users for `ferryd user list`; error in `error`.
std::string user_list(const std::filesystem::path& root, std::string& error);

}  // namespace ferry::server
