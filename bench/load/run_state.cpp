// run_state: the gates and bounds shared by a run's sessions.
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

}  // namespace

run_state::run_state(asio::io_context& io_ctx, const load_options& o, std::string pw)
    : io(io_ctx),
      opts(o),
      password(std::move(pw)),
      ssl_ctx(asio::ssl::context::tls_client),
      content(make_content(o.file_size)),
      login_wake_(io_ctx, load_clock::time_point::max()),
      release_timer_(io_ctx, load_clock::time_point::max()) {
  ssl_ctx.set_verify_mode(asio::ssl::verify_none);
  auto d = transfer::digest::make(transfer::default_algo);
  d->update(content.data(), content.size());
  content_digest = d->hex();
}

asio::awaitable<void> run_state::acquire_login() {
  while (logins_in_flight_ >= opts.login_concurrency) {
    co_await login_wake_.async_wait(use_tuple);  // cancelled by release_login()
  }
  ++logins_in_flight_;
}

void run_state::release_login() {
  --logins_in_flight_;
  login_wake_.cancel_one();
}

void run_state::arrive() {
  if (++arrived_ == expected && on_all_arrived != nullptr) on_all_arrived(*this);
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
  if (opts.ops != 0 && ops_issued >= opts.ops) return false;
  if (load_clock::now() >= deadline) return false;
  ++ops_issued;
  return true;
}

}  // namespace ferry::load
