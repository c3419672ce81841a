// The remote half of tree_walk.hpp: breadth-first, sending the ls requests of
// one level together (up to a window) so a tree of many directories costs a
// few round trips, not one per directory.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/session.hpp"
#include "client/transfer_paths.hpp"
#include "client/tree_walk.hpp"
#include "proto/frame.hpp"

namespace ferry::client {
namespace {

using json = nlohmann::json;

constexpr std::size_t ls_window = 64;
constexpr int max_depth = 256;

/// Adds the entries of one listing of directory `rel`; subdirectories go to `next`.
void add_listing(const json& reply, const std::string& rel, tree_listing& out,
                 std::vector<std::string>& next) {
  const auto it = reply.find("entries");
  if (it == reply.end() || !it->is_array()) return;
  for (const json& j : *it) {
    const file_entry e = entry_from_json(j);
    // SECURITY: a name with '/' or ".." would write outside the target tree.
    if (!usable_name(e.name)) {
      out.skipped.push_back({join_path(rel, e.name), "unusable name"});
      continue;
    }
    const std::string path = rel.empty() ? e.name : join_path(rel, e.name);
    switch (e.type) {
      case entry_type::file: out.entries.push_back({path, false, e.size}); break;
      case entry_type::dir:
        out.entries.push_back({path, true, 0});
        next.push_back(path);
        break;
      case entry_type::link: out.skipped.push_back({path, "symbolic link"}); break;
      case entry_type::other: out.skipped.push_back({path, "special file"}); break;
    }
  }
}

}  // namespace

result<tree_listing> walk_remote(session& remote, const std::string& root) {
  tree_listing out;
  std::vector<std::string> level{std::string()};
  for (int depth = 0; !level.empty(); ++depth) {
    std::vector<std::string> next;
    for (std::size_t first = 0; first < level.size(); first += ls_window) {
      const std::size_t last = std::min(level.size(), first + ls_window);
      const std::uint64_t first_id = remote.new_id();
      std::string frames;
      for (std::size_t i = first; i < last; ++i) {
        const std::uint64_t id = i == first ? first_id : remote.new_id();
        frames += proto::encode_frame(
            json{{"op", "ls"}, {"id", id}, {"path", join_path(root, level[i])}});
      }
      if (auto r = remote.wire().send_bytes(frames); !r) return r.error();
      for (std::size_t i = first; i < last; ++i) {
        // A big directory answers in several frames ("more": true on all
        // but the last), before the next request's answer.
        for (bool first_frame = true, more = true; more; first_frame = false) {
          json reply;
          std::uint64_t body = 0;
          const auto status = receive_reply(remote.wire(), first_id + (i - first), reply, body);
          if (!status) return status.error();
          if (*status >= 300) {
            if (level[i].empty()) return refused(reply_text(reply));
            out.errors.push_back({level[i], reply_text(reply)});
            break;
          }
          if (depth >= max_depth) {
            if (first_frame) out.errors.push_back({level[i], "directory tree too deep"});
          } else {
            add_listing(reply, level[i], out, next);
          }
          const auto m = reply.find("more");
          more = m != reply.end() && m->is_boolean() && m->get<bool>();
        }
      }
    }
    level = std::move(next);
  }
  return out;
}

}  // namespace ferry::client
