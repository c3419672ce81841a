// XXH3-128 built for wider vector units than the shared libxxhash, chosen at
// run time. Debian builds libxxhash for baseline x86-64 (SSE2): 11 GB/s here,
// where the same code built for AVX-512 hashes 30 GB/s. Every transfer hashes
// every byte on both ends, so this is a fifth of a core at TLS speed.
//
// Each kernel is its own file compiled for its instruction set, with xxhash
// inlined as static functions and nothing else included, so no wide
// instruction can leak into an inline function the rest of the program shares.
#pragma once
#include <cstddef>

namespace ferry::transfer::xxh3 {

struct kernel {
  const char* name;
  void* (*create)();  ///< a fresh XXH3-128 state, or nullptr when out of memory
  void (*destroy)(void* state);
  void (*update)(void* state, const void* data, std::size_t n);
  /// The digest so far, canonical (big-endian, as xxhsum prints it).
  void (*digest)(const void* state, unsigned char out[16]);
};

/// nullptr when this build has no such kernel (not x86-64).
const kernel* avx512_kernel() noexcept;
const kernel* avx2_kernel() noexcept;

/// The widest kernel this CPU (and its OS) runs; nullptr: use libxxhash.
const kernel* best_kernel() noexcept;

}  // namespace ferry::transfer::xxh3
