// Frame codec (docs/protocol.md): u32 big-endian N, N bytes of UTF-8 JSON object,
// then header["body"] raw bytes. Pure: no I/O. The decoder is incremental so a
// frame may arrive one byte at a time or many frames in one read, and it checks
// N before buffering a single header byte.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ferry::proto {

enum class decode_error {
  none,
  bad_length,   ///< N == 0 or N > 65536
  bad_json,     ///< not valid UTF-8 JSON
  not_object,   ///< valid JSON, but not an object
  bad_body,     ///< "body" present but not an unsigned integer
};

/// Human sentence for a decode error (used in the 400 reply's "message").
std::string_view describe(decode_error e) noexcept;

/// Serialises `header` (must be an object) as one frame without its body. If a
/// body follows, the caller must have set header["body"]. Invalid UTF-8 in
/// strings (e.g. a non-UTF-8 file name) is replaced, never thrown.
std::string encode_frame(const nlohmann::json& header);
/// The same for a header already written as JSON text (one object, valid
/// UTF-8): the length prefix and the text.
std::string encode_frame_text(std::string_view header_text);

struct frame_header;

class frame_decoder {
 public:
  enum class result { need_more, frame, error, in_body };

  frame_decoder();
  ~frame_decoder();
  frame_decoder(const frame_decoder&) = delete;
  frame_decoder& operator=(const frame_decoder&) = delete;

  /// Appends received bytes.
  void feed(std::string_view bytes);

  /// Decodes the next header into `json_out`/`body_out`. Returns in_body while
  /// the previous frame's body has not been consumed, error (sticky) on a
  /// protocol violation. After an error the stream cannot be resynchronised.
  result next(nlohmann::json& json_out, std::uint64_t& body_out);

  decode_error error() const noexcept { return error_; }

  /// Body bytes of the current frame still expected.
  std::uint64_t body_remaining() const noexcept { return body_remaining_; }

  /// Takes up to `max` already-buffered body bytes of the current frame. The
  /// view is valid until the next feed().
  std::string_view take_body(std::size_t max);

  /// The caller read `n` body bytes straight from the socket (fast path).
  /// Precondition: no body bytes are buffered.
  void body_read_externally(std::uint64_t n) noexcept;

  /// Bytes buffered and not yet consumed.
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  void compact();

  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t body_remaining_ = 0;
  decode_error error_ = decode_error::none;
};

}  // namespace ferry::proto
