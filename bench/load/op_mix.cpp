// op_mix: parsing "get=50,put=20" and drawing an op from it.
#include "load/op_mix.hpp"

#include <charconv>

namespace ferry::load {
namespace {

constexpr std::array<std::string_view, op_kind_count> names = {"get", "put", "ls", "rm", "stat"};
constexpr std::uint32_t max_weight = 1000000;

}  // namespace

std::string_view op_name(op_kind k) noexcept { return names[static_cast<std::size_t>(k)]; }

std::optional<op_kind> op_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<op_kind>(i);
  }
  return std::nullopt;
}

std::optional<op_mix> op_mix::parse(std::string_view text, std::string& error) {
  op_mix mix;
  std::array<bool, op_kind_count> seen{};
  if (text.empty()) {
    error = "empty op mix; expected e.g. get=50,put=20,ls=20,rm=10";
    return std::nullopt;
  }
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = "op mix item \"" + std::string(item) + "\" is not NAME=WEIGHT";
      return std::nullopt;
    }
    const auto name = item.substr(0, eq);
    const auto value = item.substr(eq + 1);
    const auto kind = op_from_name(name);
    if (!kind) {
      error = "unknown op \"" + std::string(name) + "\" in op mix; use get, put, ls, rm, stat";
      return std::nullopt;
    }
    const auto i = static_cast<std::size_t>(*kind);
    if (seen[i]) {
      error = "op \"" + std::string(name) + "\" given twice in op mix";
      return std::nullopt;
    }
    seen[i] = true;
    std::uint32_t w = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), w);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || w > max_weight) {
      error = "weight of \"" + std::string(name) + "\" must be an integer from 0 to 1000000";
      return std::nullopt;
    }
    mix.weights_[i] = w;
    mix.total_ += w;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (mix.total_ == 0) {
    error = "op mix has no op with a weight above 0";
    return std::nullopt;
  }
  return mix;
}

op_kind op_mix::pick(std::uint32_t r) const noexcept {
  // r scaled into [0, total): (r * total) >> 32 keeps every op's share exact
  // to within one part in 2^32.
  std::uint64_t x = (static_cast<std::uint64_t>(r) * total_) >> 32;
  for (std::size_t i = 0; i < op_kind_count; ++i) {
    if (x < weights_[i]) return static_cast<op_kind>(i);
    x -= weights_[i];
  }
  return op_kind::get;  // unreachable while total_ > 0
}

std::string op_mix::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < op_kind_count; ++i) {
    if (weights_[i] == 0) continue;
    if (!out.empty()) out += ',';
    out += names[i];
    out += '=';
    out += std::to_string(weights_[i]);
  }
  return out;
}

}  // namespace ferry::load
