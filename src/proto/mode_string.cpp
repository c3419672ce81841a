#include "proto/mode_string.hpp"

namespace ferry::proto {

std::string mode_string(char type, std::uint32_t mode) {
  std::string s(10, '-');
  s[0] = type;
  constexpr char rwx[] = "rwx";
  for (int i = 0; i < 9; ++i) {
    const auto bit = std::uint32_t{1} << (8 - i);
    if (mode & bit) s[static_cast<std::size_t>(i + 1)] = rwx[i % 3];
  }
  // setuid, setgid, sticky replace the x of user, group, other.
  const struct {
    std::uint32_t bit;
    std::size_t pos;
    char with_x, without_x;
  } special[] = {{04000, 3, 's', 'S'}, {02000, 6, 's', 'S'}, {01000, 9, 't', 'T'}};
  for (const auto& sp : special)
    if (mode & sp.bit) s[sp.pos] = s[sp.pos] == '-' ? sp.without_x : sp.with_x;
  return s;
}

}  // namespace ferry::proto
