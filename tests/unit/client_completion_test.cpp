// Remote path completion candidates and command-name completion.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/commands.hpp"
#include "client/completion.hpp"

namespace {

using namespace ferry::client;
using strings = std::vector<std::string>;

TEST(ClientCompletion, Split) {
  struct row {
    const char* word;
    const char* dir;
    const char* prefix;
    const char* list;
  } rows[] = {
      {"", "", "", ""},          {"do", "", "do", ""},       {"a/b/c", "a/b/", "c", "a/b"},
      {"/x", "/", "x", "/"},     {"a/", "a/", "", "a"},      {"/", "/", "", "/"},
      {"a//b", "a//", "b", "a"}, {"../u", "../", "u", ".."},
  };
  for (const auto& r : rows) {
    const auto q = split_for_completion(r.word);
    EXPECT_EQ(q.dir, r.dir) << r.word;
    EXPECT_EQ(q.prefix, r.prefix) << r.word;
    EXPECT_EQ(listing_path(q), r.list) << r.word;
  }
}

TEST(ClientCompletion, Names) {
  const std::vector<file_entry> entries{
      {"docs", entry_type::dir, 0, 0, 0755, ""},  {"dog.txt", entry_type::file, 0, 0, 0644, ""},
      {"a b", entry_type::file, 0, 0, 0644, ""},  {".hidden", entry_type::file, 0, 0, 0644, ""},
      {".cfg", entry_type::dir, 0, 0, 0755, ""},  {"link", entry_type::link, 0, 0, 0777, ""},
  };
  EXPECT_EQ(complete_names(split_for_completion("do"), entries), (strings{"docs/", "dog.txt"}));
  EXPECT_EQ(complete_names(split_for_completion("x/doc"), entries), (strings{"x/docs/"}));
  EXPECT_EQ(complete_names(split_for_completion(""), entries),
            (strings{"a b", "docs/", "dog.txt", "link"}));
  EXPECT_EQ(complete_names(split_for_completion("/."), entries), (strings{"/.cfg/", "/.hidden"}));
  EXPECT_TRUE(complete_names(split_for_completion("zz"), entries).empty());
}

TEST(ClientCompletion, QuotedMatches) {
  EXPECT_TRUE(quoted_matches({}).empty());
  EXPECT_EQ(quoted_matches({"docs/"}), (strings{"docs/", "docs/"}));
  EXPECT_EQ(quoted_matches({"my dir/", "my doc"}), (strings{"my\\ d", "my\\ dir/", "my\\ doc"}));
  // The common prefix is computed before quoting, so it never ends inside an escape.
  EXPECT_EQ(quoted_matches({"a b", "a'c"}), (strings{"a", "a\\ b", "a\\'c"}));
  EXPECT_EQ(quoted_matches({"x", "y"}), (strings{"", "x", "y"}));
  // Names that share only the first bytes of a character: no half character.
  EXPECT_EQ(quoted_matches({"测试一", "测试二"}), (strings{"测试", "测试一", "测试二"}));
  EXPECT_EQ(quoted_matches({"réunion", "rêve"}), (strings{"r", "réunion", "rêve"}));
  EXPECT_EQ(quoted_matches({"一", "二"}), (strings{"", "一", "二"}));
}

TEST(ClientCompletion, CommandNames) {
  EXPECT_EQ(command_names_with_prefix("l"), (strings{"lcd", "lls", "lpwd", "ls"}));
  EXPECT_EQ(command_names_with_prefix("mk"), (strings{"mkdir"}));
  EXPECT_TRUE(command_names_with_prefix("zz").empty());
  EXPECT_EQ(command_names_with_prefix("get"), (strings{"get"}));
  EXPECT_EQ(command_names_with_prefix("h"), (strings{"hash", "help"}));
}

TEST(ClientCompletion, ArgumentKinds) {
  EXPECT_EQ(completion_for(*find_command("cd"), 0), arg_completion::remote_dir);
  EXPECT_EQ(completion_for(*find_command("mv"), 1), arg_completion::remote);
  EXPECT_EQ(completion_for(*find_command("lcd"), 0), arg_completion::local_dir);
  EXPECT_EQ(completion_for(*find_command("help"), 0), arg_completion::command);
  EXPECT_EQ(completion_for(*find_command("pwd"), 0), arg_completion::none);
  // get REMOTE LOCAL, put LOCAL REMOTE, hash REMOTE.
  EXPECT_EQ(completion_for(*find_command("get"), 0), arg_completion::remote);
  EXPECT_EQ(completion_for(*find_command("get"), 1), arg_completion::local);
  EXPECT_EQ(completion_for(*find_command("put"), 0), arg_completion::local);
  EXPECT_EQ(completion_for(*find_command("put"), 1), arg_completion::remote);
  EXPECT_EQ(completion_for(*find_command("hash"), 0), arg_completion::remote);
  EXPECT_TRUE(option_takes_value("--algo"));
  EXPECT_FALSE(option_takes_value("-r"));
  EXPECT_FALSE(option_takes_value("--algo=md5"));
}

}  // namespace
