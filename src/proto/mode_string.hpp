// `ls -l` permission strings ("drwxr-sr-x"), shared by the client's long
// listings and the FTP front-end's LIST output. Pure.
#pragma once
#include <cstdint>
#include <string>

namespace ferry::proto {

/// Ten characters: `type` (e.g. 'd', '-', 'l') then rwx triplets with
/// setuid/setgid/sticky shown as s/S/t/T. Bits above 07777 are ignored.
std::string mode_string(char type, std::uint32_t mode);

}  // namespace ferry::proto
