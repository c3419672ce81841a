#include "session/nav_state.hpp"

#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::session {

vfs::quota_ledger& fresh_quota(nav_state& st) {
  if (st.quota_stale) {
    st.quota->resync(st.jail->usage());
    st.quota_stale = false;
  }
  return *st.quota;
}

errc make_dir(nav_state& st, std::string_view path, bool parents) {
  auto& quota = fresh_quota(st);
  // Charged before it exists, so sessions of one user cannot jointly pass
  // the limit; given back when nothing was made.
  if (!quota.grow(vfs::entry_charge, 0)) return errc::quota_exceeded;
  unsigned created = 0;
  const auto e = st.jail->make_dir(path, parents, &created);
  if (created == 0) quota.freed(vfs::entry_charge);
  else if (created > 1) quota.wrote((created - 1) * vfs::entry_charge);  // -p: its missing parents
  return e;
}

errc remove_dir(nav_state& st, std::string_view path) {
  auto& quota = fresh_quota(st);
  const auto e = st.jail->remove_dir(path);
  if (e == errc::ok) quota.freed(vfs::entry_charge);
  return e;
}

}  // namespace ferry::session
