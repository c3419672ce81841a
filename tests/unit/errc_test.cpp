// The one error table (issue 13): what each filesystem errno becomes on the
// wire and in FTP. A missing path, a path of the wrong kind and a refusal are
// 5xx "action not taken" replies (550/553), never 501, which FTP keeps for
// syntax errors; every row is consistent with its own wire string.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "proto/errc.hpp"

using ferry::errc;
using ferry::errc_from_errno;
using ferry::info;

TEST(Errc, FilesystemErrnosMapToActionNotTakenInFtp) {
  struct row {
    int err;
    errc code;
    int status;
    int ftp;
  };
  const row rows[] = {
      {ENOENT, errc::not_found, 404, 550},     {ENOTDIR, errc::not_directory, 409, 550},
      {EISDIR, errc::is_directory, 409, 550},  {EEXIST, errc::exists, 409, 550},
      {ENOTEMPTY, errc::not_empty, 409, 550},  {EACCES, errc::forbidden, 403, 550},
      {EPERM, errc::forbidden, 403, 550},      {EXDEV, errc::forbidden, 403, 550},
      {ELOOP, errc::forbidden, 403, 550},      {EROFS, errc::forbidden, 403, 550},
      {EINVAL, errc::bad_name, 400, 553},      {ENAMETOOLONG, errc::name_too_long, 400, 553},
      {ENOSPC, errc::insufficient_storage, 507, 452},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(errc_from_errno(r.err), r.code) << "errno " << r.err;
    EXPECT_EQ(info(r.code).status, r.status) << "errno " << r.err;
    EXPECT_EQ(info(r.code).ftp_code, r.ftp) << "errno " << r.err;
  }
}

TEST(Errc, OnlyBadRequestIsASyntaxError) {
  // 501 is "syntax error in parameters or arguments": no filesystem outcome.
  for (int e = 1; e < 200; ++e) {
    const auto code = errc_from_errno(e);
    EXPECT_NE(info(code).ftp_code, 501) << "errno " << e << " became a syntax error";
  }
  EXPECT_EQ(info(errc::bad_request).ftp_code, 501);
}

TEST(Errc, SpaceRefusals) {
  EXPECT_TRUE(ferry::is_space_refusal(errc::quota_exceeded));
  EXPECT_TRUE(ferry::is_space_refusal(errc::too_many_files));
  EXPECT_TRUE(ferry::is_space_refusal(errc::insufficient_storage));
  EXPECT_FALSE(ferry::is_space_refusal(errc::ok));
  EXPECT_FALSE(ferry::is_space_refusal(errc::not_found));
  EXPECT_EQ(info(errc::quota_exceeded).ftp_code, 552);
  EXPECT_EQ(info(errc::too_many_files).ftp_code, 552);
}
