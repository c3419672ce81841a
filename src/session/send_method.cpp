#include "session/send_method.hpp"

#include <fmt/format.h>

namespace ferry::session {
namespace {

send_method best_of(const std::array<double, all_send_methods.size()>& mbs) noexcept {
  std::size_t best = 0;  // copy, unless another was measured faster
  for (std::size_t i = 1; i < mbs.size(); ++i)
    if (mbs[i] > mbs[best]) best = i;
  return all_send_methods[best];
}

std::string figures(const std::array<double, all_send_methods.size()>& mbs) {
  std::string out;
  for (std::size_t i = 0; i < mbs.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.0f}", name(all_send_methods[i]), mbs[i]);
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
  return {best_of(f.plain), best_of(f.hashed)};
}

std::string describe(const send_choice& c, const send_figures& f) {
  return fmt::format("download path: {} (MB/s: {}); with {} on the way: {} (MB/s: {})", name(c.plain),
                     figures(f.plain), f.hash_algo, name(c.hashed), figures(f.hashed));
}

}  // namespace ferry::session
