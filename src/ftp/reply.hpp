// FTP replies (RFC 959 §4.2): "CODE text\r\n", or a multi-line reply
// "CODE-first\r\n line\r\nCODE last\r\n". Pure.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "proto/errc.hpp"

namespace ferry::ftp {

/// One-line reply. CR and LF inside `text` are replaced by spaces so a file
/// name can never inject a second reply.
std::string reply(int code, std::string_view text);

/// A failure, from the errc table: its FTP code and "Context: Text." (or just
/// the text when `context` is empty), e.g. "550 Rename failed: Not found."
std::string error_reply(errc e, std::string_view context = {});

/// Multi-line reply: `first` after "CODE-", each of `lines` indented by one
/// space (so a line starting with digits cannot end the reply early), then
/// "CODE last".
std::string multiline(int code, std::string_view first, const std::vector<std::string>& lines,
                      std::string_view last);

/// draft-bryan-ftp-hash names of ferry's digests: "XXH128", "SHA-256", "MD5".
std::string_view hash_name(std::string_view algo);
/// The digest named by an (upper-cased) FTP hash name; "" when unknown.
std::string_view hash_algo_named(std::string_view name);

/// PWD/MKD path quoting (RFC 959 appendix II): wrapped in double quotes,
/// embedded quotes doubled.
std::string quote_path(std::string_view path);

}  // namespace ferry::ftp
