// Caps on uploads held open at once, per user and per server (the per-session
// cap is the protocol's own count). Each open upload holds a descriptor (its
// part file) until it commits or its connection ends; without caps, eight
// clients pipelining puts ran the server out of descriptors, and then every
// user's logins and transfers failed. A slot is taken before the part file is
// opened and given back when the upload ends, on any thread.
#pragma once
#include <atomic>
#include <optional>
#include <utility>

namespace ferry::session {

class upload_slot {
 public:
  /// A slot counted in both `server` and `user`, or nullopt when either is
  /// already at its cap (0 = no cap).
  static std::optional<upload_slot> take(std::atomic<unsigned>& server, unsigned server_cap,
                                         std::atomic<unsigned>& user, unsigned user_cap);

  upload_slot(upload_slot&& o) noexcept
      : server_(std::exchange(o.server_, nullptr)), user_(std::exchange(o.user_, nullptr)) {}
  upload_slot& operator=(upload_slot&& o) noexcept {
    if (this != &o) {
      release();
      server_ = std::exchange(o.server_, nullptr);
      user_ = std::exchange(o.user_, nullptr);
    }
    return *this;
  }
  upload_slot(const upload_slot&) = delete;
  upload_slot& operator=(const upload_slot&) = delete;
  ~upload_slot() { release(); }

 private:
  upload_slot(std::atomic<unsigned>* server, std::atomic<unsigned>* user) : server_(server), user_(user) {}
  void release() noexcept;

  std::atomic<unsigned>* server_ = nullptr;
  std::atomic<unsigned>* user_ = nullptr;
};

/// The process's descriptor limit after raising the soft limit to the hard
/// one (what a server that holds many files open should do at start), and
/// what it was before.
struct descriptor_limit {
  unsigned long before = 0;
  unsigned long now = 0;
};
descriptor_limit raise_descriptor_limit();

/// Budgets that keep the server below its descriptor limit `nofile`: a
/// reserve for the server itself, then a third each for sessions (a socket,
/// plus a data socket on FTP) and for open uploads. Pure.
struct descriptor_budget {
  unsigned max_sessions = 0;
  unsigned max_open_uploads = 0;
};
descriptor_budget budget_for(unsigned long nofile) noexcept;

}  // namespace ferry::session
