// Navigation op handlers.
#include "native/nav_ops.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proto/request.hpp"
#include "vfs/dir_listing.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::native {
namespace {

using json = nlohmann::json;
using session::nav_state;

/// An upper bound of the bytes `e` takes in a frame, without encoding it
/// (encoding every entry twice was a third of a big listing's time): ASCII
/// names are exact; an escaped byte takes up to 6 ("\u001f"), a byte of a
/// name that is not UTF-8 up to 3 (U+FFFD replaces it).
std::size_t entry_size_bound(const vfs::dir_entry& e) {
  // {"mode":NNNNN,"mtime":-N{19},"name":"","size":N{20},"type":"other"},
  constexpr std::size_t fields = 100;
  std::size_t n = fields;
  for (const unsigned char c : e.name) n += c < 0x20 ? 6 : c == '"' || c == '\\' ? 2 : c >= 0x80 ? 3 : 1;
  if (!e.target.empty()) n += 12 + 6 * e.target.size();  // ,"target":"" and the worst escape
  return n;
}

/// A JSON string of `s` as encode_frame writes it (invalid UTF-8 replaced).
void append_json_string(std::string& out, const std::string& s) {
  out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

/// entry_json(e) as text, keys in the same (sorted) order: a listing frame
/// is written directly, without building an object per entry.
void append_entry_text(std::string& out, const vfs::dir_entry& e) {
  fmt::format_to(std::back_inserter(out), R"({{"mode":{},"mtime":{},"name":)", e.mode, e.mtime);
  append_json_string(out, e.name);
  fmt::format_to(std::back_inserter(out), R"(,"size":{})", e.size);
  if (!e.target.empty()) {
    out += R"(,"target":)";
    append_json_string(out, e.target);
  }
  out += R"(,"type":")";
  out += vfs::to_string(e.type);
  out += "\"}";
}

json entry_json(const vfs::dir_entry& e) {
  json j{{"name", e.name}, {"type", vfs::to_string(e.type)}, {"size", e.size},
         {"mtime", e.mtime}, {"mode", e.mode}};
  if (!e.target.empty()) j["target"] = e.target;
  return j;
}

/// Resolves a path field against the cwd; on failure fills `reply` with a 400.
bool path_field(std::uint64_t id, proto::fields& f, const char* key, const nav_state& st,
                std::string& out, json& reply, bool required = true) {
  auto raw = required ? std::optional<std::string>(f.str(key)) : f.opt_str(key);
  if (!f.ok()) {
    reply = proto::error_reply(id, errc::bad_request, f.error());
    return false;
  }
  if (!raw) {
    out = st.cwd;
    return true;
  }
  std::string why;
  auto p = vfs::resolve(st.cwd, *raw, why);
  if (!p) {
    reply = proto::error_reply(id, errc::bad_request, why);
    return false;
  }
  out = std::move(*p);
  return true;
}

json result(std::uint64_t id, errc e, const std::string& path, int ok_status = 200) {
  if (e == errc::ok) return proto::reply(id, ok_status);
  return proto::failure_reply(id, e, path);
}

}  // namespace

namespace nav {

void pwd(std::uint64_t id, proto::fields&, nav_state& st, json& r) {
  r = proto::reply(id);
  r["path"] = st.cwd;
}

void cd(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  if (auto e = st.jail->check_dir(p); e != errc::ok) return void(r = result(id, e, p));
  st.cwd = p;
  r = proto::reply(id);
  r["path"] = p;
}

void ls(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  st.listing.reset();
  std::string p;
  if (!path_field(id, f, "path", st, p, r, false)) return;
  auto l = std::make_shared<vfs::dir_listing>();
  if (auto e = st.jail->open_listing(p, *l); e != errc::ok) return void(r = result(id, e, p));
  st.listing = std::move(l);
  r = ls_more(id, st);
}

std::string ls_frame_text(std::uint64_t id, nav_state& st) {
  std::string out = R"({"entries":[)";
  bool more = false;
  if (st.listing) {
    std::size_t bytes = 0;
    bool first = true;
    while (bytes < ls_frame_budget && !st.listing->done()) {
      for (auto& e : st.listing->next(1)) {
        bytes += entry_size_bound(e);
        if (!first) out += ',';
        first = false;
        append_entry_text(out, e);
      }
    }
    more = !st.listing->done();
    if (!more) st.listing.reset();
  }
  fmt::format_to(std::back_inserter(out), R"(],"id":{}{},"status":200}})", id, more ? R"(,"more":true)" : "");
  return out;
}

json ls_more(std::uint64_t id, nav_state& st) { return json::parse(ls_frame_text(id, st)); }

void stat(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  vfs::dir_entry e;
  if (auto ec = st.jail->stat(p, e); ec != errc::ok) return void(r = result(id, ec, p));
  r = proto::reply(id);
  r["entry"] = entry_json(e);
}

void mkdir(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  const bool parents = f.boolean("parents", false);
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  if (auto e = session::make_dir(st, p, parents); e != errc::ok) return void(r = result(id, e, p));
  r = proto::reply(id, 201);
  r["path"] = p;
}

void rmdir(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  if (st.holds_cwd(p))
    return void(r = proto::error_reply(id, errc::busy, "directory is the current directory: " + p));
  r = result(id, session::remove_dir(st, p), p);
}

void rm(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  r = result(id, session::remove_file(st, p), p);
}

void mv(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string from, to;
  if (!path_field(id, f, "from", st, from, r) || !path_field(id, f, "to", st, to, r)) return;
  if (st.holds_cwd(from))
    return void(r = proto::error_reply(id, errc::busy, "directory is the current directory: " + from));
  r = result(id, session::rename(st, from, to), from + " -> " + to);
}

void quota(std::uint64_t id, proto::fields&, nav_state& st, json& r) {
  r = proto::reply(id);
  const auto s = session::fresh_quota(st).get();
  r["used"] = s.used;
  r["limit"] = s.limit;
  r["files"] = s.files;
  r["max_files"] = s.max_files;
}

}  // namespace nav

void run_nav_op(nav_handler fn, std::uint64_t id, const json& req, nav_state& st, json& reply) {
  proto::fields f(req);
  fn(id, f, st, reply);
  if (!f.ok() && reply.value("status", 0) < 400) reply = proto::error_reply(id, errc::bad_request, f.error());
}

}  // namespace ferry::native
