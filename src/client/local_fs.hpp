// The local side of the sftp-style lcd / lls / lpwd commands: the client's
// own working directory and directory listings, as file_entry values so lls
// prints exactly like ls. Failure texts are strerror words.
#pragma once
#include <string>
#include <vector>

#include "client/file_entry.hpp"
#include "client/result.hpp"

namespace ferry::client::local_fs {

/// The process's working directory.
result<std::string> current_dir();

/// chdir(2); an empty `dir` means $HOME (or the passwd entry's home).
result<> change_dir(const std::string& dir);

/// Entries of `dir` ("" = ".") without "." and "..", sorted by name; symlinks
/// are reported as links (lstat). A non-directory lists as itself.
result<std::vector<file_entry>> list(const std::string& dir);

}  // namespace ferry::client::local_fs
