// Fuzz target: request validation (proto/request.hpp), fed a frame header's
// JSON text as the codec hands it over (parsed, must be an object). The
// envelope check and every typed field accessor are compared with a naive
// reference written straight from docs/protocol.md, and every reply built from what
// the request carried (an echoed id, a path in a message) must serialise.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/errc.hpp"
#include "proto/request.hpp"
#include "fuzz_util.hpp"

namespace {

using nlohmann::json;

bool ref_u64(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

// Null counts as absent (fields::find).
bool present(const json& j, const std::string& key) {
  const auto it = j.find(key);
  return it != j.end() && !it->is_null();
}

void check_envelope(const json& j) {
  std::uint64_t id = 12345;
  std::string why;
  const auto env = ferry::proto::parse_envelope(j, id, why);
  const auto op = j.find("op");
  const auto idv = j.find("id");
  const bool id_ok = idv != j.end() && ref_u64(*idv);
  const bool want = op != j.end() && op->is_string() && id_ok;
  FUZZ_CHECK(env.has_value() == want);
  FUZZ_CHECK(id == (id_ok ? idv->get<std::uint64_t>() : 0));
  if (env) {
    FUZZ_CHECK(env->op == op->get<std::string>() && env->id == id);
  } else {
    FUZZ_CHECK(!why.empty());
  }
  // The 400 reply echoes the id and carries the reason.
  FUZZ_CHECK(!ferry::proto::error_reply(id, ferry::errc::bad_request, why).dump().empty());
}

// One accessor per key and type; the first wrong type is the error reported.
void check_fields(const json& j) {
  ferry::proto::fields f(j);
  std::optional<std::string> first_bad;  // a key may be ""
  const auto expect = [&](bool good, const std::string& key) {
    if (!good && !first_bad) first_bad = key;
  };
  int n = 0;
  for (const auto& [key, v] : j.items()) {
    if (++n > 16) break;  // bounded work per input
    const bool here = present(j, key);
    const auto s = f.str(key, true);
    expect(here && v.is_string(), key);
    FUZZ_CHECK(s == (here && v.is_string() ? v.get<std::string>() : std::string()));
    const auto o = f.opt_str(key);
    expect(!here || v.is_string(), key);
    FUZZ_CHECK(o.has_value() == (here && v.is_string()));
    const auto u = f.u64(key, 7);
    expect(!here || ref_u64(v), key);
    FUZZ_CHECK(u == (here && ref_u64(v) ? v.get<std::uint64_t>() : 7));
    (void)f.req_u64(key);
    expect(here && ref_u64(v), key);
    const bool b = f.boolean(key, true);
    expect(!here || v.is_boolean(), key);
    FUZZ_CHECK(b == (here && v.is_boolean() ? v.get<bool>() : true));
    const auto* a = f.array(key, false);
    expect(!here || v.is_array(), key);
    FUZZ_CHECK((a != nullptr) == (here && v.is_array()));
    // A path from the request in a failure message must serialise (valid
    // UTF-8 in, valid UTF-8 out).
    for (int e = 0; e <= static_cast<int>(ferry::errc::internal); ++e) {
      FUZZ_CHECK(!ferry::proto::failure_reply(5, static_cast<ferry::errc>(e), s).dump().empty());
    }
  }
  FUZZ_CHECK(f.ok() == !first_bad);
  if (first_bad) FUZZ_CHECK(f.error().find("\"" + *first_bad + "\"") != std::string::npos);
  // A missing required field is an error too.
  ferry::proto::fields g(j);
  (void)g.str("\x01not-a-key", true);
  FUZZ_CHECK(!g.ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 65536) return 0;  // the codec's limit (limits::max_header)
  const std::string text(reinterpret_cast<const char*>(data), size);
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return 0;  // the codec answers 400 itself
  check_envelope(j);
  check_fields(j);
  return 0;
}
