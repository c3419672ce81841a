// The XXH3-128 kernel for AVX2 (see xxh3_kernels.hpp). Compiled with the
// AVX2 flag on x86-64 only (src/CMakeLists.txt); elsewhere it is absent.
#include "transfer/xxh3_kernels.hpp"

#if defined(__x86_64__) && defined(__AVX2__)
#include "transfer/xxh3_kernel_body.inc"

namespace ferry::transfer::xxh3 {
const kernel* avx2_kernel() noexcept {
  static constexpr kernel k{"avx2", create, destroy, update, digest};
  return &k;
}
}  // namespace ferry::transfer::xxh3
#else
namespace ferry::transfer::xxh3 {
const kernel* avx2_kernel() noexcept { return nullptr; }
}  // namespace ferry::transfer::xxh3
#endif
