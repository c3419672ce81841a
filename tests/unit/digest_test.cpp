// Digests: known answers for each algorithm, and every XXH3 kernel built for
// a vector unit gives libxxhash's answer for any length and any way the
// bytes are split across update() calls.
#include <gtest/gtest.h>

#include <xxhash.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "transfer/digest.hpp"
#include "transfer/xxh3_kernels.hpp"

namespace {

using ferry::transfer::digest;
namespace xxh3 = ferry::transfer::xxh3;

std::string hex_of(std::string_view algo, std::string_view data) {
  auto d = digest::make(algo);
  d->update(data.data(), data.size());
  return d->hex();
}

/// libxxhash's one-shot XXH3-128 of `data`, as canonical hex.
std::string reference(const std::vector<unsigned char>& data) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(data.data(), data.size()));
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : c.digest) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

std::vector<const xxh3::kernel*> kernels_this_cpu_runs() {
  std::vector<const xxh3::kernel*> out;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (xxh3::avx512_kernel() != nullptr && __builtin_cpu_supports("avx512f")) out.push_back(xxh3::avx512_kernel());
  if (xxh3::avx2_kernel() != nullptr && __builtin_cpu_supports("avx2")) out.push_back(xxh3::avx2_kernel());
#endif
  return out;
}

TEST(Digest, KnownAnswers) {
  // xxhsum -H2, sha256sum and md5sum of "abc".
  EXPECT_EQ(hex_of("xxh128", "abc"), "06b05ab6733a618578af5f94892f3950");
  EXPECT_EQ(hex_of("sha256", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("md5", "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex_of("xxh128", ""), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(digest::make("crc32"), nullptr);
}

TEST(Digest, KernelsMatchLibxxhashForEveryLengthAndSplit) {
  const auto kernels = kernels_this_cpu_runs();
  if (kernels.empty()) GTEST_SKIP() << "no vector kernel runs on this CPU";
  std::mt19937_64 rng(42);
  // Lengths around XXH3's internal boundaries (16, 128, 240 bytes, the
  // 1 KiB stripe block, the 256-byte internal buffer) and a few big ones.
  std::vector<std::size_t> lengths{0, 1, 3, 16, 17, 128, 129, 240, 241, 255, 256, 257, 1023, 1024,
                                   1025, 4096, 65537, 1 << 20};
  for (int i = 0; i < 40; ++i) lengths.push_back(rng() % 300000);
  for (const auto len : lengths) {
    std::vector<unsigned char> data(len);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    const std::string want = reference(data);
    for (const auto* k : kernels) {
      for (int split = 0; split < 4; ++split) {
        void* s = k->create();
        ASSERT_NE(s, nullptr);
        std::size_t at = 0;
        while (at < len) {
          // split 0: one call; otherwise random piece sizes, some tiny.
          std::size_t n = split == 0 ? len - at : 1 + rng() % (split == 1 ? 7 : split == 2 ? 300 : 70000);
          n = std::min(n, len - at);
          k->update(s, data.data() + at, n);
          at += n;
        }
        unsigned char out[16];
        k->digest(s, out);
        k->destroy(s);
        static constexpr char digits[] = "0123456789abcdef";
        std::string got;
        for (unsigned char b : out) {
          got += digits[b >> 4];
          got += digits[b & 0xf];
        }
        EXPECT_EQ(got, want) << k->name << " length " << len << " split " << split;
      }
    }
  }
}

TEST(Digest, BestKernelIsTheWidestThisCpuRuns) {
  const auto kernels = kernels_this_cpu_runs();
  EXPECT_EQ(xxh3::best_kernel(), kernels.empty() ? nullptr : kernels.front());
}

}  // namespace
