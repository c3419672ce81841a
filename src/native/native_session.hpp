// One native-protocol connection (docs/protocol.md): reads frames, answers them in
// order through one op table, batches pipelined replies. Built on the shared
// session skeleton (watchdog, login, gate, pacing, xferlog); lives on one
// io_context for its whole life, so its members need no locks.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "proto/errc.hpp"
#include "proto/frame.hpp"
#include "session/session_base.hpp"

namespace ferry::auth {
class scram_server;
}
namespace ferry::transfer {
class upload;
}

namespace ferry::native {

class native_session final : public session::session_base {
 public:
  native_session(asio::ip::tcp::socket socket, session::server_context& ctx, std::uint64_t id,
                 std::string peer);
  ~native_session() override;

  /// One op: its name, whether it needs a login or takes a body, and its
  /// handler (a synchronous navigation op or a coroutine member).
  struct op_entry;

 private:
  asio::awaitable<void> serve() override;
  /// Tells TLS from plain by the first byte and runs the handshake; false
  /// when the connection must close.
  asio::awaitable<bool> start_stream();
  /// Plain sessions are refused on this connection's listener.
  bool tls_required() const;
  asio::awaitable<void> farewell(ending why) override;
  bool busy() const override;

  /// Handles one frame; returns false when the connection must close.
  asio::awaitable<bool> dispatch(const nlohmann::json& req, std::uint64_t body);
  /// Queues a reply; replies go out in one write when the session next waits
  /// for input (so pipelined requests get batched replies), or at 256 KiB.
  asio::awaitable<bool> send(const nlohmann::json& reply);
  /// Queues a frame already encoded (proto::encode_frame_text).
  asio::awaitable<bool> send_encoded(std::string_view frame);
  asio::awaitable<bool> send_error(std::uint64_t id, errc e, const std::string& message);
  /// A failure about `subject`, worded by the errc table.
  asio::awaitable<bool> send_failure(std::uint64_t id, errc e, const std::string& subject);
  /// Writes everything queued.
  asio::awaitable<bool> flush();
  /// Reads and drops the rest of the current frame's body.
  asio::awaitable<bool> discard_body();

 public:
  // Op handlers, named by the op table (login in native_session.cpp,
  // transfers in transfer_ops.cpp).
  asio::awaitable<bool> on_hello(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_auth(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_bye(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_get(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_put(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_data(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_commit(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_hash(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  // Remote commands (exec_op.cpp). exec_input and exec_signal are read by
  // the running exec itself; outside one they are an error.
  asio::awaitable<bool> on_exec(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_exec_stray(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);

 private:
  asio::awaitable<bool> finish_login(std::uint64_t id, const std::string& user,
                                     const std::string& server_final);
  /// Streams the current frame's body into `up` (nullptr or a failed write:
  /// the rest is drained). Sets `failure` on the first write error. False
  /// when the connection is gone.
  asio::awaitable<bool> receive_body(transfer::upload* up, errc& failure);

  struct open_upload;
  struct command_run;
  /// While a command runs: reads the client's frames (stdin data, signals;
  /// anything else is answered 400) until cancelled.
  asio::awaitable<void> exec_reader(command_run& run);
  /// While a command runs: sends its output as it comes, ends when it has
  /// exited and both pipes are drained.
  asio::awaitable<void> exec_pump(command_run& run);
  /// Kills the command at the deadline (SIGTERM, then SIGKILL).
  asio::awaitable<void> exec_deadline(command_run& run);

  proto::frame_decoder decoder_;
  /// Not zero-filled: an idle session keeps only the pages it has read into.
  std::unique_ptr<char[]> rbuf_;
  bool greeted_ = false;  ///< hello done
  bool plain_refused_ = false;  ///< plain stream where TLS is required: hello gets 403
  bool reading_ = false;  ///< waiting for the next request (idle, for the gate)
  std::unique_ptr<auth::scram_server> scram_;
  std::map<std::uint64_t, std::unique_ptr<open_upload>> uploads_;  ///< by put id
  std::string out_;  ///< queued reply frames
  bool closing_ = false;
};

}  // namespace ferry::native
