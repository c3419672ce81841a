// `ferryd ctl` output for people: the sessions table and the stats summary,
// from the JSON the admin socket answers (docs/protocol.md). Pure, so the
// layout is unit-tested without a server.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ferry::server {

/// "1.5 MiB", "12 B": binary units, one decimal from KiB up.
std::string human_bytes(std::uint64_t n);
/// "45s", "3m07s", "2h05m", "3d04h".
std::string human_seconds(std::uint64_t s);

/// One row per session: ID USER PEER PROTO SINCE IDLE TRANSFER; `now` is the
/// current unix time (for "since"). `sessions` is the reply body's array.
std::string format_sessions(const nlohmann::json& sessions, std::int64_t now);
/// The stats reply's "stats" object as a few labelled lines.
std::string format_stats(const nlohmann::json& stats);

}  // namespace ferry::server
