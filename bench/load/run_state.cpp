// run_state: the put content every thread reads; one thread's gates and bounds.
#include "load/run_state.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "transfer/digest.hpp"

namespace ferry::load {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

std::string make_content(std::uint64_t n) {
  std::string s(static_cast<std::size_t>(n), '\0');
  std::uint32_t x = 0x9e3779b9u;
  for (auto& c : s) {  // xorshift: not compressible, not all one byte
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xffu);
  }
  return s;
}

std::string digest_of(const std::string& s) {
  auto d = transfer::digest::make(transfer::default_algo);
  d->update(s.data(), s.size());
  return d->hex();
}

}  // namespace

run_shared::run_shared(const load_options& o, std::string pw)
    : opts(o), password(std::move(pw)), content(make_content(o.file_size)), content_digest(digest_of(content)) {}

run_state::run_state(asio::io_context& io_ctx, run_shared& shared, std::uint32_t login_cap)
    : io(io_ctx),
      opts(shared.opts),
      password(shared.password),
      ssl_ctx(asio::ssl::context::tls_client),
      content(shared.content),
      content_digest(shared.content_digest),
      ops_issued_(shared.ops_issued),
      login_cap_(login_cap),
      login_wake_(io_ctx, load_clock::time_point::max()),
      release_timer_(io_ctx, load_clock::time_point::max()) {
  ssl_ctx.set_verify_mode(asio::ssl::verify_none);
}

asio::awaitable<void> run_state::acquire_login() {
  while (logins_in_flight_ >= login_cap_) {
    co_await login_wake_.async_wait(use_tuple);  // cancelled by release_login()
  }
  ++logins_in_flight_;
}

void run_state::release_login() {
  --logins_in_flight_;
  login_wake_.cancel_one();
}

void run_state::arrive() {
  if (++arrived_ == expected && on_all_arrived) on_all_arrived();
}

asio::awaitable<void> run_state::wait_release() {
  while (!released_) co_await release_timer_.async_wait(use_tuple);
}

void run_state::release() {
  released_ = true;
  release_timer_.cancel();
}

bool run_state::take_op() {
  if (stopping) return false;
  if (load_clock::now() >= deadline) return false;
  // Relaxed: the counter orders nothing else; a thread that overshoots the
  // bound only leaves the count above it.
  return opts.ops == 0 || ops_issued_.fetch_add(1, std::memory_order_relaxed) < opts.ops;
}

}  // namespace ferry::load
