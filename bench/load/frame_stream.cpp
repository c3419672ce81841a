// frame_stream: frames over plain TCP or TLS for ferry-load.
#include "load/frame_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "auth/scram.hpp"

namespace ferry::load {
namespace {

constexpr std::size_t scratch_bytes = 256 * 1024;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

frame_stream::frame_stream(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), scratch_(std::make_unique<char[]>(scratch_bytes)) {}

frame_stream::~frame_stream() { close(); }

asio::awaitable<std::error_code> frame_stream::start_tls(asio::ssl::context& ctx) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, ctx);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (ec) tls_.reset();
  co_return ec;
}

std::optional<std::string> frame_stream::channel_binding() const {
  if (!tls_) return std::nullopt;
  SSL* ssl = tls_->native_handle();
  // SECURITY: RFC 9266 §3: on TLS 1.2 only with the extended master secret.
  if (SSL_version(ssl) < TLS1_3_VERSION && SSL_get_extms_support(ssl) != 1) return std::nullopt;
  std::string out(auth::tls_exporter_bytes, '\0');
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 auth::tls_exporter_label.data(), auth::tls_exporter_label.size(), nullptr, 0,
                                 0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

asio::awaitable<std::error_code> frame_stream::send(std::string_view bytes) {
  const auto buf = asio::buffer(bytes.data(), bytes.size());
  if (tls_) {
    auto [ec, n] = co_await asio::async_write(*tls_, buf, use_tuple);
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(socket_, buf, use_tuple);
  co_return ec;
}

asio::awaitable<std::error_code> frame_stream::send_frame(const nlohmann::json& header, std::string_view body) {
  std::string bytes = proto::encode_frame(header);
  if (body.size() <= scratch_bytes) {
    bytes.append(body);
    co_return co_await send(bytes);
  }
  if (auto ec = co_await send(bytes)) co_return ec;
  co_return co_await send(body);
}

asio::awaitable<std::error_code> frame_stream::read_some(char* buf, std::size_t len, std::size_t& got) {
  const auto b = asio::buffer(buf, len);
  if (tls_) {
    auto [ec, n] = co_await tls_->async_read_some(b, use_tuple);
    got = n;
    co_return ec;
  }
  auto [ec, n] = co_await socket_.async_read_some(b, use_tuple);
  got = n;
  co_return ec;
}

asio::awaitable<std::error_code> frame_stream::receive(nlohmann::json& header, std::uint64_t& body) {
  while (true) {
    switch (decoder_.next(header, body)) {
      case proto::frame_decoder::result::frame:
        co_return std::error_code{};
      case proto::frame_decoder::result::error:
        co_return std::make_error_code(std::errc::protocol_error);
      case proto::frame_decoder::result::in_body: {
        std::uint64_t skipped = 0;
        if (auto ec = co_await read_body(skipped)) co_return ec;
        continue;
      }
      case proto::frame_decoder::result::need_more:
        break;
    }
    std::size_t got = 0;
    if (auto ec = co_await read_some(scratch_.get(), scratch_bytes, got)) co_return ec;
    decoder_.feed(std::string_view(scratch_.get(), got));
  }
}

asio::awaitable<std::error_code> frame_stream::read_body(std::uint64_t& bytes,
                                                         void (*sink)(void*, const char*, std::size_t),
                                                         void* sink_arg) {
  while (decoder_.body_remaining() > 0) {
    if (decoder_.buffered() > 0) {
      const auto piece = decoder_.take_body(scratch_bytes);
      if (sink != nullptr) sink(sink_arg, piece.data(), piece.size());
      bytes += piece.size();
      continue;
    }
    // Nothing buffered: read straight into scratch, never past this body.
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(decoder_.body_remaining(), scratch_bytes));
    std::size_t got = 0;
    if (auto ec = co_await read_some(scratch_.get(), want, got)) co_return ec;
    if (sink != nullptr) sink(sink_arg, scratch_.get(), got);
    decoder_.body_read_externally(got);
    bytes += got;
  }
  co_return std::error_code{};
}

void frame_stream::close() noexcept {
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace ferry::load
