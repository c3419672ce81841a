// FTP replies, addresses and listings: exact bytes clients parse.
#include <gtest/gtest.h>

#include "ftp/address.hpp"
#include "ftp/listing.hpp"
#include "ftp/reply.hpp"

namespace {

using namespace ferry::ftp;

TEST(FtpReply, SingleAndMultiLine) {
  EXPECT_EQ(reply(200, "OK"), "200 OK\r\n");
  EXPECT_EQ(reply(550, "no\r\n230 injected"), "550 no  230 injected\r\n");
  EXPECT_EQ(multiline(211, "Features:", {"MDTM", "SIZE"}, "End"),
            "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n");
}

TEST(FtpReply, QuotePath) {
  EXPECT_EQ(quote_path("/a b"), "\"/a b\"");
  EXPECT_EQ(quote_path("/say \"hi\""), "\"/say \"\"hi\"\"\"");
}

TEST(FtpAddress, Port) {
  auto hp = parse_port_arg("127,0,0,1,4,1");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 1025);
  EXPECT_FALSE(parse_port_arg("127,0,0,1,4"));
  EXPECT_FALSE(parse_port_arg("127,0,0,1,4,1,9"));
  EXPECT_FALSE(parse_port_arg("256,0,0,1,4,1"));
  EXPECT_FALSE(parse_port_arg("127,0,0,1,0,0"));
  EXPECT_FALSE(parse_port_arg("127,0,0,1,4,-1"));
  EXPECT_FALSE(parse_port_arg(""));
}

TEST(FtpAddress, Eprt) {
  auto hp = parse_eprt_arg("|1|132.235.1.2|6275|");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "132.235.1.2");
  EXPECT_EQ(hp->port, 6275);
  hp = parse_eprt_arg("!2!::1!5282!");
  ASSERT_TRUE(hp);
  EXPECT_TRUE(hp->v6);
  EXPECT_FALSE(parse_eprt_arg("|3|1.2.3.4|5|"));
  EXPECT_FALSE(parse_eprt_arg("|1|1.2.3|5|"));
  EXPECT_FALSE(parse_eprt_arg("|1|1.2.3.4|70000|"));
  EXPECT_FALSE(parse_eprt_arg("|1|1.2.3.4|5|x"));
}

TEST(FtpAddress, PassiveTexts) {
  EXPECT_EQ(pasv_text("127.0.0.1", 1025), "Entering Passive Mode (127,0,0,1,4,1).");
  EXPECT_EQ(epsv_text(50000), "Entering Extended Passive Mode (|||50000|)");
}

TEST(FtpListing, ListLineRecentAndOld) {
  ferry::vfs::dir_entry e;
  e.name = "my file.txt";
  e.type = ferry::vfs::file_type::file;
  e.size = 1234;
  e.mode = 0644;
  e.mtime = 1795431456;  // 2026-11-23 10:57:36 UTC
  EXPECT_EQ(list_line(e, 1795431456 + 60),
            "-rw-r--r--    1 ftp      ftp              1234 Nov 23 10:57 my file.txt");
  EXPECT_EQ(list_line(e, 1795431456 + 400 * 86400),
            "-rw-r--r--    1 ftp      ftp              1234 Nov 23  2026 my file.txt");
  e.type = ferry::vfs::file_type::dir;
  e.mode = 0755;
  e.name = "d";
  EXPECT_EQ(list_line(e, 1795431456).substr(0, 14), "drwxr-xr-x    ");
}

TEST(FtpListing, Mlsx) {
  ferry::vfs::dir_entry e;
  e.type = ferry::vfs::file_type::file;
  e.size = 5;
  e.mtime = 1795431456;
  e.unique = "803g12";
  EXPECT_EQ(mlsx_line(e, "a b"), "type=file;size=5;modify=20261123105736;perm=adfrw;unique=803g12; a b");
  e.type = ferry::vfs::file_type::dir;
  EXPECT_EQ(mlsx_line(e, "d").substr(0, 9), "type=dir;");
  EXPECT_EQ(mdtm_time(0), "19700101000000");
}

}  // namespace
