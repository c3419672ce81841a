// The UDP status datagram (docs/protocol.md, "UDP status"): a fixed 32-byte
// request, answered by a fixed 32-byte reply on the native port. Both are
// encoded field by field in network byte order (no packed structs on the
// wire), so the layout is the table in the docs and nothing else. The reply
// is never larger than the request: the request carries padding so the reply
// fits, and the server cannot be used as an amplifier. Pure.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ferry::proto::status {

/// Request and reply are exactly this long; any other size is dropped.
inline constexpr std::size_t datagram_size = 32;
/// "FRYS" (ferry status) at offset 0 of both.
inline constexpr std::array<std::uint8_t, 4> magic = {0x46, 0x52, 0x59, 0x53};
inline constexpr std::uint8_t version = 1;
/// Offset 5: what the datagram is. A server answers only requests, so a
/// reply sent to a server (a spoofed source pointing two servers at each
/// other) is dropped and cannot loop.
enum class kind : std::uint8_t { request = 1, reply = 2 };

/// Reply flags (offset 6, big-endian u16).
inline constexpr std::uint16_t flag_busy = 1;      ///< sessions at 90 % of max_sessions or more
inline constexpr std::uint16_t flag_draining = 2;  ///< shutting down: no new sessions

using datagram = std::array<std::uint8_t, datagram_size>;

struct request {
  std::uint64_t nonce = 0;  ///< chosen by the client, echoed in the reply
  bool operator==(const request&) const = default;
};

struct reply {
  std::uint64_t nonce = 0;
  std::uint16_t flags = 0;
  std::uint8_t server_major = 0;
  std::uint8_t server_minor = 0;
  std::uint16_t server_patch = 0;
  std::uint32_t uptime = 0;        ///< seconds since the server started (saturates)
  std::uint32_t sessions = 0;      ///< connections open now (saturates)
  std::uint32_t max_sessions = 0;  ///< the configured limit; 0 = unlimited
  bool operator==(const reply&) const = default;
};

datagram encode(const request& r);
datagram encode(const reply& r);

/// The request in `bytes`; nullopt unless it is exactly datagram_size bytes
/// with the magic, version 1 and kind request (padding is ignored).
std::optional<request> decode_request(std::span<const std::uint8_t> bytes);
/// The reply in `bytes`; nullopt unless exactly datagram_size bytes with the
/// magic, version 1 and kind reply.
std::optional<reply> decode_reply(std::span<const std::uint8_t> bytes);

}  // namespace ferry::proto::status
