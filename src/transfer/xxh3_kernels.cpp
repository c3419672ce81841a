// Picks the XXH3-128 kernel once, by what the CPU reports.
#include "transfer/xxh3_kernels.hpp"

namespace ferry::transfer::xxh3 {

const kernel* best_kernel() noexcept {
  static const kernel* const best = []() -> const kernel* {
#if defined(__x86_64__)
    // libgcc's check also asks the OS (XCR0) whether it saves the registers.
    __builtin_cpu_init();
    if (avx512_kernel() != nullptr && __builtin_cpu_supports("avx512f")) return avx512_kernel();
    if (avx2_kernel() != nullptr && __builtin_cpu_supports("avx2")) return avx2_kernel();
#endif
    return nullptr;
  }();
  return best;
}

}  // namespace ferry::transfer::xxh3
