#include "exec/command_line.hpp"

#include <signal.h>
#include <sys/wait.h>

namespace ferry::exec {

std::string check_argv(const std::vector<std::string>& argv) {
  if (argv.empty()) return "argv is empty";
  if (argv.size() > max_args) return "too many arguments (at most " + std::to_string(max_args) + ")";
  if (argv[0].empty()) return "the command name is empty";
  for (const auto& a : argv)
    if (a.find('\0') != std::string::npos) return "an argument contains a NUL byte";
  return {};
}

std::optional<std::string> resolve(std::string_view name,
                                   const std::function<bool(const std::string&)>& executable) {
  if (name.find('/') != std::string_view::npos) return std::string(name);
  std::string_view rest = search_path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    std::string candidate = std::string(dir) + "/" + std::string(name);
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

bool plain_locale(std::string_view lang) {
  if (lang.empty() || lang.size() > 64) return false;
  for (unsigned char c : lang)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.' || c == '@'))
      return false;
  return true;
}

std::vector<std::string> environment(const std::string& home, const std::string& pwd,
                                     const std::string& user, std::string_view lang) {
  std::vector<std::string> env{"HOME=" + home, "PATH=" + std::string(search_path), "PWD=" + pwd,
                               "USER=" + user, "LOGNAME=" + user};
  if (plain_locale(lang)) env.push_back("LANG=" + std::string(lang));
  return env;
}

ending from_wait(int code, int status) {
  if (code == CLD_EXITED) return {status & 0xff, 0};
  return {128 + status, status};  // CLD_KILLED, CLD_DUMPED
}

std::optional<int> signal_by_name(std::string_view name) {
  if (name == "INT") return SIGINT;
  if (name == "TERM") return SIGTERM;
  if (name == "KILL") return SIGKILL;
  if (name == "HUP") return SIGHUP;
  if (name == "QUIT") return SIGQUIT;
  return std::nullopt;
}

}  // namespace ferry::exec
