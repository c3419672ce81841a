// Frame codec: split and coalesced reads, every documented decode error, and
// the length check happening before the header is buffered.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "proto/frame.hpp"
#include "proto/limits.hpp"

using ferry::proto::decode_error;
using ferry::proto::encode_frame;
using ferry::proto::frame_decoder;
using json = nlohmann::json;
using result = frame_decoder::result;

namespace {

std::string raw_frame(std::uint32_t n, std::string_view text) {
  std::string s;
  s.push_back(static_cast<char>(n >> 24));
  s.push_back(static_cast<char>(n >> 16));
  s.push_back(static_cast<char>(n >> 8));
  s.push_back(static_cast<char>(n));
  s += text;
  return s;
}

decode_error decode_one(const std::string& bytes) {
  frame_decoder d;
  d.feed(bytes);
  json j;
  std::uint64_t body = 0;
  if (d.next(j, body) == result::frame) return decode_error::none;
  return d.error();
}

}  // namespace

TEST(Frame, RoundTrip) {
  json h{{"op", "pwd"}, {"id", 7}};
  frame_decoder d;
  d.feed(encode_frame(h));
  json out;
  std::uint64_t body = 99;
  ASSERT_EQ(d.next(out, body), result::frame);
  EXPECT_EQ(out, h);
  EXPECT_EQ(body, 0u);
  EXPECT_EQ(d.next(out, body), result::need_more);
}

TEST(Frame, OneByteAtATime) {
  json h{{"op", "ls"}, {"id", 1}, {"path", "/a b/ü"}, {"body", 5}};
  const std::string bytes = encode_frame(h) + "HELLO" + encode_frame(json{{"op", "pwd"}, {"id", 2}});
  frame_decoder d;
  std::vector<json> frames;
  std::string bodies;
  for (char c : bytes) {
    d.feed(std::string_view(&c, 1));
    json j;
    std::uint64_t body = 0;
    for (;;) {
      auto r = d.next(j, body);
      if (r == result::frame) frames.push_back(j);
      else if (r == result::in_body && d.buffered() > 0) bodies += d.take_body(1 << 20);
      else break;
    }
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]["path"], "/a b/ü");
  EXPECT_EQ(bodies, "HELLO");
  EXPECT_EQ(frames[1]["op"], "pwd");
}

TEST(Frame, ManyFramesInOneRead) {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += encode_frame(json{{"op", "pwd"}, {"id", i}});
  frame_decoder d;
  d.feed(bytes);
  json j;
  std::uint64_t body = 0;
  int n = 0;
  while (d.next(j, body) == result::frame) {
    EXPECT_EQ(j["id"], n);
    ++n;
  }
  EXPECT_EQ(n, 1000);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Frame, BodyReadExternally) {
  frame_decoder d;
  d.feed(encode_frame(json{{"op", "data"}, {"id", 1}, {"body", 10}}) + "abc");
  json j;
  std::uint64_t body = 0;
  ASSERT_EQ(d.next(j, body), result::frame);
  EXPECT_EQ(body, 10u);
  EXPECT_EQ(d.take_body(100), "abc");
  EXPECT_EQ(d.next(j, body), result::in_body);
  d.body_read_externally(7);
  EXPECT_EQ(d.body_remaining(), 0u);
  EXPECT_EQ(d.next(j, body), result::need_more);
}

TEST(Frame, LengthErrorsAreDetectedFromFourBytes) {
  for (std::uint32_t n : {0u, 65537u, 70000u, 0xffffffffu}) {
    frame_decoder d;
    d.feed(raw_frame(n, ""));  // no header bytes at all: still rejected at once
    json j;
    std::uint64_t body = 0;
    EXPECT_EQ(d.next(j, body), result::error) << n;
    EXPECT_EQ(d.error(), decode_error::bad_length) << n;
    EXPECT_EQ(d.next(j, body), result::error) << "errors are sticky";
  }
}

TEST(Frame, MaxLengthAccepted) {
  std::string text = R"({"op":"x","id":1,"pad":")";
  text += std::string(ferry::limits::max_header - text.size() - 2, 'a');
  text += "\"}";
  ASSERT_EQ(text.size(), ferry::limits::max_header);
  EXPECT_EQ(decode_one(raw_frame(ferry::limits::max_header, text)), decode_error::none);
}

TEST(Frame, DocumentedErrors) {
  struct tc {
    std::string text;
    decode_error want;
  };
  const std::vector<tc> cases{
      {"not json", decode_error::bad_json},
      {"{\"op\":", decode_error::bad_json},
      {"[1,2,3]", decode_error::not_object},
      {"\"str\"", decode_error::not_object},
      {"42", decode_error::not_object},
      {"null", decode_error::not_object},
      {"{\"op\":\"\xff\xfe\"}", decode_error::bad_json},  // invalid UTF-8
      {"{\"body\":-1}", decode_error::bad_body},
      {"{\"body\":1.5}", decode_error::bad_body},
      {"{\"body\":\"5\"}", decode_error::bad_body},
      {"{}", decode_error::none},
  };
  for (const auto& c : cases)
    EXPECT_EQ(decode_one(raw_frame(static_cast<std::uint32_t>(c.text.size()), c.text)), c.want)
        << c.text;
}

TEST(Frame, EncodeReplacesInvalidUtf8) {
  json h{{"name", std::string("bad\xff")}};
  const auto bytes = encode_frame(h);
  EXPECT_EQ(decode_one(bytes), decode_error::none);
}
