// The plan of a tree copy: which files are sent, skipped, removed, and which
// directories are made, from two listings.
#include "client/sync_plan.hpp"

#include <gtest/gtest.h>

namespace ferry::client {
namespace {

tree_node file(std::string rel, std::uint64_t size) { return {std::move(rel), node_kind::file, size}; }
tree_node dir(std::string rel) { return {std::move(rel), node_kind::dir, 0}; }
tree_node link(std::string rel) { return {std::move(rel), node_kind::other, 0}; }

std::vector<std::string> rels(const std::vector<tree_node>& v) {
  std::vector<std::string> out;
  for (const auto& n : v) out.push_back(n.rel);
  return out;
}

std::vector<std::string> rels(const std::vector<removal>& v) {
  std::vector<std::string> out;
  for (const auto& n : v) out.push_back(n.rel + (n.is_dir ? "/" : ""));
  return out;
}

using strings = std::vector<std::string>;

TEST(SyncPlan, EmptyTargetCopiesEverything) {
  const std::vector<tree_node> src{dir("a"), file("a/x", 3), file("b", 0), dir("a/c")};
  EXPECT_TRUE(digest_candidates(src, {}, false).empty());
  const auto p = make_plan(src, {}, {}, {});
  EXPECT_EQ(p.mkdirs, (strings{"a", "a/c"}));
  EXPECT_EQ(rels(p.sends), (strings{"a/x", "b"}));
  EXPECT_TRUE(p.removals.empty());
  EXPECT_TRUE(p.up_to_date.empty());
}

TEST(SyncPlan, SameSizeNeedsDigestsAndOnlyProvenPairsAreSkipped) {
  const std::vector<tree_node> src{file("same", 5), file("changed", 5), file("longer", 6)};
  const std::vector<tree_node> dst{file("same", 5), file("changed", 5), file("longer", 5)};
  EXPECT_EQ(digest_candidates(src, dst, false), (strings{"same", "changed"}));
  const auto p = make_plan(src, dst, {"same"}, {});
  EXPECT_EQ(p.up_to_date, (strings{"same"}));
  EXPECT_EQ(rels(p.sends), (strings{"changed", "longer"}));
}

TEST(SyncPlan, ForceSendsEverythingAndAsksForNoDigest) {
  const std::vector<tree_node> src{file("f", 5)};
  EXPECT_TRUE(digest_candidates(src, src, true).empty());
  const auto p = make_plan(src, src, {"f"}, {.delete_extra = false, .force = true});
  EXPECT_EQ(rels(p.sends), (strings{"f"}));
  EXPECT_TRUE(p.up_to_date.empty());
}

TEST(SyncPlan, ExtrasStayWithoutDeleteAndGoDeepestFirstWithIt) {
  const std::vector<tree_node> src{file("keep", 1)};
  const std::vector<tree_node> dst{file("keep", 1), dir("old"), dir("old/sub"), file("old/sub/f", 1),
                                   file("old/g", 2), file("zz", 1), link("ln")};
  EXPECT_TRUE(make_plan(src, dst, {"keep"}, {}).removals.empty());
  const auto p = make_plan(src, dst, {"keep"}, {.delete_extra = true});
  EXPECT_EQ(rels(p.removals), (strings{"zz", "old/sub/f", "old/sub/", "old/g", "old/", "ln"}));
  EXPECT_EQ(p.up_to_date, (strings{"keep"}));
}

TEST(SyncPlan, KindConflictsAreReportedWithoutDelete) {
  const std::vector<tree_node> src{file("f", 1), dir("d"), file("d/x", 1)};
  const std::vector<tree_node> dst{dir("f"), file("f/inner", 1), file("d", 4)};
  const auto p = make_plan(src, dst, {}, {});
  ASSERT_EQ(p.conflicts.size(), 2u);
  EXPECT_EQ(p.conflicts[0].rel, "f");
  EXPECT_EQ(p.conflicts[0].text, "is a directory on the target");
  EXPECT_EQ(p.conflicts[1].rel, "d");
  EXPECT_TRUE(p.sends.empty());  // nothing below a directory that cannot be made
  EXPECT_TRUE(p.mkdirs.empty());
}

TEST(SyncPlan, KindConflictsAreReplacedWithDelete) {
  const std::vector<tree_node> src{file("f", 1), dir("d"), file("d/x", 1)};
  const std::vector<tree_node> dst{dir("f"), file("f/inner", 1), file("d", 1)};
  const auto p = make_plan(src, dst, {"d"}, {.delete_extra = true});
  EXPECT_TRUE(p.conflicts.empty());
  EXPECT_EQ(rels(p.removals), (strings{"f/inner", "f/", "d"}));
  EXPECT_EQ(p.mkdirs, (strings{"d"}));
  EXPECT_EQ(rels(p.sends), (strings{"f", "d/x"}));
}

TEST(SyncPlan, ALinkWhereAFileGoesIsReplacedBySending) {
  const std::vector<tree_node> src{file("f", 1)};
  const std::vector<tree_node> dst{link("f")};
  EXPECT_TRUE(digest_candidates(src, dst, false).empty());
  const auto p = make_plan(src, dst, {}, {.delete_extra = true});
  EXPECT_TRUE(p.removals.empty());
  EXPECT_EQ(rels(p.sends), (strings{"f"}));
}

TEST(SyncPlan, NonAsciiNamesAreJustNames) {
  const std::vector<tree_node> src{dir("ü"), file("ü/日本.txt", 3)};
  const std::vector<tree_node> dst{dir("ü"), file("ü/日本.txt", 3), file("ü/é", 1)};
  const auto p = make_plan(src, dst, {"ü/日本.txt"}, {.delete_extra = true});
  EXPECT_EQ(p.up_to_date, (strings{"ü/日本.txt"}));
  EXPECT_EQ(rels(p.removals), (strings{"ü/é"}));
  EXPECT_TRUE(p.mkdirs.empty());
}

}  // namespace
}  // namespace ferry::client
