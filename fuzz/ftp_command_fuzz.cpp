// Fuzzes the FTP control input: the byte stream is fed in two chunks (split at
// a position taken from the input) and every line parsed; the address parsers
// get each argument too. Differential check: whole-vs-split feeding must give
// the same lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ftp/address.hpp"
#include "ftp/command_line.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& in, std::size_t split) {
  ferry::ftp::line_splitter s;
  std::vector<std::string> out;
  auto drain = [&] {
    std::string line;
    for (;;) {
      const auto r = s.next(line);
      if (r == ferry::ftp::line_splitter::result::need_more) return;
      out.push_back(r == ferry::ftp::line_splitter::result::line ? line : std::string("\x01too-long"));
    }
  };
  s.feed(in.substr(0, split));
  drain();
  s.feed(in.substr(split));
  drain();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = in.empty() ? 0 : data[0] % (in.size() + 1);
  const auto whole = lines_of(in, in.size());
  const auto parts = lines_of(in, split);
  if (whole != parts) __builtin_trap();
  for (const auto& l : whole) {
    if (l.size() > ferry::ftp::max_line) __builtin_trap();
    if (auto c = ferry::ftp::parse_command(l)) {
      (void)ferry::ftp::parse_port_arg(c->arg);
      (void)ferry::ftp::parse_eprt_arg(c->arg);
    }
  }
  return 0;
}
