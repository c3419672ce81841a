// Fuzz target: the UDP status datagram codec. Anything decodes to nothing or
// to a value that re-encodes to the same bytes (padding aside), and a reply
// is never larger than the request it answers.
#include <algorithm>
#include <cstdint>
#include <span>

#include "fuzz_util.hpp"
#include "proto/status_datagram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace st = ferry::proto::status;
  const std::span<const std::uint8_t> in(data, size);
  if (const auto req = st::decode_request(in)) {
    FUZZ_CHECK(size == st::datagram_size);
    const auto again = st::encode(*req);
    FUZZ_CHECK(std::equal(again.begin(), again.begin() + 6, in.begin()));
    FUZZ_CHECK(std::equal(again.begin() + 8, again.begin() + 16, in.begin() + 8));
    st::reply r;
    r.nonce = req->nonce;
    FUZZ_CHECK(st::encode(r).size() <= size);
    FUZZ_CHECK(st::decode_reply(st::encode(r))->nonce == req->nonce);
  }
  if (const auto rep = st::decode_reply(in)) {
    FUZZ_CHECK(size == st::datagram_size);
    const auto again = st::encode(*rep);
    FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
    FUZZ_CHECK(!st::decode_request(in).has_value());
  }
  return 0;
}
