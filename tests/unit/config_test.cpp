// ferryd.toml loading: the built-in defaults, the file `ferryd init` writes
// (every key parses back to its default), overrides of every key, refusals
// that name the file and the key, and parse_endpoint's accepted and refused
// spellings.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "session/config.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using ferry::session::config;
using ferry::session::default_config_text;
using ferry::session::endpoint_spec;
using ferry::session::parse_endpoint;
using namespace std::chrono_literals;

namespace {

/// `text` with the "# " taken off every commented `key = value` line and
/// every commented section header ("# [ftp]"); prose comments stay.
std::string uncomment(const std::string& text) {
  static const std::regex setting(R"(^# ([a-z_]+ = .*|\[[a-z_]+\].*)$)");
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) out += std::regex_replace(line, setting, "$1") + "\n";
  return out;
}

void expect_top_level_defaults(const config& c) {
  const config d;
  EXPECT_EQ(c.listen.host, d.listen.host);
  EXPECT_EQ(c.listen.port, d.listen.port);
  EXPECT_EQ(c.threads, d.threads);
  EXPECT_EQ(c.idle_timeout, d.idle_timeout);
  EXPECT_EQ(c.login_timeout, d.login_timeout);
  EXPECT_EQ(c.drain_timeout, d.drain_timeout);
  EXPECT_EQ(c.max_sessions, d.max_sessions);
  EXPECT_EQ(c.max_sessions_per_ip, d.max_sessions_per_ip);
  EXPECT_EQ(c.max_auth_attempts, d.max_auth_attempts);
  EXPECT_EQ(c.ban_after, d.ban_after);
  EXPECT_EQ(c.ban_seconds, d.ban_seconds);
  EXPECT_EQ(c.max_pending_logins, d.max_pending_logins);
  EXPECT_EQ(c.max_pending_logins_per_ip, d.max_pending_logins_per_ip);
  EXPECT_EQ(c.max_uploads_per_session, d.max_uploads_per_session);
  EXPECT_EQ(c.max_uploads_per_user, d.max_uploads_per_user);
  EXPECT_EQ(c.max_open_uploads, d.max_open_uploads);
  EXPECT_EQ(c.fs_workers, d.fs_workers);
  EXPECT_EQ(c.rate, d.rate);
  EXPECT_EQ(c.max_files, d.max_files);
  EXPECT_EQ(c.download_method, d.download_method);
  EXPECT_EQ(c.user, d.user);
  EXPECT_EQ(c.udp_status, d.udp_status);
  EXPECT_EQ(c.log_format, d.log_format);
}

class Config : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ferry::test::fresh_test_dir("config");
    fs::create_directories(dir_);
    file_ = dir_ / "ferryd.toml";
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes `text` to the config file and loads it (required).
  bool load(const std::string& text, config& c) {
    std::ofstream(file_) << text;
    error_.clear();
    return c.load(file_, true, error_);
  }

  /// Loads `text`, expects a refusal whose message names the file and `key`.
  void expect_refused(const std::string& text, const std::string& key) {
    config c;
    EXPECT_FALSE(load(text, c)) << text;
    EXPECT_NE(error_.find(file_.string()), std::string::npos) << error_;
    EXPECT_NE(error_.find(key), std::string::npos) << "error should name " << key << ": " << error_;
  }

  fs::path dir_;
  fs::path file_;
  std::string error_;
};

TEST_F(Config, MissingFileNotRequiredKeepsDefaults) {
  config c;
  std::string error;
  EXPECT_TRUE(c.load(dir_ / "absent.toml", false, error));
  EXPECT_TRUE(error.empty());
  expect_top_level_defaults(c);
  EXPECT_EQ(c.listen.host, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 9021);
  EXPECT_EQ(c.idle_timeout, 300s);
  EXPECT_EQ(c.download_method, "auto");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.ftp.listen);
  EXPECT_EQ(c.ftp.pasv_min, 0);
  EXPECT_EQ(c.ftp.pasv_max, 0);
  EXPECT_FALSE(c.ftp.active);
  EXPECT_FALSE(c.ftp.allow_plaintext);
  EXPECT_EQ(c.ftp.encoding, "utf-8");
  EXPECT_EQ(c.ftp.data_timeout, 30s);
}

TEST_F(Config, MissingFileRequiredIsAnError) {
  config c;
  std::string error;
  EXPECT_FALSE(c.load(dir_ / "absent.toml", true, error));
  EXPECT_NE(error.find("not found"), std::string::npos) << error;
  EXPECT_NE(error.find((dir_ / "absent.toml").string()), std::string::npos) << error;
}

TEST_F(Config, EmptyFileKeepsDefaults) {
  config c;
  ASSERT_TRUE(load("", c)) << error_;
  expect_top_level_defaults(c);
  EXPECT_FALSE(c.ftp.listen);
}

TEST_F(Config, DefaultTextAsWrittenIsAllComments) {
  config c;
  ASSERT_TRUE(load(default_config_text(), c)) << error_;
  expect_top_level_defaults(c);
  EXPECT_FALSE(c.ftp.listen);
}

TEST_F(Config, EveryKeyOfTheDefaultTextParsesBackToItsDefault) {
  const std::string text = uncomment(default_config_text());
  // The helper really did uncomment every setting: 23 top-level keys, the
  // [tls] header and its 3 keys, the [ftp] header and its 9 keys, the [exec]
  // header and its 9 keys.
  const std::regex setting_line(R"(^([a-z_]+ = |\[ftp\]|\[tls\]|\[exec\]))");
  int settings = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, setting_line)) ++settings;
  ASSERT_EQ(settings, 48) << text;

  config c;
  ASSERT_TRUE(load(text, c)) << error_ << "\n" << text;
  expect_top_level_defaults(c);
  // Off by default, shown with an example address.
  ASSERT_TRUE(c.metrics_listen);
  EXPECT_EQ(c.metrics_listen->port, 9100);
  const ferry::session::ftp_config d;
  EXPECT_EQ(c.ftp.active, d.active);
  EXPECT_EQ(c.ftp.allow_plaintext, d.allow_plaintext);
  EXPECT_EQ(c.ftp.encoding, d.encoding);
  EXPECT_EQ(c.ftp.data_timeout, d.data_timeout);
  // The two [ftp] settings that are off by default are shown with an example
  // value (the text says so: "off unless listen is set", "default: any free
  // port"); uncommented, they take that value.
  ASSERT_TRUE(c.ftp.listen);
  EXPECT_EQ(c.ftp.listen->host, "127.0.0.1");
  EXPECT_EQ(c.ftp.listen->port, 2121);
  EXPECT_EQ(c.ftp.pasv_min, 50000);
  EXPECT_EQ(c.ftp.pasv_max, 50100);
  EXPECT_EQ(c.ftp.require_tls_session_reuse, d.require_tls_session_reuse);
  const ferry::session::tls_config t;
  EXPECT_EQ(c.tls.cert, t.cert);
  EXPECT_EQ(c.tls.key, t.key);
  // "Default: on off loopback" is shown as `true`; so is FTP's require_tls,
  // and the implicit listener with an example address.
  EXPECT_EQ(c.tls.required, std::optional<bool>(true));
  EXPECT_EQ(c.ftp.require_tls, std::optional<bool>(true));
  ASSERT_TRUE(c.ftp.implicit_listen);
  EXPECT_EQ(c.ftp.implicit_listen->port, 9990);
}

TEST_F(Config, TlsDefaultsAndOverrides) {
  config d;
  EXPECT_EQ(d.tls.cert, "tls/cert.pem");
  EXPECT_EQ(d.tls.key, "tls/key.pem");
  EXPECT_FALSE(d.tls.required);  // decided per listener
  EXPECT_FALSE(d.ftp.require_tls);
  EXPECT_FALSE(d.ftp.require_tls_session_reuse);
  EXPECT_FALSE(d.ftp.implicit_listen);
  config c;
  ASSERT_TRUE(load(R"([tls]
cert = "/etc/ssl/x.pem"
key = "k.pem"
required = false
[ftp]
require_tls = false
require_tls_session_reuse = true
implicit_listen = "[::1]:990"
)", c)) << error_;
  EXPECT_EQ(c.tls.cert, "/etc/ssl/x.pem");
  EXPECT_EQ(c.tls.key, "k.pem");
  EXPECT_EQ(c.tls.required, std::optional<bool>(false));
  EXPECT_EQ(c.ftp.require_tls, std::optional<bool>(false));
  EXPECT_TRUE(c.ftp.require_tls_session_reuse);
  ASSERT_TRUE(c.ftp.implicit_listen);
  EXPECT_EQ(c.ftp.implicit_listen->host, "::1");
  EXPECT_EQ(c.ftp.implicit_listen->port, 990);
}

TEST_F(Config, BadTlsValuesAreErrors) {
  for (const char* text : {"tls = 1", "[tls]\nrequired = 1", "[tls]\ncert = \"\"", "[tls]\nkey = 5",
                           "[ftp]\nrequire_tls = \"yes\"", "[ftp]\nimplicit_listen = \"nope\"",
                           "[ftp]\nrequire_tls_session_reuse = 0"}) {
    config c;
    EXPECT_FALSE(load(text, c)) << text;
    EXPECT_FALSE(error_.empty()) << text;
  }
}

TEST_F(Config, TopLevelValuesOverrideDefaults) {
  config c;
  ASSERT_TRUE(load(R"(listen = "0.0.0.0:7000"
threads = 4
idle_timeout = 60
login_timeout = 5
drain_timeout = 2
max_sessions = 10
max_sessions_per_ip = 3
max_auth_attempts = 7
rate = "10MiB/s"
max_files = 5000
download_method = "sendfile"
)",
                   c))
      << error_;
  EXPECT_EQ(c.listen.host, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 7000);
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.idle_timeout, 60s);
  EXPECT_EQ(c.login_timeout, 5s);
  EXPECT_EQ(c.drain_timeout, 2s);
  EXPECT_EQ(c.max_sessions, 10u);
  EXPECT_EQ(c.max_sessions_per_ip, 3u);
  EXPECT_EQ(c.max_auth_attempts, 7u);
  EXPECT_EQ(c.rate, 10u * 1024 * 1024);
  EXPECT_EQ(c.max_files, 5000u);
  EXPECT_EQ(c.download_method, "sendfile");
  EXPECT_FALSE(c.ftp.listen) << "no [ftp] table: FTP stays off";
}

TEST_F(Config, MaxFilesDefaultsToAMillionAndZeroIsUnlimited) {
  EXPECT_EQ(config{}.max_files, 1'000'000u);
  config c;
  ASSERT_TRUE(load("max_files = 0\n", c)) << error_;
  EXPECT_EQ(c.max_files, 0u);
}

TEST_F(Config, EmptyRateMeansUnlimited) {
  config c;
  c.rate = 123;
  ASSERT_TRUE(load("rate = \"\"\n", c)) << error_;
  EXPECT_EQ(c.rate, 0u);
}

TEST_F(Config, FtpValuesOverrideDefaults) {
  config c;
  ASSERT_TRUE(load(R"([ftp]
listen = "[::1]:2121"
pasv_ports = "50000-50010"
active = true
allow_plaintext = true
encoding = "gbk"
data_timeout = 12
)",
                   c))
      << error_;
  ASSERT_TRUE(c.ftp.listen);
  EXPECT_EQ(c.ftp.listen->host, "::1");
  EXPECT_EQ(c.ftp.listen->port, 2121);
  EXPECT_EQ(c.ftp.pasv_min, 50000);
  EXPECT_EQ(c.ftp.pasv_max, 50010);
  EXPECT_TRUE(c.ftp.active);
  EXPECT_TRUE(c.ftp.allow_plaintext);
  EXPECT_EQ(c.ftp.encoding, "gbk");
  EXPECT_EQ(c.ftp.data_timeout, 12s);
  expect_top_level_defaults(c);
}

TEST_F(Config, BadTopLevelValuesNameFileAndKey) {
  expect_refused("idle_timeout = -1\n", "idle_timeout");
  expect_refused("login_timeout = -30\n", "login_timeout");
  expect_refused("shutdown_timeout = -2\n", "shutdown_timeout");
  expect_refused("drain_timeout = -2\n", "drain_timeout");
  expect_refused("metrics_listen = \"nope\"\n", "metrics_listen");
  expect_refused("threads = \"four\"\n", "threads");
  expect_refused("max_sessions = -1\n", "max_sessions");
  expect_refused("idle_timeout = 1.5\n", "idle_timeout");
  expect_refused("download_method = \"zero\"\n", "download_method");
  expect_refused("download_method = 1\n", "download_method");
  expect_refused("listen = \"nonsense\"\n", "listen");
  expect_refused("listen = 9021\n", "listen");
  expect_refused("listen = \"127.0.0.1:70000\"\n", "listen");
  expect_refused("rate = \"fast\"\n", "rate");
  expect_refused("rate = 100\n", "rate");
  expect_refused("max_files = -1\n", "max_files");
  expect_refused("max_files = \"many\"\n", "max_files");
}

TEST_F(Config, ActivityLogAndStatusSettings) {
  config c;
  ASSERT_TRUE(load("log_format = \"json\"\nudp_status = false\n", c)) << error_;
  EXPECT_EQ(c.log_format, "json");
  EXPECT_FALSE(c.udp_status);
  EXPECT_EQ(config{}.log_format, "text");
  EXPECT_TRUE(config{}.udp_status);
  expect_refused("log_format = \"xml\"\n", "log_format");
  expect_refused("log_format = 1\n", "log_format");
  expect_refused("udp_status = \"yes\"\n", "udp_status");
}

TEST(DefaultConfigText, IsThePackagedExample) {
  // packaging/ferryd.toml is installed as the example configuration: it
  // must be what `ferryd init` writes. After changing default_config_text():
  //   build/apps/ferryd init --root /tmp/x --no-tls && cp /tmp/x/ferryd.toml packaging/
  std::ifstream in(FERRY_SOURCE_DIR "/packaging/ferryd.toml", std::ios::binary);
  ASSERT_TRUE(in) << "packaging/ferryd.toml is missing";
  const std::string packaged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(packaged, default_config_text()) << "packaging/ferryd.toml differs from default_config_text()";
}

TEST_F(Config, BadFtpValuesNameFileAndKey) {
  expect_refused("[ftp]\nlisten = \"nonsense\"\n", "ftp.listen");
  expect_refused("[ftp]\npasv_ports = \"50100-50000\"\n", "ftp.pasv_ports");
  expect_refused("[ftp]\npasv_ports = \"0-100\"\n", "ftp.pasv_ports");
  expect_refused("[ftp]\npasv_ports = \"50000-70000\"\n", "ftp.pasv_ports");
  expect_refused("[ftp]\npasv_ports = \"50000\"\n", "ftp.pasv_ports");
  expect_refused("[ftp]\npasv_ports = 50000\n", "ftp.pasv_ports");
  expect_refused("[ftp]\nactive = \"yes\"\n", "ftp.active");
  expect_refused("[ftp]\nallow_plaintext = \"no\"\n", "ftp.allow_plaintext");
  expect_refused("[ftp]\nencoding = \"\"\n", "ftp.encoding");
  expect_refused("[ftp]\ndata_timeout = 0\n", "ftp.data_timeout");
  expect_refused("[ftp]\ndata_timeout = -5\n", "ftp.data_timeout");
  expect_refused("ftp = 5\n", "ftp");
}

TEST_F(Config, SyntaxErrorReportsFileAndLine) {
  config c;
  EXPECT_FALSE(load("threads = 2\n\nidle_timeout = = 3\n", c));
  EXPECT_EQ(error_.rfind(file_.string() + ":3:", 0), 0u) << error_;
}

TEST_F(Config, SyntaxErrorOnTheFirstLine) {
  config c;
  EXPECT_FALSE(load("[ftp\nlisten = \"127.0.0.1:2121\"\n", c));
  EXPECT_EQ(error_.rfind(file_.string() + ":1:", 0), 0u) << error_;
}

TEST_F(Config, OutOfRangeCountIsRefused) {
  // An integer above the field's range once wrapped (threads = 4294967297
  // loaded as 1); a timeout near INT64_MAX would overflow the deadline.
  expect_refused("threads = 4294967297\n", "threads");
  expect_refused("max_sessions = 4294967296\n", "max_sessions");
  expect_refused("idle_timeout = 9223372036854775807\n", "idle_timeout");
}

TEST_F(Config, ValuesOutOfTheirMeaningAreRefusedWithValueAndRange) {
  // issue 13: honoured as written or refused, never adjusted. The message
  // names the setting, the value and the range.
  const std::pair<std::string, std::string> cases[] = {
      {"idle_timeout = 0\n", "idle_timeout = 0 is out of range: it must be an integer from 1 to 315360000"},
      {"login_timeout = 0\n", "login_timeout = 0 is out of range: it must be an integer from 1 to 315360000"},
      {"idle_timeout = -5\n", "idle_timeout = -5 is out of range"},
      {"idle_timeout = \"5\"\n", "idle_timeout = '5' is out of range"},
      {"threads = 1025\n", "threads = 1025 is out of range: it must be an integer from 0 to 1024"},
      {"fs_workers = 5000\n", "fs_workers = 5000 is out of range: it must be an integer from 0 to 1024"},
      {"max_auth_attempts = 0\n", "max_auth_attempts = 0 is out of range: it must be an integer from 1 to 1000"},
      {"[ftp]\ndata_timeout = 0\n", "ftp.data_timeout = 0 is out of range: it must be an integer from 1 to"},
      {"[exec]\nmax_running = 0\n", "exec.max_running = 0 is out of range: it must be an integer from 1 to 65536"},
  };
  for (const auto& [text, message] : cases) {
    config c;
    EXPECT_FALSE(load(text, c)) << text;
    EXPECT_NE(error_.find(message), std::string::npos) << "expected \"" << message << "\" in: " << error_;
  }
}

TEST_F(Config, SmallButValidValuesAreHonoured) {
  config c;
  ASSERT_TRUE(load("idle_timeout = 5\nlogin_timeout = 1\nthreads = 1024\nfs_workers = 1024\n"
                   "max_auth_attempts = 1\n",
                   c))
      << error_;
  EXPECT_EQ(c.idle_timeout, 5s);
  EXPECT_EQ(c.login_timeout, 1s);
  EXPECT_EQ(c.threads, 1024u);
  EXPECT_EQ(c.fs_workers, 1024u);
  EXPECT_EQ(c.max_auth_attempts, 1u);
  EXPECT_TRUE(c.set_explicitly("idle_timeout"));
  EXPECT_FALSE(c.set_explicitly("max_sessions"));
}

TEST_F(Config, DescriptorBoundSettingsAskedForAreRefusedDefaultsTrimmed) {
  // 384 descriptors: (384 - 64) / 3 = 106 sessions and open uploads, and a
  // quarter of the sessions (at least 16) for logins in progress.
  config asked;
  ASSERT_TRUE(load("max_sessions = 500\n", asked)) << error_;
  unsigned cap = 0;
  std::string error;
  std::vector<std::string> notes;
  EXPECT_FALSE(ferry::session::fit_descriptors(asked, 384, cap, error, notes));
  EXPECT_NE(error.find("max_sessions = 500"), std::string::npos) << error;
  EXPECT_NE(error.find("limit 384"), std::string::npos) << error;
  EXPECT_NE(error.find("at most 106"), std::string::npos) << error;

  config uploads;
  ASSERT_TRUE(load("max_open_uploads = 107\n", uploads)) << error_;
  EXPECT_FALSE(ferry::session::fit_descriptors(uploads, 384, cap, error, notes));
  EXPECT_NE(error.find("max_open_uploads = 107"), std::string::npos) << error;

  config fits;
  ASSERT_TRUE(load("max_sessions = 106\nmax_pending_logins = 26\nmax_open_uploads = 50\n", fits)) << error_;
  notes.clear();
  EXPECT_TRUE(ferry::session::fit_descriptors(fits, 384, cap, error, notes)) << error;
  EXPECT_EQ(fits.max_sessions, 106u);
  EXPECT_EQ(fits.max_pending_logins, 26u);
  EXPECT_EQ(cap, 50u);
  EXPECT_TRUE(notes.empty());

  config defaults;  // 1024 sessions, 256 pending logins: trimmed, each said
  notes.clear();
  EXPECT_TRUE(ferry::session::fit_descriptors(defaults, 384, cap, error, notes)) << error;
  EXPECT_EQ(defaults.max_sessions, 106u);
  EXPECT_EQ(defaults.max_pending_logins, 26u);
  EXPECT_EQ(cap, 106u) << "max_open_uploads = 0: a third of the limit";
  EXPECT_EQ(notes.size(), 2u);
}

TEST_F(Config, ValuesOfAnotherTomlTypeAreRefused) {
  // A boolean once passed as an integer (threads = true loaded as 1) and an
  // integer as a boolean ([ftp] active = 1 loaded as true).
  expect_refused("threads = true\n", "threads");
  expect_refused("[ftp]\nactive = 1\n", "ftp.active");
}

// --- parse_endpoint -------------------------------------------------------------

TEST(ParseEndpoint, HostAndPort) {
  auto ep = parse_endpoint("1.2.3.4:21");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "1.2.3.4");
  EXPECT_EQ(ep->port, 21);
}

TEST(ParseEndpoint, BracketedIpv6) {
  auto ep = parse_endpoint("[::1]:2121");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 2121);
}

TEST(ParseEndpoint, PortOnlyListensOnAllAddresses) {
  auto ep = parse_endpoint(":9021");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "0.0.0.0");
  EXPECT_EQ(ep->port, 9021);
}

TEST(ParseEndpoint, PortRangeEdges) {
  auto top = parse_endpoint("h:65535");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->port, 65535);
  EXPECT_FALSE(parse_endpoint("h:65536"));
  auto padded = parse_endpoint("h:00021");
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->port, 21);
}

TEST(ParseEndpoint, Refusals) {
  for (const char* bad : {"", "host", "h:99999", "h:", ":", "h:123456", "h:-1", "h:+1", "h:2x", "h: 21",
                          "[::1]", "[::1]2121", "[::1]:", "[::1:2121", "[::1]:99999"})
    EXPECT_FALSE(parse_endpoint(bad)) << '"' << bad << '"';
}

}  // namespace

TEST_F(Config, ShutdownTimeoutIsTheOldNameOfDrainTimeout) {
  config c;
  ASSERT_TRUE(load("shutdown_timeout = 7\n", c)) << error_;
  EXPECT_EQ(c.drain_timeout, 7s);
  config both;
  EXPECT_FALSE(load("drain_timeout = 5\nshutdown_timeout = 7\n", both));
  EXPECT_NE(error_.find("drain_timeout"), std::string::npos) << error_;
  EXPECT_NE(error_.find("shutdown_timeout"), std::string::npos) << error_;
}

TEST_F(Config, MetricsListenIsOffUnlessSet) {
  config c;
  ASSERT_TRUE(load("", c)) << error_;
  EXPECT_FALSE(c.metrics_listen);
  ASSERT_TRUE(load("metrics_listen = \"127.0.0.1:9100\"\n", c)) << error_;
  ASSERT_TRUE(c.metrics_listen);
  EXPECT_EQ(c.metrics_listen->host, "127.0.0.1");
  EXPECT_EQ(c.metrics_listen->port, 9100);
  config off;
  ASSERT_TRUE(load("metrics_listen = \"\"\n", off)) << error_;
  EXPECT_FALSE(off.metrics_listen);
}

TEST_F(Config, DiffNamesChangedSettingsAndWhichApplyLive) {
  config a, b;
  EXPECT_TRUE(ferry::session::diff_settings(a, b).empty());
  b.idle_timeout = 60s;
  b.listen.port = 7000;
  b.rate = 1024;
  b.ftp.active = true;
  const auto d = ferry::session::diff_settings(a, b);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].name, "listen");
  EXPECT_FALSE(d[0].live);
  EXPECT_EQ(d[0].before, "127.0.0.1:9021");
  EXPECT_EQ(d[0].after, "127.0.0.1:7000");
  EXPECT_EQ(d[1].name, "idle_timeout");
  EXPECT_TRUE(d[1].live);
  EXPECT_EQ(d[1].before, "300");
  EXPECT_EQ(d[1].after, "60");
  EXPECT_EQ(d[2].name, "rate");
  EXPECT_TRUE(d[2].live);
  EXPECT_EQ(d[3].name, "ftp.active");
  EXPECT_FALSE(d[3].live);
}

TEST_F(Config, DescribeNamesEverySettingOfTheDefaultText) {
  // Every key ferryd.toml can hold shows up in a reload's comparison.
  const config c;
  const auto names = c.describe();
  const std::string text = uncomment(default_config_text());
  const std::regex key(R"(^([a-z_]+) = )");
  std::string section;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("[")) section = line.substr(1, line.find(']') - 1) + ".";
    std::smatch m;
    if (!std::regex_search(line, m, key)) continue;
    const std::string name = section + m[1].str();
    const bool found = std::any_of(names.begin(), names.end(), [&](const auto& p) { return p.first == name; });
    EXPECT_TRUE(found) << name;
  }
}
