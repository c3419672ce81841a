#include "ftp/reply.hpp"

namespace ferry::ftp {
namespace {

std::string one_line(std::string_view text) {
  std::string s(text);
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

}  // namespace

std::string reply(int code, std::string_view text) {
  return std::to_string(code) + " " + one_line(text) + "\r\n";
}

std::string multiline(int code, std::string_view first, const std::vector<std::string>& lines,
                      std::string_view last) {
  std::string out = std::to_string(code) + "-" + one_line(first) + "\r\n";
  for (const auto& l : lines) out += " " + one_line(l) + "\r\n";
  out += std::to_string(code) + " " + one_line(last) + "\r\n";
  return out;
}

std::string quote_path(std::string_view path) {
  std::string out = "\"";
  for (char c : path) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace ferry::ftp
