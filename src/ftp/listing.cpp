#include "ftp/listing.hpp"

#include <array>
#include <cstdio>

#include "proto/mode_string.hpp"

namespace ferry::ftp {
namespace {

char type_char(vfs::file_type t) {
  switch (t) {
    case vfs::file_type::dir: return 'd';
    case vfs::file_type::link: return 'l';
    case vfs::file_type::file: return '-';
    case vfs::file_type::other: break;
  }
  return 'p';
}

}  // namespace

std::string list_line(const vfs::dir_entry& e, std::time_t now) {
  const std::time_t t = static_cast<std::time_t>(e.mtime);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  constexpr std::time_t six_months = 182 * 24 * 3600;
  char date[32];
  if (t > now + 3600 || now - t > six_months) std::strftime(date, sizeof date, "%b %e  %Y", &tm);
  else std::strftime(date, sizeof date, "%b %e %H:%M", &tm);
  char head[96];
  std::snprintf(head, sizeof head, "%s %4u %-8s %-8s %12llu %s ", proto::mode_string(type_char(e.type), e.mode).c_str(),
                e.type == vfs::file_type::dir ? 2u : 1u, "ftp", "ftp",
                static_cast<unsigned long long>(e.size), date);
  return head + e.name;
}

std::string mdtm_time(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

std::string mlsx_line(const vfs::dir_entry& e, std::string_view name) {
  std::string s = "type=";
  switch (e.type) {
    case vfs::file_type::dir: s += "dir"; break;
    case vfs::file_type::file: s += "file"; break;
    case vfs::file_type::link: s += "OS.unix=symlink"; break;
    case vfs::file_type::other: s += "OS.unix=special"; break;
  }
  s += ";size=" + std::to_string(e.size);
  s += ";modify=" + mdtm_time(e.mtime);
  // Everything in a home belongs to its user, so the facts are the full set
  // for the type (RFC 3659 §7.5.5).
  s += e.type == vfs::file_type::dir ? ";perm=cdeflmp" : ";perm=adfrw";
  if (!e.unique.empty()) s += ";unique=" + e.unique;
  s += "; ";
  s += name;
  return s;
}

}  // namespace ferry::ftp
