// Where the shell's history lives (the XDG base directory rules).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/history_file.hpp"

namespace {

using ferry::client::history_path;

TEST(ClientHistoryFile, StateHomeFirstThenHome) {
  EXPECT_EQ(history_path("/s", "/home/a"), "/s/ferry/history");
  EXPECT_EQ(history_path(nullptr, "/home/a"), "/home/a/.local/state/ferry/history");
  EXPECT_EQ(history_path("", "/home/a"), "/home/a/.local/state/ferry/history");
}

TEST(ClientHistoryFile, RelativeDirectoriesAreIgnored) {
  EXPECT_EQ(history_path("state", "/home/a"), "/home/a/.local/state/ferry/history");
  EXPECT_EQ(history_path("state", "home"), "");
  EXPECT_EQ(history_path(nullptr, nullptr), "");
}

TEST(ClientHistoryFile, LastLines) {
  using ferry::client::last_history_lines;
  using lines = std::vector<std::string>;
  EXPECT_EQ(last_history_lines("a\nb\nc\n", 2), (lines{"b", "c"}));
  EXPECT_EQ(last_history_lines("a\n\n  \nb", 5), (lines{"a", "b"}));  // blank lines skipped
  EXPECT_EQ(last_history_lines("cd 中文\nget x\n", 1000), (lines{"cd 中文", "get x"}));
  EXPECT_EQ(last_history_lines("", 3), (lines{}));
}

}  // namespace
