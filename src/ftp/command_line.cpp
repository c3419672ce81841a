#include "ftp/command_line.hpp"

#include <algorithm>

namespace ferry::ftp {
namespace {

constexpr unsigned char iac = 255;

/// Removes Telnet commands: IAC IAC is a literal 0xff; IAC + verb (+ option
/// for WILL/WONT/DO/DONT) is dropped.
std::string strip_telnet(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c != iac) {
      out.push_back(in[i]);
      continue;
    }
    if (i + 1 >= in.size()) break;
    const auto v = static_cast<unsigned char>(in[i + 1]);
    if (v == iac) {
      out.push_back(in[i + 1]);
      ++i;
    } else if (v >= 251 && v <= 254) {
      i += 2;  // WILL/WONT/DO/DONT + option byte
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

void line_splitter::feed(std::string_view bytes) { buf_.append(bytes); }

line_splitter::result line_splitter::next(std::string& out) {
  for (;;) {
    const auto nl = buf_.find('\n');
    if (skipping_) {
      if (nl == std::string::npos) {
        buf_.clear();
        return result::need_more;
      }
      buf_.erase(0, nl + 1);
      skipping_ = false;
      continue;
    }
    if (nl == std::string::npos) {
      if (buf_.size() > max_line) {
        buf_.clear();
        skipping_ = true;
        return result::too_long;
      }
      return result::need_more;
    }
    if (nl > max_line) {
      buf_.erase(0, nl + 1);
      return result::too_long;
    }
    std::size_t end = nl;
    if (end > 0 && buf_[end - 1] == '\r') --end;
    out.assign(buf_, 0, end);
    buf_.erase(0, nl + 1);
    return result::line;
  }
}

bool pending_lines::push(std::string line) {
  // SECURITY: a client that stalls a transfer and floods the control
  // connection must not grow the server (issue 11): bounded, then dropped.
  if (overflowed_ || lines_.size() >= max_pending_lines || line.size() > max_pending_bytes - bytes_) {
    overflowed_ = true;
    return false;
  }
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  return true;
}

std::optional<std::string> pending_lines::pop() {
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  bytes_ -= line.size();
  return line;
}

std::optional<command> parse_command(std::string_view raw) {
  const std::string line = strip_telnet(raw);
  std::string_view s = line;
  // Tolerate leading spaces some clients send after an IAC sequence.
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  const auto sp = s.find(' ');
  const auto verb = s.substr(0, sp);
  if (verb.empty() || verb.size() > 4) return std::nullopt;
  command c;
  for (char ch : verb) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return std::nullopt;
    c.verb.push_back(static_cast<char>(ch >= 'a' ? ch - 'a' + 'A' : ch));
  }
  if (sp != std::string_view::npos) c.arg = std::string(s.substr(sp + 1));
  return c;
}

}  // namespace ferry::ftp
