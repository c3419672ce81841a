// The accounts file (docs/operations.md): ROOT/accounts.toml with one [users.NAME] table
// per user. Saved atomically (temp file in the same directory, fsync, rename)
// with mode 0600.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::auth {

struct account {
  std::string scram;              ///< verifier text, PostgreSQL format
  std::uint64_t quota = 0;        ///< bytes, 0 = unlimited
  std::uint64_t rate = 0;         ///< bytes/s, 0 = unlimited
  std::uint32_t max_sessions = 0; ///< 0 = unlimited
  bool exec = false;
  /// Names the home may hold (files, directories, links, part files); 0 =
  /// unlimited; unset = the server's max_files (ferryd.toml).
  std::optional<std::uint64_t> max_files;
};

/// User names: 1..32 bytes of [a-z0-9_.-], starting with a letter, digit or '_'.
/// SECURITY: the name becomes a directory under ROOT/home, so no '/', no "..".
bool valid_user_name(std::string_view name);

struct account_store {
  std::map<std::string, account, std::less<>> users;

  /// Parses the file. A missing file is an empty store. On a parse error
  /// returns nullopt and sets `error` (one line, includes line number).
  static std::optional<account_store> load(const std::filesystem::path& file,
                                           std::string& error);
  /// Writes atomically; returns false and sets `error` on failure.
  bool save(const std::filesystem::path& file, std::string& error) const;
};

}  // namespace ferry::auth
