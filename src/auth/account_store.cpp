// Loads and saves ROOT/accounts.toml. Loading validates every user table (name,
// verifier, quota, rate, limits) and reports the first problem with its line
// number; unknown keys are ignored so newer files still load. Saving writes the
// whole file to a fresh temp file in the same directory (0600 until it has the
// owner and mode of the file it replaces), fsyncs it, renames it over the
// target and fsyncs the directory, so a crash leaves either the old or the new
// file, never a torn one, and never one more readable than the file it replaced.
#include "auth/account_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <limits>
#include <iterator>
#include <system_error>
#include <toml++/toml.h>

#include "auth/scram.hpp"
#include "proto/limits.hpp"
#include "proto/units.hpp"

namespace ferry::auth {
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

std::string at(const std::filesystem::path& file, const toml::source_region& where) {
  return file.string() + ":" + std::to_string(where.begin.line) + ": ";
}

// Text from the file quoted in an error (a key, or toml++'s description, which
// quotes what it saw) with control characters escaped, so an error stays one
// line in the log and in `ferryd user` whatever the file holds.
std::string one_line(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// quota / rate: a size string ("100MiB", "10MiB/s", "") or non-negative integer bytes.
bool read_bytes(const toml::node& n, bool rate, std::uint64_t& out) {
  if (const auto* s = n.as_string()) {
    const auto v = rate ? parse_rate(s->get()) : parse_size(s->get());
    if (!v) return false;
    out = *v;
    return true;
  }
  if (const auto* i = n.as_integer()) {
    if (i->get() < 0) return false;
    out = static_cast<std::uint64_t>(i->get());
    return true;
  }
  return false;
}

// Reads one [users.NAME] table; on error sets `error` (with line) and returns false.
bool read_account(const std::filesystem::path& file, const toml::table& t, account& a,
                  std::string& error) {
  for (const auto& kv : t) {
    const std::string_view k = kv.first.str();
    const toml::node& node = kv.second;  // a named reference: clang 14 cannot capture bindings
    const auto bad = [&](std::string_view what) {
      error = at(file, node.source()) + std::string(what);
      return false;
    };
    if (k == "scram") {
      const auto* s = node.as_string();
      if (!s) return bad("scram must be a string");
      // SECURITY: an unparsable verifier is an operator error, reported at load.
      if (!s->get().empty() && !parse_verifier(s->get())) return bad("invalid scram verifier");
      a.scram = s->get();
    } else if (k == "quota") {
      if (!read_bytes(node, false, a.quota)) return bad("quota must be a size like \"100MiB\"");
    } else if (k == "rate") {
      if (!read_bytes(node, true, a.rate)) return bad("rate must be a rate like \"10MiB/s\"");
    } else if (k == "max_sessions") {
      const auto* i = node.as_integer();
      if (!i || i->get() < 0 || i->get() > std::numeric_limits<std::uint32_t>::max()) {
        return bad("max_sessions must be a non-negative integer");
      }
      a.max_sessions = static_cast<std::uint32_t>(i->get());
    } else if (k == "max_files") {
      const auto* i = node.as_integer();
      if (!i || i->get() < 0) return bad("max_files must be a non-negative integer");
      a.max_files = static_cast<std::uint64_t>(i->get());
    } else if (k == "exec") {
      const auto* b = node.as_boolean();
      if (!b) return bad("exec must be true or false");
      a.exec = b->get();
    } else if (node.is_table()) {
      // Other keys are ignored, but [users.a.b] is almost surely an unquoted dotted name.
      return bad("nested table \"" + one_line(k) +
                 "\" in a user table (quote names containing '.': [users.\"a.b\"])");
    }
  }
  return true;
}

// TOML basic string with escapes, so any verifier text round-trips.
std::string toml_string(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// "" for 0, "100MiB" / "10MiB/s" for round binary units, else exact integer bytes.
std::string bytes_value(std::uint64_t v, std::string_view suffix) {
  if (v == 0) return "\"\"";
  static constexpr std::string_view units[] = {"KiB", "MiB", "GiB", "TiB"};
  for (int k = 4; k >= 1; --k) {
    const std::uint64_t unit = std::uint64_t{1} << (10 * k);
    if (v % unit == 0) {
      return "\"" + std::to_string(v / unit) + std::string(units[k - 1]) + std::string(suffix) +
             "\"";
    }
  }
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return "\"" + std::to_string(v) + "\"";  // beyond TOML integers; parse_size reads it
  }
  return std::to_string(v);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool valid_user_name(std::string_view name) {
  // SECURITY: becomes ROOT/home/NAME: no '/', no leading '.' or '-', bounded length.
  if (name.empty() || name.size() > limits::max_user_name) return false;
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!lower_or_digit(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!lower_or_digit(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::optional<account_store> account_store::load(const std::filesystem::path& file,
                                                 std::string& error) {
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  if (st.type() == std::filesystem::file_type::not_found) return account_store{};
  std::ifstream in(file, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in || in.bad()) {
    error = file.string() + ": cannot read: " + (ec ? ec.message() : errno_text(errno));
    return std::nullopt;
  }

  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    error = at(file, e.source()) + one_line(e.description());
    return std::nullopt;
  }

  account_store store;
  const toml::node* users = root.get("users");
  if (!users) return store;
  const toml::table* tbl = users->as_table();
  if (!tbl) {
    error = at(file, users->source()) + "users must be a table of [users.NAME]";
    return std::nullopt;
  }
  for (const auto& [key, node] : *tbl) {
    const std::string name(key.str());
    if (!valid_user_name(name)) {
      error = at(file, key.source()) + "invalid user name \"" + one_line(name) + "\"";
      return std::nullopt;
    }
    const toml::table* t = node.as_table();
    if (!t) {
      error = at(file, node.source()) + "users." + name + " must be a table";
      return std::nullopt;
    }
    account a;
    if (!read_account(file, *t, a, error)) return std::nullopt;
    store.users.emplace(name, std::move(a));
  }
  return store;
}

bool account_store::save(const std::filesystem::path& file, std::string& error) const {
  std::string text =
      "# ferry accounts (docs/operations.md), managed by `ferryd user`. Holds SCRAM verifiers,\n"
      "# never passwords. quota/rate: \"\" = unlimited; max_sessions, max_files: 0 = unlimited;\n"
      "# no max_files: the server's (ferryd.toml).\n";
  for (const auto& [name, a] : users) {
    // SECURITY: never write a name that would be refused (or escape ROOT/home) on load.
    if (!valid_user_name(name)) {
      error = "invalid user name \"" + name + "\"";
      return false;
    }
    // A '.' would split the TOML key, so such names are written quoted.
    const bool dotted = name.find('.') != std::string::npos;
    text += "\n[users." + (dotted ? toml_string(name) : name) + "]\n";
    text += "scram = " + toml_string(a.scram) + "\n";
    text += "quota = " + bytes_value(a.quota, "") + "\n";
    text += "rate = " + bytes_value(a.rate, "/s") + "\n";
    text += "max_sessions = " + std::to_string(a.max_sessions) + "\n";
    // (Clamped to TOML's integers: past 2^63 - 1 it is unlimited in practice.)
    if (a.max_files)
      text += "max_files = " +
              std::to_string(std::min<std::uint64_t>(*a.max_files, std::numeric_limits<std::int64_t>::max())) + "\n";
    text += std::string("exec = ") + (a.exec ? "true" : "false") + "\n";
  }

  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
    std::string tag;
    for (char c : random_bytes(6)) tag += "0123456789abcdef"[static_cast<unsigned char>(c) & 0xf];
    tmp = (dir / ("." + file.filename().string() + "." + tag + ".tmp")).string();
    // SECURITY: a fresh file, never someone else's, readable by the owner only.
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    error = "cannot create temp file in " + dir.string() + ": " + errno_text(errno);
    return false;
  }
  const auto fail = [&](const std::string& what) {
    error = what + ": " + errno_text(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  };
  // The file replaced keeps its owner, group and mode: `ferryd user add` run
  // as root on a root that belongs to the service user leaves the file the
  // server's (it serves as that user and re-reads it), and a mode the
  // administrator chose (0640 for a group that backs it up) stays. A new
  // file is 0600.
  struct stat old {};
  const bool replacing = ::stat(file.c_str(), &old) == 0;
  if (replacing && ::geteuid() == 0 && ::fchown(fd, old.st_uid, old.st_gid) != 0)
    return fail("cannot chown " + tmp);
  // SECURITY: the verifiers are secrets: never readable by others, whatever
  // the old mode allowed.
  const mode_t mode = replacing ? (old.st_mode & 0770) : 0600;
  if (::fchmod(fd, mode) != 0) return fail("cannot chmod " + tmp);
  if (!write_all(fd, text)) return fail("cannot write " + tmp);
  if (::fsync(fd) != 0) return fail("cannot fsync " + tmp);
  const int rc = ::close(fd);
  fd = -1;
  if (rc != 0) return fail("cannot close " + tmp);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("cannot rename onto " + file.string());

  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    error = "cannot fsync " + dir.string() + ": " + errno_text(errno);
    if (dfd >= 0) ::close(dfd);
    return false;
  }
  ::close(dfd);
  return true;
}

}  // namespace ferry::auth
