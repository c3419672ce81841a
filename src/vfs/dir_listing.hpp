// A directory listing read in batches, so a directory of any size is sent in
// bounded frames. Names are read and sorted up front, packed in one buffer
// (the name plus 4 bytes each: ~2.5 MB for 100,000 entries); each entry is
// stat'ed only when its batch is taken, so the entries themselves never all
// sit in memory. Entries that vanish between the read and their batch are
// skipped; ones created meanwhile are not seen (as with ls on a busy directory).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vfs/jail.hpp"
#include "vfs/unique_fd.hpp"

namespace ferry::vfs {

class dir_listing {
 public:
  dir_listing() = default;

  /// The next entries in name order, at most `max`; empty once all are taken.
  std::vector<dir_entry> next(std::size_t max);
  bool done() const noexcept { return pos_ >= count(); }
  /// Entries found when the directory was read (a single-entry listing: 1).
  std::size_t count() const noexcept { return single_ ? 1 : offsets_.size(); }

 private:
  friend class jail;
  /// `dir` an open directory: reads and sorts its names (part files excluded).
  errc read(unique_fd dir);
  /// A listing of one entry already stat'ed (ls of a file).
  void set_single(dir_entry e);
  std::string_view name_at(std::uint32_t offset) const noexcept;

  unique_fd dir_;
  std::string dir_path_;   ///< virtual path of the directory (symlink targets)
  std::string names_;                   ///< the names, each ended by '\0'
  std::vector<std::uint32_t> offsets_;  ///< start of each name in names_, sorted by name
  std::size_t pos_ = 0;
  bool single_ = false;
  dir_entry single_entry_;
};

}  // namespace ferry::vfs
