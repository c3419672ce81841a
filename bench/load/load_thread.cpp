// load_thread: a share of the sessions on their own io_context thread.
#include "load/load_thread.hpp"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include "load/load_session.hpp"

namespace ferry::load {
namespace {

// co_spawn's completion: an exception escaping a session is a bug of this
// program; it ends this thread's loop and join() rethrows it on the main thread.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

load_thread::load_thread(run_shared& shared, const run_state& warm, std::vector<std::uint32_t> indices,
                         std::uint32_t login_cap, thread_gate& gate)
    : st_(io_, shared, login_cap), indices_(std::move(indices)), gate_(gate) {
  st_.use_tls = warm.use_tls;
  st_.keys = warm.keys;  // a copy: sessions may add keys, and each thread adds only to its own
}

load_thread::~load_thread() {
  if (thread_.joinable()) {
    abort();
    thread_.join();
  }
}

void load_thread::start() {
  // Before the thread exists: arrive() runs on it later, so the callback is
  // set without a race; the gate is thread-safe.
  st_.expected = static_cast<std::uint32_t>(indices_.size());
  st_.on_all_arrived = [this] {
    reported_arrival_ = true;
    gate_.arrived();
  };
  for (const auto i : indices_) {
    sessions_.push_back(std::make_unique<load_session>(st_, i));
    asio::co_spawn(io_, session_main(*sessions_.back()), rethrow);
  }
  thread_ = std::thread([this] { main(); });
}

void load_thread::main() noexcept {
  if (st_.opts.mode == load_mode::logins_only) {
    // Nothing to set up: this thread is ready as soon as it runs.
    reported_arrival_ = true;
    gate_.arrived();
  }
  try {
    io_.run();
  } catch (...) {
    failure_ = std::current_exception();
  }
  // A thread that failed before all its sessions arrived must not hold the
  // others at the start line until the hard stop.
  if (!reported_arrival_) gate_.arrived();
  gate_.finished();
}

void load_thread::release(load_clock::time_point t0, load_clock::time_point deadline) {
  asio::post(io_, [this, t0, deadline] {
    st_.t0 = t0;
    st_.deadline = deadline;
    st_.release();
  });
}

void load_thread::abort() {
  asio::post(io_, [this] {
    st_.stopping = true;
    st_.release();
    for (auto& s : sessions_) s->abort();
  });
}

void load_thread::join() {
  if (thread_.joinable()) thread_.join();
  if (failure_) std::rethrow_exception(failure_);
}

asio::awaitable<void> load_thread::session_main(load_session& s) {
  co_await s.run();
  if (++finished_ == sessions_.size()) t_end_ = load_clock::now();
}

}  // namespace ferry::load
