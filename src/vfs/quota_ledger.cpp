// Quota ledger arithmetic. Every subtraction saturates: a ledger that drifted
// (files changed behind the server's back) must never wrap around.
#include "vfs/quota_ledger.hpp"

#include <algorithm>

namespace ferry::vfs {
namespace {

std::uint64_t sat_sub(std::uint64_t a, std::uint64_t b) noexcept { return a > b ? a - b : 0; }

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

void local_quota_ledger::resync(std::uint64_t used_on_disk) {
  std::lock_guard lock(mu_);
  if (open_uploads_ > 0 && known_) return;
  s_.used = used_on_disk;
  known_ = true;
}

bool local_quota_ledger::known() const {
  std::lock_guard lock(mu_);
  return known_;
}

void local_quota_ledger::set_limit(std::uint64_t limit) {
  std::lock_guard lock(mu_);
  s_.limit = limit;
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
  s_.used += n;
}

void local_quota_ledger::release(std::uint64_t n) {
  std::lock_guard lock(mu_);
  s_.reserved = sat_sub(s_.reserved, n);
}

bool local_quota_ledger::grow(std::uint64_t n, std::uint64_t replaced) {
  std::lock_guard lock(mu_);
  if (!fits(s_, n, replaced)) return false;
  s_.used += n;
  return true;
}

void local_quota_ledger::freed(std::uint64_t n) {
  std::lock_guard lock(mu_);
  s_.used = sat_sub(s_.used, n);
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

quota_ledger::snapshot local_quota_ledger::get() const {
  std::lock_guard lock(mu_);
  return s_;
}

}  // namespace ferry::vfs
