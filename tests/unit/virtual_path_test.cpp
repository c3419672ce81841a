// Virtual path normalisation, table-driven, plus a differential check against
// a naive reference normaliser.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "vfs/virtual_path.hpp"

using ferry::vfs::resolve;

namespace {

std::string norm(std::string_view cwd, std::string_view p) {
  std::string why;
  auto r = resolve(cwd, p, why);
  return r ? *r : "ERR:" + why;
}

}  // namespace

TEST(VirtualPath, Table) {
  struct tc {
    const char* cwd;
    const char* path;
    const char* want;
  };
  const tc cases[] = {
      {"/", "a", "/a"},
      {"/", "/", "/"},
      {"/", "..", "/"},
      {"/", "../..", "/"},
      {"/", "/../../etc", "/etc"},
      {"/a/b", "..", "/a"},
      {"/a/b", "../../../../x", "/x"},
      {"/a", "./b//c/", "/a/b/c"},
      {"/a", "/x/./y/../z", "/x/z"},
      {"/a", ".", "/a"},
      {"/", "a/../../b", "/b"},
      {"/", "...", "/..."},
      {"/", ".hidden", "/.hidden"},
      {"/", "a b/ü", "/a b/ü"},
  };
  for (const auto& c : cases) EXPECT_EQ(norm(c.cwd, c.path), c.want) << c.cwd << " + " << c.path;
}

TEST(VirtualPath, Rejections) {
  EXPECT_EQ(norm("/", ""), "ERR:empty path");
  EXPECT_EQ(norm("/", std::string("a\0b", 3)), "ERR:path contains a NUL byte");
  EXPECT_EQ(norm("/", std::string(256, 'x')), "ERR:name longer than 255 bytes");
  EXPECT_EQ(norm("/", std::string(255, 'x')), "/" + std::string(255, 'x'));
  EXPECT_EQ(norm("/", std::string(5000, '/')), "ERR:path too long");
}

// Issue 11: CR/LF in a name forged FTP listing lines. Every C0 control byte
// and DEL is refused, in any component, absolute or relative; the byte is named.
TEST(VirtualPath, RefusesControlCharacters) {
  for (int b = 1; b < 0x80; ++b) {
    const bool control = b < 0x20 || b == 0x7f;
    const std::string bad(1, static_cast<char>(b));
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", b);
    const std::string err = std::string("ERR:name contains a control character (") + hex + ")";
    for (const std::string& p : {"a" + bad + "b", bad, "/x/" + bad + "y/z", "x/y" + bad, "../" + bad + "/.."}) {
      if (control) EXPECT_EQ(norm("/w", p), err) << b << " in " << p;
      else EXPECT_EQ(norm("/w", p).rfind("ERR:", 0), std::string::npos) << b << " in " << p;
    }
  }
  // NUL keeps its own message; bytes >= 0x80 (UTF-8) and space are names.
  EXPECT_EQ(norm("/", std::string("a\n\0", 3)), "ERR:path contains a NUL byte");
  EXPECT_EQ(norm("/", "a\xc2\x85" "b"), "/a\xc2\x85" "b");  // U+0085 (a C1 control) is UTF-8 text
  EXPECT_EQ(norm("/", " a b "), "/ a b ");
}

TEST(VirtualPath, SplitJoinRelative) {
  using namespace ferry::vfs;
  EXPECT_EQ(split("/a/b").parent, "/a");
  EXPECT_EQ(split("/a/b").leaf, "b");
  EXPECT_EQ(split("/a").parent, "/");
  EXPECT_EQ(split("/").leaf, "");
  EXPECT_EQ(join("/", "x"), "/x");
  EXPECT_EQ(join("/a", "x"), "/a/x");
  EXPECT_EQ(relative("/"), ".");
  EXPECT_EQ(relative("/a/b"), "a/b");
  EXPECT_TRUE(is_part_file(".x.ferry-part"));
  EXPECT_FALSE(is_part_file("x.ferry-part"));
  EXPECT_FALSE(is_part_file(".ferry-part"));
}

// Differential: the result never contains "." or ".." components, never
// escapes (always starts with "/"), and equals a naive stack normaliser.
TEST(VirtualPath, MatchesNaiveReference) {
  std::mt19937 rng(42);
  const char* parts[] = {"a", "b", ".", "..", "", "c.d", "..."};
  for (int i = 0; i < 20000; ++i) {
    std::string p = (rng() % 2) ? "/" : "";
    const int n = static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) {
      p += parts[rng() % 7];
      if (k + 1 < n) p += '/';
    }
    if (p.empty()) continue;
    std::vector<std::string> stack{"x"};  // cwd "/x"
    if (p[0] == '/') stack.clear();
    std::size_t s = 0;
    while (s <= p.size()) {
      auto e = p.find('/', s);
      if (e == std::string::npos) e = p.size();
      auto c = p.substr(s, e - s);
      s = e + 1;
      if (c.empty() || c == ".") continue;
      if (c == "..") {
        if (!stack.empty()) stack.pop_back();
      } else {
        stack.push_back(c);
      }
    }
    std::string want;
    for (auto& c : stack) want += "/" + c;
    if (want.empty()) want = "/";
    EXPECT_EQ(norm("/x", p), want) << p;
  }
}

// Symlink targets a listing may show: inside the home only, never a real
// server path.
TEST(VirtualPath, ShownLinkTargets) {
  using ferry::vfs::shown_link_target;
  EXPECT_EQ(shown_link_target("/", "a.txt"), "a.txt");
  EXPECT_EQ(shown_link_target("/d/e", "../x/./y"), "../x/./y");
  EXPECT_EQ(shown_link_target("/d", "../top"), "../top");
  EXPECT_EQ(shown_link_target("/d", "../../up"), std::nullopt);
  EXPECT_EQ(shown_link_target("/", ".."), std::nullopt);
  EXPECT_EQ(shown_link_target("/", "/etc/passwd"), std::nullopt);
  EXPECT_EQ(shown_link_target("/", "/srv/ferry/home/demo/docs/a"), std::nullopt);
  EXPECT_EQ(shown_link_target("/", ""), std::nullopt);
}
