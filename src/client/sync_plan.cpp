// The plan of a tree copy from two listings (see sync_plan.hpp).
#include "client/sync_plan.hpp"

#include <algorithm>
#include <unordered_map>

namespace ferry::client {
namespace {

using index = std::unordered_map<std::string, const tree_node*>;

index by_rel(const std::vector<tree_node>& nodes) {
  index out;
  out.reserve(nodes.size());
  for (const tree_node& n : nodes) out.emplace(n.rel, &n);
  return out;
}

const tree_node* find(const index& idx, const std::string& rel) {
  const auto it = idx.find(rel);
  return it == idx.end() ? nullptr : it->second;
}

/// A directory where a file should be, or the other way round: one must go
/// before the other can be made. A symlink or special file where a file
/// should be is simply replaced (the rename of the finished file takes its
/// name), so that is no conflict.
bool incompatible(node_kind source, node_kind target) {
  return (source == node_kind::dir) != (target == node_kind::dir);
}

bool under(const std::string& rel, const std::set<std::string>& dirs) {
  for (auto slash = rel.rfind('/'); slash != std::string::npos && slash > 0;
       slash = rel.rfind('/', slash - 1)) {
    if (dirs.contains(rel.substr(0, slash))) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> digest_candidates(const std::vector<tree_node>& source,
                                           const std::vector<tree_node>& target, bool force) {
  std::vector<std::string> out;
  if (force) return out;
  const index theirs = by_rel(target);
  for (const tree_node& s : source) {
    if (s.kind != node_kind::file) continue;
    const tree_node* t = find(theirs, s.rel);
    if (t != nullptr && t->kind == node_kind::file && t->size == s.size) out.push_back(s.rel);
  }
  return out;
}

sync_plan make_plan(const std::vector<tree_node>& source, const std::vector<tree_node>& target,
                    const std::set<std::string>& same, const plan_options& opt) {
  sync_plan plan;
  const index ours = by_rel(source);
  const index theirs = by_rel(target);

  if (opt.delete_extra) {
    for (const tree_node& t : target) {
      const tree_node* s = find(ours, t.rel);
      if (s == nullptr || incompatible(s->kind, t.kind))
        plan.removals.push_back({t.rel, t.kind == node_kind::dir});
    }
    // Reverse name order puts "a/b" before "a": contents before their directory.
    std::sort(plan.removals.begin(), plan.removals.end(),
              [](const removal& a, const removal& b) { return a.rel > b.rel; });
  }

  std::set<std::string> blocked;  // source directories not copied (conflicts)
  for (const tree_node& s : source) {
    if (s.kind == node_kind::other || under(s.rel, blocked)) continue;
    const tree_node* t = find(theirs, s.rel);
    if (t != nullptr && incompatible(s.kind, t->kind) && !opt.delete_extra) {
      plan.conflicts.push_back(
          {s.rel, t->kind == node_kind::dir ? "is a directory on the target"
                                            : "is not a directory on the target"});
      if (s.kind == node_kind::dir) blocked.insert(s.rel);
      continue;
    }
    const bool replaced = t != nullptr && incompatible(s.kind, t->kind);  // removed above
    if (s.kind == node_kind::dir) {
      if (t == nullptr || replaced) plan.mkdirs.push_back(s.rel);
      continue;
    }
    const bool up_to_date = !opt.force && !replaced && t != nullptr && t->kind == node_kind::file &&
                            t->size == s.size && same.contains(s.rel);
    if (up_to_date) plan.up_to_date.push_back(s.rel);
    else plan.sends.push_back(s);
  }
  return plan;
}

}  // namespace ferry::client
