// The UDP status datagram codec: explicit big-endian field by field.
#include "proto/status_datagram.hpp"

#include <algorithm>

namespace ferry::proto::status {
namespace {

// Offsets (docs/protocol.md, "UDP status").
constexpr std::size_t off_magic = 0, off_version = 4, off_kind = 5, off_flags = 6, off_nonce = 8,
                      off_major = 16, off_minor = 17, off_patch = 18, off_uptime = 20, off_sessions = 24,
                      off_max_sessions = 28;
static_assert(off_max_sessions + 4 == datagram_size, "the reply must fill the request exactly, no more");

template <class T>
void put(datagram& d, std::size_t off, T v) {
  for (std::size_t i = sizeof(T); i-- > 0;) {
    d[off + i] = static_cast<std::uint8_t>(v & 0xff);
    if constexpr (sizeof(T) > 1) v = static_cast<T>(v >> 8);
  }
}

template <class T>
T get(std::span<const std::uint8_t> d, std::size_t off) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | d[off + i]);
  return v;
}

datagram header(kind k) {
  datagram d{};
  std::copy(magic.begin(), magic.end(), d.begin() + off_magic);
  d[off_version] = version;
  d[off_kind] = static_cast<std::uint8_t>(k);
  return d;
}

bool valid(std::span<const std::uint8_t> bytes, kind k) {
  // SECURITY: anything but the exact size, magic, version and kind is
  // dropped without an answer (no amplification, no error oracle).
  return bytes.size() == datagram_size && std::equal(magic.begin(), magic.end(), bytes.begin() + off_magic) &&
         bytes[off_version] == version && bytes[off_kind] == static_cast<std::uint8_t>(k);
}

}  // namespace

datagram encode(const request& r) {
  auto d = header(kind::request);
  put(d, off_nonce, r.nonce);
  return d;
}

datagram encode(const reply& r) {
  auto d = header(kind::reply);
  put(d, off_flags, r.flags);
  put(d, off_nonce, r.nonce);
  put(d, off_major, r.server_major);
  put(d, off_minor, r.server_minor);
  put(d, off_patch, r.server_patch);
  put(d, off_uptime, r.uptime);
  put(d, off_sessions, r.sessions);
  put(d, off_max_sessions, r.max_sessions);
  return d;
}

std::optional<request> decode_request(std::span<const std::uint8_t> bytes) {
  if (!valid(bytes, kind::request)) return std::nullopt;
  return request{get<std::uint64_t>(bytes, off_nonce)};
}

std::optional<reply> decode_reply(std::span<const std::uint8_t> bytes) {
  if (!valid(bytes, kind::reply)) return std::nullopt;
  reply r;
  r.flags = get<std::uint16_t>(bytes, off_flags);
  r.nonce = get<std::uint64_t>(bytes, off_nonce);
  r.server_major = get<std::uint8_t>(bytes, off_major);
  r.server_minor = get<std::uint8_t>(bytes, off_minor);
  r.server_patch = get<std::uint16_t>(bytes, off_patch);
  r.uptime = get<std::uint32_t>(bytes, off_uptime);
  r.sessions = get<std::uint32_t>(bytes, off_sessions);
  r.max_sessions = get<std::uint32_t>(bytes, off_max_sessions);
  return r;
}

}  // namespace ferry::proto::status
