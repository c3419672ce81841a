// Navigation ops of the native protocol (pwd, cd, ls, stat, mkdir, rmdir, rm,
// mv, quota): request fields in, reply JSON out. Synchronous and socket-free,
// so they are unit-tested on a real directory without a server; every path
// goes through vfs::resolve and then the jail. The op table that names them
// is in native_session.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "session/nav_state.hpp"

namespace ferry::proto {
class fields;
}

namespace ferry::native {

/// One navigation op: reads its fields from `f`, acts through `st`, fills `reply`.
using nav_handler = void (*)(std::uint64_t id, proto::fields& f, session::nav_state& st,
                             nlohmann::json& reply);

/// Runs `fn` on request `req`; a field of the wrong type becomes a 400.
void run_nav_op(nav_handler fn, std::uint64_t id, const nlohmann::json& req, session::nav_state& st,
                nlohmann::json& reply);

namespace nav {
/// JSON bytes of entries per ls frame: the client refuses headers over
/// 64 KiB, and one more entry adds at most ~1.6 KiB (a 255-byte name of
/// escaped characters).
inline constexpr std::size_t ls_frame_budget = 32 * 1024;

void pwd(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void cd(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
/// ls answers in frames of at most ls_frame_budget bytes of entries, in name
/// order across frames. A frame with "more": true is followed by more with the
/// same id: the listing stays open in `st.listing` and ls_more() gives the
/// next frame (the last has no "more"). The caller sends each frame before
/// asking for the next, so a listing holds only its names in memory.
void ls(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
nlohmann::json ls_more(std::uint64_t id, session::nav_state& st);
/// ls_more()'s frame as JSON text, written directly (a big listing sends
/// these, encoded on the worker that reads the directory).
std::string ls_frame_text(std::uint64_t id, session::nav_state& st);
void stat(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void mkdir(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void rmdir(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void rm(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void mv(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
void quota(std::uint64_t, proto::fields&, session::nav_state&, nlohmann::json&);
}  // namespace nav

}  // namespace ferry::native
