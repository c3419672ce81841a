// What a one-way tree copy (get -r, put -r, sync) must do, decided from the
// two listings alone: a pure function, so every rule is unit-tested without
// files or sockets (tests/unit/client_sync_plan_test.cpp).
//
// A file is up to date when the other side has a file of the same size and
// the same digest; size alone is only a reason to ask for digests (two
// steps: digest_candidates, then make_plan with the pairs proven equal).
// Modification times decide nothing: a file rewritten with other bytes of
// the same size within the same second is still sent.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ferry::client {

enum class node_kind { file, dir, other };  ///< other: a symlink or special file

/// One entry of a tree below its root; `rel` is '/'-separated, never empty.
struct tree_node {
  std::string rel;
  node_kind kind = node_kind::file;
  std::uint64_t size = 0;  ///< files only
};

struct plan_options {
  bool delete_extra = false;  ///< remove what the source does not have
  bool force = false;         ///< send files even when they are up to date
};

struct removal {
  std::string rel;
  bool is_dir = false;
};

/// A name whose kinds differ and which the copy leaves alone (no --delete).
struct plan_conflict {
  std::string rel;
  std::string text;  ///< "is a directory on the target", ...
};

struct sync_plan {
  /// Deepest first (a directory after everything in it): run them in order.
  std::vector<removal> removals;
  /// Directories to create, parents first.
  std::vector<std::string> mkdirs;
  /// Files to send, in source order (new or changed).
  std::vector<tree_node> sends;
  /// Files the target already has with the same size and digest.
  std::vector<std::string> up_to_date;
  std::vector<plan_conflict> conflicts;
};

/// The files both sides have with the same size: only these need digests
/// (none with `force`). `source` and `target` in walk order.
std::vector<std::string> digest_candidates(const std::vector<tree_node>& source,
                                           const std::vector<tree_node>& target, bool force);

/// The plan. `same` holds the candidates whose digests matched on both
/// sides. Source entries must list every directory before what it holds.
sync_plan make_plan(const std::vector<tree_node>& source, const std::vector<tree_node>& target,
                    const std::set<std::string>& same, const plan_options& opt);

}  // namespace ferry::client
