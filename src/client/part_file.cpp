// Part file handling for downloads.
#include "client/part_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "client/transfer_paths.hpp"
#include "transfer/digest.hpp"

namespace ferry::client {
namespace {

// Errors name the file the user asked for, never the part file beside it
// (an internal name); a missing directory is said in words.
failure os_error(std::string_view doing, const std::string& path, int err) {
  if (err == ENOENT)
    return refused(std::string(doing) + " " + path + ": the directory " + dir_name(path) + " does not exist");
  return refused(std::string(doing) + " " + path + ": " + std::strerror(err));
}

}  // namespace

part_file::~part_file() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::uint64_t> part_file::existing_length(const std::string& target) {
  struct stat st {};
  if (::lstat(part_path(target).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

result<> part_file::open(const std::string& target, std::uint64_t keep) {
  target_ = target;
  path_ = part_path(target);
  kept_ = keep;
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  if (keep == 0) flags |= O_TRUNC;
  fd_ = ::open(path_.c_str(), flags, 0666);
  if (fd_ < 0) return os_error("cannot write", target_, errno);
  if (keep > 0) {
    // The part may be longer than what the server agreed to resume from.
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(keep), SEEK_SET) < 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      return os_error("cannot write", target_, err);
    }
  }
  return {};
}

result<> part_file::hash_kept(transfer::digest& d) {
  if (!transfer::digest_fd_range(fd_, kept_, d))
    return refused("cannot read what arrived of " + target_ + ": " +
                   (errno != 0 ? std::strerror(errno) : "file shrank"));
  return {};
}

result<> part_file::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot write", target_, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<> part_file::commit(std::optional<std::int64_t> mtime) {
  if (mtime) {
    const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(*mtime), 0}};
    (void)::futimens(fd_, times);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path_.c_str());
    return os_error("cannot write", target_, err);
  }
  // A verified part that cannot take the target's place stays: the next get
  // resumes at its full length and only checks it again.
  if (::rename(path_.c_str(), target_.c_str()) != 0)
    return os_error("cannot replace", target_, errno);
  return {};
}

void part_file::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace ferry::client
