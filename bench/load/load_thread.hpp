// One event-loop thread of a ferry-load run: its own io_context, run_state
// and sessions (a share of the run's, by global index). The main thread
// starts it, releases it and, at the hard stop, aborts it by posting to its
// io_context; it reports through the run's thread_gate. Its figures are read
// only after join().
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include "load/run_state.hpp"
#include "load/thread_gate.hpp"

namespace ferry::load {

class load_session;

class load_thread {
 public:
  /// `warm`: the warm-up's state, copied (TLS choice, client keys) on the
  /// calling thread. `indices`: the global session indices this thread runs.
  load_thread(run_shared& shared, const run_state& warm, std::vector<std::uint32_t> indices,
              std::uint32_t login_cap, thread_gate& gate);
  ~load_thread();
  load_thread(const load_thread&) = delete;
  load_thread& operator=(const load_thread&) = delete;

  /// Main thread: spawns the sessions and starts the thread running them.
  void start();
  /// Any thread: lets the sessions go, with the run's common clock.
  void release(load_clock::time_point t0, load_clock::time_point deadline);
  /// Any thread: the hard stop (stop taking ops, release, close every connection).
  void abort();
  /// Main thread: waits for the loop to end; rethrows an exception that
  /// escaped a session (a bug of this program).
  void join();

  /// After join(): the thread's recorders and counters.
  run_state& state() noexcept { return st_; }
  /// After join(): when its last session ended (epoch when none ended).
  load_clock::time_point t_end() const noexcept { return t_end_; }

 private:
  void main() noexcept;
  asio::awaitable<void> session_main(load_session& s);

  asio::io_context io_{1};
  run_state st_;
  std::vector<std::uint32_t> indices_;
  thread_gate& gate_;
  std::vector<std::unique_ptr<load_session>> sessions_;
  std::uint32_t finished_ = 0;
  load_clock::time_point t_end_{};
  bool reported_arrival_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace ferry::load
