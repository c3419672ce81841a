// POSIX socket code of the client: resolve, connect with a deadline, send and
// receive frames through the shared codec.
#include "client/connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "client/target.hpp"
#include "proto/frame.hpp"

namespace ferry::client {
namespace {

failure io_failure(int err) {
  if (err == ECONNRESET || err == EPIPE || err == 0) return broken("connection closed by server");
  return broken(std::string("connection error: ") + std::strerror(err));
}

/// Connects `fd` to `addr`, waiting at most `timeout_ms`; returns 0 or an errno.
int connect_with_timeout(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  int err = 0;
  if (::connect(fd, addr, len) < 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do {
        n = ::poll(&p, 1, timeout_ms);
      } while (n < 0 && errno == EINTR);
      if (n == 0) return ETIMEDOUT;
      if (n < 0) return errno;
      socklen_t sz = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sz) < 0) return errno;
    }
  }
  if (err == 0 && ::fcntl(fd, F_SETFL, flags) < 0) err = errno;
  return err;
}

}  // namespace

result<connection> connection::open(const std::string& host, std::uint16_t port,
                                    int timeout_ms) {
  const std::string where = host_port(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    const std::string why = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return broken("cannot connect to " + where + ": " + why);
  }
  int last_err = ECONNREFUSED;
  int fd = -1;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    last_err = connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
    if (last_err == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(list);
  if (fd < 0) return broken("cannot connect to " + where + ": " + std::strerror(last_err));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return connection(fd);
}

connection::connection(int fd) : fd_(fd), decoder_(std::make_unique<proto::frame_decoder>()) {}

connection::~connection() { close(); }

connection::connection(connection&& other) noexcept
    : fd_(other.fd_), decoder_(std::move(other.decoder_)) {
  other.fd_ = -1;
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    decoder_ = std::move(other.decoder_);
    other.fd_ = -1;
  }
  return *this;
}

void connection::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

result<> connection::send(const nlohmann::json& header, std::string_view body) {
  if (body.empty()) return send_bytes(proto::encode_frame(header));
  std::string bytes = proto::encode_frame(header);
  bytes.append(body);
  return send_bytes(bytes);
}

result<> connection::send_bytes(std::string_view rest) {
  if (fd_ < 0) return broken("connection closed by server");
  while (!rest.empty()) {
    const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close();
      return io_failure(err);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<> connection::fill() {
  if (fd_ < 0) return broken("connection closed by server");
  std::array<char, 65536> buf;
  for (;;) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) {
      decoder_->feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      return {};
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n == 0 ? 0 : errno;
    close();
    return io_failure(err);
  }
}

result<> connection::receive(nlohmann::json& header, std::uint64_t& body) {
  for (;;) {
    switch (decoder_->next(header, body)) {
      case proto::frame_decoder::result::frame:
        return {};
      case proto::frame_decoder::result::in_body:
        // An unread body of an earlier frame: drop what is buffered, then read more.
        if (decoder_->take_body(SIZE_MAX).empty()) {
          if (auto r = fill(); !r) return r;
        }
        break;
      case proto::frame_decoder::result::need_more:
        if (auto r = fill(); !r) return r;
        break;
      case proto::frame_decoder::result::error:
        close();
        return broken(std::string("protocol error: ") +
                      std::string(proto::describe(decoder_->error())));
    }
  }
}

result<> connection::read_body(std::string& out, std::size_t max) {
  if (decoder_->body_remaining() == 0 || max == 0) return {};
  if (decoder_->buffered() == 0) {
    if (auto r = fill(); !r) return r;
  }
  out.append(decoder_->take_body(max));
  return {};
}

result<std::string_view> connection::body_chunk(char* scratch, std::size_t max) {
  const std::uint64_t remaining = decoder_->body_remaining();
  if (remaining == 0 || max == 0) return std::string_view();
  if (decoder_->buffered() > 0) return decoder_->take_body(max);
  if (fd_ < 0) return broken("connection closed by server");
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(max, remaining));
  std::size_t got = 0;
  while (got < want) {
    // MSG_WAITALL: one wake-up per chunk instead of one per segment burst.
    const ssize_t n = ::recv(fd_, scratch + got, want - got, MSG_WAITALL);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (got > 0) break;  // hand over what came; the next call reports the end
    const int err = n == 0 ? 0 : errno;
    close();
    return io_failure(err);
  }
  decoder_->body_read_externally(got);
  return std::string_view(scratch, got);
}

std::uint64_t connection::body_remaining() const noexcept { return decoder_->body_remaining(); }

}  // namespace ferry::client
