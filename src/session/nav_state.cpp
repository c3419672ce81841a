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

}  // namespace ferry::session
