#include "session/send_method.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ferry::session {
namespace {

send_method best_of(const send_figures::per_method& mbs, const send_figures::per_method& cpu) noexcept {
  double fastest = 0;
  for (auto v : mbs) fastest = std::max(fastest, v);
  if (fastest <= 0) return send_method::copy;
  std::size_t best = mbs.size();
  for (std::size_t i = 0; i < mbs.size(); ++i) {
    if (mbs[i] <= 0 || mbs[i] < fastest * (1 - send_tie)) continue;
    // Among the near-fastest the cheapest; an unknown CPU cost (0) counts as
    // the dearest. Ties keep the earlier method.
    const auto cost = [&](std::size_t k) { return cpu[k] > 0 ? cpu[k] : 1e300; };
    if (best == mbs.size() || cost(i) < cost(best)) best = i;
  }
  return all_send_methods[best];
}

std::string figures(const send_figures::per_method& mbs, const send_figures::per_method& cpu) {
  std::string out;
  for (std::size_t i = 0; i < mbs.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.0f} MB/s {:.0f} ms/GB", name(all_send_methods[i]), mbs[i], cpu[i]);
  }
  return out;
}

}  // namespace

std::string_view name(send_method m) noexcept {
  switch (m) {
    case send_method::copy: return "copy";
    case send_method::sendfile: return "sendfile";
    case send_method::splice: return "splice";
  }
  return "copy";
}

std::optional<send_method> parse_send_method(std::string_view s) noexcept {
  for (auto m : all_send_methods)
    if (name(m) == s) return m;
  return std::nullopt;
}

bool send_figures::measured() const noexcept {
  for (auto v : plain)
    if (v > 0) return true;
  return false;
}

send_choice choose(const send_figures& f) noexcept {
  if (!f.measured()) return {};
  return {best_of(f.plain, f.plain_cpu), best_of(f.hashed, f.hashed_cpu)};
}

std::string describe(const send_choice& c, const send_figures& f) {
  return fmt::format("download path: {} ({}); with {} on the way: {} ({}) [sender CPU per GB sent; within {:.0f}% "
                     "of the fastest the cheapest wins]",
                     name(c.plain), figures(f.plain, f.plain_cpu), f.hash_algo, name(c.hashed),
                     figures(f.hashed, f.hashed_cpu), send_tie * 100);
}

}  // namespace ferry::session
