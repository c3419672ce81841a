// Settings as text, setting by setting, so a reload can say what changed and
// which of the changes wait for a restart.
#include <algorithm>
#include <array>
#include <string_view>

#include "session/config.hpp"

namespace ferry::session {

namespace {

std::string text(const endpoint_spec& e) {
  return (e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}
std::string text(const std::optional<endpoint_spec>& e) { return e ? text(*e) : "off"; }
std::string text(const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "default"; }
std::string text(bool b) { return b ? "true" : "false"; }
std::string text(std::chrono::seconds s) { return std::to_string(s.count()); }
template <class N>
std::string text(N n)
  requires std::is_integral_v<N>
{
  return std::to_string(n);
}

/// What a reload applies while sessions run (server_context::apply_live);
/// every other setting is read once, at start.
constexpr std::array<std::string_view, 8> live_settings{"idle_timeout", "login_timeout", "drain_timeout",
                                                        "max_auth_attempts", "ban_after", "ban_seconds", "rate",
                                                        "log_level"};

}  // namespace

std::vector<std::pair<std::string, std::string>> config::describe() const {
  return {
      {"listen", text(listen)},
      {"threads", text(threads)},
      {"fs_workers", text(fs_workers)},
      {"idle_timeout", text(idle_timeout)},
      {"login_timeout", text(login_timeout)},
      {"drain_timeout", text(drain_timeout)},
      {"max_sessions", text(max_sessions)},
      {"max_sessions_per_ip", text(max_sessions_per_ip)},
      {"max_pending_logins", text(max_pending_logins)},
      {"max_pending_logins_per_ip", text(max_pending_logins_per_ip)},
      {"max_auth_attempts", text(max_auth_attempts)},
      {"ban_after", text(ban_after)},
      {"ban_seconds", text(ban_seconds)},
      {"max_uploads_per_session", text(max_uploads_per_session)},
      {"max_uploads_per_user", text(max_uploads_per_user)},
      {"max_open_uploads", text(max_open_uploads)},
      {"rate", rate == 0 ? std::string("unlimited") : text(rate) + " B/s"},
      {"max_files", text(max_files)},
      {"download_method", download_method},
      {"metrics_listen", text(metrics_listen)},
      {"udp_status", text(udp_status)},
      {"log_format", log_format},
      {"log_level", log_level},
      {"user", user},
      {"tls.cert", tls.cert.string()},
      {"tls.key", tls.key.string()},
      {"tls.required", text(tls.required)},
      {"ftp.listen", text(ftp.listen)},
      {"ftp.pasv_ports", ftp.pasv_min == 0 ? std::string("any") : text(ftp.pasv_min) + "-" + text(ftp.pasv_max)},
      {"ftp.active", text(ftp.active)},
      {"ftp.allow_plaintext", text(ftp.allow_plaintext)},
      {"ftp.implicit_listen", text(ftp.implicit_listen)},
      {"ftp.require_tls", text(ftp.require_tls)},
      {"ftp.require_tls_session_reuse", text(ftp.require_tls_session_reuse)},
      {"ftp.encoding", ftp.encoding},
      {"ftp.data_timeout", text(ftp.data_timeout)},
      {"exec.timeout", text(exec.timeout)},
      {"exec.max_output", text(exec.max_output)},
      {"exec.cpu_seconds", text(exec.cpu_seconds)},
      {"exec.max_processes", text(exec.max_processes)},
      {"exec.max_memory", text(exec.max_memory)},
      {"exec.max_running", text(exec.max_running)},
      {"exec.max_per_user", text(exec.max_per_user)},
      {"exec.allow_network", text(exec.allow_network)},
      {"exec.allow_unconfined", text(exec.allow_unconfined)},
  };
}

std::vector<setting_change> diff_settings(const config& before, const config& after) {
  const auto a = before.describe();
  const auto b = after.describe();
  std::vector<setting_change> out;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].second == b[i].second) continue;
    const bool live = std::find(live_settings.begin(), live_settings.end(), a[i].first) != live_settings.end();
    out.push_back({a[i].first, a[i].second, b[i].second, live});
  }
  return out;
}

}  // namespace ferry::session
