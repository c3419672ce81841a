// Option parsing for get / put / hash.
#include "client/transfer_args.hpp"

#include "transfer/digest.hpp"

namespace ferry::client {

std::optional<transfer_args> parse_transfer_args(const std::vector<std::string>& args,
                                                 bool transfer_flags, std::string& error,
                                                 bool sync_flags) {
  transfer_args out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.operands.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
    } else if (a == "--algo" || a.rfind("--algo=", 0) == 0) {
      if (a == "--algo") {
        if (i + 1 == args.size()) {
          error = "option --algo needs a value";
          return std::nullopt;
        }
        out.algo = args[++i];
      } else {
        out.algo = a.substr(7);
      }
      if (!transfer::known_algo(out.algo)) {
        error = "unknown algorithm '" + out.algo + "' (use xxh128, sha256 or md5)";
        return std::nullopt;
      }
    } else if (transfer_flags && a == "--no-resume") {
      out.resume = false;
    } else if (transfer_flags && a == "--progress") {
      out.progress = true;
    } else if (transfer_flags && a == "-r") {
      out.recursive = true;
    } else if (transfer_flags && a == "--force") {
      out.force = true;
    } else if (sync_flags && a == "--delete") {
      out.delete_extra = true;
    } else if (sync_flags && (a == "--dry-run" || a == "-n")) {
      out.dry_run = true;
    } else {
      error = "unknown option '" + a + "'";
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace ferry::client
