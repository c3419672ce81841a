// Where the shell's history lives (the XDG base directory rules).
#include <gtest/gtest.h>

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

}  // namespace
