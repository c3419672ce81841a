// FTP name encodings: UTF-8 validation and GBK round trips through iconv.
#include <gtest/gtest.h>

#include "ftp/name_codec.hpp"

namespace {

using ferry::ftp::name_codec;
using ferry::ftp::valid_utf8;

TEST(Utf8, AcceptsAndRejects) {
  EXPECT_TRUE(valid_utf8("plain.txt"));
  EXPECT_TRUE(valid_utf8("\xe4\xb8\xad\xe6\x96\x87"));     // 中文
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));             // emoji
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc3"));                        // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                    // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));            // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe4\xb8"));
}

TEST(NameCodec, Utf8OnlyValidates) {
  auto c = name_codec::make("UTF-8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_utf8());
  EXPECT_EQ(c->from_client("a b"), "a b");
  EXPECT_FALSE(c->from_client("bad\xff"));
  EXPECT_EQ(c->to_client("\xe4\xb8\xad"), "\xe4\xb8\xad");
}

TEST(NameCodec, GbkRoundTrip) {
  auto c = name_codec::make("gbk");
  ASSERT_TRUE(c);
  const std::string gbk = "\xd6\xd0\xce\xc4.txt";          // 中文.txt in GBK
  const std::string utf8 = "\xe4\xb8\xad\xe6\x96\x87.txt";
  EXPECT_EQ(c->from_client(gbk), utf8);
  EXPECT_EQ(c->to_client(utf8), gbk);
  // An emoji has no GBK form: the caller skips such names.
  EXPECT_FALSE(c->to_client("\xf0\x9f\x98\x80"));
}

TEST(NameCodec, UnknownEncoding) { EXPECT_FALSE(name_codec::make("no-such-encoding")); }

}  // namespace
