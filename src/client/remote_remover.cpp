// Pipelined rm / rmdir requests and their replies.
#include "client/remote_remover.hpp"

#include <nlohmann/json.hpp>

#include "client/session.hpp"
#include "client/transfer_context.hpp"
#include "client/transfer_tuning.hpp"
#include "proto/frame.hpp"

namespace ferry::client {

bool remote_remover::add(const std::string& path, bool is_dir) {
  if (queue_.size() >= tuning::window_requests) {
    if (!flush()) return false;
    while (queue_.size() > tuning::window_requests / 2)
      if (!receive_one()) return false;
  }
  const char* op = is_dir ? "rmdir" : "rm";
  const std::uint64_t id = remote_.new_id();
  out_ += proto::encode_frame(nlohmann::json{{"op", op}, {"id", id}, {"path", path}});
  queue_.push_back(pending{id, std::string(op) + " " + path});
  if (out_.size() >= tuning::send_batch) return flush();
  return true;
}

bool remote_remover::finish() {
  if (!flush()) return false;
  while (!queue_.empty())
    if (!receive_one()) return false;
  return true;
}

bool remote_remover::flush() {
  if (out_.empty()) return true;
  auto r = remote_.wire().send_bytes(out_);
  out_.clear();
  if (!r) return tc_.fail("rm", r.error());
  return true;
}

bool remote_remover::receive_one() {
  const pending p = std::move(queue_.front());
  queue_.pop_front();
  nlohmann::json reply;
  std::uint64_t body = 0;
  const auto status = receive_reply(remote_.wire(), p.id, reply, body);
  if (!status) return tc_.fail(p.what, status.error());
  if (*status >= 300) return tc_.fail(p.what, refused(reply_text(reply)));
  ++removed_;
  return true;
}

}  // namespace ferry::client
