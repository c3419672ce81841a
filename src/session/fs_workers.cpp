#include "session/fs_workers.hpp"

#include <algorithm>

namespace ferry::session {
namespace {

/// Enough for a few sessions stuck on a dead mount while the rest go on; the
/// threads sleep in the kernel when the disk is slow, so more of them than
/// cores costs little.
constexpr unsigned default_threads = 16;

/// More would only multiply stacks: calls beyond this many queue.
constexpr unsigned max_threads = 1024;

unsigned pick(unsigned threads) { return threads == 0 ? default_threads : std::min(threads, max_threads); }

}  // namespace

fs_workers::fs_workers(unsigned threads) : threads_(pick(threads)), pool_(pick(threads)) {}

fs_workers::~fs_workers() {
  pool_.stop();
  pool_.join();
}

}  // namespace ferry::session
