// The UDP status datagram: the byte layout of docs/protocol.md, exactly, and
// every malformed datagram refused.
#include <gtest/gtest.h>

#include <vector>

#include "proto/status_datagram.hpp"

namespace {

namespace st = ferry::proto::status;

std::vector<std::uint8_t> bytes(const st::datagram& d) { return {d.begin(), d.end()}; }

TEST(StatusDatagram, RequestBytesMatchTheDocumentedLayout) {
  const auto d = st::encode(st::request{0x0102030405060708ULL});
  const std::vector<std::uint8_t> want = {'F', 'R', 'Y', 'S', 1, 1, 0, 0,  //
                                          1,   2,   3,   4,   5, 6, 7, 8,  //
                                          0,   0,   0,   0,   0, 0, 0, 0,  //
                                          0,   0,   0,   0,   0, 0, 0, 0};
  EXPECT_EQ(bytes(d), want);
  EXPECT_EQ(st::decode_request(d), st::request{0x0102030405060708ULL});
}

TEST(StatusDatagram, ReplyBytesMatchTheDocumentedLayout) {
  st::reply r;
  r.nonce = 0xfedcba9876543210ULL;
  r.flags = st::flag_busy | st::flag_draining;
  r.server_major = 1;
  r.server_minor = 2;
  r.server_patch = 0x0304;
  r.uptime = 0x05060708;
  r.sessions = 0x090a0b0c;
  r.max_sessions = 0x0d0e0f10;
  const auto d = st::encode(r);
  const std::vector<std::uint8_t> want = {'F',  'R',  'Y',  'S',  1,    2,    0,    3,     //
                                          0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,  //
                                          1,    2,    3,    4,    5,    6,    7,    8,     //
                                          9,    10,   11,   12,   13,   14,   15,   16};
  EXPECT_EQ(bytes(d), want);
  EXPECT_EQ(st::decode_reply(d), r);
  EXPECT_LE(st::encode(r).size(), st::encode(st::request{}).size()) << "a reply may never outgrow its request";
}

TEST(StatusDatagram, PaddingIsIgnored) {
  auto d = st::encode(st::request{42});
  for (std::size_t i = 16; i < d.size(); ++i) d[i] = 0xff;
  d[6] = d[7] = 0xff;
  EXPECT_EQ(st::decode_request(d), st::request{42});
}

TEST(StatusDatagram, EveryOtherSizeIsDropped) {
  const auto d = st::encode(st::request{7});
  std::vector<std::uint8_t> buf(d.begin(), d.end());
  buf.resize(200, 0);
  for (std::size_t n = 0; n <= buf.size(); ++n) {
    const bool ok = st::decode_request(std::span(buf.data(), n)).has_value();
    EXPECT_EQ(ok, n == st::datagram_size) << n << " bytes";
  }
}

TEST(StatusDatagram, BadMagicVersionOrKindIsDropped) {
  const auto good = st::encode(st::request{7});
  for (std::size_t i = 0; i < 6; ++i) {
    for (const unsigned delta : {1u, 0x80u}) {
      auto d = good;
      d[i] = static_cast<std::uint8_t>(d[i] ^ delta);
      EXPECT_FALSE(st::decode_request(d).has_value()) << "byte " << i << " changed";
    }
  }
  // A reply is not a request and the reverse: a spoofed reply to a server
  // gets no answer, so two servers cannot be set to ping-pong.
  EXPECT_FALSE(st::decode_request(st::encode(st::reply{})).has_value());
  EXPECT_FALSE(st::decode_reply(good).has_value());
}

}  // namespace
