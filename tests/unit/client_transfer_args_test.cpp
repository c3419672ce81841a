// Options of get / put / hash and the path helpers of the transfer commands:
// base names, joins, part file names and the check on names from a server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/transfer_args.hpp"
#include "client/transfer_paths.hpp"

namespace {

using namespace ferry::client;
using words = std::vector<std::string>;

TEST(TransferArgs, Defaults) {
  std::string err;
  const auto a = parse_transfer_args({"remote"}, true, err);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->recursive);
  EXPECT_TRUE(a->resume);
  EXPECT_FALSE(a->progress);
  EXPECT_EQ(a->algo, "xxh128");
  EXPECT_EQ(a->operands, words{"remote"});
}

TEST(TransferArgs, AllOptions) {
  std::string err;
  const auto a = parse_transfer_args(
      {"-r", "--algo", "sha256", "a", "--no-resume", "--progress", "b"}, true, err);
  ASSERT_TRUE(a) << err;
  EXPECT_TRUE(a->recursive);
  EXPECT_FALSE(a->resume);
  EXPECT_TRUE(a->progress);
  EXPECT_EQ(a->algo, "sha256");
  EXPECT_EQ(a->operands, (words{"a", "b"}));
  const auto b = parse_transfer_args({"--algo=md5", "x"}, true, err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(b->algo, "md5");
}

TEST(TransferArgs, DashDashAndDash) {
  std::string err;
  const auto a = parse_transfer_args({"--", "-r", "-"}, true, err);
  ASSERT_TRUE(a) << err;
  EXPECT_FALSE(a->recursive);
  EXPECT_EQ(a->operands, (words{"-r", "-"}));
}

TEST(TransferArgs, Errors) {
  std::string err;
  EXPECT_FALSE(parse_transfer_args({"--algo", "crc32", "x"}, true, err));
  EXPECT_EQ(err, "unknown algorithm 'crc32' (use xxh128, sha256 or md5)");
  EXPECT_FALSE(parse_transfer_args({"x", "--algo"}, true, err));
  EXPECT_EQ(err, "option --algo needs a value");
  EXPECT_FALSE(parse_transfer_args({"-x", "a"}, true, err));
  EXPECT_EQ(err, "unknown option '-x'");
  EXPECT_FALSE(parse_transfer_args({"-rf", "a"}, true, err));
  // hash takes --algo only.
  EXPECT_FALSE(parse_transfer_args({"-r", "a"}, false, err));
  EXPECT_FALSE(parse_transfer_args({"--progress", "a"}, false, err));
  EXPECT_TRUE(parse_transfer_args({"--algo", "md5", "a"}, false, err));
}

TEST(TransferPaths, BaseName) {
  EXPECT_EQ(base_name("a/b/c.txt"), "c.txt");
  EXPECT_EQ(base_name("c.txt"), "c.txt");
  EXPECT_EQ(base_name("a/b/"), "b");
  EXPECT_EQ(base_name("/x"), "x");
  EXPECT_EQ(base_name("/"), "");
  EXPECT_EQ(base_name("//"), "");
  EXPECT_EQ(base_name(""), "");
  EXPECT_EQ(base_name("a/.."), "..");
  EXPECT_EQ(base_name("café/日本語.bin"), "日本語.bin");
}

TEST(TransferPaths, UsableName) {
  EXPECT_TRUE(usable_name("file"));
  EXPECT_TRUE(usable_name(".hidden"));
  EXPECT_TRUE(usable_name("日本語"));
  EXPECT_TRUE(usable_name("..."));
  EXPECT_FALSE(usable_name(""));
  EXPECT_FALSE(usable_name("."));
  EXPECT_FALSE(usable_name(".."));
  EXPECT_FALSE(usable_name("a/b"));
  EXPECT_FALSE(usable_name("/etc"));
  EXPECT_FALSE(usable_name(std::string("a\0b", 3)));
}

TEST(TransferArgs, ForceAndSyncOptions) {
  std::string err;
  const auto a = parse_transfer_args({"--force", "a"}, true, err);
  ASSERT_TRUE(a) << err;
  EXPECT_TRUE(a->force);
  EXPECT_FALSE(a->delete_extra);
  // --delete and --dry-run are sync's alone: a typo in get must not pass.
  EXPECT_FALSE(parse_transfer_args({"--delete", "a"}, true, err));
  EXPECT_FALSE(parse_transfer_args({"-n", "a"}, true, err));
  const auto s = parse_transfer_args({"--delete", "-n", "--force", "a", "b"}, true, err, true);
  ASSERT_TRUE(s) << err;
  EXPECT_TRUE(s->delete_extra && s->dry_run && s->force);
  const auto d = parse_transfer_args({"--dry-run", "a", "b"}, true, err, true);
  ASSERT_TRUE(d) << err;
  EXPECT_TRUE(d->dry_run);
}

TEST(TransferPaths, TreeRootIsDestUnlessSpelledAsADirectory) {
  EXPECT_EQ(tree_root("copy", "src"), "copy");         // the copy itself, existing or not
  EXPECT_EQ(tree_root("/up/copy", "src"), "/up/copy");
  EXPECT_EQ(tree_root("into/", "src"), "into/src");    // spelled as a directory: into it
  EXPECT_EQ(tree_root("/", "src"), "/src");
  EXPECT_EQ(tree_root(".", "src"), "./src");
  EXPECT_EQ(tree_root("a/..", "src"), "a/../src");
  EXPECT_EQ(tree_root("", "src"), "src");               // no DEST: its name, here
  EXPECT_EQ(tree_root("", ".."), "");                   // no usable name to give it
  EXPECT_EQ(tree_root("x/", ""), "");
  EXPECT_EQ(tree_root("named", ""), "named");
  EXPECT_EQ(tree_root("d", "日本"), "d");
  EXPECT_EQ(tree_root("d/", "日本"), "d/日本");
}

TEST(TransferPaths, JoinAndPart) {
  EXPECT_EQ(join_path("", "x"), "x");
  EXPECT_EQ(join_path("d", "x"), "d/x");
  EXPECT_EQ(join_path("d/", "x"), "d/x");
  EXPECT_EQ(join_path("/", "x"), "/x");
  EXPECT_EQ(join_path("a/b", "c/d"), "a/b/c/d");
  EXPECT_EQ(part_path("c.txt"), ".c.txt.ferry-part");
  EXPECT_EQ(part_path("a/b/c.txt"), "a/b/.c.txt.ferry-part");
  EXPECT_EQ(part_path("/abs/日本語"), "/abs/.日本語.ferry-part");
  EXPECT_TRUE(has_trailing_slash("d/"));
  EXPECT_FALSE(has_trailing_slash("d"));
  EXPECT_FALSE(has_trailing_slash(""));
}

}  // namespace
