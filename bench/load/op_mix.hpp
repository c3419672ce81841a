// The operations ferry-load drives and the weighted mix it draws them from
// ("get=50,put=20,ls=20,rm=10"). Pure: no I/O, no randomness of its own (the
// caller passes the draw), so a mix is tested by table.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::load {

enum class op_kind { get, put, ls, rm, stat };
inline constexpr std::size_t op_kind_count = 5;

/// "get", "put", "ls", "rm", "stat".
std::string_view op_name(op_kind k) noexcept;
std::optional<op_kind> op_from_name(std::string_view name) noexcept;

class op_mix {
 public:
  /// Parses "NAME=WEIGHT[,NAME=WEIGHT...]": each op at most once, weights are
  /// integers 0..1000000, at least one weight above 0. nullopt with `error` set
  /// to one sentence otherwise.
  static std::optional<op_mix> parse(std::string_view text, std::string& error);

  /// The op for a draw `r` (any 32-bit value; callers pass a uniform random
  /// number): op k is picked with probability weight(k) / total().
  op_kind pick(std::uint32_t r) const noexcept;

  std::uint32_t weight(op_kind k) const noexcept { return weights_[static_cast<std::size_t>(k)]; }
  std::uint64_t total() const noexcept { return total_; }
  /// Back to "get=50,put=20" form, ops in enum order, zero weights left out.
  std::string to_string() const;

 private:
  std::array<std::uint32_t, op_kind_count> weights_{};
  std::uint64_t total_ = 0;
};

}  // namespace ferry::load
