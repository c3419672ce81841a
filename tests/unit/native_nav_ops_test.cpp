// The native protocol's navigation ops (pwd, cd, ls, stat, mkdir, rmdir, rm,
// mv, quota) run through run_nav_op on a real jailed temp directory: their
// replies (status, error, message, echoed id), their effect on disk, the cwd
// and the quota ledger, the reserved part-file names, bad field types, and
// paths that try to climb out of the home.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/nav_ops.hpp"
#include "session/nav_state.hpp"
#include "vfs/dir_listing.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace nav = ferry::native::nav;
using ferry::native::nav_handler;

namespace {

using ferry::test::write;
constexpr std::uint64_t U = ferry::vfs::charge_unit;

bool contains(const json& r, const char* key, const std::string& needle) {
  return r.contains(key) && r[key].is_string() &&
         r[key].get<std::string>().find(needle) != std::string::npos;
}

class NativeNavOps : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = ferry::test::fresh_test_dir("nav");
    home_ = base_ / "home";
    fs::create_directories(home_ / "sub" / "inner");
    fs::create_directories(base_ / "etc");  // outside the home: must never be reached
    write(home_ / "file.txt", "hello");
    int err = 0;
    auto j = ferry::vfs::jail::open(home_, err);
    ASSERT_TRUE(j) << err;
    jail_.emplace(std::move(*j));
    st_.jail = &*jail_;
    st_.cwd = "/";
    st_.quota = &quota_;
    st_.quota_stale = false;
  }
  void TearDown() override { fs::remove_all(base_); }

  /// Runs `fn` on `req` (its "id" passed as the envelope's id) and returns the reply.
  json run(nav_handler fn, const json& req) {
    json reply;
    ferry::native::run_nav_op(fn, req.value("id", std::uint64_t{0}), req, st_, reply);
    EXPECT_EQ(reply.value("id", std::uint64_t{0}), req.value("id", std::uint64_t{0})) << reply.dump();
    return reply;
  }

  static int status(const json& r) { return r.value("status", 0); }
  static std::string error(const json& r) { return r.value("error", std::string()); }

  fs::path base_;
  fs::path home_;
  std::optional<ferry::vfs::jail> jail_;
  ferry::vfs::local_quota_ledger quota_;
  ferry::session::nav_state st_;
};

// --- pwd and cd ------------------------------------------------------------------

TEST_F(NativeNavOps, PwdStartsAtTheHome) {
  auto r = run(nav::pwd, {{"op", "pwd"}, {"id", 1}});
  EXPECT_EQ(status(r), 200);
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["path"], "/");
}

TEST_F(NativeNavOps, CdIntoADirectoryMovesTheCwd) {
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 2}, {"path", "sub"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_EQ(r["path"], "/sub");
  EXPECT_EQ(st_.cwd, "/sub");
  r = run(nav::cd, {{"op", "cd"}, {"id", 3}, {"path", "inner"}});
  EXPECT_EQ(r["path"], "/sub/inner") << "relative to the new cwd";
  r = run(nav::pwd, {{"op", "pwd"}, {"id", 4}});
  EXPECT_EQ(r["path"], "/sub/inner");
  r = run(nav::cd, {{"op", "cd"}, {"id", 5}, {"path", "../.."}});
  EXPECT_EQ(r["path"], "/");
}

TEST_F(NativeNavOps, CdIntoAMissingDirectoryIsNotFound) {
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 6}, {"path", "nope"}});
  EXPECT_EQ(status(r), 404);
  EXPECT_EQ(error(r), "not_found");
  EXPECT_TRUE(contains(r, "message", "/nope")) << r.dump();
  EXPECT_EQ(st_.cwd, "/") << "a failed cd leaves the cwd alone";
}

TEST_F(NativeNavOps, CdIntoAFileIsNotADirectory) {
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 7}, {"path", "file.txt"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "not_directory");
  EXPECT_EQ(st_.cwd, "/");
}

// --- mkdir -----------------------------------------------------------------------

TEST_F(NativeNavOps, MkdirCreatesAndRepliesWithThePath) {
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 7}, {"path", "a"}});
  EXPECT_EQ(status(r), 201) << r.dump();
  EXPECT_EQ(r["id"], 7);
  EXPECT_EQ(r["path"], "/a");
  EXPECT_TRUE(fs::is_directory(home_ / "a"));
}

TEST_F(NativeNavOps, MkdirOfAnExistingDirectoryIsExists) {
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 8}, {"path", "sub"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "exists");
  EXPECT_TRUE(contains(r, "message", "/sub")) << r.dump();
}

TEST_F(NativeNavOps, MkdirParents) {
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 9}, {"path", "x/y/z"}});
  EXPECT_EQ(status(r), 404) << "without parents the missing parent is an error";
  EXPECT_FALSE(fs::exists(home_ / "x"));
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 10}, {"path", "x/y/z"}, {"parents", true}});
  EXPECT_EQ(status(r), 201) << r.dump();
  EXPECT_EQ(r["path"], "/x/y/z");
  EXPECT_TRUE(fs::is_directory(home_ / "x" / "y" / "z"));
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 11}, {"path", "x/y/z"}, {"parents", true}});
  EXPECT_EQ(status(r), 201) << "with parents an existing directory is fine";
}

TEST_F(NativeNavOps, MkdirPastMaxFilesIsAQuotaErrorNamingTheLimit) {
  quota_.resync(jail_->disk_usage());  // sub, sub/inner, file.txt
  quota_.set_limits(0, 5);
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 60}, {"path", "x/y/z"}, {"parents", true}});
  EXPECT_EQ(status(r), 413) << "three more names past five: all or nothing";
  EXPECT_EQ(error(r), "quota_exceeded");
  EXPECT_TRUE(contains(r, "message", "max_files")) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "x"));
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 61}, {"path", "x/y"}, {"parents", true}});
  EXPECT_EQ(status(r), 201) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 62}, {"path", "w"}});
  EXPECT_EQ(status(r), 413);
  EXPECT_TRUE(contains(r, "message", "max_files")) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 63}, {"path", "sub"}});
  EXPECT_EQ(error(r), "exists") << "an existing directory is no new name, even at the limit";
  EXPECT_EQ(quota_.get().files, 5u);
  r = run(nav::rmdir, {{"op", "rmdir"}, {"id", 64}, {"path", "x/y"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 65}, {"path", "w"}});
  EXPECT_EQ(status(r), 201) << "rmdir gave a name back";
  EXPECT_EQ(quota_.get().used, jail_->disk_usage().bytes);
  EXPECT_EQ(quota_.get().files, jail_->disk_usage().files);
}

TEST_F(NativeNavOps, MkdirPastTheByteLimitIsQuotaExceeded) {
  quota_.resync(jail_->disk_usage());
  quota_.set_limits(4 * U, 0);
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 66}, {"path", "a"}});
  EXPECT_EQ(status(r), 201) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 67}, {"path", "b"}});
  EXPECT_EQ(status(r), 413);
  EXPECT_EQ(error(r), "quota_exceeded");
  EXPECT_TRUE(contains(r, "message", "quota exceeded")) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "b"));
}

TEST_F(NativeNavOps, MkdirOfAPartNameIsRefused) {
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 12}, {"path", ".x.ferry-part"}});
  EXPECT_EQ(status(r), 400);
  EXPECT_EQ(error(r), "bad_request");
  EXPECT_TRUE(contains(r, "message", ".ferry-part")) << r.dump();
  EXPECT_TRUE(contains(r, "message", "reserved")) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / ".x.ferry-part"));
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 13}, {"path", "p/.x.ferry-part"}, {"parents", true}});
  EXPECT_EQ(status(r), 400);
  EXPECT_FALSE(fs::exists(home_ / "p" / ".x.ferry-part"));
}

// --- ls and stat -------------------------------------------------------------------

TEST_F(NativeNavOps, LsIsSortedAndHidesPartFiles) {
  write(home_ / "b", "bbb");
  write(home_ / "a", "");
  write(home_ / ".a.ferry-part", "partial");
  write(home_ / "sub" / ".inner2.ferry-part", "partial");
  auto r = run(nav::ls, {{"op", "ls"}, {"id", 14}});
  ASSERT_EQ(status(r), 200) << r.dump();
  std::vector<std::string> names;
  for (const auto& e : r["entries"]) names.push_back(e["name"].get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "file.txt", "sub"}));
  r = run(nav::ls, {{"op", "ls"}, {"id", 15}, {"path", "sub"}});
  ASSERT_EQ(status(r), 200) << r.dump();
  ASSERT_EQ(r["entries"].size(), 1u);
  EXPECT_EQ(r["entries"][0]["name"], "inner");
}

TEST_F(NativeNavOps, ListingFramesWrittenAsTextAreWhatTheJsonLibraryWouldWrite) {
  // Names that need escaping, a non-UTF-8 name (replaced, as every frame
  // does), a link whose target is shown, and a directory.
  for (const std::string name : {"quote\"d", "back\\slash", "tab\tand\x01ctl", "caf\xc3\xa9", "bad\xff\xfe", "z"})
    write(home_ / "sub" / name, "12345");
  fs::create_symlink("z", home_ / "sub" / "link");
  ferry::session::nav_state& st = st_;
  auto r = run(nav::ls, {{"op", "ls"}, {"id", 7}, {"path", "sub"}});  // opens the listing
  ASSERT_EQ(status(r), 200) << r.dump();
  // Canonical form: nlohmann writes sorted keys and replaces bad UTF-8, so
  // parsing and writing back gives the same bytes when the text matches it.
  auto l = std::make_shared<ferry::vfs::dir_listing>();
  ASSERT_EQ(jail_->open_listing("/sub", *l), ferry::errc::ok);
  st.listing = l;
  const auto text = nav::ls_frame_text(9, st);
  const auto parsed = json::parse(text);
  EXPECT_EQ(parsed.dump(-1, ' ', false, json::error_handler_t::replace), text);
  EXPECT_EQ(parsed["entries"], r["entries"]) << "the first frame (ls) and a text frame carry the same entries";
  std::vector<std::string> names;
  for (const auto& e : parsed["entries"]) names.push_back(e["name"].get<std::string>());
  EXPECT_NE(std::find(names.begin(), names.end(), "quote\"d"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "caf\xc3\xa9"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "bad\xef\xbf\xbd\xef\xbf\xbd"), names.end());
  for (const auto& e : parsed["entries"]) {
    if (e["name"] == "link") {
      EXPECT_EQ(e["target"], "z");
    }
  }
}

TEST_F(NativeNavOps, ABigListingComesInBoundedFramesInNameOrder) {
  const std::string pad(200, 'x');  // long names: few fit in one frame
  std::vector<std::string> want;
  for (int i = 0; i < 2000; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "%04d-", i);
    want.push_back(n + pad);
    write(home_ / "sub" / want.back(), "");
  }
  want.push_back("inner");
  std::sort(want.begin(), want.end());
  auto r = run(nav::ls, {{"op", "ls"}, {"id", 19}, {"path", "sub"}});
  std::vector<std::string> got;
  int frames = 0;
  for (;;) {
    ASSERT_EQ(status(r), 200) << r.dump().substr(0, 300);
    EXPECT_EQ(r["id"], 19);
    EXPECT_LE(r.dump().size(), nav::ls_frame_budget + 2048) << "frame " << frames;
    EXPECT_FALSE(r["entries"].empty());
    for (const auto& e : r["entries"]) got.push_back(e["name"].get<std::string>());
    ++frames;
    if (!r.contains("more")) break;
    EXPECT_EQ(r["more"], true);
    ASSERT_TRUE(st_.listing) << "the listing stays open between frames";
    if (frames == 1) {
      // Entries that vanish mid-listing are skipped, not errors.
      fs::remove(home_ / "sub" / want[1500]);
      want.erase(want.begin() + 1500);
    }
    r = ferry::native::nav::ls_more(19, st_);
  }
  EXPECT_GT(frames, 10);
  EXPECT_EQ(got, want);
  EXPECT_FALSE(st_.listing) << "closed after the last frame";
}

TEST_F(NativeNavOps, LsEntryFields) {
  ASSERT_EQ(::chmod((home_ / "file.txt").c_str(), 0640), 0);
  struct stat st {};
  ASSERT_EQ(::stat((home_ / "file.txt").c_str(), &st), 0);
  auto r = run(nav::ls, {{"op", "ls"}, {"id", 16}, {"path", "/"}});
  ASSERT_EQ(status(r), 200) << r.dump();
  const json* file = nullptr;
  const json* dir = nullptr;
  for (const auto& e : r["entries"]) {
    if (e["name"] == "file.txt") file = &e;
    if (e["name"] == "sub") dir = &e;
  }
  ASSERT_NE(file, nullptr) << r.dump();
  ASSERT_NE(dir, nullptr) << r.dump();
  EXPECT_EQ((*file)["type"], "file");
  EXPECT_EQ((*file)["size"], 5);
  EXPECT_EQ((*file)["mtime"], static_cast<std::int64_t>(st.st_mtim.tv_sec));
  EXPECT_EQ((*file)["mode"], 0640);
  EXPECT_EQ((*dir)["type"], "dir");
  for (const char* key : {"name", "type", "size", "mtime", "mode"}) EXPECT_TRUE(file->contains(key)) << key;
}

TEST_F(NativeNavOps, LsOfAFileAndOfAMissingPath) {
  auto r = run(nav::ls, {{"op", "ls"}, {"id", 17}, {"path", "file.txt"}});
  ASSERT_EQ(status(r), 200) << r.dump();
  ASSERT_EQ(r["entries"].size(), 1u);
  EXPECT_EQ(r["entries"][0]["name"], "file.txt");
  r = run(nav::ls, {{"op", "ls"}, {"id", 18}, {"path", "nope"}});
  EXPECT_EQ(status(r), 404);
  EXPECT_EQ(error(r), "not_found");
}

TEST_F(NativeNavOps, Stat) {
  auto r = run(nav::stat, {{"op", "stat"}, {"id", 19}, {"path", "file.txt"}});
  ASSERT_EQ(status(r), 200) << r.dump();
  EXPECT_EQ(r["entry"]["name"], "file.txt");
  EXPECT_EQ(r["entry"]["type"], "file");
  EXPECT_EQ(r["entry"]["size"], 5);
  r = run(nav::stat, {{"op", "stat"}, {"id", 20}, {"path", "/sub"}});
  EXPECT_EQ(r["entry"]["type"], "dir");
  r = run(nav::stat, {{"op", "stat"}, {"id", 21}, {"path", "nope"}});
  EXPECT_EQ(status(r), 404);
  write(home_ / ".f.ferry-part", "partial");
  r = run(nav::stat, {{"op", "stat"}, {"id", 22}, {"path", ".f.ferry-part"}});
  EXPECT_EQ(status(r), 400);
  EXPECT_EQ(error(r), "bad_request");
}

// --- rmdir ---------------------------------------------------------------------------

TEST_F(NativeNavOps, RmdirOfTheCwdOrAnAncestorIsBusy) {
  st_.cwd = "/sub/inner";
  for (const char* p : {".", "/sub/inner", "..", "/sub"}) {
    auto r = run(nav::rmdir, {{"op", "rmdir"}, {"id", 23}, {"path", p}});
    EXPECT_EQ(status(r), 409) << p << ": " << r.dump();
    EXPECT_EQ(error(r), "busy") << p;
  }
  EXPECT_TRUE(fs::is_directory(home_ / "sub" / "inner"));
}

TEST_F(NativeNavOps, RmdirRemovesAnEmptyDirectory) {
  fs::create_directory(home_ / "subway");  // shares a prefix with the cwd, is not its ancestor
  st_.cwd = "/sub";
  auto r = run(nav::rmdir, {{"op", "rmdir"}, {"id", 24}, {"path", "/subway"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "subway"));
  st_.cwd = "/";
  r = run(nav::rmdir, {{"op", "rmdir"}, {"id", 25}, {"path", "sub"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "not_empty");
}

// --- rm and quota ----------------------------------------------------------------------

TEST_F(NativeNavOps, RmFreesQuota) {
  write(home_ / "big", std::string(5000, 'x'));
  quota_.resync(jail_->disk_usage());
  ASSERT_EQ(quota_.get().used, 5 * U);  // sub, sub/inner, file.txt, big (two units)
  ASSERT_EQ(quota_.get().files, 4u);
  auto r = run(nav::rm, {{"op", "rm"}, {"id", 26}, {"path", "big"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "big"));
  EXPECT_EQ(quota_.get().used, 3 * U) << "its units";
  EXPECT_EQ(quota_.get().files, 3u) << "and its name";
}

TEST_F(NativeNavOps, RmWithAStaleLedgerMeasuresFirst) {
  write(home_ / "big", std::string(1000, 'x'));
  st_.quota_stale = true;
  auto r = run(nav::rm, {{"op", "rm"}, {"id", 27}, {"path", "big"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_FALSE(st_.quota_stale);
  EXPECT_EQ(quota_.get().used, 3 * U);
}

TEST_F(NativeNavOps, RmOfAPartFileIsRefused) {
  write(home_ / ".old.ferry-part", std::string(300, 'p'));
  quota_.resync(jail_->disk_usage());
  auto r = run(nav::rm, {{"op", "rm"}, {"id", 28}, {"path", ".old.ferry-part"}});
  EXPECT_EQ(status(r), 400) << r.dump();
  EXPECT_EQ(error(r), "bad_request");
  EXPECT_TRUE(contains(r, "message", ".ferry-part")) << r.dump();
  EXPECT_TRUE(fs::exists(home_ / ".old.ferry-part"));
  EXPECT_EQ(quota_.get().used, 4 * U) << "nothing freed";
}

TEST_F(NativeNavOps, RmFailuresFreeNothing) {
  quota_.resync(jail_->disk_usage());
  auto r = run(nav::rm, {{"op", "rm"}, {"id", 29}, {"path", "nope"}});
  EXPECT_EQ(status(r), 404);
  r = run(nav::rm, {{"op", "rm"}, {"id", 30}, {"path", "sub"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "is_directory");
  EXPECT_EQ(quota_.get().used, 3 * U);
  EXPECT_EQ(quota_.get().files, 3u);
}

TEST_F(NativeNavOps, QuotaReportsUsedAndLimit) {
  quota_.resync(jail_->disk_usage());
  quota_.set_limits(1 << 20, 1000);
  auto r = run(nav::quota, {{"op", "quota"}, {"id", 31}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_EQ(r["used"], 3 * U) << "a unit per name: two directories and a 5-byte file";
  EXPECT_EQ(r["limit"], 1 << 20);
  EXPECT_EQ(r["files"], 3);
  EXPECT_EQ(r["max_files"], 1000);
  write(home_ / "more", "123");
  st_.quota_stale = true;
  r = run(nav::quota, {{"op", "quota"}, {"id", 32}});
  EXPECT_EQ(r["used"], 4 * U) << "a stale ledger is re-measured first";
  EXPECT_EQ(r["files"], 4);
}

// --- mv --------------------------------------------------------------------------------

TEST_F(NativeNavOps, MvKeepsTheLedgerWhereTheWalkIs) {
  // Names long enough that "sub" grows past its first block as they move in.
  for (int i = 0; i < 40; ++i) write(home_ / (std::string(200, 'm') + std::to_string(i)), "x");
  quota_.resync(jail_->disk_usage());
  for (int i = 0; i < 40; ++i) {
    auto r = run(nav::mv, {{"op", "mv"}, {"id", 70 + i}, {"from", std::string(200, 'm') + std::to_string(i)},
                           {"to", "sub"}});
    ASSERT_EQ(status(r), 200) << r.dump();
  }
  const auto walk = jail_->disk_usage();
  EXPECT_EQ(quota_.get().used, walk.bytes);
  EXPECT_EQ(quota_.get().files, walk.files);
}

TEST_F(NativeNavOps, MvRenamesAndMovesIntoADirectory) {
  auto r = run(nav::mv, {{"op", "mv"}, {"id", 33}, {"from", "file.txt"}, {"to", "renamed.txt"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "file.txt"));
  EXPECT_TRUE(fs::exists(home_ / "renamed.txt"));
  r = run(nav::mv, {{"op", "mv"}, {"id", 34}, {"from", "renamed.txt"}, {"to", "sub"}});
  EXPECT_EQ(status(r), 200) << r.dump();
  EXPECT_TRUE(fs::exists(home_ / "sub" / "renamed.txt"));
}

TEST_F(NativeNavOps, MvRefusals) {
  write(home_ / "other", "x");
  auto r = run(nav::mv, {{"op", "mv"}, {"id", 35}, {"from", "other"}, {"to", "file.txt"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "exists");
  EXPECT_TRUE(contains(r, "message", "/other -> /file.txt")) << r.dump();
  r = run(nav::mv, {{"op", "mv"}, {"id", 36}, {"from", "nope"}, {"to", "x"}});
  EXPECT_EQ(status(r), 404);
  st_.cwd = "/sub/inner";
  r = run(nav::mv, {{"op", "mv"}, {"id", 37}, {"from", "/sub"}, {"to", "/moved"}});
  EXPECT_EQ(status(r), 409);
  EXPECT_EQ(error(r), "busy");
  EXPECT_TRUE(fs::is_directory(home_ / "sub" / "inner"));
}

TEST_F(NativeNavOps, MvToAPartNameIsRefused) {
  auto r = run(nav::mv, {{"op", "mv"}, {"id", 38}, {"from", "file.txt"}, {"to", ".x.ferry-part"}});
  EXPECT_EQ(status(r), 400);
  EXPECT_EQ(error(r), "bad_request");
  EXPECT_TRUE(contains(r, "message", ".ferry-part")) << r.dump();
  EXPECT_TRUE(contains(r, "message", "reserved")) << r.dump();
  EXPECT_TRUE(fs::exists(home_ / "file.txt"));
  EXPECT_FALSE(fs::exists(home_ / ".x.ferry-part"));
  write(home_ / ".y.ferry-part", "partial");
  r = run(nav::mv, {{"op", "mv"}, {"id", 39}, {"from", ".y.ferry-part"}, {"to", "y"}});
  EXPECT_EQ(status(r), 400) << "nor from one";
  EXPECT_FALSE(fs::exists(home_ / "y"));
}

// --- malformed requests ------------------------------------------------------------------

TEST_F(NativeNavOps, AFieldOfTheWrongTypeIsABadRequest) {
  auto r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 40}, {"path", 5}});
  EXPECT_EQ(status(r), 400);
  EXPECT_EQ(error(r), "bad_request");
  EXPECT_TRUE(contains(r, "message", "path")) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 41}, {"path", "a"}, {"parents", "yes"}});
  EXPECT_EQ(status(r), 400);
  EXPECT_TRUE(contains(r, "message", "parents")) << r.dump();
  EXPECT_FALSE(fs::exists(home_ / "a")) << "nothing is done on a bad request";
  r = run(nav::ls, {{"op", "ls"}, {"id", 42}, {"path", json::array()}});
  EXPECT_EQ(status(r), 400);
  r = run(nav::mv, {{"op", "mv"}, {"id", 43}, {"from", "file.txt"}, {"to", 1}});
  EXPECT_EQ(status(r), 400);
  EXPECT_TRUE(fs::exists(home_ / "file.txt"));
}

TEST_F(NativeNavOps, AMissingOrEmptyPathIsABadRequest) {
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 44}});
  EXPECT_EQ(status(r), 400);
  EXPECT_TRUE(contains(r, "message", "path")) << r.dump();
  r = run(nav::stat, {{"op", "stat"}, {"id", 45}, {"path", ""}});
  EXPECT_EQ(status(r), 400);
  EXPECT_EQ(error(r), "bad_request");
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 46}, {"path", std::string(256, 'n')}});
  EXPECT_EQ(status(r), 400);
}

// --- the jail ----------------------------------------------------------------------------

TEST_F(NativeNavOps, ClimbingPathsStayInsideTheHome) {
  // base_/etc exists next to the home: "/../../etc" must not reach it.
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 47}, {"path", "/../../etc"}});
  EXPECT_EQ(status(r), 404) << r.dump();
  EXPECT_TRUE(contains(r, "message", "/etc")) << r.dump();
  EXPECT_EQ(st_.cwd, "/");
  r = run(nav::cd, {{"op", "cd"}, {"id", 48}, {"path", "../etc"}});
  EXPECT_EQ(status(r), 404) << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 49}, {"path", "../../escaped"}});
  EXPECT_EQ(status(r), 201) << r.dump();
  EXPECT_EQ(r["path"], "/escaped");
  EXPECT_TRUE(fs::is_directory(home_ / "escaped"));
  EXPECT_FALSE(fs::exists(base_ / "escaped"));
  r = run(nav::cd, {{"op", "cd"}, {"id", 50}, {"path", "/../.."}});
  EXPECT_EQ(r["path"], "/");
}

TEST_F(NativeNavOps, SymlinksOutOfTheHomeAreNotFollowed) {
  fs::create_symlink(base_ / "etc", home_ / "to_etc");
  fs::create_symlink("../../etc", home_ / "sub" / "up");
  auto r = run(nav::cd, {{"op", "cd"}, {"id", 51}, {"path", "sub/up"}});
  EXPECT_EQ(status(r), 404) << r.dump();
  r = run(nav::cd, {{"op", "cd"}, {"id", 53}, {"path", "to_etc"}});
  EXPECT_EQ(status(r), 404) << "an absolute link resolves inside the home: " << r.dump();
  r = run(nav::mkdir, {{"op", "mkdir"}, {"id", 52}, {"path", "sub/up/x"}});
  EXPECT_NE(status(r), 201) << r.dump();
  EXPECT_FALSE(fs::exists(base_ / "etc" / "x"));
}

}  // namespace
