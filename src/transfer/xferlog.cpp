#include "transfer/xferlog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <system_error>

namespace ferry::transfer {
namespace {

std::string field(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c <= ' ' || c == 0x7f ? '_' : ch);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string xferlog_line(const xfer_record& r) {
  std::tm tm{};
  ::gmtime_r(&r.end, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", &tm);
  const auto secs = static_cast<long long>(std::lround(std::max(0.0, r.seconds)));
  std::string line = when;
  line += " " + std::to_string(secs == 0 ? 1 : secs);  // xferlog counts whole seconds, minimum 1
  line += " " + field(r.host);
  line += " " + std::to_string(r.bytes);
  line += " " + field(r.path);
  line += " b _ ";
  line += r.incoming ? 'i' : 'o';
  line += " r " + field(r.user) + " " + field(r.service) + " 0 * ";
  line += r.complete ? 'c' : 'i';
  line += '\n';
  return line;
}

namespace {

int open_append(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  return ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

}  // namespace

xferlog::xferlog(const std::filesystem::path& file) : file_(file), fd_(open_append(file)) {}

void xferlog::write(const xfer_record& r) {
  const std::string line = xferlog_line(r);
  std::lock_guard lock(mu_);
  if (fd_) (void)!::write(fd_.get(), line.data(), line.size());
}

bool xferlog::reopen() {
  vfs::unique_fd fresh(open_append(file_));
  if (!fresh) return false;
  std::lock_guard lock(mu_);
  fd_ = std::move(fresh);
  return true;
}

}  // namespace ferry::transfer
