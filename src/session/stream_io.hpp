// Moving file bytes over sockets, shared by the native protocol and the FTP
// front-end: bandwidth pacing by the user's and the server's token buckets,
// bulk buffers sized by how many transfers run at once, and sending a file
// range by copy (pread + send), sendfile or splice (send_method.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "proto/errc.hpp"
#include "session/byte_stream.hpp"
#include "session/fs_workers.hpp"
#include "session/send_method.hpp"

namespace ferry::transfer {
class digest;
class rate_limiter;
class upload;
}  // namespace ferry::transfer
namespace ferry::vfs {
struct download_file;
}

namespace ferry::session {



/// The two buckets a transfer draws from (either may be unlimited).
struct pacer {
  transfer::rate_limiter* user = nullptr;
  transfer::rate_limiter* global = nullptr;
  bool active() const;
  /// Waits as the buckets require before `n` more bytes move.
  asio::awaitable<void> wait(std::uint64_t n) const;
};

/// A bulk I/O buffer: 1 MiB while the server's budget (8 MiB for all
/// transfers) has room, less as it fills, never under 64 KiB, so many
/// transfers at once hold at most 8 MiB + 64 KiB each. Mapped
/// on its own, not taken from malloc, so its pages go back to the system as
/// soon as the transfer ends (malloc would keep them for the next one).
class bulk_buffer {
 public:
  bulk_buffer();
  ~bulk_buffer();
  bulk_buffer(const bulk_buffer&) = delete;
  bulk_buffer& operator=(const bulk_buffer&) = delete;
  char* data() noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_;
  char* data_;
};

/// While a big upload streams in, wake the reader only once a good slice has
/// arrived (SO_RCVLOWAT): fewer, larger reads, writes and digest updates.
/// Restores the default (1 byte) on destruction, before the socket goes back
/// to reading small frames or commands.
///
/// Not on TLS: records OpenSSL has already pulled in would make the socket
/// hold less than the caller asks for, and the last slice would never wake.
class low_watermark {
 public:
  explicit low_watermark(byte_stream& s) : s_(s) {}
  ~low_watermark() { set(1); }
  low_watermark(const low_watermark&) = delete;
  low_watermark& operator=(const low_watermark&) = delete;
  /// Wake once `bytes` (at most 256 KiB) are queued. Callers must not ask for
  /// more than the peer still owes them, or the last slice never wakes them
  /// (EOF always does).
  void set(std::size_t bytes);

 private:
  byte_stream& s_;
  int current_ = 1;
};

/// An upload's bytes go to disk on a worker (fs_workers) while the next chunk
/// is read from the socket: the loop never waits for the disk, and disk time
/// overlaps network time. Two buffers take turns; the caller reads into
/// next_buffer() with read(), then hands the chunk over with queue().
class write_behind {
 public:
  /// `up` nullptr (or a failure already set) drains: nothing is written.
  /// The first write error lands in `failure`; later chunks are dropped.
  write_behind(fs_lane fs, transfer::upload* up, errc& failure) : fs_(fs), up_(up), failure_(failure) {}
  write_behind(const write_behind&) = delete;
  write_behind& operator=(const write_behind&) = delete;

  /// The buffer the next chunk may be read into: never the one in flight.
  bulk_buffer& next_buffer();
  /// Runs `read` while the queued chunk is written; returns the read's result
  /// once both are done.
  asio::awaitable<byte_stream::result> read(asio::awaitable<byte_stream::result> read);
  /// Queues `chunk` (in next_buffer() or any memory that outlives the next
  /// read() or flush()) to be written alongside the next read.
  void queue(std::string_view chunk) { pending_ = chunk; }
  /// Writes what is queued. Call before looking at `failure`.
  asio::awaitable<void> flush();

 private:
  fs_lane fs_;
  transfer::upload* up_;
  errc& failure_;
  std::unique_ptr<bulk_buffer> bufs_[2];
  int turn_ = 0;
  std::string_view pending_;
};

/// Bytes written to `s` that the peer has not acknowledged yet (SIOCOUTQ);
/// 0 when unknown.
std::size_t unacked_bytes(asio::ip::tcp::socket& s);

/// Reads exactly `n` bytes of `fd` at `off`: from the page cache on the
/// caller's loop when it holds them, else on a worker. False as read_at.
asio::awaitable<bool> read_file_at(fs_lane fs, int fd, char* buf, std::size_t n, std::uint64_t off);

/// Sends bytes [off, off + n) of `fd` by `method`, hashing them into `d`
/// when given (sendfile and splice then read each chunk to hash it and let
/// the kernel send it). A TLS stream always copies (encryption is in user
/// space); splice falls back to sendfile when no pipe can be had. Reads the
/// page cache cannot answer at once are made on `fs`. `progress` runs after
/// each chunk (the idle watchdog). False when the peer is gone or the file
/// shrank. `sent` counts the bytes handed to the socket (for the log).
/// The process must ignore SIGPIPE (ferryd does): sendfile and splice cannot
/// ask not to raise it when the peer is gone.
asio::awaitable<bool> send_file(fs_lane fs, byte_stream& s, int fd, std::uint64_t off, std::uint64_t n,
                                transfer::digest* d, const pacer& p, send_method method,
                                const std::function<void()>& progress, std::uint64_t& sent);

/// Hashes bytes [from, from + n) of `fd` into `d` in slices, each on a
/// worker, so neither the disk nor the CPU time stalls the caller's loop.
/// False on a read error or a short file.
asio::awaitable<bool> hash_range(fs_lane fs, int fd, std::uint64_t from, std::uint64_t n, transfer::digest& d,
                                 const std::function<void()>& progress);

/// The whole-file digest of `f`: the cached one while it is still valid,
/// else computed with hash_range() and cached. nullopt on a read error.
asio::awaitable<std::optional<std::string>> file_digest(fs_lane fs, const vfs::download_file& f,
                                                        std::string_view algo,
                                                        const std::function<void()>& progress);

}  // namespace ferry::session
