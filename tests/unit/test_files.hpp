// Small helpers the unit tests share for real files on disk: a fresh
// directory per test, and reading / writing a whole file. Header-only, so a
// test still links only the library it tests.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace ferry::test {

/// TMP/ferry_PREFIX_PID_TESTNAME, removed first so the test starts clean
/// (not created: the test makes what it needs).
inline std::filesystem::path fresh_test_dir(std::string_view prefix) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ferry_" + std::string(prefix) + "_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write(const std::filesystem::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

}  // namespace ferry::test
