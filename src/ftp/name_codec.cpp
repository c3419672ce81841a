#include "ftp/name_codec.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace ferry::ftp {
namespace {

std::optional<std::string> convert(void* cd, std::string_view in) {
  auto* h = static_cast<iconv_t>(cd);
  ::iconv(h, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  std::string out(in.size() * 4 + 16, '\0');
  char* src = const_cast<char*>(in.data());  // iconv's API is not const-correct
  std::size_t src_left = in.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  if (::iconv(h, &src, &src_left, &dst, &dst_left) == static_cast<std::size_t>(-1)) return std::nullopt;
  if (::iconv(h, nullptr, nullptr, &dst, &dst_left) == static_cast<std::size_t>(-1)) return std::nullopt;
  out.resize(out.size() - dst_left);
  return out;
}

iconv_t bad_cd() { return reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::unique_ptr<name_codec> name_codec::make(const std::string& encoding) {
  std::string lower;
  for (char c : encoding) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::unique_ptr<name_codec> c(new name_codec());
  if (lower.empty() || lower == "utf-8" || lower == "utf8") return c;
  iconv_t in = ::iconv_open("UTF-8", encoding.c_str());
  if (in == bad_cd()) return nullptr;
  iconv_t out = ::iconv_open(encoding.c_str(), "UTF-8");
  if (out == bad_cd()) {
    ::iconv_close(in);
    return nullptr;
  }
  c->in_ = in;
  c->out_ = out;
  return c;
}

name_codec::~name_codec() {
  if (in_ != nullptr) ::iconv_close(static_cast<iconv_t>(in_));
  if (out_ != nullptr) ::iconv_close(static_cast<iconv_t>(out_));
}

std::optional<std::string> name_codec::from_client(std::string_view bytes) {
  if (in_ == nullptr) {
    if (!valid_utf8(bytes)) return std::nullopt;
    return std::string(bytes);
  }
  return convert(in_, bytes);
}

std::optional<std::string> name_codec::to_client(std::string_view utf8) {
  if (out_ == nullptr) return std::string(utf8);
  return convert(out_, utf8);
}

}  // namespace ferry::ftp
