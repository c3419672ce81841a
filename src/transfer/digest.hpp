// Whole-file digests for transfer verification: xxh128 (default; lowercase hex
// exactly as `xxhsum -H2` prints it), sha256 and md5. Streaming: update() as
// bytes arrive so no second pass over the data is needed.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ferry::transfer {

inline constexpr std::string_view default_algo = "xxh128";

/// True for "xxh128", "sha256", "md5".
bool known_algo(std::string_view algo) noexcept;

class digest {
 public:
  /// nullptr for an unknown algorithm.
  static std::unique_ptr<digest> make(std::string_view algo);
  virtual ~digest() = default;
  virtual void update(const void* data, std::size_t n) = 0;
  /// Lowercase hex of the digest; the object must not be updated afterwards.
  virtual std::string hex() = 0;
};

/// Digest of a file's first `length` bytes read with pread from `fd`, updating
/// `d`. Returns false on a read error or a short file.
bool digest_fd_range(int fd, std::uint64_t length, digest& d);

/// Same for bytes [from, from + length): lets callers hash a big prefix in
/// slices and yield between them.
bool digest_fd_slice(int fd, std::uint64_t from, std::uint64_t length, digest& d);

}  // namespace ferry::transfer
