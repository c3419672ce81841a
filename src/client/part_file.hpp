// The local file a download is written to: `.NAME.ferry-part` beside the
// target, renamed over the target only after the digest matched, kept on an
// interruption so the next get resumes from its length. Failure texts are
// "cannot write PATH: REASON" and the like, for "ferry: get X: TEXT".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/result.hpp"

namespace ferry::transfer {
class digest;
}

namespace ferry::client {

class part_file {
 public:
  part_file() = default;
  part_file(const part_file&) = delete;
  part_file& operator=(const part_file&) = delete;
  /// Closes the file and leaves it for a later resume.
  ~part_file();

  /// Length of the part file of `target` if one exists (a regular file).
  static std::optional<std::uint64_t> existing_length(const std::string& target);

  /// Opens or creates the part file of `target`, keeping its first `keep`
  /// bytes (0: starts empty) and writing after them.
  result<> open(const std::string& target, std::uint64_t keep);
  bool is_open() const noexcept { return fd_ >= 0; }

  /// Feeds the kept bytes to `d` (the digest covers the whole file).
  result<> hash_kept(transfer::digest& d);
  /// Appends `bytes`.
  result<> write(std::string_view bytes);
  /// Closes and renames over the target (replacing a file there). With
  /// `mtime` (unix seconds, the server's), the file gets that modification
  /// time first (best effort: a time that cannot be set fails nothing).
  result<> commit(std::optional<std::int64_t> mtime = std::nullopt);
  /// Closes and deletes the part file.
  void discard() noexcept;

 private:
  int fd_ = -1;
  std::string target_;
  std::string path_;
  std::uint64_t kept_ = 0;
};

}  // namespace ferry::client
