// Request envelope and typed field access. Pure: validates "op"/"id" and field
// types so handlers never touch raw JSON of the wrong type.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "proto/errc.hpp"

namespace ferry::proto {

struct envelope {
  std::string op;
  std::uint64_t id = 0;
};

/// Checks "op" (string) and "id" (unsigned integer). On failure returns nullopt
/// and sets `why`; `id_out` still carries the id when it was readable, so the
/// 400 reply can echo it.
std::optional<envelope> parse_envelope(const nlohmann::json& j, std::uint64_t& id_out,
                                       std::string& why);

/// Reads typed fields from a request, recording the first type error. Callers
/// read every field they need, then check ok() once.
class fields {
 public:
  explicit fields(const nlohmann::json& j) : j_(j) {}

  /// A string field. Missing and required -> error.
  std::string str(std::string_view key, bool required = true);
  std::optional<std::string> opt_str(std::string_view key);
  std::uint64_t u64(std::string_view key, std::uint64_t def);
  std::uint64_t req_u64(std::string_view key);
  /// An optional unsigned integer of at most `max`: nullopt when missing,
  /// an error when of another type or larger.
  std::optional<std::uint64_t> opt_u64(std::string_view key, std::uint64_t max);
  bool boolean(std::string_view key, bool def);
  /// Non-null pointer to an array field, or nullptr (error if wrong type/required).
  const nlohmann::json* array(std::string_view key, bool required);

  bool ok() const noexcept { return error_.empty(); }
  const std::string& error() const noexcept { return error_; }

 private:
  const nlohmann::json* find(std::string_view key) const;
  void fail(std::string_view key, std::string_view what);

  const nlohmann::json& j_;
  std::string error_;
};

/// Builds a success reply {"id":id,"status":status}.
nlohmann::json reply(std::uint64_t id, int status = 200);

/// A failure reply from the errc table: {"id","status","error","message"}
/// with `message` as given (protocol errors word their own).
nlohmann::json error_reply(std::uint64_t id, errc e, std::string message);

/// A failure about `subject` (a path, "a -> b"): the table's text, then the
/// subject, e.g. "not found: /docs/a.txt".
nlohmann::json failure_reply(std::uint64_t id, errc e, std::string_view subject);

}  // namespace ferry::proto
