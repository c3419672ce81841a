// Human-readable ctl output.
#include "server/ctl_format.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::server {

namespace {

using json = nlohmann::json;

std::uint64_t u64(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}
std::string str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string transfer_text(const json& t) {
  if (!t.is_object()) return "-";
  const bool in = str(t, "direction") == "in";
  const auto size = u64(t, "size");
  const auto at = u64(t, "offset") + u64(t, "done");
  std::string progress = human_bytes(at);
  if (size > 0) progress += fmt::format("/{} ({}%)", human_bytes(size), at * 100 / size);
  return fmt::format("{} {} {} {}/s", in ? "put" : "get", str(t, "path"), progress, human_bytes(u64(t, "rate")));
}

}  // namespace

std::string human_bytes(std::uint64_t n) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (n < 1024) return fmt::format("{} B", n);
  double v = static_cast<double>(n) / 1024;
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_seconds(std::uint64_t s) {
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string format_sessions(const json& sessions, std::int64_t now) {
  std::vector<std::array<std::string, 7>> rows{{"ID", "USER", "PEER", "PROTO", "SINCE", "IDLE", "TRANSFER"}};
  if (sessions.is_array()) {
    for (const auto& s : sessions) {
      std::string proto = str(s, "protocol");
      if (s.contains("tls") && s["tls"].is_boolean() && s["tls"].get<bool>() && proto != "ftps") proto += "+tls";
      const auto since = s.contains("since") && s["since"].is_number() ? s["since"].get<std::int64_t>() : now;
      const auto user = str(s, "user");
      rows.push_back({std::to_string(u64(s, "id")), user.empty() ? "-" : user, str(s, "peer"), proto,
                      human_seconds(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - since))),
                      human_seconds(u64(s, "idle")), transfer_text(s.contains("transfer") ? s["transfer"] : json())});
    }
  }
  std::array<std::size_t, 7> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
    out += line + "\n";
  }
  if (rows.size() == 1) out += "(no sessions)\n";
  return out;
}

std::string format_stats(const json& stats) {
  const json empty = json::object();
  const auto& sessions = stats.contains("sessions") ? stats["sessions"] : empty;
  const auto& logins = stats.contains("logins") ? stats["logins"] : empty;
  const auto& bytes = stats.contains("bytes") ? stats["bytes"] : empty;
  const auto& xfers = stats.contains("transfers") ? stats["transfers"] : empty;
  std::string by_proto;
  for (const auto* p : {"ferry", "ftp", "ftps"}) by_proto += fmt::format("{}{} {}", by_proto.empty() ? "" : ", ", p, u64(sessions, p));
  std::string out;
  out += fmt::format("uptime      {}\n", human_seconds(u64(stats, "uptime")));
  out += fmt::format("sessions    {} ({}; {} not logged in)\n", u64(sessions, "total"), by_proto, u64(sessions, "pending"));
  out += fmt::format("logins      {} ok, {} failed\n", u64(logins, "ok"), u64(logins, "failed"));
  out += fmt::format("bytes       {} in, {} out\n", human_bytes(u64(bytes, "in")), human_bytes(u64(bytes, "out")));
  out += fmt::format("transfers   {} in, {} out completed; {} in, {} out failed\n", u64(xfers, "in"), u64(xfers, "out"),
                     u64(xfers, "failed_in"), u64(xfers, "failed_out"));
  out += fmt::format("exec runs   {}\n", u64(stats, "exec_runs"));
  return out;
}

}  // namespace ferry::server
