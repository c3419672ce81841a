// One writer per file: uploads hold a lock on their target until they end.
// Keys are (device, inode of the parent directory, leaf name), so two
// spellings of one file (a symlinked directory, "a/../b") share a lock while
// paths in different homes never collide.
//
// path_locks is the interface (a shared store can implement it for several
// ferryd nodes on one filesystem); local_path_locks is the in-process table.
// Implementations are thread-safe: every session of every user calls in.
#pragma once
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

namespace ferry::vfs {

struct path_key {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::string leaf;
  auto operator<=>(const path_key&) const = default;
};

class path_locks {
 public:
  /// Held lock; releases on destruction. Empty when default-constructed.
  class guard {
   public:
    guard() = default;
    guard(path_locks* owner, path_key key) : owner_(owner), key_(std::move(key)) {}
    guard(guard&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
    guard& operator=(guard&& o) noexcept;
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { reset(); }
    void reset();
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    path_locks* owner_ = nullptr;
    path_key key_;
  };

  virtual ~path_locks() = default;

  /// The lock on `key`, or an empty guard when someone else holds it.
  guard try_lock(path_key key);

 protected:
  /// Takes `key` if free; false when held.
  virtual bool acquire(const path_key& key) = 0;
  virtual void release(const path_key& key) = 0;
};

/// The locks of one ferryd process.
class local_path_locks final : public path_locks {
 protected:
  bool acquire(const path_key& key) override;
  void release(const path_key& key) override;

 private:
  std::mutex mu_;
  std::set<path_key> held_;
};

}  // namespace ferry::vfs
