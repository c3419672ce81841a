// File-name encoding on the FTP control connection. Names are UTF-8 on disk
// and in the native protocol; `ftp.encoding` (e.g. "gbk") converts them for
// legacy clients that cannot speak UTF-8 (Chinese Windows Explorer is the
// classic case). Uses glibc's iconv. Thread-safety: one codec per session.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::ftp {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

class name_codec {
 public:
  /// nullptr when iconv does not know `encoding`. "utf-8"/"UTF8" give a
  /// codec that only validates.
  static std::unique_ptr<name_codec> make(const std::string& encoding);
  ~name_codec();
  name_codec(const name_codec&) = delete;
  name_codec& operator=(const name_codec&) = delete;

  /// Client bytes → UTF-8; nullopt when they are not valid in the encoding.
  std::optional<std::string> from_client(std::string_view bytes);
  /// UTF-8 → client bytes; nullopt when the name has no representation.
  std::optional<std::string> to_client(std::string_view utf8);

  bool is_utf8() const noexcept { return in_ == nullptr; }

 private:
  name_codec() = default;
  void* in_ = nullptr;   ///< iconv_t client → UTF-8
  void* out_ = nullptr;  ///< iconv_t UTF-8 → client
};

}  // namespace ferry::ftp
