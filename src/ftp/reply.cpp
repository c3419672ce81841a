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

std::string error_reply(errc e, std::string_view context) {
  std::string text = ftp_text(e);
  if (!context.empty()) text = std::string(context) + ": " + text;
  return reply(info(e).ftp_code, text);
}

std::string multiline(int code, std::string_view first, const std::vector<std::string>& lines,
                      std::string_view last) {
  std::string out = std::to_string(code) + "-" + one_line(first) + "\r\n";
  for (const auto& l : lines) out += " " + one_line(l) + "\r\n";
  out += std::to_string(code) + " " + one_line(last) + "\r\n";
  return out;
}

std::string_view hash_name(std::string_view algo) {
  return algo == "xxh128" ? "XXH128" : algo == "sha256" ? "SHA-256" : "MD5";
}

std::string_view hash_algo_named(std::string_view name) {
  if (name == "XXH128") return "xxh128";
  if (name == "SHA-256" || name == "SHA256") return "sha256";
  if (name == "MD5") return "md5";
  return {};
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
