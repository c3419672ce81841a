// io_context-per-thread pool.
#include "server/io_pool.hpp"

namespace ferry::server {

io_pool::io_pool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

io_pool::~io_pool() {
  stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

asio::io_context& io_pool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void io_pool::run() {
  for (std::size_t i = 1; i < contexts_.size(); ++i)
    threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  contexts_.front()->run();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void io_pool::stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace ferry::server
