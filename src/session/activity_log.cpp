// Activity log lines (text or JSON) and the file they go to.
#include "session/activity_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>
#include <type_traits>

namespace ferry::session {
namespace {

/// Length of the valid UTF-8 sequence at `s[i]` and its code point; 0 when
/// the bytes there are not UTF-8 (overlong, surrogate, out of range, cut).
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  char32_t min = 0;
  if (c < 0x80) return cp = c, 1;
  if ((c & 0xe0) == 0xc0) n = 2, cp = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0) n = 3, cp = c & 0x0f, min = 0x800;
  else if ((c & 0xf8) == 0xf0) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void append_hex(std::string& out, const char* prefix, unsigned v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, v);
  out += buf;
}

/// `s` quoted for the text format (json = false) or as a JSON string.
void append_quoted(std::string& out, std::string_view s, bool json) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_at(s, i, cp);
    if (n == 0) {
      // SECURITY: bytes that are not UTF-8 never reach the file raw.
      if (json) out += "\\ufffd";
      else append_hex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        // SECURITY: no control character (C0, DEL, C1) or line separator is
        // written as itself: a name cannot end the line or move a terminal.
        if (cp < 0x20 || cp == 0x7f) {
          if (json) append_hex(out, "\\u", static_cast<unsigned>(cp), 4);
          else append_hex(out, "\\x", static_cast<unsigned>(cp), 2);
        } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
          append_hex(out, "\\u", static_cast<unsigned>(cp), 4);
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
}

/// Keys and event names come from the code; anything but [a-z0-9_] in one
/// is replaced, so even a careless caller cannot break the line.
void append_name(std::string& out, std::string_view name) {
  for (const char c : name) out += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_';
  if (name.empty()) out += '_';
}

void append_value(std::string& out, const activity_value& value, bool json) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          append_quoted(out, v, json);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::span<const std::string>>) {
          out += '[';
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ',';
            append_quoted(out, v[i], json);
          }
          out += ']';
        } else {
          out += std::to_string(v);
        }
      },
      value.v);
}

std::string utc_time(const std::timespec& when) {
  std::tm tm{};
  ::gmtime_r(&when.tv_sec, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03ldZ", when.tv_nsec / 1'000'000);
  return buf;
}

int open_append(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  return ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
}

}  // namespace

std::string quote_text(std::string_view s) {
  std::string out;
  append_quoted(out, s, false);
  return out;
}

std::string activity_line(log_format fmt, const std::timespec& when, std::string_view event, std::string_view user,
                          std::string_view peer, std::span<const activity_field> fields) {
  const bool json = fmt == log_format::json;
  std::string out;
  out.reserve(128);
  if (json) {
    out += "{\"time\":\"" + utc_time(when) + "\",\"event\":\"";
    append_name(out, event);
    out += "\",\"user\":";
    append_quoted(out, user, true);
    out += ",\"peer\":";
    append_quoted(out, peer, true);
    for (const auto& f : fields) {
      out += ",\"";
      append_name(out, f.key);
      out += "\":";
      append_value(out, f.value, true);
    }
    out += "}\n";
    return out;
  }
  out += utc_time(when);
  out += ' ';
  append_name(out, event);
  out += " user=";
  append_quoted(out, user, false);
  out += " peer=";
  append_quoted(out, peer, false);
  for (const auto& f : fields) {
    out += ' ';
    append_name(out, f.key);
    out += '=';
    append_value(out, f.value, false);
  }
  out += '\n';
  return out;
}

activity_log::activity_log(std::filesystem::path file, log_format fmt)
    : file_(std::move(file)), format_(fmt), fd_(open_append(file_)) {}

void activity_log::record(std::string_view event, std::string_view user, std::string_view peer,
                          std::initializer_list<activity_field> fields) {
  record(event, user, peer, std::span<const activity_field>(fields.begin(), fields.size()));
}

void activity_log::record(std::string_view event, std::string_view user, std::string_view peer,
                          std::span<const activity_field> fields) {
  std::timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::string line = activity_line(format_, now, event, user, peer, fields);
  std::lock_guard lock(mu_);
  if (fd_) (void)!::write(fd_.get(), line.data(), line.size());
}

bool activity_log::reopen() {
  vfs::unique_fd fresh(open_append(file_));
  if (!fresh) return false;
  std::lock_guard lock(mu_);
  fd_ = std::move(fresh);
  return true;
}

void activity_actor::record(std::string_view event, std::initializer_list<activity_field> fields) const {
  record(event, std::span<const activity_field>(fields.begin(), fields.size()));
}

void activity_actor::record(std::string_view event, std::span<const activity_field> fields) const {
  if (log == nullptr) return;
  std::vector<activity_field> all;
  all.reserve(fields.size() + 2);
  all.push_back({"service", service});
  all.push_back({"session", session});
  all.insert(all.end(), fields.begin(), fields.end());
  log->record(event, user, peer, all);
}

}  // namespace ferry::session
