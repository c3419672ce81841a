// The put engine. Files up to 1 MiB go as inline puts (one frame with digest
// and body) and, like the mkdirs of put -r, are pipelined: frames are batched
// into few sends and replies are read only when the window is full, so a
// tree of small files costs no round trip per file. A bigger file waits for
// the pipeline to drain, then runs the put / data / commit exchange,
// resuming at the offset the server offers, reading, hashing and sending in
// big chunks.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "client/transfer_tuning.hpp"

struct stat;

namespace ferry::client {

class session;
class transfer_context;

struct put_item {
  std::string local;      ///< file to read
  std::string remote;     ///< target path sent to the server
  bool no_follow = false; ///< from a tree walk: refuse a symlink swapped in since
};

class uploader {
 public:
  uploader(session& remote, transfer_context& tc);
  ~uploader();
  uploader(const uploader&) = delete;
  uploader& operator=(const uploader&) = delete;

  /// Queues `mkdir -p remote_dir` (put -r). False once the connection is gone.
  bool mkdir(const std::string& remote_dir);
  /// Uploads `item`; failures are reported through `tc`. False once the
  /// connection is gone.
  bool add(const put_item& item);
  /// Reads every outstanding reply. False once the connection is gone.
  bool finish();
  /// After the first `quota exceeded` the rest of a tree is not sent; this
  /// reports how many files that left out (once, at the end of put -r).
  void report_left_out();

 private:
  struct pending {
    std::uint64_t id;
    bool is_mkdir;
    std::string what;      ///< for messages: "put LOCAL" or "mkdir REMOTE"
    std::string name;      ///< for the summary line
    std::uint64_t size;
    double queued_at;
    std::string remote;    ///< the remote path (mkdir: the directory)
  };

  bool make_room(std::uint64_t bytes);
  bool flush();
  bool receive_one();
  bool put_streamed(int fd, std::uint64_t size, const struct stat& st, const put_item& item);

  session& remote_;
  transfer_context& tc_;
  std::deque<pending> queue_;
  std::uint64_t queued_bytes_ = 0;
  std::string out_;              ///< frames not yet sent
  std::unique_ptr<char[]> buf_;  ///< file bytes on their way out
  tuning::chunk_sizer chunk_;
  bool over_quota_ = false;      ///< a put was refused for quota: stop sending
  std::uint64_t left_out_ = 0;   ///< files not sent or refused since then
};

}  // namespace ferry::client
