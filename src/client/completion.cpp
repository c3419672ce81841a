// Remote path completion candidates from a directory listing.
#include "client/completion.hpp"

#include <algorithm>

#include "client/tokenize.hpp"
#include "client/utf8_text.hpp"

namespace ferry::client {

completion_query split_for_completion(std::string_view word) {
  const auto slash = word.rfind('/');
  if (slash == std::string_view::npos) return {std::string(), std::string(word)};
  return {std::string(word.substr(0, slash + 1)), std::string(word.substr(slash + 1))};
}

std::string listing_path(const completion_query& q) {
  std::string p = q.dir;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::vector<std::string> complete_names(const completion_query& q,
                                        const std::vector<file_entry>& entries) {
  std::vector<std::string> out;
  const bool want_hidden = !q.prefix.empty() && q.prefix.front() == '.';
  for (const file_entry& e : entries) {
    if (e.name.empty() || e.name.compare(0, q.prefix.size(), q.prefix) != 0) continue;
    if (e.name.front() == '.' && !want_hidden) continue;
    std::string candidate = q.dir + e.name;
    if (e.type == entry_type::dir) candidate.push_back('/');
    out.push_back(std::move(candidate));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> quoted_matches(const std::vector<std::string>& raw) {
  if (raw.empty()) return {};
  std::string common = raw.front();
  for (const std::string& c : raw) {
    const auto diff = std::mismatch(common.begin(), common.end(), c.begin(), c.end());
    common.erase(diff.first, common.end());
  }
  // Names may share the first bytes of different characters (一 E4 B8 80 and
  // 二 E4 BA 8C): never offer half a character, which libedit cannot insert.
  std::size_t lead = common.size();
  while (lead > 0 && (static_cast<unsigned char>(common[lead - 1]) & 0xC0) == 0x80) --lead;
  if (lead > 0) {
    const std::size_t n = utf8_sequence_length(static_cast<unsigned char>(common[lead - 1]));
    if (n > 1 && lead - 1 + n > common.size()) common.erase(lead - 1);
  }
  std::vector<std::string> out;
  out.reserve(raw.size() + 1);
  out.push_back(common.empty() ? std::string() : quote_word(common));
  for (const std::string& c : raw) out.push_back(quote_word(c));
  return out;
}

}  // namespace ferry::client
