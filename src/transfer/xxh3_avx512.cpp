// The XXH3-128 kernel for AVX512 (see xxh3_kernels.hpp). Compiled with the
// AVX512 flag on x86-64 only (src/CMakeLists.txt); elsewhere it is absent.
#include "transfer/xxh3_kernels.hpp"

#if defined(__x86_64__) && defined(__AVX512F__)
#include "transfer/xxh3_kernel_body.inc"

namespace ferry::transfer::xxh3 {
const kernel* avx512_kernel() noexcept {
  static constexpr kernel k{"avx512", create, destroy, update, digest};
  return &k;
}
}  // namespace ferry::transfer::xxh3
#else
namespace ferry::transfer::xxh3 {
const kernel* avx512_kernel() noexcept { return nullptr; }
}  // namespace ferry::transfer::xxh3
#endif
