// Deleting many remote names over one connection: rm and rmdir requests
// pipelined in windows (replies read only when the window is full), for
// rm -r, rmdir -r and sync --delete. The server runs a connection's requests
// in order, so a directory queued after its contents is empty by the time
// its rmdir runs.
#pragma once
#include <cstdint>
#include <deque>
#include <string>

namespace ferry::client {

class session;
class transfer_context;

class remote_remover {
 public:
  remote_remover(session& remote, transfer_context& tc) : remote_(remote), tc_(tc) {}
  remote_remover(const remote_remover&) = delete;
  remote_remover& operator=(const remote_remover&) = delete;

  /// Queues rm (or rmdir when `is_dir`) of `path`; each refusal is reported
  /// through `tc` as "rm PATH: TEXT". False once the connection is gone.
  bool add(const std::string& path, bool is_dir);
  /// Reads every outstanding reply. False once the connection is gone.
  bool finish();
  /// Names removed so far.
  std::uint64_t removed() const noexcept { return removed_; }

 private:
  struct pending {
    std::uint64_t id;
    std::string what;  ///< "rm PATH" / "rmdir PATH"
  };

  bool flush();
  bool receive_one();

  session& remote_;
  transfer_context& tc_;
  std::deque<pending> queue_;
  std::string out_;
  std::uint64_t removed_ = 0;
};

}  // namespace ferry::client
