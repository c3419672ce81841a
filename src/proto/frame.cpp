// Frame codec implementation. Length is validated from the first four bytes
// before any header byte is interpreted or any N-sized buffer is reserved.
#include "proto/frame.hpp"

#include <nlohmann/json.hpp>

#include "proto/limits.hpp"

namespace ferry::proto {

std::string_view describe(decode_error e) noexcept {
  switch (e) {
    case decode_error::none: return "no error";
    case decode_error::bad_length: return "frame header length must be 1..65536";
    case decode_error::bad_json: return "frame header is not valid UTF-8 JSON";
    case decode_error::not_object: return "frame header is not a JSON object";
    case decode_error::bad_body: return "\"body\" must be an unsigned integer";
  }
  return "unknown error";
}

std::string encode_frame(const nlohmann::json& header) {
  return encode_frame_text(header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string encode_frame_text(std::string_view text) {
  const auto n = static_cast<std::uint32_t>(text.size());
  std::string out;
  out.reserve(4 + text.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += text;
  return out;
}

frame_decoder::frame_decoder() = default;
frame_decoder::~frame_decoder() = default;

void frame_decoder::feed(std::string_view bytes) {
  compact();
  buf_.append(bytes);
}

void frame_decoder::compact() {
  if (pos_ == 0) return;
  if (pos_ == buf_.size()) {
    buf_.clear();
  } else if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
  } else {
    return;
  }
  pos_ = 0;
}

frame_decoder::result frame_decoder::next(nlohmann::json& json_out, std::uint64_t& body_out) {
  if (error_ != decode_error::none) return result::error;
  if (body_remaining_ > 0) return result::in_body;
  if (buffered() < 4) return result::need_more;

  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  // SECURITY: reject the length before waiting for (or buffering) N bytes.
  if (n == 0 || n > limits::max_header) {
    error_ = decode_error::bad_length;
    return result::error;
  }
  if (buffered() < 4 + std::size_t{n}) return result::need_more;

  const std::string_view text(buf_.data() + pos_ + 4, n);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error_ = decode_error::bad_json;
    return result::error;
  }
  if (!j.is_object()) {
    error_ = decode_error::not_object;
    return result::error;
  }
  std::uint64_t body = 0;
  if (auto it = j.find("body"); it != j.end()) {
    if (!it->is_number_unsigned()) {
      error_ = decode_error::bad_body;
      return result::error;
    }
    body = it->get<std::uint64_t>();
  }
  pos_ += 4 + std::size_t{n};
  body_remaining_ = body;
  json_out = std::move(j);
  body_out = body;
  return result::frame;
}

std::string_view frame_decoder::take_body(std::size_t max) {
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>({body_remaining_, buffered(), max}));
  std::string_view out(buf_.data() + pos_, n);
  pos_ += n;
  body_remaining_ -= n;
  return out;
}

void frame_decoder::body_read_externally(std::uint64_t n) noexcept {
  body_remaining_ = n > body_remaining_ ? 0 : body_remaining_ - n;
}

}  // namespace ferry::proto
