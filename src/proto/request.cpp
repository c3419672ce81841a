// Envelope and field validation for requests.
#include "proto/request.hpp"

#include <nlohmann/json.hpp>

namespace ferry::proto {
namespace {

/// JSON parsed from the wire stores non-negative integers as unsigned; JSON
/// built in code may hold them as signed. Both are fine, negatives are not.
bool is_u64(const nlohmann::json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

}  // namespace

std::optional<envelope> parse_envelope(const nlohmann::json& j, std::uint64_t& id_out,
                                       std::string& why) {
  id_out = 0;
  auto id = j.find("id");
  if (id != j.end() && is_u64(*id)) id_out = id->get<std::uint64_t>();
  auto op = j.find("op");
  if (op == j.end()) {
    why = "missing \"op\"";
    return std::nullopt;
  }
  if (!op->is_string()) {
    why = "\"op\" must be a string";
    return std::nullopt;
  }
  if (id == j.end()) {
    why = "missing \"id\"";
    return std::nullopt;
  }
  if (!is_u64(*id)) {
    why = "\"id\" must be an unsigned integer";
    return std::nullopt;
  }
  return envelope{op->get<std::string>(), id_out};
}

const nlohmann::json* fields::find(std::string_view key) const {
  auto it = j_.find(key);
  return it == j_.end() || it->is_null() ? nullptr : &*it;
}

void fields::fail(std::string_view key, std::string_view what) {
  if (error_.empty()) error_ = "field \"" + std::string(key) + "\" " + std::string(what);
}

std::string fields::str(std::string_view key, bool required) {
  const auto* v = find(key);
  if (!v) {
    if (required) fail(key, "is required");
    return {};
  }
  if (!v->is_string()) {
    fail(key, "must be a string");
    return {};
  }
  return v->get<std::string>();
}

std::optional<std::string> fields::opt_str(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(key, "must be a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::uint64_t fields::u64(std::string_view key, std::uint64_t def) {
  const auto* v = find(key);
  if (!v) return def;
  if (!is_u64(*v)) {
    fail(key, "must be an unsigned integer");
    return def;
  }
  return v->get<std::uint64_t>();
}

std::uint64_t fields::req_u64(std::string_view key) {
  if (!find(key)) {
    fail(key, "is required");
    return 0;
  }
  return u64(key, 0);
}

std::optional<std::uint64_t> fields::opt_u64(std::string_view key, std::uint64_t max) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!is_u64(*v) || v->get<std::uint64_t>() > max) {
    fail(key, "must be an unsigned integer of at most " + std::to_string(max));
    return std::nullopt;
  }
  return v->get<std::uint64_t>();
}

bool fields::boolean(std::string_view key, bool def) {
  const auto* v = find(key);
  if (!v) return def;
  if (!v->is_boolean()) {
    fail(key, "must be a boolean");
    return def;
  }
  return v->get<bool>();
}

const nlohmann::json* fields::array(std::string_view key, bool required) {
  const auto* v = find(key);
  if (!v) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  if (!v->is_array()) {
    fail(key, "must be an array");
    return nullptr;
  }
  return v;
}

nlohmann::json reply(std::uint64_t id, int status) {
  return nlohmann::json{{"id", id}, {"status", status}};
}

nlohmann::json error_reply(std::uint64_t id, errc e, std::string message) {
  nlohmann::json r = reply(id, info(e).status);
  r["error"] = info(e).error;
  r["message"] = std::move(message);
  return r;
}

nlohmann::json failure_reply(std::uint64_t id, errc e, std::string_view subject) {
  return error_reply(id, e, describe(e, subject));
}

}  // namespace ferry::proto
