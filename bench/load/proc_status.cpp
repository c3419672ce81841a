// proc_status: VmRSS/VmHWM of a process (the server under load).
#include "load/proc_status.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace ferry::load {
namespace {

// The value of "NAME:   1234 kB" lines; nullopt when absent or malformed.
std::optional<std::uint64_t> field_kib(std::string_view text, std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ':') continue;
    line.remove_prefix(name.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc{} || end == line.data()) return std::nullopt;
    std::string_view unit(end, static_cast<std::size_t>(line.data() + line.size() - end));
    if (unit != " kB") return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace

std::optional<proc_memory> parse_proc_status(std::string_view text) {
  const auto rss = field_kib(text, "VmRSS");
  const auto hwm = field_kib(text, "VmHWM");
  if (!rss || !hwm) return std::nullopt;
  return proc_memory{*rss, *hwm};
}

std::optional<proc_memory> read_proc_status(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_proc_status(text.str());
}

bool reset_peak_rss(int pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace ferry::load
