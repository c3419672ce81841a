// The client's session and command layer against a scripted fake server on a
// socketpair: SCRAM login (with the real scram_server), the typed ops, the
// printed output and one-line errors of the commands, exit codes, and fatal
// handling of a vanished or misbehaving server.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/scram.hpp"
#include "auth/scram_server.hpp"
#include "client/commands.hpp"
#include "client/connection.hpp"
#include "client/script_runner.hpp"
#include "client/session.hpp"
#include "proto/frame.hpp"

namespace {

using json = nlohmann::json;
using namespace ferry::client;

/// Returns the reply for a request, or a null json to close the connection.
using handler = std::function<json(const json& request)>;

/// Plays the server on one end of a socketpair until the client closes.
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
  const std::vector<json>& requests() const { return requests_; }  // after the client closed

 private:
  void serve(int fd) {
    ferry::proto::frame_decoder dec;
    char buf[4096];
    for (;;) {
      json req;
      std::uint64_t body = 0;
      const auto r = dec.next(req, body);
      if (r == ferry::proto::frame_decoder::result::frame) {
        requests_.push_back(req);
        json rep = handler_(req);
        if (rep.is_null()) break;
        const std::string bytes = ferry::proto::encode_frame(rep);
        if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) break;
        continue;
      }
      if (r != ferry::proto::frame_decoder::result::need_more) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      dec.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    ::close(fd);
  }

  handler handler_;
  int client_fd_ = -1;
  std::vector<json> requests_;
  std::thread thread_;
};

json ok(const json& req, json fields = json::object()) {
  fields["id"] = req["id"];
  fields["status"] = 200;
  return fields;
}

json err(const json& req, int status, const char* error, const char* message = "it failed") {
  return {{"id", req["id"]}, {"status", status}, {"error", error}, {"message", message}};
}

/// A tiny in-memory server: "/" holds dir "docs" and file "a.txt"; cd only
/// to "/" or "docs"; mkdir of "exists" fails.
json navigation(const json& req, std::string& cwd) {
  const std::string op = req["op"];
  if (op == "pwd") return ok(req, {{"path", cwd}});
  if (op == "cd") {
    const std::string p = req["path"];
    if (p == "/" || p == "docs" || p == "/docs") {
      cwd = p == "/" ? "/" : "/docs";
      return ok(req, {{"path", cwd}});
    }
    return err(req, 404, "not_found");
  }
  if (op == "ls") {
    if (req.contains("path") && req["path"] != "/") return err(req, 404, "not_found");
    return ok(req, {{"entries",
                     {{{"name", "a.txt"}, {"type", "file"}, {"size", 4321}, {"mtime", 0},
                       {"mode", 0640}},
                      {{"name", "docs"}, {"type", "dir"}, {"size", 4096}, {"mtime", 0},
                       {"mode", 0755}}}}});
  }
  if (op == "mkdir") {
    if (req["path"] == "exists") return err(req, 409, "exists");
    return ok(req, {{"path", "/" + req["path"].get<std::string>()}});
  }
  if (op == "stat")
    return ok(req, {{"entry",
                     {{"name", "a.txt"}, {"type", "file"}, {"size", 5}, {"mtime", 0},
                      {"mode", 0644}}}});
  if (op == "quota") return ok(req, {{"used", 1258291}, {"limit", 104857600}, {"files", 3}, {"max_files", 1000}});
  if (op == "mv" || op == "rm" || op == "rmdir" || op == "bye") return ok(req);
  if (op == "hello") return ok(req, {{"version", 1}, {"server", "fake/1"},
                                     {"auth", {"SCRAM-SHA-256"}}});
  return err(req, 400, "bad_request", "unknown op");
}

struct harness {
  explicit harness(handler h) : server(std::move(h)), s(connection(server.client_fd())) {}
  cmd_status run(std::vector<std::string> words) {
    out.str({});
    errs.str({});
    return run_command(ctx, words);
  }
  fake_server server;
  session s;
  std::ostringstream out, errs;
  command_context ctx{s, out, errs};
};

TEST(ClientSession, CommandsPrintResultsAndOneLineErrors) {
  std::string cwd = "/";
  harness h([&](const json& r) { return navigation(r, cwd); });

  EXPECT_EQ(h.run({"ls"}), cmd_status::ok);
  EXPECT_EQ(h.out.str(), "a.txt\ndocs\n");

  EXPECT_EQ(h.run({"ls", "-l"}), cmd_status::ok);
  EXPECT_NE(h.out.str().find("-rw-r----- "), std::string::npos) << h.out.str();
  EXPECT_NE(h.out.str().find(" 4321 "), std::string::npos) << h.out.str();
  EXPECT_NE(h.out.str().find("drwxr-xr-x "), std::string::npos) << h.out.str();

  EXPECT_EQ(h.run({"cd", "/nope"}), cmd_status::failed);
  EXPECT_EQ(h.errs.str(), "ferry: cd /nope: not found\n");
  EXPECT_EQ(h.out.str(), "");

  EXPECT_EQ(h.run({"cd", "docs"}), cmd_status::ok);
  EXPECT_EQ(h.s.cwd(), "/docs");
  EXPECT_EQ(h.run({"pwd"}), cmd_status::ok);
  EXPECT_EQ(h.out.str(), "/docs\n");
  EXPECT_EQ(h.run({"cd"}), cmd_status::ok);
  EXPECT_EQ(h.s.cwd(), "/");

  EXPECT_EQ(h.run({"mkdir", "-p", "new", "exists", "other"}), cmd_status::failed);
  EXPECT_EQ(h.errs.str(), "ferry: mkdir exists: already exists\n");

  EXPECT_EQ(h.run({"stat", "a.txt"}), cmd_status::ok);
  EXPECT_NE(h.out.str().find("size:     5 bytes (5 B)"), std::string::npos) << h.out.str();

  EXPECT_EQ(h.run({"quota"}), cmd_status::ok);
  EXPECT_EQ(h.out.str(), "used 1.2 MiB of 100.0 MiB (1.2%)\n3 of 1000 files (0.3%)\n");

  EXPECT_EQ(h.run({"mv", "a", "b"}), cmd_status::ok);
  EXPECT_EQ(h.run({"rm", "--", "-x"}), cmd_status::ok);
  EXPECT_EQ(h.run({"bye"}), cmd_status::quit);
  h.s.bye();

  // The wire requests carry the right fields and increasing ids.
  const auto& reqs = h.server.requests();
  std::uint64_t last = 0;
  for (const auto& r : reqs) {
    EXPECT_GT(r["id"].get<std::uint64_t>(), last);
    last = r["id"];
  }
  const auto find = [&](const char* op) {
    for (const auto& r : reqs)
      if (r["op"] == op) return r;
    return json();
  };
  EXPECT_FALSE(find("ls").contains("path"));
  EXPECT_EQ(find("mkdir")["parents"], true);
  EXPECT_EQ(find("mv")["from"], "a");
  EXPECT_EQ(find("mv")["to"], "b");
  EXPECT_EQ(find("rm")["path"], "-x");
  EXPECT_EQ(reqs.back()["op"], "bye");
}

TEST(ClientSession, UsageErrors) {
  std::string cwd = "/";
  harness h([&](const json& r) { return navigation(r, cwd); });
  const std::vector<std::vector<std::string>> bad{
      {"mv"}, {"mv", "one"}, {"mv", "a", "b", "c"}, {"cd", "a", "b"}, {"mkdir"},
      {"rmdir"}, {"rm"}, {"ls", "-x"}, {"ls", "a", "b"}, {"pwd", "x"}, {"stat"}, {"quota", "x"}};
  for (const auto& words : bad) {
    EXPECT_EQ(h.run(words), cmd_status::usage) << words[0];
    const std::string e = h.errs.str();
    EXPECT_EQ(e.rfind("ferry: usage: " + words[0], 0), 0u) << e;
    EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  }
  EXPECT_EQ(h.run({"mv"}), cmd_status::usage);
  EXPECT_EQ(h.errs.str(), "ferry: usage: mv FROM TO\n");
  EXPECT_EQ(h.run({"foo"}), cmd_status::usage);
  EXPECT_EQ(h.errs.str(), "ferry: unknown command 'foo' (try help)\n");
  EXPECT_EQ(exit_code(cmd_status::usage), 2);
  EXPECT_EQ(exit_code(cmd_status::failed), 1);
  EXPECT_EQ(exit_code(cmd_status::fatal), 1);
  EXPECT_EQ(exit_code(cmd_status::ok), 0);

  EXPECT_EQ(h.run({"help"}), cmd_status::ok);
  EXPECT_NE(h.out.str().find("mkdir [-p] PATH..."), std::string::npos);
  EXPECT_NE(h.out.str().find("get [-r] [--force] [--algo A] [--no-resume] [--progress] REMOTE [LOCAL]"),
            std::string::npos);
  EXPECT_NE(h.out.str().find("sync [--delete] [--dry-run|-n] [--force]"), std::string::npos);
  EXPECT_NE(h.out.str().find("rm [-r] PATH..."), std::string::npos);
  EXPECT_NE(h.out.str().find("hash [--algo A] PATH"), std::string::npos);
  EXPECT_EQ(h.run({"help", "mv"}), cmd_status::ok);
  EXPECT_NE(h.out.str().find("mv FROM TO"), std::string::npos);
  h.s.bye();
}

TEST(ClientSession, ServerVanishingIsFatal) {
  int n = 0;
  harness h([&](const json& r) { return ++n == 1 ? ok(r, {{"path", "/"}}) : json(); });
  EXPECT_EQ(h.run({"pwd"}), cmd_status::ok);
  EXPECT_EQ(h.run({"rm", "a", "b"}), cmd_status::fatal);
  EXPECT_EQ(h.errs.str(), "ferry: connection closed by server\n");
  EXPECT_FALSE(h.s.alive());
  EXPECT_EQ(h.run({"pwd"}), cmd_status::fatal);
}

TEST(ClientSession, WrongReplyIdIsFatal) {
  harness h([](const json& r) {
    json rep = ok(r, {{"path", "/"}});
    rep["id"] = r["id"].get<std::uint64_t>() + 7;
    return rep;
  });
  EXPECT_EQ(h.run({"pwd"}), cmd_status::fatal);
  EXPECT_NE(h.errs.str().find("protocol error"), std::string::npos) << h.errs.str();
}

TEST(ClientSession, UnknownErrorFallsBackToMessage) {
  json j{{"status", 418}, {"error", "teapot"}, {"message", "short and stout"}};
  EXPECT_EQ(reply_text(j), "short and stout");
  j["error"] = "not_empty";
  EXPECT_EQ(reply_text(j), "directory not empty");
  EXPECT_EQ(reply_text(json{{"status", 500}}), "error 500");
}

TEST(ClientSession, BatchStopsAtFirstFailure) {
  std::string cwd = "/";
  harness h([&](const json& r) { return navigation(r, cwd); });
  std::istringstream script("# comment\n\n  mkdir one\n-cd /ignored\ncd /nope\nmkdir two\n");
  EXPECT_EQ(run_script(h.ctx, script, on_error::stop), 1);
  EXPECT_EQ(h.errs.str(),
            "ferry: cd /ignored: not found\nferry: cd /nope: not found\n"
            "ferry: stopped at stdin line 5 (cd /nope): it failed\n");
  h.s.bye();
  for (const auto& r : h.server.requests()) EXPECT_NE(r.value("path", ""), "two");
}

TEST(ClientSession, ScriptKeepsGoingWhenAsked) {
  std::string cwd = "/";
  harness h([&](const json& r) { return navigation(r, cwd); });
  std::istringstream script("cd /nope\nmkdir 'a b'\nfoo\npwd\n");
  EXPECT_EQ(run_script(h.ctx, script, on_error::keep_going), 1);
  EXPECT_EQ(h.out.str(), "/\n");
  h.s.bye();
  bool saw = false;
  for (const auto& r : h.server.requests()) saw = saw || r.value("path", "") == "a b";
  EXPECT_TRUE(saw);
}

/// A fake server that runs the real SCRAM server state machine.
handler scram_handler(const std::string& password, bool forge_signature, std::string& cwd) {
  auto verifier = std::make_shared<ferry::auth::scram_verifier>(
      ferry::auth::make_verifier(password, 4096));
  auto scram = std::make_shared<ferry::auth::scram_server>(
      [verifier](std::string_view user) -> std::optional<ferry::auth::scram_verifier> {
        if (user == "demo") return *verifier;
        return std::nullopt;
      },
      "secret");
  return [=, &cwd](const json& r) -> json {
    if (r["op"] != "auth") return navigation(r, cwd);
    if (r.contains("mechanism")) {
      auto st = scram->client_first(r["data"].get<std::string>());
      if (st.k != ferry::auth::scram_server::step::kind::cont)
        return err(r, 401, "auth_failed");
      return {{"id", r["id"]}, {"status", 100}, {"data", st.data}};
    }
    auto st = scram->client_final(r["data"].get<std::string>());
    if (st.k != ferry::auth::scram_server::step::kind::success)
      return err(r, 401, "auth_failed", "authentication failed");
    std::string data = st.data;
    if (forge_signature) data = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    return ok(r, {{"data", data}, {"user", "demo"}});
  };
}

TEST(ClientSession, LoginWithScram) {
  std::string cwd = "/home-dir";
  harness h(scram_handler("pa55,=word", false, cwd));
  ASSERT_TRUE(h.s.hello());
  EXPECT_EQ(h.s.server_name(), "fake/1");
  const auto r = h.s.login("demo", "pa55,=word");
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(h.s.cwd(), "/home-dir");
  h.s.bye();
  const auto& reqs = h.server.requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[0]["op"], "hello");
  EXPECT_EQ(reqs[0]["version"], 1);
  EXPECT_EQ(reqs[0]["client"], "ferry/0.1");
  EXPECT_EQ(reqs[1]["mechanism"], "SCRAM-SHA-256");
  EXPECT_EQ(reqs[1]["data"].get<std::string>().rfind("n,,n=demo,r=", 0), 0u);
  for (const auto& q : reqs) EXPECT_EQ(q.dump().find("pa55"), std::string::npos);
}

TEST(ClientSession, WrongPassword) {
  std::string cwd = "/";
  harness h(scram_handler("right", false, cwd));
  ASSERT_TRUE(h.s.hello());
  const auto r = h.s.login("demo", "wrong");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text, "login failed: authentication failed");
  h.s.bye();
}

TEST(ClientSession, ForgedServerSignature) {
  std::string cwd = "/";
  harness h(scram_handler("right", true, cwd));
  ASSERT_TRUE(h.s.hello());
  const auto r = h.s.login("demo", "right");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().fatal);
  EXPECT_EQ(r.error().text,
            "server failed to prove it knows the password verifier; disconnecting");
  EXPECT_FALSE(h.s.alive());
}

}  // namespace
