// Trust on first use: the known_hosts lookup, the question on the terminal
// and the warnings.
#include "client/host_trust.hpp"

#include <ostream>

#include "client/known_hosts.hpp"
#include "term/tty_question.hpp"

namespace ferry::client {
namespace {

/// `path` quoted for a POSIX shell when it needs it.
std::string shell_quoted(const std::string& path) {
  if (path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%") ==
      std::string::npos)
    return path;
  std::string out = "'";
  for (const char c : path) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string changed_pin_warning(const std::string& key, const std::string& pinned,
                                const std::string& offered, const std::filesystem::path& file,
                                std::size_t line) {
  const std::string n = std::to_string(line);
  const std::string where = shell_quoted(file.string());
  return "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
         "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
         "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
         "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
         "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n"
         "It is also possible that the TLS certificate of '" + key + "' has just been changed.\n"
         "Pinned certificate: " + pinned + "\n"
         "Offered certificate: " + offered + "\n"
         "The pin is on line " + n + " of " + file.string() + ".\n"
         "If you trust the new certificate, remove line " + n + " of " + file.string() +
         " (sed -i '" + n + "d' " + where + ") and connect again.\n";
}

result<pin_trust> verify_pin(const std::string& key, const std::string& fingerprint,
                             const std::filesystem::path& file, std::ostream& err) {
  std::string error;
  const auto text = read_known_hosts(file, error);
  if (!text) return broken("cannot verify " + key + ": " + error);
  const pin_lookup found = find_pin(*text, key, fingerprint);
  switch (found.status) {
    case pin_lookup::state::match:
      return pin_trust::pinned;
    case pin_lookup::state::changed:
      // SECURITY: never fall back to asking: a changed certificate is refused.
      err << changed_pin_warning(key, found.pinned, fingerprint, file, found.line);
      return broken("certificate verification failed: " + key + " no longer presents the pinned certificate");
    case pin_lookup::state::malformed:
      // SECURITY: a pin we cannot read is not a reason to ask again.
      return broken("line " + std::to_string(found.line) + " of " + file.string() + " pins " + key +
                    " but holds no SHA-256 fingerprint (expected '" + pin_line(key, fingerprint) +
                    "' or another certificate's)");
    case pin_lookup::state::unknown:
      break;
  }
  std::string question =
      "The authenticity of host '" + key + "' can't be established.\n"
      "TLS certificate SHA256 fingerprint: " + fingerprint + "\n"
      "Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
  std::optional<std::string> answer;
  bool yes = false;
  // Like ssh: "yes", "no", or the fingerprint itself (checked, not trusted
  // blindly); anything else is asked again.
  for (int tries = 0; tries < 5; ++tries) {
    answer = term::ask_on_tty(question);
    if (!answer) break;
    const std::string digits = fingerprint_digits(*answer);
    if (*answer == "yes" || *answer == "y" || (!digits.empty() && digits == fingerprint_digits(fingerprint))) {
      yes = true;
      break;
    }
    if (*answer == "no" || *answer == "n" || answer->empty()) break;
    question = !digits.empty() ? "That is not this certificate's fingerprint. Please type 'yes', 'no' or the fingerprint: "
                               : "Please type 'yes', 'no' or the fingerprint: ";
  }
  if (!answer)
    return broken("cannot verify " + key + ": its TLS certificate " + fingerprint +
                  " is not in " + file.string() +
                  " and there is no terminal to ask; connect once interactively, or add the line '" +
                  pin_line(key, fingerprint) + "' to that file");
  if (!yes) return broken("certificate verification failed: not accepted");
  if (!append_pin(file, key, fingerprint, error)) {
    err << "ferry: warning: " << error << " (the certificate is trusted for this connection only)\n";
  } else {
    term::tell_on_tty("Permanently added '" + key + "' to the list of known hosts.\n");
  }
  return pin_trust::accepted;
}

}  // namespace ferry::client
