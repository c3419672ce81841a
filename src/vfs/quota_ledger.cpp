// Quota ledger arithmetic. Every subtraction saturates: a ledger that drifted
// (files changed behind the server's back) must never wrap around.
#include "vfs/quota_ledger.hpp"

#include <algorithm>

namespace ferry::vfs {
namespace {

std::uint64_t sat_sub(std::uint64_t a, std::uint64_t b) noexcept { return a > b ? a - b : 0; }

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) noexcept { return a + b < a ? ~std::uint64_t{0} : a + b; }

}  // namespace

bool quota_ledger::fits(const snapshot& s, std::uint64_t add, std::uint64_t replaced) noexcept {
  if (s.limit == 0) return true;
  // Overflow-safe form of used + reserved + add - replaced <= limit.
  const std::uint64_t have = s.used + s.reserved;
  if (have < s.used) return false;
  const std::uint64_t after = have + add;
  if (after < have) return false;
  return sat_sub(after, replaced) <= s.limit;
}

errc quota_ledger::admits(const snapshot& s, const usage& add, const usage& replaced) noexcept {
  // Names first: past max_files even a name that costs no more bytes is
  // refused, and that refusal should say so.
  if (add.files > 0 && s.max_files != 0 &&
      sat_sub(sat_add(s.files, add.files), replaced.files) > s.max_files)
    return errc::too_many_files;
  if (!fits(s, add.bytes, replaced.bytes)) return errc::quota_exceeded;
  return errc::ok;
}

void local_quota_ledger::resync(const usage& on_disk) {
  std::lock_guard lock(mu_);
  if (open_uploads_ > 0 && known_) return;
  s_.used = on_disk.bytes;
  s_.files = on_disk.files;
  known_ = true;
}

bool local_quota_ledger::known() const {
  std::lock_guard lock(mu_);
  return known_;
}

void local_quota_ledger::set_limits(std::uint64_t bytes, std::uint64_t files) {
  std::lock_guard lock(mu_);
  s_.limit = bytes;
  s_.max_files = files;
}

errc local_quota_ledger::charge(const usage& add, const usage& replaced) {
  std::lock_guard lock(mu_);
  if (auto e = admits(s_, add, replaced); e != errc::ok) return e;
  s_.used = sat_add(s_.used, add.bytes);
  s_.files = sat_add(s_.files, add.files);
  return errc::ok;
}

void local_quota_ledger::apply(const usage_change& c) {
  std::lock_guard lock(mu_);
  s_.used = sat_sub(sat_add(s_.used, c.added.bytes), c.removed.bytes);
  s_.files = sat_sub(sat_add(s_.files, c.added.files), c.removed.files);
}

bool local_quota_ledger::reserve(std::uint64_t add, std::uint64_t replaced) {
  std::lock_guard lock(mu_);
  if (!fits(s_, add, replaced)) return false;
  s_.reserved += add;
  return true;
}

void local_quota_ledger::wrote(std::uint64_t n) {
  std::lock_guard lock(mu_);
  const auto from_reserve = std::min(n, s_.reserved);
  s_.reserved -= from_reserve;
  s_.used = sat_add(s_.used, n);
}

void local_quota_ledger::release(std::uint64_t n) {
  std::lock_guard lock(mu_);
  s_.reserved = sat_sub(s_.reserved, n);
}

bool local_quota_ledger::within(std::uint64_t replaced) const {
  std::lock_guard lock(mu_);
  return fits(s_, 0, replaced);
}

void local_quota_ledger::open_upload() {
  std::lock_guard lock(mu_);
  ++open_uploads_;
}

void local_quota_ledger::close_upload() {
  std::lock_guard lock(mu_);
  if (open_uploads_ > 0) --open_uploads_;
}

std::unique_lock<std::mutex> local_quota_ledger::lock_changes() { return std::unique_lock(changes_); }

quota_ledger::snapshot local_quota_ledger::get() const {
  std::lock_guard lock(mu_);
  return s_;
}

}  // namespace ferry::vfs
