// The server secret file.
#include "session/server_context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "auth/scram.hpp"

namespace ferry::session {

std::string load_or_create_secret(const std::filesystem::path& root) {
  const auto file = root / "secret";
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      std::string s(64, '\0');
      const auto n = ::read(fd, s.data(), s.size());
      ::close(fd);
      if (n >= 32) return s.substr(0, static_cast<std::size_t>(n));
      throw std::runtime_error("server secret file is too short");
    }
    if (errno != ENOENT) throw std::runtime_error(std::string("cannot read secret: ") + std::strerror(errno));
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;  // another process created it first
      throw std::runtime_error(std::string("cannot create secret: ") + std::strerror(errno));
    }
    const std::string s = auth::random_bytes(32);
    const bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write secret");
    return s;
  }
  throw std::runtime_error("cannot create secret");
}

}  // namespace ferry::session
