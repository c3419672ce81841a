// Remote digests over pipelined hash ops, local digests over one read pass.
#include "client/tree_digests.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/session.hpp"
#include "client/transfer_paths.hpp"
#include "client/transfer_tuning.hpp"
#include "proto/frame.hpp"
#include "transfer/digest.hpp"

namespace ferry::client {

result<std::map<std::string, std::string>> remote_digests(session& remote, const std::string& root,
                                                          const std::vector<std::string>& rels,
                                                          const std::string& algo) {
  using json = nlohmann::json;
  std::map<std::string, std::string> out;
  for (std::size_t first = 0; first < rels.size(); first += tuning::window_requests) {
    const std::size_t last = std::min(rels.size(), first + tuning::window_requests);
    std::vector<std::uint64_t> ids;
    std::string frames;
    for (std::size_t i = first; i < last; ++i) {
      ids.push_back(remote.new_id());
      frames += proto::encode_frame(
          json{{"op", "hash"}, {"id", ids.back()}, {"path", join_path(root, rels[i])}, {"algo", algo}});
    }
    if (auto r = remote.wire().send_bytes(frames); !r) return r.error();
    for (std::size_t i = first; i < last; ++i) {
      json reply;
      std::uint64_t body = 0;
      const auto status = receive_reply(remote.wire(), ids[i - first], reply, body);
      if (!status) return status.error();
      const auto d = reply.find("digest");
      if (*status < 300 && d != reply.end() && d->is_string() && !d->get<std::string>().empty())
        out.emplace(rels[i], d->get<std::string>());
    }
  }
  return out;
}

std::optional<std::string> local_digest(const std::string& path, const std::string& algo) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const auto d = transfer::digest::make(algo);
    if (transfer::digest_fd_range(fd, static_cast<std::uint64_t>(st.st_size), *d)) out = d->hex();
  }
  ::close(fd);
  return out;
}

}  // namespace ferry::client
