// Who gets an answer to a UDP status request: a token bucket per source
// address, in a table of bounded size (least recently seen sources are
// forgotten first, so a flood from spoofed addresses cannot grow memory), and
// one server-wide bucket over all of them (so sources that are evicted and
// come back fresh, or a flood from many addresses, still get only so many
// replies per second). Pure: time is passed in. Not thread-safe: the status
// responder owns one and calls it from its loop only.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

namespace ferry::server {

class status_limiter {
 public:
  using clock = std::chrono::steady_clock;
  /// An IPv4 address as IPv4-mapped IPv6, or an IPv6 address.
  using address = std::array<std::uint8_t, 16>;

  struct policy {
    double per_source_rate = 10;  ///< replies per second to one address
    double per_source_burst = 20;
    double global_rate = 2000;    ///< replies per second in all
    double global_burst = 2000;
    std::size_t max_sources = 4096;  ///< table bound
  };

  status_limiter() : status_limiter(policy{}) {}
  explicit status_limiter(policy p);

  /// True when a reply to `from` at `now` is within both budgets (and
  /// spends a token of each); false: drop the request silently.
  bool allow(const address& from, clock::time_point now);
  /// Sources remembered now (at most max_sources).
  std::size_t sources() const noexcept { return table_.size(); }

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point last{};
    bool take(double rate, double burst, clock::time_point now);
  };
  struct address_hash {
    std::size_t operator()(const address& a) const noexcept;
  };
  using lru = std::list<std::pair<address, bucket>>;

  policy policy_;
  bucket global_;
  lru order_;  ///< most recently seen first
  std::unordered_map<address, lru::iterator, address_hash> table_;
};

}  // namespace ferry::server
