// Fuzz target: the accounts file parser (auth/account_store.hpp). The input is
// written as ROOT/accounts.toml and loaded the way ferryd loads it (start,
// SIGHUP). Checks: an error is one line naming the file; every loaded user
// has a valid name and a verifier that parses; save() then load() gives back
// exactly the same store (the writer and the reader agree on every value).
// The TOML syntax itself is toml++'s (a shared library, not instrumented
// here); what is fuzzed is our validation on top of it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "auth/account_store.hpp"
#include "auth/scram.hpp"
#include "fuzz_util.hpp"

namespace {

namespace auth = ferry::auth;

// A scratch directory (on tmpfs when there is one: save() fsyncs).
struct scratch {
  std::filesystem::path dir = ferry::fuzz::scratch_dir("ferry-accounts-fuzz");
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

bool same(const auth::account& a, const auth::account& b) {
  return a.scram == b.scram && a.quota == b.quota && a.rate == b.rate &&
         a.max_sessions == b.max_sessions && a.exec == b.exec && a.max_files == b.max_files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 65536) return 0;
  static scratch s;
  const auto in = s.dir / "accounts.toml";
  const auto out = s.dir / "saved.toml";
  {
    std::FILE* f = std::fopen(in.c_str(), "wb");
    FUZZ_CHECK(f != nullptr);
    FUZZ_CHECK(std::fwrite(data, 1, size, f) == size || size == 0);
    FUZZ_CHECK(std::fclose(f) == 0);
  }
  std::string error;
  const auto store = auth::account_store::load(in, error);
  if (!store) {
    FUZZ_CHECK(!error.empty() && error.starts_with(in.string() + ":"));
    FUZZ_CHECK(error.find('\n') == std::string::npos);
    return 0;
  }
  for (const auto& [name, a] : store->users) {
    FUZZ_CHECK(auth::valid_user_name(name));
    FUZZ_CHECK(a.scram.empty() || auth::parse_verifier(a.scram).has_value());
  }
  // Round trip: what we write, we read back unchanged.
  FUZZ_CHECK(store->save(out, error));
  const auto again = auth::account_store::load(out, error);
  FUZZ_CHECK(again.has_value() && again->users.size() == store->users.size());
  for (const auto& [name, a] : store->users) {
    const auto it = again->users.find(name);
    FUZZ_CHECK(it != again->users.end() && same(a, it->second));
  }
  return 0;
}
