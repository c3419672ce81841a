#include "session/nav_state.hpp"

#include <algorithm>

#include "session/activity_log.hpp"
#include "vfs/jail.hpp"
#include "vfs/part_file.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::session {

vfs::quota_ledger& fresh_quota(nav_state& st) {
  if (st.quota_stale) {
    st.quota->resync(st.jail->disk_usage());
    st.quota_stale = false;
  }
  return *st.quota;
}

namespace {

/// One activity line for a name change (ok or refused), then `e`.
errc noted(const nav_state& st, std::string_view event, errc e, std::initializer_list<activity_field> fields) {
  if (st.actor == nullptr) return e;
  std::vector<activity_field> all(fields);
  all.push_back({"result", e == errc::ok ? std::string_view("ok") : info(e).error});
  st.actor->record(event, all);
  return e;
}

errc make_dir_charged(nav_state& st, std::string_view path, bool parents) {
  auto& quota = fresh_quota(st);
  const auto changes = quota.lock_changes();
  // Charged before they exist, so sessions of one user cannot jointly pass
  // the limits, then settled to what was measured (nothing, when nothing
  // was made).
  // (An existing directory costs nothing: mkdir of one is `exists`, also
  // at the limit.)
  const std::uint64_t missing = st.jail->missing_dirs(path);
  const std::uint64_t n = parents ? missing : std::min<std::uint64_t>(missing, 1);
  const vfs::usage estimate{n * vfs::charge_unit, n};
  if (auto e = quota.charge(estimate, {}); e != errc::ok) return e;
  vfs::usage_change made;
  const auto e = st.jail->make_dir(path, parents, &made);
  made.removed += estimate;
  quota.apply(made);
  return e;
}

/// Runs `op` (a jail operation that reports what it changed) under the
/// ledger's change lock and applies what it measured.
template <class Op>
errc measured(nav_state& st, Op op) {
  auto& quota = fresh_quota(st);
  const auto changes = quota.lock_changes();
  vfs::usage_change c;
  const auto e = op(c);
  quota.apply(c);
  return e;
}

}  // namespace

errc make_dir(nav_state& st, std::string_view path, bool parents) {
  return noted(st, "mkdir", make_dir_charged(st, path, parents), {{"path", path}, {"parents", parents}});
}

errc remove_dir(nav_state& st, std::string_view path) {
  auto e = measured(st, [&](vfs::usage_change& c) { return st.jail->remove_dir(path, &c); });
  std::vector<std::string> targets;
  if (e == errc::not_empty && st.locks != nullptr && vfs::part_targets(*st.jail, path, targets) == errc::ok) {
    e = measured(st, [&](vfs::usage_change& c) {
      for (const std::string& t : targets) {
        const auto d = vfs::discard_part(*st.jail, *st.locks, vfs::join(path, t), &c);
        if (d != errc::ok && d != errc::not_found) return errc::not_empty;
      }
      return st.jail->remove_dir(path, &c);
    });
  }
  return noted(st, "rmdir", e, {{"path", path}});
}

errc remove_file(nav_state& st, std::string_view path) {
  auto e = measured(st, [&](vfs::usage_change& c) { return st.jail->remove_file(path, &c); });
  if ((e == errc::ok || e == errc::not_found) && st.locks != nullptr) {
    const auto d = measured(st, [&](vfs::usage_change& c) { return vfs::discard_part(*st.jail, *st.locks, path, &c); });
    if (e == errc::not_found && d == errc::ok) e = errc::ok;
  }
  return noted(st, "rm", e, {{"path", path}});
}

errc rename(nav_state& st, std::string_view from, std::string_view to) {
  const auto e = measured(st, [&](vfs::usage_change& c) { return st.jail->rename(from, to, &c); });
  return noted(st, "mv", e, {{"from", from}, {"to", to}});
}

}  // namespace ferry::session
