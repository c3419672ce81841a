// libedit glue: prompt loop, history, and the completion callbacks. libedit's
// readline compatibility layer calls plain C functions, so the active shell's
// state sits in one file-local struct while run() executes.
#include "client/shell.hpp"

#include <editline/readline.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "client/commands.hpp"
#include "client/completion.hpp"
#include "client/history_file.hpp"
#include "client/interrupt.hpp"
#include "client/listing_format.hpp"
#include "client/session.hpp"
#include "client/tokenize.hpp"
#include "client/utf8_text.hpp"

namespace ferry::client {
namespace {

/// State the C callbacks need. Valid only while shell::run() executes.
struct completion_state {
  session* remote = nullptr;
  // The last remote listing, reused while the user presses Tab repeatedly;
  // dropped after every command, which may have changed the directory.
  bool cache_valid = false;
  std::string cache_path;
  std::vector<file_entry> cache_entries;
};

completion_state g_state;

volatile sig_atomic_t g_interrupted = 0;

extern "C" void on_prompt_interrupt(int) {
  g_interrupted = 1;
  note_interrupt();
}

/// A byte read ahead that turned out not to continue a UTF-8 sequence.
int g_pushed_back = -1;

/// One byte of the terminal; EOF at end of input or on Ctrl-C.
int read_byte(int fd) {
  if (g_pushed_back >= 0) return std::exchange(g_pushed_back, -1);
  unsigned char c;
  for (;;) {
    // A Ctrl-C during a completion's listing: abandon the line, not just
    // the listing (the line could be "rm ...").
    if (g_interrupted != 0) return EOF;
    const ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n < 0 && errno == EINTR) continue;
    return EOF;
  }
}

/// libedit's key reader. Its own retries a read interrupted by a signal, so
/// Ctrl-C would not abandon the line; this one reports end of input instead,
/// and run() tells the two apart by g_interrupted. It returns whole code
/// points: libedit stores what it returns as one wide character. A sequence
/// cut short by a byte that does not continue it gives U+FFFD, and that byte
/// (Enter, say) is read next on its own.
extern "C" int read_key(FILE* in) {
  const int fd = ::fileno(in);
  const int lead = read_byte(fd);
  if (lead == EOF) return EOF;
  const std::size_t len = utf8_sequence_length(static_cast<unsigned char>(lead));
  if (len == 1) return lead;
  if (len == 0) return static_cast<int>(replacement_char);
  std::string bytes(1, static_cast<char>(lead));
  while (bytes.size() < len) {
    const int c = read_byte(fd);
    if (c == EOF) return EOF;
    if ((c & 0xC0) != 0x80) {
      g_pushed_back = c;
      return static_cast<int>(replacement_char);
    }
    bytes.push_back(static_cast<char>(c));
  }
  return static_cast<int>(decode_utf8_sequence(bytes));
}

/// libedit encodes the line with the C library's multibyte functions, so
/// the character type must be UTF-8 (names on the wire are); C.UTF-8 where
/// the environment names a locale that is not.
void use_utf8_ctype() {
  std::setlocale(LC_CTYPE, "");
  if (std::strcmp(::nl_langinfo(CODESET), "UTF-8") != 0) std::setlocale(LC_CTYPE, "C.UTF-8");
}

std::vector<std::string> remote_candidates(const std::string& word, bool dirs_only) {
  const completion_query q = split_for_completion(word);
  const std::string path = listing_path(q);
  if (!g_state.cache_valid || g_state.cache_path != path) {
    if (g_state.remote == nullptr || !g_state.remote->alive()) return {};
    auto entries = g_state.remote->ls(path);
    if (!entries) return {};  // nothing to offer; a lost connection shows at the next command
    if (g_interrupted != 0) return {};
    g_state.cache_valid = true;
    g_state.cache_path = path;
    g_state.cache_entries = std::move(*entries);
  }
  if (!dirs_only) return complete_names(q, g_state.cache_entries);
  std::vector<file_entry> dirs;
  for (const auto& e : g_state.cache_entries)
    if (e.type == entry_type::dir || e.type == entry_type::link) dirs.push_back(e);
  return complete_names(q, dirs);
}

std::vector<std::string> local_candidates(const std::string& word, bool dirs_only) {
  std::vector<std::string> out;
  for (int state = 0;; ++state) {
    char* name = rl_filename_completion_function(word.c_str(), state);
    if (name == nullptr) break;
    std::string candidate(name);
    std::free(name);
    struct stat st {};
    const bool dir = ::stat(candidate.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (dirs_only && !dir) continue;
    if (dir && candidate.back() != '/') candidate.push_back('/');
    out.push_back(std::move(candidate));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Copies `matches` into the malloc'd NULL-terminated array libedit frees.
char** to_libedit(const std::vector<std::string>& matches) {
  auto** array = static_cast<char**>(std::calloc(matches.size() + 1, sizeof(char*)));
  if (array == nullptr) return nullptr;
  for (std::size_t i = 0; i < matches.size(); ++i) array[i] = ::strdup(matches[i].c_str());
  return array;
}

// libedit hands over the raw text of the word under the cursor (backslash
// escapes included, never unescaped) and inserts matches[0] verbatim, so
// candidates are computed on the unescaped word and returned quoted.
extern "C" char** attempted_completion(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to libedit's own file names
  rl_completion_append_character = ' ';

  // `start` counts characters; rl_line_buffer holds the line as UTF-8.
  const std::string_view line(rl_line_buffer);
  const tokenized before = tokenize(
      line.substr(0, utf8_byte_offset(line, static_cast<std::size_t>(std::max(start, 0)))));
  const tokenized current = tokenize(text);
  if (!before.ok() || !current.ok() || current.words.size() > 1) return nullptr;
  const std::string word = current.words.empty() ? std::string() : current.words[0];

  arg_completion kind = arg_completion::command;
  if (!before.words.empty()) {
    const command* c = find_command(before.words[0]);
    if (c == nullptr) return nullptr;
    std::size_t operand = 0;
    for (std::size_t i = 1; i < before.words.size(); ++i) {
      if (option_takes_value(before.words[i])) {
        if (i + 1 == before.words.size()) return nullptr;  // completing the option's value
        ++i;
      } else if (before.words[i].empty() || before.words[i][0] != '-') {
        ++operand;
      }
    }
    kind = completion_for(*c, operand);
  }
  std::vector<std::string> raw;
  switch (kind) {
    case arg_completion::none: return nullptr;
    case arg_completion::command: raw = command_names_with_prefix(word); break;
    case arg_completion::remote: raw = remote_candidates(word, false); break;
    case arg_completion::remote_dir: raw = remote_candidates(word, true); break;
    case arg_completion::local: raw = local_candidates(word, false); break;
    case arg_completion::local_dir: raw = local_candidates(word, true); break;
  }
  if (raw.empty()) return nullptr;
  // A lone directory match keeps the cursor inside it for the next Tab.
  if (raw.size() == 1 && raw[0].back() == '/') rl_completion_append_character = '\0';
  return to_libedit(quoted_matches(raw));
}

std::string prompt_for(const session& s) { return "ferry:" + printable(s.cwd()) + "> "; }

bool is_blank(const char* line) {
  return line[std::strspn(line, " \t\r\n")] == '\0';
}

}  // namespace

shell::shell(session& remote, std::ostream& out, std::ostream& err)
    : remote_(remote), out_(out), err_(err) {}

shell::~shell() { g_state = completion_state{}; }

int shell::run() {
  use_utf8_ctype();
  g_state = completion_state{};
  g_state.remote = &remote_;
  rl_readline_name = "ferry";
  rl_attempted_completion_function = attempted_completion;
  rl_getc_function = read_key;
  rl_basic_word_break_characters = " \t\n";
  rl_initialize();  // (re)starts libedit and its history: before loading it
  using_history();
  stifle_history(static_cast<int>(history_lines));
  const std::string history = history_path(std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
  load_history(history);
  // Ctrl-R searches the history backwards, as in bash (libedit's default
  // binding redraws the line).
  rl_parse_and_bind("bind ^R em-inc-search-prev");

  // Ctrl-C at the prompt abandons the line (read_key() makes readline()
  // return null); while a command runs it cancels the command
  // (command_interrupt); twice within a second it quits.
  struct sigaction at_prompt {};
  at_prompt.sa_handler = on_prompt_interrupt;
  sigemptyset(&at_prompt.sa_mask);
  struct sigaction saved_int {};

  command_context ctx{remote_, out_, err_};
  int status = 0;
  bool history_warned = false;
  for (;;) {
    out_.flush();
    g_interrupted = 0;
    g_pushed_back = -1;
    ::sigaction(SIGINT, &at_prompt, &saved_int);
    char* raw = readline(prompt_for(remote_).c_str());
    ::sigaction(SIGINT, &saved_int, nullptr);
    if (raw == nullptr) {
      out_ << '\n';
      if (g_interrupted != 0 && !interrupted_twice()) continue;
      break;  // end of input, or Ctrl-C twice
    }
    const std::string line(raw);
    std::free(raw);
    if (is_blank(line.c_str())) continue;
    add_history(line.c_str());
    if (!history.empty() && !append_history_line(history, line) && !history_warned) {
      err_ << "ferry: cannot save the history in " << printable(history) << '\n';
      history_warned = true;
    }

    const tokenized t = tokenize(line);
    if (!t.ok()) {
      err_ << "ferry: " << t.error << '\n';
      continue;
    }
    if (t.words.empty()) continue;
    // The server may have closed the session while the prompt waited (idle
    // timeout, a restart): start a new one first, so the command runs.
    if (server_hung_up() && !log_in_again("the server had closed the session; logged in again")) {
      status = 1;
      break;
    }
    cmd_status s;
    bool cancelled = false;
    {
      command_interrupt interrupt(remote_.wire().fd());
      s = run_command(ctx, t.words);
      cancelled = interrupt.fired();
    }
    g_state.cache_valid = false;
    if (cancelled) {
      if (!resume_after_interrupt(t.words[0])) {
        status = 1;
        break;
      }
      continue;
    }
    if (s == cmd_status::quit) break;
    if (s == cmd_status::fatal &&
        !log_in_again("logged in again; that command did not complete: run it again")) {
      status = 1;
      break;
    }
  }
  g_state = completion_state{};
  return status;
}

bool shell::server_hung_up() {
  // Nothing is asked at the prompt, so anything readable is the server's
  // goodbye (an id-0 frame, then end of stream) or the end itself.
  if (!remote_.alive()) return true;
  pollfd p{remote_.wire().fd(), POLLIN, 0};
  return remote_.wire().pending() || (::poll(&p, 1, 0) == 1 && p.revents != 0);
}

bool shell::log_in_again(const char* done) {
  // The server closed the session (idle timeout, a restart, an operator's
  // kick) or the network failed: the command said so; the shell goes on over
  // a new connection if the server takes one.
  std::string notice;
  if (auto r = remote_.reconnect(notice); !r) {
    err_ << "ferry: cannot log in again: " << r.error().text << '\n';
    return false;
  }
  err_ << "ferry: " << done << '\n';
  if (!notice.empty()) err_ << "ferry: " << notice << '\n';
  return true;
}

bool shell::resume_after_interrupt(const std::string& command) {
  // The command said "interrupted" itself; a transfer keeps what arrived.
  if (command == "get" || command == "put" || command == "sync")
    err_ << "ferry: what was transferred is kept: run the same command again to resume\n";
  // The socket was shut down even if the command was past its I/O (printing
  // a listing) or did none (lls): always start over on a new one.
  std::string notice;
  if (auto r = remote_.reconnect(notice); !r) {
    err_ << "ferry: cannot log in again after the interrupt: " << r.error().text << '\n';
    return false;
  }
  if (!notice.empty()) err_ << "ferry: " << notice << '\n';
  return true;
}

}  // namespace ferry::client
