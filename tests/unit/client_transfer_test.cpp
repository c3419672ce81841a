// get / put / hash against a scripted fake server on a socketpair: bodies and
// trailers, digest checks, part files and their resume, pipelined inline
// puts, the put / data / commit exchange, and what is left on disk when
// something goes wrong.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/commands.hpp"
#include "client/connection.hpp"
#include "client/session.hpp"
#include "proto/frame.hpp"
#include "transfer/digest.hpp"

namespace {

using json = nlohmann::json;
using namespace ferry::client;
namespace fs = std::filesystem;

struct frame {
  json header;
  std::string body;
};

/// Replies for one request (none for data frames); a frame with a null
/// header closes the connection after what came before it was sent.
using handler = std::function<std::vector<frame>(const frame& request)>;

class fake_server {
 public:
  explicit fake_server(handler h) : handler_(std::move(h)) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    client_fd_ = fds[0];
    thread_ = std::thread([this, fd = fds[1]] { serve(fd); });
  }
  ~fake_server() { thread_.join(); }
  int client_fd() const { return client_fd_; }
  const std::vector<frame>& requests() const { return requests_; }  // after the client closed

 private:
  void serve(int fd) {
    ferry::proto::frame_decoder dec;
    char buf[65536];
    frame cur;
    bool in_frame = false;
    for (;;) {
      if (!in_frame) {
        std::uint64_t body = 0;
        const auto r = dec.next(cur.header, body);
        if (r == ferry::proto::frame_decoder::result::frame) {
          cur.body.clear();
          in_frame = true;
        } else if (r != ferry::proto::frame_decoder::result::need_more) {
          break;
        }
      }
      if (in_frame) {
        cur.body.append(dec.take_body(SIZE_MAX));
        if (dec.body_remaining() == 0) {
          in_frame = false;
          requests_.push_back(cur);
          bool close_now = false;
          for (const frame& f : handler_(cur)) {
            if (f.header.is_null()) {
              close_now = true;
              break;
            }
            const std::string bytes = ferry::proto::encode_frame(f.header) + f.body;
            if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) break;
          }
          if (close_now) break;
          continue;
        }
      }
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      dec.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    ::close(fd);
  }

  handler handler_;
  int client_fd_ = -1;
  std::vector<frame> requests_;
  std::thread thread_;
};

std::string digest_of(std::string_view data, const char* algo = "xxh128") {
  auto d = ferry::transfer::digest::make(algo);
  d->update(data.data(), data.size());
  return d->hex();
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

json reply(const json& req, int status, json fields = json::object()) {
  fields["id"] = req.at("id");
  fields["status"] = status;
  return fields;
}

/// A remote file store: get, stat, hash, ls of "/", inline and streamed put.
class remote_files {
 public:
  std::map<std::string, std::string> files;
  std::string corrupt_digest_of;      ///< get of this path sends a wrong digest
  std::string drop_after_half_of;     ///< get of this path closes mid-body
  std::uint64_t offer_offset = 0;     ///< what a streamed put is told to resume from
  int gets = 0;                       ///< get requests seen
  int puts = 0;                       ///< put requests seen

  std::vector<frame> operator()(const frame& f) {
    const json& req = f.header;
    const std::string op = req.at("op");
    if (op == "get") {
      ++gets;
      const std::string path = req.at("path");
      const auto it = files.find(path);
      if (it == files.end())
        return {{reply(req, 404, {{"error", "not_found"}, {"message", "no such file"}}), ""}};
      const std::uint64_t off = req.value("offset", std::uint64_t{0});
      const std::string& data = it->second;
      const std::string body = data.substr(off);
      json head = reply(req, 200, {{"size", data.size()}, {"offset", off}, {"body", body.size()}});
      if (path == drop_after_half_of) return {{head, body.substr(0, body.size() / 2)}, {json(), ""}};
      const std::string algo = req.value("algo", "xxh128");
      const std::string dg = path == corrupt_digest_of ? digest_of("other", algo.c_str())
                                                       : digest_of(data, algo.c_str());
      return {{head, body}, {reply(req, 200, {{"algo", algo}, {"digest", dg}}), ""}};
    }
    if (op == "stat") {
      const auto it = files.find(req.at("path"));
      if (it == files.end()) return {{reply(req, 404, {{"error", "not_found"}}), ""}};
      return {{reply(req, 200, {{"entry", {{"name", it->first}, {"type", "file"}, {"size", it->second.size()}}}}), ""}};
    }
    if (op == "hash") {
      const auto it = files.find(req.at("path"));
      if (it == files.end()) return {{reply(req, 404, {{"error", "not_found"}}), ""}};
      const std::string algo = req.at("algo");
      return {{reply(req, 200, {{"algo", algo}, {"digest", digest_of(it->second, algo.c_str())}}), ""}};
    }
    if (op == "mkdir") return {{reply(req, 200, {{"path", req.at("path")}}), ""}};
    if (op == "put") ++puts;
    if (op == "put" && req.contains("digest")) {
      if (req.at("digest") != digest_of(f.body, req.value("algo", "xxh128").c_str()))
        return {{reply(req, 422, {{"error", "checksum_mismatch"}}), ""}};
      files[req.at("path")] = f.body;
      return {{reply(req, 201), ""}};
    }
    if (op == "put") {
      upload_path_ = req.at("path");
      upload_ = std::string(offer_offset, '?');  // whatever the part file held
      return {{reply(req, 200, {{"offset", offer_offset}}), ""}};
    }
    if (op == "data") {
      upload_ += f.body;
      return {};
    }
    if (op == "commit") {
      files[upload_path_] = upload_;
      commit_digest = req.at("digest");
      return {{reply(req, 201), ""}};
    }
    return {{reply(req, 400, {{"error", "bad_request"}}), ""}};
  }

  std::string commit_digest;

 private:
  std::string upload_path_;
  std::string upload_;
};

class ClientTransfer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-client-transfer-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Runs one command line against `store`.
  void run(remote_files& store, const std::vector<std::string>& words, cmd_status& status) {
    fake_server server([&](const frame& f) { return store(f); });
    {
      session s{connection(server.client_fd())};
      out_.str({});
      err_.str({});
      command_context ctx{s, out_, err_};
      status = run_command(ctx, words);
    }  // the session closes the connection; the server thread ends
  }

  fs::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(ClientTransfer, GetWritesVerifiedFileAndNoPart) {
  remote_files store;
  store.files["/big.bin"] = pattern(3 * 1024 * 1024 + 17);
  store.files["/empty"] = "";
  cmd_status st;
  run(store, {"get", "/big.bin", (dir_ / "big.bin").string()}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(slurp(dir_ / "big.bin"), store.files["/big.bin"]);
  EXPECT_FALSE(fs::exists(dir_ / ".big.bin.ferry-part"));
  run(store, {"get", "--algo", "md5", "/empty", dir_.string()}, st);  // an existing dir: inside
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_TRUE(fs::exists(dir_ / "empty"));
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0U);
}

TEST_F(ClientTransfer, GetMismatchLeavesNothing) {
  remote_files store;
  store.files["/f"] = pattern(5000);
  store.corrupt_digest_of = "/f";
  spit(dir_ / "f", "old");
  cmd_status st;
  run(store, {"get", "/f", (dir_ / "f").string()}, st);
  EXPECT_EQ(st, cmd_status::failed);
  EXPECT_EQ(err_.str(), "ferry: get /f: checksum mismatch (xxh128); download discarded\n");
  EXPECT_EQ(slurp(dir_ / "f"), "old");  // the old file is untouched
  EXPECT_FALSE(fs::exists(dir_ / ".f.ferry-part"));
}

TEST_F(ClientTransfer, GetNotFoundIsOneLine) {
  remote_files store;
  cmd_status st;
  run(store, {"get", "/nope", (dir_ / "nope").string()}, st);
  EXPECT_EQ(st, cmd_status::failed);
  EXPECT_EQ(err_.str(), "ferry: get /nope: not found\n");
  EXPECT_FALSE(fs::exists(dir_ / "nope"));
  EXPECT_FALSE(fs::exists(dir_ / ".nope.ferry-part"));
}

TEST_F(ClientTransfer, GetResumesFromPartAndHashesThePrefix) {
  remote_files store;
  const std::string data = pattern(2 * 1024 * 1024);
  store.files["/r"] = data;
  spit(dir_ / ".r.ferry-part", data.substr(0, 1000000));
  fake_server server([&](const frame& f) { return store(f); });
  cmd_status st;
  {
    session s{connection(server.client_fd())};
    command_context ctx{s, out_, err_};
    st = run_command(ctx, {"get", "/r", (dir_ / "r").string()});
  }
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(slurp(dir_ / "r"), data);
  EXPECT_NE(err_.str().find("resuming at 1000000 of 2097152 bytes"), std::string::npos) << err_.str();
  // The part's length is checked against the remote size (stat), then get asks from there.
  ASSERT_GE(server.requests().size(), 2U);
  EXPECT_EQ(server.requests()[0].header.at("op"), "stat");
  EXPECT_EQ(server.requests()[1].header.at("offset"), 1000000);
}

TEST_F(ClientTransfer, GetNoResumeAndStalePartStartOver) {
  remote_files store;
  store.files["/r"] = pattern(10000);
  spit(dir_ / ".r.ferry-part", pattern(20000));  // longer than the remote file: stale
  cmd_status st;
  run(store, {"get", "/r", (dir_ / "r").string()}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(slurp(dir_ / "r"), store.files["/r"]);
  spit(dir_ / ".r.ferry-part", "garbage");
  run(store, {"get", "--no-resume", "/r", (dir_ / "r").string()}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(slurp(dir_ / "r"), store.files["/r"]);
  EXPECT_EQ(err_.str().find("resuming"), std::string::npos);
}

TEST_F(ClientTransfer, GetCutOffKeepsPartForResume) {
  remote_files store;
  store.files["/c"] = pattern(1 << 20);
  store.drop_after_half_of = "/c";
  cmd_status st;
  run(store, {"get", "/c", (dir_ / "c").string()}, st);
  EXPECT_EQ(st, cmd_status::fatal);
  EXPECT_EQ(err_.str(), "ferry: connection closed by server\n");
  EXPECT_FALSE(fs::exists(dir_ / "c"));
  ASSERT_TRUE(fs::exists(dir_ / ".c.ferry-part"));
  EXPECT_EQ(slurp(dir_ / ".c.ferry-part"), store.files["/c"].substr(0, 1 << 19));
}

TEST_F(ClientTransfer, GetTreePipelinesRequests) {
  remote_files store;
  for (int i = 0; i < 100; ++i) store.files["/t/f" + std::to_string(i)] = pattern(100 + static_cast<std::size_t>(i));
  fake_server server([&](const frame& f) {
    if (f.header.at("op") == "stat")
      return std::vector<frame>{{reply(f.header, 200, {{"entry", {{"name", "t"}, {"type", "dir"}}}}), ""}};
    if (f.header.at("op") == "ls") {
      json entries = json::array();
      for (int i = 0; i < 100; ++i)
        entries.push_back({{"name", "f" + std::to_string(i)}, {"type", "file"}, {"size", 100 + i}});
      entries.push_back({{"name", ".."}, {"type", "dir"}});  // hostile: must be skipped
      entries.push_back({{"name", "l"}, {"type", "link"}});
      return std::vector<frame>{{reply(f.header, 200, {{"entries", entries}}), ""}};
    }
    return store(f);
  });
  cmd_status st;
  {
    session s{connection(server.client_fd())};
    command_context ctx{s, out_, err_};
    st = run_command(ctx, {"get", "-r", "/t", (dir_ / "copy").string()});
  }
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(slurp(dir_ / "copy" / ("f" + std::to_string(i))), store.files["/t/f" + std::to_string(i)]);
  EXPECT_NE(err_.str().find("ferry: skipping unusable name /t/.."), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("ferry: skipping symbolic link /t/l"), std::string::npos) << err_.str();
  std::size_t top = 0;  // nothing was written beside the copy
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++top;
  EXPECT_EQ(top, 1U);
}

TEST_F(ClientTransfer, PutInlineAndStreamed) {
  remote_files store;
  spit(dir_ / "small", pattern(4096));
  spit(dir_ / "big", pattern((1 << 20) + 1));
  cmd_status st;
  run(store, {"put", (dir_ / "small").string(), "/small"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.files["/small"], pattern(4096));
  run(store, {"put", "--algo", "sha256", (dir_ / "big").string(), "/big"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.files["/big"], pattern((1 << 20) + 1));
  EXPECT_EQ(store.commit_digest, digest_of(pattern((1 << 20) + 1), "sha256"));
}

TEST_F(ClientTransfer, PutResumeHashesTheWholeFile) {
  remote_files store;
  store.offer_offset = 300000;
  const std::string data = pattern(2 << 20);
  spit(dir_ / "big", data);
  cmd_status st;
  run(store, {"put", (dir_ / "big").string(), "/big"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.files["/big"].substr(300000), data.substr(300000));  // only the rest was sent
  EXPECT_EQ(store.commit_digest, digest_of(data));
  EXPECT_NE(err_.str().find("resuming at 300000 of 2097152 bytes"), std::string::npos) << err_.str();
}

TEST_F(ClientTransfer, PutTreeSkipsSymlinksAndPipelines) {
  fs::create_directories(dir_ / "src" / "sub");
  for (int i = 0; i < 150; ++i) spit(dir_ / "src" / "sub" / ("f" + std::to_string(i)), pattern(static_cast<std::size_t>(i)));
  spit(dir_ / "src" / "日本語.txt", "utf8");
  fs::create_symlink("/etc/passwd", dir_ / "src" / "link");
  remote_files store;
  cmd_status st;
  run(store, {"put", "-r", (dir_ / "src").string(), "/dst"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.files.size(), 151U);
  EXPECT_EQ(store.files["/dst/日本語.txt"], "utf8");
  EXPECT_EQ(store.files["/dst/sub/f149"], pattern(149));
  EXPECT_EQ(store.files.count("/dst/link"), 0U);
  EXPECT_NE(err_.str().find("skipping symbolic link"), std::string::npos) << err_.str();
}

TEST_F(ClientTransfer, SameSizeAndDigestIsNotSentUnlessForced) {
  remote_files store;
  store.files["/s"] = pattern(5000);
  spit(dir_ / "s", pattern(5000));
  cmd_status st;
  run(store, {"put", (dir_ / "s").string(), "/s"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.puts, 0);
  EXPECT_NE(err_.str().find("not sent"), std::string::npos) << err_.str();
  run(store, {"get", "/s", (dir_ / "s").string()}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.gets, 0);
  run(store, {"put", "--force", (dir_ / "s").string(), "/s"}, st);
  EXPECT_EQ(store.puts, 1);
  run(store, {"get", "--force", "/s", (dir_ / "s").string()}, st);
  EXPECT_EQ(store.gets, 1);
  // same size, other bytes: sent
  std::string other = pattern(5000);
  other[0] = static_cast<char>(other[0] ^ 1);
  spit(dir_ / "s", other);
  run(store, {"put", (dir_ / "s").string(), "/s"}, st);
  EXPECT_EQ(st, cmd_status::ok) << err_.str();
  EXPECT_EQ(store.puts, 2);
  EXPECT_EQ(store.files["/s"], other);
}

TEST_F(ClientTransfer, HashPrintsDigestAndPath) {
  remote_files store;
  store.files["/h"] = "hello";
  cmd_status st;
  run(store, {"hash", "--algo", "md5", "/h"}, st);
  EXPECT_EQ(st, cmd_status::ok);
  EXPECT_EQ(out_.str(), "5d41402abc4b2a76b9719d911017c592  /h\n");
  run(store, {"hash", "-r", "/h"}, st);
  EXPECT_EQ(st, cmd_status::usage);
}

}  // namespace
