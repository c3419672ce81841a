// get requests in flight and their replies: header, body into the part file
// (hashed in the same pass), trailer digest check, rename into place.
#include "client/downloader.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "client/part_file.hpp"
#include "client/session.hpp"
#include "client/transfer_context.hpp"
#include "proto/errc.hpp"
#include "proto/frame.hpp"
#include "transfer/digest.hpp"

namespace ferry::client {
namespace {

using json = nlohmann::json;

std::uint64_t u64_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string string_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

downloader::downloader(session& remote, transfer_context& tc)
    : remote_(remote),
      tc_(tc),
      scratch_(new char[tuning::max_recv_chunk]),
      chunk_(tuning::max_recv_chunk) {}

downloader::~downloader() = default;

result<std::optional<std::uint64_t>> downloader::remote_size(const std::string& path) {
  auto st = remote_.stat(path);
  if (!st) {
    if (st.error().fatal) return st.error();
    return std::optional<std::uint64_t>();  // the get itself reports why
  }
  if (st->type != entry_type::file) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(st->size);
}

bool downloader::add(get_item item) {
  std::uint64_t offset = 0;
  if (tc_.args().resume) {
    if (const auto kept = part_file::existing_length(item.local); kept && *kept > 0) {
      if (!item.size) {
        if (!finish()) return false;
        auto size = remote_size(item.remote);
        if (!size) return tc_.fail("get " + item.remote, size.error());
        item.size = *size;
      }
      // A part longer than the remote file is stale: start over.
      if (item.size && *kept <= *item.size) offset = *kept;
    }
  }
  const std::uint64_t expect = item.size ? *item.size - offset : tuning::window_bytes;
  if (!queue_.empty() && tuning::window_full(queue_.size(), queued_bytes_, expect)) {
    if (!flush()) return false;
    do {
      if (!receive_one()) return false;
    } while (!queue_.empty() && (!tuning::window_drained(queue_.size(), queued_bytes_) ||
                                 tuning::window_full(queue_.size(), queued_bytes_, expect)));
  }
  const std::uint64_t id = remote_.new_id();
  out_ += proto::encode_frame(json{{"op", "get"}, {"id", id}, {"path", item.remote},
                                   {"offset", offset}, {"algo", tc_.args().algo}});
  queued_bytes_ += expect;
  queue_.push_back(pending{id, std::move(item), offset});
  if (out_.size() >= tuning::send_batch) return flush();
  return true;
}

bool downloader::finish() {
  while (!queue_.empty()) {
    if (!flush() || !receive_one()) return false;
  }
  return flush();
}

bool downloader::flush() {
  if (out_.empty()) return true;
  auto r = remote_.wire().send_bytes(out_);
  out_.clear();
  if (!r) return tc_.fail("get", r.error());
  return true;
}

bool downloader::receive_one() {
  const pending p = std::move(queue_.front());
  queue_.pop_front();
  const std::uint64_t expect = p.item.size ? *p.item.size - p.offset : tuning::window_bytes;
  queued_bytes_ -= std::min(queued_bytes_, expect);
  const std::string what = "get " + p.item.remote;
  connection& conn = remote_.wire();

  json head;
  std::uint64_t body = 0;
  const auto status = receive_reply(conn, p.id, head, body);
  if (!status) return tc_.fail(what, status.error());
  if (*status >= 300) {
    std::string text = reply_text(head);
    if (string_field(head, "error") == "is_directory" && !tc_.args().recursive)
      text += " (use get -r)";
    return tc_.fail(what, refused(text));
  }
  const std::uint64_t size = u64_field(head, "size");
  if (u64_field(head, "offset") != p.offset || size < p.offset || body != size - p.offset) {
    conn.close();
    return tc_.fail(what, broken("protocol error: get reply does not match the request"));
  }

  // Open the part file; on a local error the body is still read (and
  // dropped) so the replies that follow stay in step.
  part_file part;
  std::optional<failure> local_error;
  const auto digest = transfer::digest::make(tc_.args().algo);
  if (auto r = part.open(p.item.local, p.offset); !r) {
    local_error = r.error();
  } else if (p.offset > 0) {
    tc_.note(p.item.local + ": " + resume_text(p.offset, size));
    if (auto h = part.hash_kept(*digest); !h) {
      local_error = h.error();
      part.discard();
    }
  }
  progress_meter& meter = tc_.meter();
  meter.start(p.item.local, size, p.offset);
  std::uint64_t done = p.offset;
  while (conn.body_remaining() > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto chunk = conn.body_chunk(scratch_.get(), chunk_.size());
    if (!chunk) return tc_.fail(what, chunk.error());  // the part stays for a resume
    if (!local_error) {
      if (auto w = part.write(*chunk); !w) {
        local_error = w.error();
        part.discard();
      } else {
        digest->update(chunk->data(), chunk->size());
      }
    }
    done += chunk->size();
    chunk_.took(seconds_since(t0));
    meter.update(done);
  }

  json trailer;
  const auto tstatus = receive_reply(conn, p.id, trailer, body);
  if (!tstatus) return tc_.fail(what, tstatus.error());
  if (*tstatus >= 300) {
    // The bytes received may mix two versions of the file: nothing to resume.
    if (string_field(trailer, "error") == info(errc::file_changed).error) part.discard();
    return tc_.fail(what, refused(reply_text(trailer)));
  }
  if (local_error) return tc_.fail(what, *local_error);
  const std::string theirs = string_field(trailer, "digest");
  if (theirs.empty()) {
    conn.close();
    return tc_.fail(what, broken("protocol error: get trailer without digest"));
  }
  if (theirs != digest->hex()) {
    part.discard();
    return tc_.fail(what, refused("checksum mismatch (" + tc_.args().algo + "); download discarded"));
  }
  std::optional<std::int64_t> mtime;
  if (const auto it = head.find("mtime"); it != head.end() && it->is_number_integer())
    mtime = it->get<std::int64_t>();
  if (auto c = part.commit(mtime); !c) return tc_.fail(what, c.error());
  meter.finish();
  return true;
}

}  // namespace ferry::client
