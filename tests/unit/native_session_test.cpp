// A real native_session over loopback TCP, in-process: the session skeleton's
// login, the op table, and the shutdown gate with a live session — a session
// in the middle of an upload holds the gate until its deadline, finishes its
// upload, and then closes; an idle session closes as soon as the gate asks.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>

#include "auth/scram.hpp"
#include "auth/scram_client.hpp"
#include "native/native_session.hpp"
#include "proto/frame.hpp"
#include "session/server_context.hpp"
#include "transfer/digest.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace ferry;

namespace {

/// Accepts one connection and serves it as the listener does: the session
/// lives in this coroutine's frame and closes its registry entry at the end.
asio::awaitable<void> serve_one(tcp::acceptor& acc, session::server_context& ctx) {
  auto sock = co_await acc.async_accept(asio::use_awaitable);
  const auto id = ctx.registry.open("127.0.0.1");
  native::native_session s(std::move(sock), ctx, id, "127.0.0.1:1");
  co_await s.run();
}

class NativeSession : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ferry-native-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "home" / "alex");
    fs::create_directories(root_ / "log");
    std::ofstream(root_ / "accounts.toml")
        << "[users.alex]\nscram = \"" << auth::format_verifier(auth::make_verifier("pw", 4096)) << "\"\n";
    session::config cfg;
    cfg.root = root_;
    ctx_ = std::make_unique<session::server_context>(cfg);
    std::string err;
    ASSERT_TRUE(ctx_->accounts->reload(err)) << err;
    ctx_->secret = "test-secret";
    acc_ = std::make_unique<tcp::acceptor>(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::co_spawn(io_, serve_one(*acc_, *ctx_), asio::detached);
    loop_ = std::thread([this] { io_.run(); });
    client_.connect(acc_->local_endpoint());
  }

  void TearDown() override {
    std::error_code ec;
    client_.close(ec);
    loop_.join();  // returns once the session has ended
    acc_.reset();
    ctx_.reset();
    fs::remove_all(root_);
  }

  void send(const json& header, std::string_view body = {}) {
    std::string frame = proto::encode_frame(header);
    frame += body;
    asio::write(client_, asio::buffer(frame));
  }

  /// The next reply frame; {"eof": true} when the server closed.
  json reply() {
    json j;
    std::uint64_t body = 0;
    for (;;) {
      if (decoder_.next(j, body) == proto::frame_decoder::result::frame) return j;
      char buf[4096];
      std::error_code ec;
      const auto n = client_.read_some(asio::buffer(buf), ec);
      if (ec) return json{{"eof", true}};
      decoder_.feed({buf, n});
    }
  }

  json call(const json& header) {
    send(header);
    return reply();
  }

  void log_in() {
    ASSERT_EQ(call({{"op", "hello"}, {"id", 1}, {"version", 1}})["status"], 200);
    auth::scram_client sc("alex", "pw");
    auto first = call({{"op", "auth"}, {"id", 2}, {"mechanism", "SCRAM-SHA-256"}, {"data", sc.client_first()}});
    ASSERT_EQ(first["status"], 100) << first;
    std::string err;
    auto final_msg = sc.client_final(first["data"].get<std::string>(), err);
    ASSERT_TRUE(final_msg) << err;
    auto done = call({{"op", "auth"}, {"id", 3}, {"data", *final_msg}});
    ASSERT_EQ(done["status"], 200) << done;
    ASSERT_TRUE(sc.verify_server(done["data"].get<std::string>()));
  }

  fs::path root_;
  std::unique_ptr<session::server_context> ctx_;
  asio::io_context io_;
  std::unique_ptr<tcp::acceptor> acc_;
  std::thread loop_;
  tcp::socket client_{io_};
  proto::frame_decoder decoder_;
};

TEST_F(NativeSession, OpTableBeforeAndAfterLogin) {
  EXPECT_EQ(call({{"op", "pwd"}, {"id", 1}})["error"], "bad_request") << "hello must come first";
  EXPECT_EQ(call({{"op", "hello"}, {"id", 2}, {"version", 1}})["status"], 200);
  EXPECT_EQ(call({{"op", "hello"}, {"id", 3}, {"version", 1}})["error"], "bad_request");
  EXPECT_EQ(call({{"op", "pwd"}, {"id", 4}})["error"], "not_authenticated");
  EXPECT_EQ(call({{"op", "put"}, {"id", 5}, {"path", "x"}, {"size", 1}})["error"], "not_authenticated");
  EXPECT_EQ(call({{"op", "frobnicate"}, {"id", 6}})["error"], "bad_request") << "unknown op";
  EXPECT_EQ(call({{"op", "bye"}, {"id", 7}})["status"], 200);
  EXPECT_TRUE(reply().value("eof", false));
}

TEST_F(NativeSession, GateWaitsForAnUploadThenGivesUpAtItsDeadline) {
  log_in();
  const std::string data = "0123456789";
  auto put = call({{"op", "put"}, {"id", 10}, {"path", "up.bin"}, {"size", data.size()}, {"algo", "xxh128"}});
  ASSERT_EQ(put["status"], 200) << put;
  ASSERT_EQ(put["offset"], 0);
  EXPECT_EQ(ctx_->registry.count(), 1u);

  ctx_->registry.stop_all();
  const auto start = clock_type::now();
  EXPECT_FALSE(ctx_->registry.wait_idle(start + 300ms)) << "an open upload keeps the session";
  EXPECT_GE(clock_type::now() - start, 300ms);
  EXPECT_EQ(ctx_->registry.count(), 1u);

  // The upload completes; then the session stops on its own, between requests.
  auto d = transfer::digest::make("xxh128");
  d->update(data.data(), data.size());
  send({{"op", "data"}, {"id", 10}, {"body", data.size()}}, data);
  auto commit = call({{"op", "commit"}, {"id", 10}, {"algo", "xxh128"}, {"digest", d->hex()}});
  EXPECT_EQ(commit["status"], 201) << commit;
  EXPECT_TRUE(ctx_->registry.wait_idle(clock_type::now() + 30s));
  EXPECT_TRUE(reply().value("eof", false)) << "the server closed the connection";
  std::ifstream f(root_ / "home" / "alex" / "up.bin");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), data);
}

TEST_F(NativeSession, IdleSessionClosesWhenTheGateAsks) {
  log_in();
  EXPECT_EQ(call({{"op", "pwd"}, {"id", 4}})["path"], "/");
  ctx_->registry.stop_all();
  EXPECT_TRUE(ctx_->registry.wait_idle(clock_type::now() + 30s));
  EXPECT_TRUE(reply().value("eof", false));
  EXPECT_EQ(ctx_->registry.open("127.0.0.1"), 0u) << "the gate admits no one after stop_all";
}

}  // namespace
