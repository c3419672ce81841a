// Navigation op handlers, table-driven.
#include "server/nav_ops.hpp"

#include <array>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proto/request.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::server {
namespace {

using json = nlohmann::json;

json entry_json(const vfs::dir_entry& e) {
  return json{{"name", e.name}, {"type", vfs::to_string(e.type)}, {"size", e.size},
              {"mtime", e.mtime}, {"mode", e.mode}};
}

/// Resolves a path field against the cwd; on failure fills `reply` with a 400.
bool path_field(std::uint64_t id, proto::fields& f, const char* key, const nav_state& st,
                std::string& out, json& reply, bool required = true) {
  auto raw = required ? std::optional<std::string>(f.str(key)) : f.opt_str(key);
  if (!f.ok()) {
    reply = error_reply(id, errc::bad_request, f.error());
    return false;
  }
  if (!raw) {
    out = st.cwd;
    return true;
  }
  std::string why;
  auto p = vfs::resolve(st.cwd, *raw, why);
  if (!p) {
    reply = error_reply(id, errc::bad_request, why);
    return false;
  }
  out = std::move(*p);
  return true;
}

json result(std::uint64_t id, errc e, const std::string& path, int ok_status = 200) {
  if (e == errc::ok) return proto::reply(id, ok_status);
  return error_reply(id, e, std::string(info(e).text) + ": " + path);
}

using handler = void (*)(std::uint64_t, proto::fields&, nav_state&, json&);

void op_pwd(std::uint64_t id, proto::fields&, nav_state& st, json& r) {
  r = proto::reply(id);
  r["path"] = st.cwd;
}

void op_cd(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  if (auto e = st.jail->check_dir(p); e != errc::ok) return void(r = result(id, e, p));
  st.cwd = p;
  r = proto::reply(id);
  r["path"] = p;
}

void op_ls(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r, false)) return;
  std::vector<vfs::dir_entry> entries;
  if (auto e = st.jail->list(p, entries); e != errc::ok) return void(r = result(id, e, p));
  json arr = json::array();
  for (const auto& e : entries) arr.push_back(entry_json(e));
  r = proto::reply(id);
  r["entries"] = std::move(arr);
}

void op_stat(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  vfs::dir_entry e;
  if (auto ec = st.jail->stat(p, e); ec != errc::ok) return void(r = result(id, ec, p));
  r = proto::reply(id);
  r["entry"] = entry_json(e);
}

void op_mkdir(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  const bool parents = f.boolean("parents", false);
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  if (auto e = st.jail->make_dir(p, parents); e != errc::ok) return void(r = result(id, e, p));
  r = proto::reply(id, 201);
  r["path"] = p;
}

void op_rmdir(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  // Removing the cwd or one of its ancestors would strand the session.
  if (p == st.cwd || st.cwd.starts_with(p + "/"))
    return void(r = error_reply(id, errc::busy, "directory is the current directory: " + p));
  r = result(id, st.jail->remove_dir(p), p);
}

void op_rm(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string p;
  if (!path_field(id, f, "path", st, p, r)) return;
  std::uint64_t freed = 0;
  auto& quota = fresh_quota(st);
  r = result(id, st.jail->remove_file(p, &freed), p);
  if (r.value("status", 0) == 200) quota.freed(freed);
}

void op_mv(std::uint64_t id, proto::fields& f, nav_state& st, json& r) {
  std::string from, to;
  if (!path_field(id, f, "from", st, from, r) || !path_field(id, f, "to", st, to, r)) return;
  if (from == st.cwd || st.cwd.starts_with(from + "/"))
    return void(r = error_reply(id, errc::busy, "directory is the current directory: " + from));
  const auto e = st.jail->rename(from, to);
  if (e == errc::ok) r = proto::reply(id);
  else r = error_reply(id, e, std::string(info(e).text) + ": " + from + " -> " + to);
}

void op_quota(std::uint64_t id, proto::fields&, nav_state& st, json& r) {
  r = proto::reply(id);
  const auto s = fresh_quota(st).get();
  r["used"] = s.used;
  r["limit"] = s.limit;
}

constexpr std::array<std::pair<std::string_view, handler>, 9> table{{
    {"pwd", op_pwd}, {"cd", op_cd}, {"ls", op_ls}, {"stat", op_stat}, {"mkdir", op_mkdir},
    {"rmdir", op_rmdir}, {"rm", op_rm}, {"mv", op_mv}, {"quota", op_quota},
}};

}  // namespace

vfs::quota_ledger& fresh_quota(nav_state& st) {
  if (st.quota_stale) {
    st.quota->resync(st.jail->usage());
    st.quota_stale = false;
  }
  return *st.quota;
}

json error_reply(std::uint64_t id, errc e, const std::string& message) {
  json r = proto::reply(id, info(e).status);
  r["error"] = info(e).error;
  r["message"] = message;
  return r;
}

bool is_nav_op(std::string_view op) {
  for (const auto& entry : table)
    if (entry.first == op) return true;
  return false;
}

bool run_nav_op(const std::string& op, std::uint64_t id, const json& req, nav_state& st,
                json& reply) {
  for (const auto& [name, fn] : table) {
    if (name != op) continue;
    proto::fields f(req);
    fn(id, f, st, reply);
    if (!f.ok() && reply.value("status", 0) < 400)
      reply = error_reply(id, errc::bad_request, f.error());
    return true;
  }
  return false;
}

}  // namespace ferry::server
