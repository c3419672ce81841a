// Fuzz target: the path normaliser (vfs/virtual_path.hpp), differentially.
// Input: "CWD\nPATH" (CWD is first resolved against "/", so it is a real
// session cwd; without a '\n' the cwd is "/"). Checks:
//  - invariants: the result is absolute, has no empty, "." or ".."
//    component, no control character, fits the limits, and resolving it
//    again (against any cwd, or "." against it) gives it back unchanged;
//  - against a reference: std::filesystem's lexically_normal() of CWD/PATH,
//    with ".." at "/" staying at "/", and the contract's rejections;
//  - against the kernel: the directories CWD/PATH walks through are created
//    in a scratch home, and the jail (openat2 RESOLVE_IN_ROOT) opening the
//    raw CWD/PATH must land on the very directory the normalised path names.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "proto/limits.hpp"
#include "vfs/jail.hpp"
#include "vfs/virtual_path.hpp"
#include "fuzz_util.hpp"

namespace {

namespace vfs = ferry::vfs;
namespace limits = ferry::limits;

std::vector<std::string_view> components(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= p.size()) {
    auto j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return true;
  }
  return false;
}

// The contract of vfs::resolve, written the slow, obvious way.
std::optional<std::string> reference(const std::string& cwd, std::string_view path) {
  if (path.empty() || has_control(path) || path.size() > limits::max_path) return std::nullopt;
  const std::string joined = path.front() == '/' ? std::string(path) : cwd + "/" + std::string(path);
  for (auto c : components(joined)) {
    if (c != "." && c != ".." && c.size() > limits::max_name) return std::nullopt;
  }
  std::string out = std::filesystem::path(joined).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.size() > limits::max_path) return std::nullopt;
  return out;
}

void check_normal_form(const std::string& out) {
  FUZZ_CHECK(!out.empty() && out.front() == '/' && out.size() <= limits::max_path);
  FUZZ_CHECK(!has_control(out));
  if (out == "/") return;
  FUZZ_CHECK(out.back() != '/');
  const auto parts = components(std::string_view(out).substr(1));
  for (auto c : parts) FUZZ_CHECK(!c.empty() && c != "." && c != ".." && c.size() <= limits::max_name);
  const auto sp = vfs::split(out);
  FUZZ_CHECK(vfs::join(sp.parent, sp.leaf) == out && sp.leaf == parts.back());
  FUZZ_CHECK(vfs::relative(out) == out.substr(1));
  const auto part = vfs::part_name(sp.leaf);
  FUZZ_CHECK(part.size() <= limits::max_name && vfs::is_part_file(part));
}

// A scratch home for the kernel differential, removed at exit.
struct scratch {
  std::string root;
  std::optional<vfs::jail> jail;
  scratch() : root(ferry::fuzz::scratch_dir("ferry-path-fuzz")) {
    int err = 0;
    jail = vfs::jail::open(root, err);
    FUZZ_CHECK(jail.has_value());
  }
  ~scratch() { ::rmdir(root.c_str()); }
};

struct stat_id {
  dev_t dev;
  ino_t ino;
};

std::optional<stat_id> dir_id(const vfs::jail& j, std::string_view path) {
  const int fd = j.open_at(path, O_PATH | O_DIRECTORY);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  const int r = ::fstat(fd, &st);
  ::close(fd);
  if (r != 0) return std::nullopt;
  return stat_id{st.st_dev, st.st_ino};
}

// Creates every directory the raw path walks through (".." at the top stays
// at the top), lets the kernel resolve the raw path, compares, cleans up.
void kernel_differential(const std::string& joined, const std::string& out) {
  static scratch s;
  std::vector<std::string> stack, created;
  for (auto c : components(joined)) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.emplace_back(c);
    std::string real = s.root;
    for (const auto& d : stack) real += "/" + d;
    if (::mkdir(real.c_str(), 0700) == 0) created.push_back(real);
  }
  const auto raw = dir_id(*s.jail, joined);
  const auto norm = dir_id(*s.jail, out);
  for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
  FUZZ_CHECK(raw && norm && raw->dev == norm->dev && raw->ino == norm->ino);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 2 * limits::max_path + 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  std::string why;
  std::string cwd = "/";
  std::string_view path = in;
  if (nl != std::string_view::npos) {
    path = in.substr(nl + 1);
    if (auto c = vfs::resolve("/", in.substr(0, nl), why)) cwd = *c;
  }
  check_normal_form(cwd);

  why.clear();
  const auto out = vfs::resolve(cwd, path, why);
  const auto ref = reference(cwd, path);
  FUZZ_CHECK(out.has_value() == ref.has_value());
  if (!out) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(*out == *ref);
  check_normal_form(*out);
  // Idempotent, and an absolute result does not depend on the cwd.
  FUZZ_CHECK(vfs::resolve("/", *out, why) == *out);
  FUZZ_CHECK(vfs::resolve(cwd, *out, why) == *out);
  FUZZ_CHECK(vfs::resolve(*out, ".", why) == *out);

  const std::string joined = path.front() == '/' ? std::string(path) : cwd + "/" + std::string(path);
  // Part-file names are refused by the jail itself; very long walks would
  // only make each run slow.
  if (joined.size() <= 1024 && !vfs::has_part_component(joined)) kernel_differential(joined, *out);
  return 0;
}
