// Strict RFC 4648 base64 with padding. The decoder accepts only the canonical
// encoding: length a multiple of 4, alphabet characters, '=' only as the last
// one or two characters, and zero bits in the padding slot. SCRAM proofs and
// verifier keys pass through here, so "almost base64" must never decode.
#include "auth/base64.hpp"

#include <array>
#include <cstdint>

namespace ferry::auth {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> r{};
  r.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return r;
}

constexpr std::array<std::int8_t, 256> reverse = make_reverse();

int value_of(char c) { return reverse[static_cast<unsigned char>(c)]; }

}  // namespace

std::string base64_encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    const unsigned b0 = static_cast<unsigned char>(raw[i]);
    const unsigned b1 = static_cast<unsigned char>(raw[i + 1]);
    const unsigned b2 = static_cast<unsigned char>(raw[i + 2]);
    out.push_back(alphabet[b0 >> 2]);
    out.push_back(alphabet[((b0 & 0x03) << 4) | (b1 >> 4)]);
    out.push_back(alphabet[((b1 & 0x0f) << 2) | (b2 >> 6)]);
    out.push_back(alphabet[b2 & 0x3f]);
  }
  const std::size_t rest = raw.size() - i;
  if (rest == 1) {
    const unsigned b0 = static_cast<unsigned char>(raw[i]);
    out.push_back(alphabet[b0 >> 2]);
    out.push_back(alphabet[(b0 & 0x03) << 4]);
    out.append("==");
  } else if (rest == 2) {
    const unsigned b0 = static_cast<unsigned char>(raw[i]);
    const unsigned b1 = static_cast<unsigned char>(raw[i + 1]);
    out.push_back(alphabet[b0 >> 2]);
    out.push_back(alphabet[((b0 & 0x03) << 4) | (b1 >> 4)]);
    out.push_back(alphabet[(b1 & 0x0f) << 2]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // SECURITY: whole quads only; no whitespace, no missing padding.
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (std::size_t j = 0; j < 4 - pad; ++j) {
      v[j] = value_of(text[i + j]);
      // SECURITY: '=' in the middle or any non-alphabet byte is rejected here.
      if (v[j] < 0) return std::nullopt;
    }
    out.push_back(static_cast<char>((v[0] << 2) | (v[1] >> 4)));
    if (pad == 2) {
      // SECURITY: canonical only: the unused low bits must be zero.
      if ((v[1] & 0x0f) != 0) return std::nullopt;
      break;
    }
    out.push_back(static_cast<char>(((v[1] & 0x0f) << 4) | (v[2] >> 2)));
    if (pad == 1) {
      if ((v[2] & 0x03) != 0) return std::nullopt;
      break;
    }
    out.push_back(static_cast<char>(((v[2] & 0x03) << 6) | v[3]));
  }
  return out;
}

}  // namespace ferry::auth
