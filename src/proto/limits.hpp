// Named limits shared by the codec, the server and the client. One place, so a
// reviewer sees every bound the wire format and the jail enforce.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ferry::limits {

inline constexpr std::uint32_t max_header = 65536;      ///< docs/protocol.md: 1 <= N <= 65536
inline constexpr std::size_t max_name = 255;            ///< one path component, bytes
inline constexpr std::size_t max_path = 4096;           ///< a whole client path, bytes
inline constexpr std::size_t max_user_name = 32;
inline constexpr std::uint64_t max_inline_body = 1 << 20;  ///< inline put bodies (issue 4)
/// Largest `mtime` a put may carry: 9999-12-31T23:59:59Z, so any date a
/// filesystem or a calendar prints fits; later ones are a client's bug.
inline constexpr std::uint64_t max_mtime = 253402300799;
inline constexpr std::uint16_t default_port = 9021;
inline constexpr std::uint16_t default_ftp_port = 2121;
inline constexpr int protocol_version = 1;

}  // namespace ferry::limits
