// Standard base64 (RFC 4648, with padding), as SCRAM and PostgreSQL verifiers use.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ferry::auth {

std::string base64_encode(std::string_view raw);
/// nullopt on any character outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ferry::auth
