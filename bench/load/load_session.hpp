// One simulated client of ferry-load: connects (TLS as the run decided), logs
// in with SCRAM reusing the run's cached client key, then does what its mode
// asks: ops from the mix in its own directory WORK/sN, repeated logins, or
// nothing (idle) until released. Named member coroutines on its
// thread's io_context; an I/O error ends the session and is counted by kind.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "load/frame_stream.hpp"
#include "load/op_mix.hpp"
#include "load/run_state.hpp"

namespace ferry::load {

class load_session {
 public:
  load_session(run_state& st, std::uint32_t index);

  /// The whole life of the session for its mode (mix, logins-only, idle).
  asio::awaitable<void> run();
  /// Connects and logs in once; used by the runner's warm-up (which also
  /// decides TLS in automatic mode). False with the error recorded.
  asio::awaitable<bool> login(bool timed);
  /// Says bye and closes.
  asio::awaitable<void> bye();
  /// mkdir -p of the session's directory (the warm-up makes WORK itself).
  asio::awaitable<bool> make_dir(const std::string& path);
  /// Closes the connection at once (the runner's hard stop).
  void abort() noexcept;

 private:
  asio::awaitable<void> run_mix();
  asio::awaitable<void> run_logins();
  asio::awaitable<void> run_idle();

  asio::awaitable<bool> connect();
  asio::awaitable<bool> authenticate();
  /// Sends `req` (+ body) and receives one reply; nullopt after an I/O error
  /// (recorded as "WHAT:io:REASON", the connection is then closed).
  asio::awaitable<std::optional<nlohmann::json>> call(std::string_view what, nlohmann::json req,
                                                     std::string_view body = {});
  /// Records "WHAT:ERROR" for a reply of status >= 400 and returns false.
  bool check(std::string_view what, const nlohmann::json& rep, int want);

  asio::awaitable<bool> do_op(op_kind k);
  asio::awaitable<bool> op_get(const std::string& path);
  asio::awaitable<bool> op_put(const std::string& path);
  asio::awaitable<bool> op_ls(const std::string& path);
  asio::awaitable<bool> op_rm();
  asio::awaitable<bool> op_stat(const std::string& path);

  std::string next_file_name();
  void io_failed(std::string_view what, const std::error_code& ec);

  run_state& st_;
  std::uint32_t index_;
  std::string user_;
  std::unique_ptr<frame_stream> stream_;
  std::uint64_t next_id_ = 1;
  std::uint64_t files_made_ = 0;
  std::uint64_t my_ops_ = 0;
  std::string dir_;   ///< WORK/sN
  std::string seed_;  ///< WORK/sN/seed: never removed, the default get/stat target
  std::deque<std::string> files_;  ///< what this session put and did not remove yet
  std::mt19937 rng_;
};

}  // namespace ferry::load
