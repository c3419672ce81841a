// Inline puts and mkdirs in flight, and the streamed put of big files.
#include "client/uploader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/session.hpp"
#include "client/transfer_context.hpp"
#include "client/transfer_paths.hpp"
#include "proto/frame.hpp"
#include "proto/limits.hpp"
#include "transfer/digest.hpp"

namespace ferry::client {
namespace {

using json = nlohmann::json;

/// Reads up to `n` bytes at `off`; fewer only at end of file.
ssize_t read_full(int fd, char* buf, std::size_t n, std::uint64_t off) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

/// "put LOCAL" for local trouble; remote refusals also name the target.
std::string remote_what(const put_item& item) {
  return "put " + item.local + (item.remote != item.local ? " " + item.remote : std::string());
}

/// The file's modification time goes with it (whole seconds, what ls and
/// FTP's MDTM show; times before 1970 are not sent).
void add_mtime(json& put, const struct stat& st) {
  if (st.st_mtim.tv_sec >= 0 && static_cast<std::uint64_t>(st.st_mtim.tv_sec) <= limits::max_mtime)
    put["mtime"] = static_cast<std::uint64_t>(st.st_mtim.tv_sec);
}

class fd_closer {
 public:
  explicit fd_closer(int fd) : fd_(fd) {}
  ~fd_closer() { ::close(fd_); }
  fd_closer(const fd_closer&) = delete;
  fd_closer& operator=(const fd_closer&) = delete;

 private:
  int fd_;
};

}  // namespace

// An inline put's body is read into the same buffer as a streamed chunk.
static_assert(tuning::max_send_chunk >= limits::max_inline_body);

/// A put's refusal in words: `not_found` there means the remote directory
/// is missing (the file itself is being created).
std::string put_refusal_text(const json& reply, const std::string& remote) {
  if (reply.value("error", "") != "not_found") return reply_text(reply);
  return "the remote directory " + dir_name(remote) + " does not exist";
}

uploader::uploader(session& remote, transfer_context& tc)
    : remote_(remote),
      tc_(tc),
      buf_(new char[tuning::max_send_chunk]),
      chunk_(tuning::max_send_chunk) {}

uploader::~uploader() = default;

bool uploader::mkdir(const std::string& remote_dir) {
  if (!make_room(0)) return false;
  const std::uint64_t id = remote_.new_id();
  out_ += proto::encode_frame(
      json{{"op", "mkdir"}, {"id", id}, {"path", remote_dir}, {"parents", true}});
  queue_.push_back(pending{id, true, "mkdir " + remote_dir, {}, 0, 0, remote_dir});
  return true;
}

bool uploader::add(const put_item& item) {
  if (over_quota_) {
    ++left_out_;
    return true;
  }
  const std::string what = "put " + item.local;
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;  // a fifo must not hang us
  if (item.no_follow) flags |= O_NOFOLLOW;
  const int fd = ::open(item.local.c_str(), flags);
  if (fd < 0) return tc_.fail(what, refused(std::strerror(errno)));
  const fd_closer closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return tc_.fail(what, refused(std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) return tc_.fail(what, refused("is a directory (use put -r)"));
  if (!S_ISREG(st.st_mode)) return tc_.fail(what, refused("not a regular file"));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > limits::max_inline_body) {
    if (!finish()) return false;
    return put_streamed(fd, size, st, item);
  }

  const ssize_t n = read_full(fd, buf_.get(), size, 0);
  if (n < 0) return tc_.fail(what, refused(std::strerror(errno)));
  const auto got = static_cast<std::uint64_t>(n);  // a file that shrank goes as it is now
  if (!make_room(got)) return false;
  const auto digest = transfer::digest::make(tc_.args().algo);
  digest->update(buf_.get(), got);
  const std::uint64_t id = remote_.new_id();
  json put{{"op", "put"},
           {"id", id},
           {"path", item.remote},
           {"size", got},
           {"algo", tc_.args().algo},
           {"digest", digest->hex()},
           {"body", got}};
  add_mtime(put, st);
  out_ += proto::encode_frame(put);
  out_.append(buf_.get(), got);
  queued_bytes_ += got;
  queue_.push_back(pending{id, false, remote_what(item), item.local, got, tc_.meter().now(), item.remote});
  if (out_.size() >= tuning::send_batch) return flush();
  return true;
}

bool uploader::make_room(std::uint64_t bytes) {
  if (queue_.empty() || !tuning::window_full(queue_.size(), queued_bytes_, bytes)) return true;
  if (!flush()) return false;
  do {
    if (!receive_one()) return false;
  } while (!queue_.empty() && (!tuning::window_drained(queue_.size(), queued_bytes_) ||
                               tuning::window_full(queue_.size(), queued_bytes_, bytes)));
  return true;
}

bool uploader::finish() {
  if (!flush()) return false;
  while (!queue_.empty()) {
    if (!receive_one()) return false;
  }
  return true;
}

void uploader::report_left_out() {
  if (left_out_ == 0) return;
  tc_.fail("put", refused(std::to_string(left_out_) + " more file(s) not uploaded: quota exceeded"));
  left_out_ = 0;
}

bool uploader::flush() {
  if (out_.empty()) return true;
  auto r = remote_.wire().send_bytes(out_);
  out_.clear();
  if (!r) return tc_.fail("put", r.error());
  return true;
}

bool uploader::receive_one() {
  const pending p = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= std::min(queued_bytes_, p.size);
  json reply;
  std::uint64_t body = 0;
  const auto status = receive_reply(remote_.wire(), p.id, reply, body);
  if (!status) return tc_.fail(p.what, status.error());
  if (*status >= 300) {
    if (!p.is_mkdir && reply.value("error", "") == "quota_exceeded") {
      if (over_quota_) {
        ++left_out_;
        return true;
      }
      over_quota_ = true;
    }
    return tc_.fail(p.what, refused(p.is_mkdir ? reply_text(reply) : put_refusal_text(reply, p.remote)));
  }
  if (!p.is_mkdir) tc_.meter().done(p.name, p.size, p.size, tc_.meter().now() - p.queued_at);
  return true;
}

/// How long a put waits for another upload of the same file to end.
constexpr auto busy_patience = std::chrono::seconds(5);

bool uploader::put_streamed(int fd, std::uint64_t size, const struct stat& st, const put_item& item) {
  const std::string what = remote_what(item);
  connection& conn = remote_.wire();
  const std::string& algo = tc_.args().algo;
  std::uint64_t id = 0;
  json reply;
  std::uint64_t body = 0;
  // `busy`: another upload of this file is still open, typically the one a
  // Ctrl-C just cut, which the server drops within a second or so.
  const auto give_up = std::chrono::steady_clock::now() + busy_patience;
  for (;;) {
    id = remote_.new_id();
    json put{{"op", "put"},
             {"id", id},
             {"path", item.remote},
             {"size", size},
             {"algo", algo},
             {"resume", tc_.args().resume}};
    add_mtime(put, st);
    if (auto r = conn.send(put); !r) return tc_.fail(what, r.error());
    const auto status = receive_reply(conn, id, reply, body);
    if (!status) return tc_.fail(what, status.error());
    if (*status < 300 || reply.value("error", "") != "busy" ||
        std::chrono::steady_clock::now() >= give_up)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (reply.value("status", 0) >= 300) {
    if (reply.value("error", "") == "quota_exceeded") over_quota_ = true;
    return tc_.fail(what, refused(put_refusal_text(reply, item.remote)));
  }
  const auto off = reply.find("offset");
  const std::uint64_t offset =
      off != reply.end() && off->is_number_unsigned() ? off->get<std::uint64_t>() : 0;
  if (offset > size) {
    conn.close();
    return tc_.fail(what, broken("protocol error: put offset beyond the file size"));
  }

  const auto digest = transfer::digest::make(algo);
  if (offset > 0) {
    tc_.note(item.local + ": " + resume_text(offset, size));
    if (!transfer::digest_fd_range(fd, offset, *digest)) {
      // Nothing sent yet: a commit without data is refused (400) and the
      // server keeps its part file; the connection stays usable.
      const int err = errno;
      if (auto r = conn.send(json{{"op", "commit"}, {"id", id}, {"algo", algo}, {"digest", ""}}); !r)
        return tc_.fail(what, r.error());
      if (auto r = receive_reply(conn, id, reply, body); !r) return tc_.fail(what, r.error());
      return tc_.fail("put " + item.local, refused(err != 0 ? std::strerror(err) : "file shrank"));
    }
  }

  progress_meter& meter = tc_.meter();
  meter.start(item.local, size, offset);
  if (auto r = conn.send(json{{"op", "data"}, {"id", id}, {"body", size - offset}}); !r)
    return tc_.fail(what, r.error());
  std::uint64_t done = offset;
  while (done < size) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), size - done));
    const ssize_t n = read_full(fd, buf_.get(), want, done);
    if (n <= 0) {
      // The data frame promised size - offset bytes; without them the
      // stream cannot go on. The server keeps the part for a resume.
      const std::string why = n < 0 ? std::strerror(errno) : "file shrank while being sent";
      conn.close();
      return tc_.fail(what, broken(item.local + ": " + why + "; connection closed"));
    }
    digest->update(buf_.get(), static_cast<std::size_t>(n));
    if (auto r = conn.send_bytes(std::string_view(buf_.get(), static_cast<std::size_t>(n))); !r)
      return tc_.fail(what, r.error());
    done += static_cast<std::uint64_t>(n);
    chunk_.took(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    meter.update(done);
  }
  if (auto r = conn.send(json{{"op", "commit"}, {"id", id}, {"algo", algo}, {"digest", digest->hex()}}); !r)
    return tc_.fail(what, r.error());
  const auto done_status = receive_reply(conn, id, reply, body);
  if (!done_status) return tc_.fail(what, done_status.error());
  if (*done_status >= 300) return tc_.fail(what, refused(reply_text(reply)));
  meter.finish();
  return true;
}

}  // namespace ferry::client
