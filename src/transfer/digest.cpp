// Digest implementations over libxxhash (XXH3-128, through a kernel built for
// the CPU's vector unit where there is one) and OpenSSL EVP (SHA-256, MD5).
#include "transfer/digest.hpp"


#include <cstdint>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>
#include <xxhash.h>

#include "proto/hex.hpp"
#include "transfer/xxh3_kernels.hpp"
#include "vfs/file_io.hpp"

namespace ferry::transfer {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  return proto::to_hex({reinterpret_cast<const char*>(p), n});
}

/// libxxhash's build, for CPUs without the wider kernels.
class xxh128_digest final : public digest {
 public:
  xxh128_digest() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(state_);
  }
  ~xxh128_digest() override { XXH3_freeState(state_); }
  void update(const void* data, std::size_t n) override { XXH3_128bits_update(state_, data, n); }
  std::string hex() override {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_));  // big-endian, as xxhsum prints
    return to_hex(c.digest, sizeof c.digest);
  }

 private:
  XXH3_state_t* state_;
};

/// The same digest through a kernel built for this CPU's vector unit.
class xxh128_kernel_digest final : public digest {
 public:
  explicit xxh128_kernel_digest(const xxh3::kernel& k) : k_(k), state_(k.create()) {
    if (!state_) throw std::bad_alloc();
  }
  ~xxh128_kernel_digest() override { k_.destroy(state_); }
  void update(const void* data, std::size_t n) override { k_.update(state_, data, n); }
  std::string hex() override {
    unsigned char out[16];
    k_.digest(state_, out);
    return to_hex(out, sizeof out);
  }

 private:
  const xxh3::kernel& k_;
  void* state_;
};

class evp_digest final : public digest {
 public:
  explicit evp_digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) throw std::runtime_error("EVP init");
  }
  ~evp_digest() override { EVP_MD_CTX_free(ctx_); }
  void update(const void* data, std::size_t n) override { EVP_DigestUpdate(ctx_, data, n); }
  std::string hex() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return to_hex(out, n);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

bool known_algo(std::string_view algo) noexcept {
  return algo == "xxh128" || algo == "sha256" || algo == "md5";
}

std::unique_ptr<digest> digest::make(std::string_view algo) {
  if (algo == "xxh128") {
    if (const xxh3::kernel* k = xxh3::best_kernel()) return std::make_unique<xxh128_kernel_digest>(*k);
    return std::make_unique<xxh128_digest>();
  }
  if (algo == "sha256") return std::make_unique<evp_digest>(EVP_sha256());
  if (algo == "md5") return std::make_unique<evp_digest>(EVP_md5());
  return nullptr;
}

bool digest_fd_range(int fd, std::uint64_t length, digest& d) {
  return digest_fd_slice(fd, 0, length, d);
}

bool digest_fd_slice(int fd, std::uint64_t from, std::uint64_t length, digest& d) {
  std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(length, 1 << 20)));
  std::uint64_t off = from;
  const std::uint64_t end = from + length;
  while (off < end) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - off));
    if (!vfs::read_at(fd, buf.data(), want, off)) return false;
    d.update(buf.data(), want);
    off += want;
  }
  return true;
}

}  // namespace ferry::transfer
