// The pure half of remote path completion: which directory to list for the
// word under the cursor, and which names of that listing to offer. The shell
// does the listing over the connection and hands the result to libedit.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "client/file_entry.hpp"

namespace ferry::client {

struct completion_query {
  std::string dir;     ///< directory part as typed, with its trailing '/' ("" = cwd)
  std::string prefix;  ///< the name being typed
};

/// "a/b/c" -> {"a/b/", "c"}; "/x" -> {"/", "x"}; "x" -> {"", "x"}; "a/" -> {"a/", ""}.
completion_query split_for_completion(std::string_view word);

/// The path to send with ls for `q`: "" (the cwd), "/" or the directory part
/// without its trailing slashes ("a/b/" -> "a/b").
std::string listing_path(const completion_query& q);

/// q.dir + name for each entry whose name starts with q.prefix, a '/' added
/// to directories; names starting with '.' only when the prefix does. Sorted.
std::vector<std::string> complete_names(const completion_query& q,
                                        const std::vector<file_entry>& entries);

/// What libedit gets for raw (unquoted) candidates: element 0 is their
/// longest common prefix, then each candidate; all backslash-quoted with
/// quote_word() (an empty prefix stays empty). Empty when `raw` is.
std::vector<std::string> quoted_matches(const std::vector<std::string>& raw);

}  // namespace ferry::client
