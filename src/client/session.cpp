// Request/reply plumbing and the typed navigation ops of a ferry session.
#include "client/session.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "auth/scram.hpp"
#include "auth/scram_client.hpp"
#include "proto/errc.hpp"
#include "proto/limits.hpp"

namespace ferry::client {
namespace {

using json = nlohmann::json;

constexpr std::string_view client_name = "ferry/0.1";

std::string string_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t u64_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

file_entry entry_from_json(const json& j) {
  file_entry e;
  if (!j.is_object()) return e;
  e.name = string_field(j, "name");
  e.type = entry_type_from_string(string_field(j, "type"));
  e.size = u64_field(j, "size");
  if (const auto it = j.find("mtime"); it != j.end() && it->is_number_integer())
    e.mtime = it->get<std::int64_t>();
  e.mode = static_cast<std::uint32_t>(u64_field(j, "mode") & 07777);
  if (e.type == entry_type::link) e.target = string_field(j, "target");
  return e;
}

std::string reply_message(const json& reply) {
  std::string message = string_field(reply, "message");
  // SECURITY: the server's words go to a terminal: no control characters.
  for (auto& ch : message)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return message;
}

std::string reply_text(const json& reply) {
  const std::string error = string_field(reply, "error");
  const std::string message = reply_message(reply);
  if (!error.empty()) {
    const errc e = errc_from_string(error);
    // "bad_request" covers several causes (a reserved name, an offset past
    // the end...): the server's message says which.
    if (info(e).error == error && !((e == errc::bad_request || e == errc::internal) && !message.empty()))
      return std::string(info(e).text);
  }
  if (!message.empty()) return message;
  if (!error.empty()) return error;
  const auto status = reply.find("status");
  return "error " + (status != reply.end() ? status->dump() : std::string("without status"));
}

session::session(connection conn) : conn_(std::move(conn)) {}

result<int> receive_reply(connection& conn, std::uint64_t id, json& reply, std::uint64_t& body,
                          bool allow_continue) {
  if (auto r = conn.receive(reply, body); !r) return r.error();
  const auto rid = reply.find("id");
  if (rid == reply.end() || !rid->is_number_unsigned() || rid->get<std::uint64_t>() != id) {
    conn.close();
    // id 0 with an error: the server refused the connection itself (a
    // session limit, a protocol error); its message says why.
    if (rid != reply.end() && rid->is_number_unsigned() && rid->get<std::uint64_t>() == 0) {
      if (const auto msg = reply_message(reply); !msg.empty()) return broken("server: " + msg);
    }
    return broken("protocol error: reply does not answer request " + std::to_string(id));
  }
  const auto st = reply.find("status");
  if (st == reply.end() || !st->is_number_integer()) {
    conn.close();
    return broken("protocol error: reply without status");
  }
  const int status = st->get<int>();
  if (status == 100 && !allow_continue) {
    conn.close();
    return broken("protocol error: unexpected status 100");
  }
  return status;
}

result<> session::call(json& request, json& reply, bool allow_continue) {
  const std::uint64_t id = next_id_++;
  request["id"] = id;
  if (auto r = conn_.send(request); !r) return r;
  std::uint64_t body = 0;
  const auto status = receive_reply(conn_, id, reply, body, allow_continue);
  if (!status) return status.error();
  if (*status >= 300) return refused(reply_text(reply));
  return {};
}

result<> session::hello() {
  json req{{"op", "hello"}, {"version", limits::protocol_version}, {"client", client_name}};
  json rep;
  if (auto r = call(req, rep); !r) {
    // A refusal here (e.g. 403: this server requires TLS) is the server's to explain.
    if (r.error().fatal || reply_message(rep).empty()) return r;
    return broken(reply_message(rep));
  }
  server_ = string_field(rep, "server");
  const auto version = rep.find("version");
  if (version != rep.end() && version->is_number_integer() &&
      version->get<int>() != limits::protocol_version)
    return broken("server speaks protocol version " + version->dump() + ", not " +
                  std::to_string(limits::protocol_version));
  const auto mechs = rep.find("auth");
  const auto offers = [&](std::string_view m) {
    return mechs == rep.end() || !mechs->is_array() ||
           std::find(mechs->begin(), mechs->end(), json(m)) != mechs->end();
  };
  server_offers_plus_ = mechs != rep.end() && mechs->is_array() &&
                        offers(auth::scram_plus_mechanism) && conn_.is_tls();
  if (!offers(auth::scram_mechanism) && !server_offers_plus_)
    return broken("server offers no login mechanism this client supports");
  return {};
}

result<> session::login(const std::string& user, const std::string& password) {
  // SECURITY: over TLS, bind the login to this very channel, so a
  // man in the middle with a certificate of its own cannot relay it.
  auth::scram_client scram(user, password, {}, conn_.channel_binding());
  if (auto r = authenticate(scram); !r) return r;
  user_ = user;
  key_.wipe();
  key_ = scram.key();
  if (auto r = pwd(); !r) return r.error();
  return {};
}

result<> session::authenticate(auth::scram_client& scram) {
  const bool plus = conn_.channel_binding().has_value() && server_offers_plus_;
  if (conn_.is_tls() && !plus) scram.server_lacks_binding();
  const std::string_view mechanism = plus ? auth::scram_plus_mechanism : auth::scram_mechanism;
  const auto login_failed = [](const failure& f, const json& reply) -> failure {
    if (f.fatal) return f;
    // The server's words when the binding did not match: not "wrong password".
    const std::string message = reply_message(reply);
    if (message.starts_with("channel binding")) return refused("login failed: " + message);
    return refused("login failed: " + f.text);
  };
  json first{{"op", "auth"}, {"mechanism", mechanism}, {"data", scram.client_first()}};
  json rep;
  if (auto r = call(first, rep, true); !r) return login_failed(r.error(), rep);
  if (rep["status"] != 100) return broken("protocol error: login step 1 did not continue");
  std::string why;
  const auto client_final = scram.client_final(string_field(rep, "data"), why);
  if (!client_final) return broken("login failed: " + why);
  json second{{"op", "auth"}, {"data", *client_final}};
  if (auto r = call(second, rep); !r) return login_failed(r.error(), rep);
  // SECURITY: the server must prove it holds the verifier before we trust it.
  if (!scram.verify_server(string_field(rep, "data"))) {
    conn_.close();
    return broken("server failed to prove it knows the password verifier; disconnecting");
  }
  return {};
}

session::~session() { key_.wipe(); }

result<> session::reconnect(std::string& notice) {
  if (!redial_ || key_.salted_password.empty()) return broken("cannot reconnect");
  conn_.close();
  auto conn = redial_();
  if (!conn) return conn.error();
  conn_ = std::move(*conn);
  next_id_ = 1;
  if (auto r = hello(); !r) return r;
  const std::string was = cwd_;
  auth::scram_client scram(user_, {}, {}, conn_.channel_binding());
  scram.use_key(key_);
  if (auto r = authenticate(scram); !r) return r;
  if (auto r = cd(was); !r) {
    if (r.error().fatal) return r.error();
    notice = "cannot return to " + was + " (" + r.error().text + "); now in the home";
    if (auto p = pwd(); !p) return p.error();
  }
  return {};
}

result<std::string> session::pwd() {
  json req{{"op", "pwd"}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  cwd_ = string_field(rep, "path");
  if (cwd_.empty()) cwd_ = "/";
  return cwd_;
}

result<std::string> session::cd(const std::string& path) {
  json req{{"op", "cd"}, {"path", path}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  const std::string now = string_field(rep, "path");
  if (!now.empty()) cwd_ = now;
  return cwd_;
}

result<std::vector<file_entry>> session::ls(const std::string& path) {
  json req{{"op", "ls"}};
  if (!path.empty()) req["path"] = path;
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  // A big directory comes in frames: each with "more": true is followed by
  // another answering the same request.
  const std::uint64_t id = req["id"].get<std::uint64_t>();
  std::vector<file_entry> out;
  for (;;) {
    if (const auto it = rep.find("entries"); it != rep.end() && it->is_array()) {
      out.reserve(out.size() + it->size());
      for (const auto& e : *it) out.push_back(entry_from_json(e));
    }
    const auto more = rep.find("more");
    if (more == rep.end() || !more->is_boolean() || !more->get<bool>()) return out;
    std::uint64_t body = 0;
    const auto status = receive_reply(conn_, id, rep, body);
    if (!status) return status.error();
    if (*status >= 300) return refused(reply_text(rep));
  }
}

result<file_entry> session::stat(const std::string& path) {
  json req{{"op", "stat"}, {"path", path}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  const auto it = rep.find("entry");
  if (it == rep.end() || !it->is_object()) return broken("protocol error: stat reply without entry");
  return entry_from_json(*it);
}

result<std::string> session::mkdir(const std::string& path, bool parents) {
  json req{{"op", "mkdir"}, {"path", path}, {"parents", parents}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  return string_field(rep, "path");
}

result<> session::rmdir(const std::string& path) {
  json req{{"op", "rmdir"}, {"path", path}};
  json rep;
  return call(req, rep);
}

result<> session::rm(const std::string& path) {
  json req{{"op", "rm"}, {"path", path}};
  json rep;
  return call(req, rep);
}

result<> session::mv(const std::string& from, const std::string& to) {
  json req{{"op", "mv"}, {"from", from}, {"to", to}};
  json rep;
  return call(req, rep);
}

result<quota_info> session::quota() {
  json req{{"op", "quota"}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  quota_info q{u64_field(rep, "used"), u64_field(rep, "limit"), std::nullopt, 0};
  if (rep.contains("files")) {
    q.files = u64_field(rep, "files");
    q.max_files = u64_field(rep, "max_files");
  }
  return q;
}

result<std::string> session::hash(const std::string& path, const std::string& algo) {
  json req{{"op", "hash"}, {"path", path}, {"algo", algo}};
  json rep;
  if (auto r = call(req, rep); !r) return r.error();
  std::string digest = string_field(rep, "digest");
  if (digest.empty()) return broken("protocol error: hash reply without digest");
  return digest;
}

void session::bye() {
  if (!conn_.is_open()) return;
  json req{{"op", "bye"}};
  json rep;
  (void)call(req, rep);
  conn_.close();
}

}  // namespace ferry::client
