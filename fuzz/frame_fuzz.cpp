// Fuzz target: the frame decoder and request parser. Checks the decoder's
// invariants and that feeding the input whole or byte-by-byte (differential)
// yields the same frames.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/frame.hpp"
#include "proto/request.hpp"
#include "vfs/virtual_path.hpp"

namespace {

std::vector<std::string> decode_all(const std::string& in, std::size_t step) {
  ferry::proto::frame_decoder d;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < in.size(); i += step) {
    d.feed(std::string_view(in).substr(i, step));
    nlohmann::json j;
    std::uint64_t body = 0;
    for (;;) {
      auto r = d.next(j, body);
      if (r == ferry::proto::frame_decoder::result::frame) {
        out.push_back(j.dump());
        std::uint64_t id = 0;
        std::string why;
        if (auto env = ferry::proto::parse_envelope(j, id, why)) {
          ferry::proto::fields f(j);
          auto p = f.str("path", false);
          std::string why2;
          if (auto r2 = ferry::vfs::resolve("/", p, why2); r2 && (*r2)[0] != '/') std::abort();
        }
      } else if (r == ferry::proto::frame_decoder::result::in_body && d.buffered() > 0) {
        out.push_back("body:" + std::string(d.take_body(1 << 20)));
      } else {
        if (r == ferry::proto::frame_decoder::result::error) out.push_back("error");
        break;
      }
    }
    if (!out.empty() && out.back() == "error") break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const auto whole = decode_all(in, in.size() ? in.size() : 1);
  const auto bytewise = decode_all(in, 1);
  // Body chunks split differently; compare only headers and errors.
  auto headers = [](const std::vector<std::string>& v) {
    std::vector<std::string> h;
    for (auto& s : v)
      if (s.rfind("body:", 0) != 0) h.push_back(s);
    return h;
  };
  if (headers(whole) != headers(bytewise)) std::abort();
  return 0;
}
