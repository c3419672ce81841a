// The XXH3-128 kernel for AVX512 (see xxh3_kernels.hpp). Compiled with the
// AVX512 flag on x86-64 only (src/CMakeLists.txt); elsewhere it is absent.
#include "transfer/xxh3_kernels.hpp"

#if defined(__x86_64__) && defined(__AVX512F__)
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ferry::transfer::xxh3 {
namespace {

void* create() {
  XXH3_state_t* s = XXH3_createState();
  if (s != nullptr) XXH3_128bits_reset(s);
  return s;
}
void destroy(void* s) { XXH3_freeState(static_cast<XXH3_state_t*>(s)); }
void update(void* s, const void* data, std::size_t n) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(s), data, n);
}
void digest(const void* s, unsigned char out[16]) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(static_cast<const XXH3_state_t*>(s)));
  for (int i = 0; i < 16; ++i) out[i] = c.digest[i];
}

constexpr kernel k{"avx512", create, destroy, update, digest};

}  // namespace

const kernel* avx512_kernel() noexcept { return &k; }

}  // namespace ferry::transfer::xxh3
#else
namespace ferry::transfer::xxh3 {
const kernel* avx512_kernel() noexcept { return nullptr; }
}  // namespace ferry::transfer::xxh3
#endif
