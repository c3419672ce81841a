// The get engine: sends get requests pipelined on the session's connection
// (up to a window of requests and bytes in flight), and for each reply in
// order writes the body into the part file while hashing it in the same
// pass, checks the trailer's digest and renames the part into place. Used
// for a single get (a queue of one) and for get -r.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "client/result.hpp"
#include "client/transfer_tuning.hpp"

namespace ferry::client {

class session;
class transfer_context;

struct get_item {
  std::string remote;                 ///< path sent to the server
  std::string local;                  ///< final local path; the part file sits beside it
  std::optional<std::uint64_t> size;  ///< remote size when a listing told it
};

class downloader {
 public:
  downloader(session& remote, transfer_context& tc);
  ~downloader();
  downloader(const downloader&) = delete;
  downloader& operator=(const downloader&) = delete;

  /// Queues `item`, first reading replies while the window is full. Each
  /// failure is reported through `tc`. False once the connection is gone.
  bool add(get_item item);
  /// Reads every outstanding reply. False once the connection is gone.
  bool finish();

 private:
  struct pending {
    std::uint64_t id;
    get_item item;
    std::uint64_t offset;
  };

  bool flush();
  bool receive_one();
  /// Size of the remote file, asked synchronously (a single get's resume).
  result<std::optional<std::uint64_t>> remote_size(const std::string& path);

  session& remote_;
  transfer_context& tc_;
  std::deque<pending> queue_;
  std::uint64_t queued_bytes_ = 0;
  std::string out_;                  ///< request frames not yet sent
  std::unique_ptr<char[]> scratch_;  ///< body bytes land here
  tuning::chunk_sizer chunk_;
};

}  // namespace ferry::client
