// Digests of the files a tree copy may skip: the server's (pipelined hash
// ops, answered from its kept digests when the file is unchanged) and the
// local side's (hashed here, once per file and command).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/result.hpp"

namespace ferry::client {

class session;

/// The server's digests of `root`/REL for each of `rels`, asked in windows
/// of pipelined hash requests. A file the server refuses to hash is left
/// out (it is then sent, and the transfer says what is wrong). Fails only
/// fatally (the connection broke).
result<std::map<std::string, std::string>> remote_digests(session& remote, const std::string& root,
                                                          const std::vector<std::string>& rels,
                                                          const std::string& algo);

/// The digest of a local regular file (symlinks not followed); nullopt when
/// it cannot be read.
std::optional<std::string> local_digest(const std::string& path, const std::string& algo);

}  // namespace ferry::client
