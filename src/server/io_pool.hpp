// One io_context per thread ("one loop per thread"): sessions are spread over
// the loops round-robin and each session lives on exactly one loop, so its
// state needs no locks.
#pragma once
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

namespace ferry::server {

class io_pool {
 public:
  explicit io_pool(unsigned threads);
  ~io_pool();
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  /// The next loop, round-robin. Thread-safe.
  asio::io_context& next();
  asio::io_context& first() { return *contexts_.front(); }
  /// Runs loops 1..N-1 on their own threads and loop 0 on the caller's thread;
  /// returns when stop() has been called and loop 0 has finished.
  void run();
  /// Stops every loop. Thread-safe.
  void stop();
  std::size_t size() const { return contexts_.size(); }

 private:
  using guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace ferry::server
