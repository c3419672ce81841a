// known_hosts (trust on first use): the keys servers are pinned under, the
// lookup (match, unknown, changed, comments and odd lines), where the file
// lives, appending pins (modes, an unterminated last line), the changed-pin
// warning and the TLS mode chosen for a host.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client/dialer.hpp"
#include "client/host_trust.hpp"
#include "client/known_hosts.hpp"
#include "client/target.hpp"
#include "test_files.hpp"

namespace {

using namespace ferry::client;
using state = pin_lookup::state;

const std::string fp_a =
    "SHA256:52:97:9F:EB:B8:B6:1C:B1:18:99:B8:B5:5D:6C:DD:F1:48:1E:51:8A:36:DA:AC:E5:2F:B8:47:DE:62:13:CD:84";
const std::string fp_b =
    "SHA256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(ClientKnownHosts, KeysAreHostPortWithLowerCaseNamesAndBracketedV6) {
  EXPECT_EQ(pin_key("Files.Example.ORG", 9021), "files.example.org:9021");
  EXPECT_EQ(pin_key("127.0.0.1", 9021), "127.0.0.1:9021");
  EXPECT_EQ(pin_key("::1", 9021), "[::1]:9021");
  EXPECT_EQ(pin_key("FE80::1", 1), "[fe80::1]:1");
  EXPECT_EQ(pin_line("[::1]:9021", fp_a), "[::1]:9021 " + fp_a);
}

TEST(ClientKnownHosts, EmptyFileKnowsNothing) {
  const auto r = find_pin("", "h:1", fp_a);
  EXPECT_EQ(r.status, state::unknown);
  EXPECT_EQ(r.line, 0u);
}

TEST(ClientKnownHosts, FindsTheMatchingLine) {
  const std::string text = "# pins\n\nother:1 " + fp_b + "\nh:1 " + fp_a + "\n";
  const auto r = find_pin(text, "h:1", fp_a);
  EXPECT_EQ(r.status, state::match);
  EXPECT_EQ(r.line, 4u);
  EXPECT_EQ(r.pinned, fp_a);
}

TEST(ClientKnownHosts, PortIsPartOfTheKey) {
  const std::string text = "h:1 " + fp_a + "\n";
  EXPECT_EQ(find_pin(text, "h:2", fp_b).status, state::unknown);
  EXPECT_EQ(find_pin(text, "h:11", fp_a).status, state::unknown);
  EXPECT_EQ(find_pin(text, "xh:1", fp_a).status, state::unknown);
}

TEST(ClientKnownHosts, OtherCertificateIsChangedWithItsLine) {
  const std::string text = "# c\nh:1 " + fp_b + "\n";
  const auto r = find_pin(text, "h:1", fp_a);
  EXPECT_EQ(r.status, state::changed);
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.pinned, fp_b);
}

TEST(ClientKnownHosts, AnyMatchingLineWinsOverAnOlderOne) {
  const std::string text = "h:1 " + fp_b + "\nh:1 " + fp_a + "\n";
  const auto r = find_pin(text, "h:1", fp_a);
  EXPECT_EQ(r.status, state::match);
  EXPECT_EQ(r.line, 2u);
}

TEST(ClientKnownHosts, FingerprintCaseDoesNotMatter) {
  std::string lower = fp_a;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(find_pin("h:1 " + lower + "\n", "h:1", fp_a).status, state::match);
}

TEST(ClientKnownHosts, PinsPastedInOtherFormatsMatch) {
  // What openssl and ferryd init print, and bare hex without colons.
  const std::string hex = fp_a.substr(7);
  std::string bare;
  for (char c : hex)
    if (c != ':') bare += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& pin : std::vector<std::string>{hex, "sha256:" + hex, "Fingerprint=" + hex, bare}) {
    EXPECT_EQ(find_pin("h:1 " + pin + "\n", "h:1", fp_a).status, state::match) << pin;
    EXPECT_EQ(find_pin("h:1 " + pin + "\n", "h:1", fp_b).status, state::changed) << pin;
  }
  ASSERT_EQ(bare.size(), 64u);
  std::string upper;
  for (char c : bare) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(fingerprint_digits(fp_a), upper);
}

TEST(ClientKnownHosts, APinThatIsNoFingerprintIsMalformedNotChanged) {
  for (const std::string& pin : std::vector<std::string>{"SHA256:AB:CD", "nothex", "SHA1:" + fp_a.substr(7)}) {
    const auto r = find_pin("h:1 " + pin + "\n", "h:1", fp_a);
    EXPECT_EQ(r.status, state::malformed) << pin;
    EXPECT_EQ(r.line, 1u);
  }
  EXPECT_TRUE(fingerprint_digits("SHA256:AB").empty());
  EXPECT_TRUE(fingerprint_digits("").empty());
}

TEST(ClientKnownHosts, CommentsBlankAndShortLinesAreSkipped) {
  const std::string text = "  # h:1 " + fp_b + "\n#h:1 " + fp_b + "\n\n   \nh:1\n\t\r\n";
  EXPECT_EQ(find_pin(text, "h:1", fp_a).status, state::unknown);
}

TEST(ClientKnownHosts, TabsCrLfExtraFieldsAndNoFinalNewline) {
  EXPECT_EQ(find_pin("\th:1\t" + fp_a + "\r\n", "h:1", fp_a).status, state::match);
  EXPECT_EQ(find_pin("h:1 " + fp_a + " added 2026-11-30", "h:1", fp_a).status, state::match);
  EXPECT_EQ(find_pin("x:1 " + fp_b + "\nh:1 " + fp_a, "h:1", fp_a).line, 2u);
}

TEST(ClientKnownHosts, Ipv6KeysMatchBracketed) {
  const std::string text = "[::1]:9021 " + fp_a + "\n";
  EXPECT_EQ(find_pin(text, pin_key("::1", 9021), fp_a).status, state::match);
  EXPECT_EQ(find_pin(text, pin_key("::1", 9022), fp_a).status, state::unknown);
}

TEST(ClientKnownHosts, PathFollowsXdgThenHome) {
  EXPECT_EQ(known_hosts_path("/x/cfg", "/home/u"), "/x/cfg/ferry/known_hosts");
  EXPECT_EQ(known_hosts_path(nullptr, "/home/u"), "/home/u/.config/ferry/known_hosts");
  // The XDG rule: a relative XDG_CONFIG_HOME is ignored, and so is an empty one.
  EXPECT_EQ(known_hosts_path("rel/cfg", "/home/u"), "/home/u/.config/ferry/known_hosts");
  EXPECT_EQ(known_hosts_path("", "/home/u"), "/home/u/.config/ferry/known_hosts");
  EXPECT_EQ(known_hosts_path(nullptr, "").filename(), "known_hosts");
}

TEST(ClientKnownHosts, MissingFileReadsEmpty) {
  const auto dir = ferry::test::fresh_test_dir("known_hosts");
  std::string error;
  const auto text = read_known_hosts(dir / "nope" / "known_hosts", error);
  ASSERT_TRUE(text) << error;
  EXPECT_EQ(*text, "");
}

TEST(ClientKnownHosts, UnreadableFileIsAnError) {
  const auto dir = ferry::test::fresh_test_dir("known_hosts");
  std::filesystem::create_directories(dir / "known_hosts");  // a directory, not a file
  std::string error;
  EXPECT_FALSE(read_known_hosts(dir / "known_hosts", error));
  EXPECT_FALSE(error.empty());
  std::filesystem::remove_all(dir);
}

TEST(ClientKnownHosts, AppendCreatesDirectoriesPrivateAndTheFile0600) {
  const auto dir = ferry::test::fresh_test_dir("known_hosts");
  const auto file = dir / "cfg" / "ferry" / "known_hosts";
  std::string error;
  ASSERT_TRUE(append_pin(file, "h:1", fp_a, error)) << error;
  EXPECT_EQ(ferry::test::read(file), "h:1 " + fp_a + "\n");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir / "cfg"), 0700u);
  EXPECT_EQ(mode_of(dir / "cfg" / "ferry"), 0700u);
  ASSERT_TRUE(append_pin(file, "[::1]:2", fp_b, error)) << error;
  const std::string text = ferry::test::read(file);
  EXPECT_EQ(text, "h:1 " + fp_a + "\n[::1]:2 " + fp_b + "\n");
  EXPECT_EQ(find_pin(text, "[::1]:2", fp_b).status, state::match);
  EXPECT_EQ(find_pin(text, "h:1", fp_b).status, state::changed);
  std::filesystem::remove_all(dir);
}

TEST(ClientKnownHosts, AppendEndsAnUnterminatedLastLineFirst) {
  const auto dir = ferry::test::fresh_test_dir("known_hosts");
  std::filesystem::create_directories(dir);
  const auto file = dir / "known_hosts";
  ferry::test::write(file, "# mine, no newline");
  std::string error;
  ASSERT_TRUE(append_pin(file, "h:1", fp_a, error)) << error;
  EXPECT_EQ(ferry::test::read(file), "# mine, no newline\nh:1 " + fp_a + "\n");
  EXPECT_EQ(find_pin(ferry::test::read(file), "h:1", fp_a).line, 2u);
  std::filesystem::remove_all(dir);
}

TEST(ClientKnownHosts, AppendFailsWithAReason) {
  const auto dir = ferry::test::fresh_test_dir("known_hosts");
  std::filesystem::create_directories(dir);
  ferry::test::write(dir / "file", "x");
  std::string error;
  EXPECT_FALSE(append_pin(dir / "file" / "known_hosts", "h:1", fp_a, error));
  EXPECT_NE(error.find("file"), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

TEST(ClientKnownHosts, ChangedWarningShowsBothFingerprintsTheLineAndTheFix) {
  const std::string w = changed_pin_warning("h:1", fp_b, fp_a, "/cfg/ferry/known_hosts", 7);
  EXPECT_NE(w.find("REMOTE HOST IDENTIFICATION HAS CHANGED"), std::string::npos);
  EXPECT_NE(w.find("'h:1'"), std::string::npos);
  EXPECT_NE(w.find(fp_a), std::string::npos);
  EXPECT_NE(w.find(fp_b), std::string::npos);
  EXPECT_NE(w.find("line 7 of /cfg/ferry/known_hosts"), std::string::npos);
  EXPECT_NE(w.find("sed -i '7d' /cfg/ferry/known_hosts"), std::string::npos);
  EXPECT_EQ(w.back(), '\n');
  // A path a shell would split is quoted in the command.
  const std::string q = changed_pin_warning("h:1", fp_b, fp_a, "/my cfg/it's", 1);
  EXPECT_NE(q.find("sed -i '1d' '/my cfg/it'\\''s'"), std::string::npos) << q;
}

TEST(ClientKnownHosts, TlsModeFromFlagsAndHost) {
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "127.0.0.1"), tls_mode::opportunistic);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "127.3.4.5"), tls_mode::opportunistic);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "::1"), tls_mode::opportunistic);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "LocalHost"), tls_mode::opportunistic);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "128.0.0.1"), tls_mode::required);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "localhost.example.org"), tls_mode::required);
  EXPECT_EQ(choose_tls_mode(std::nullopt, false, "::2"), tls_mode::required);
  EXPECT_EQ(choose_tls_mode(std::nullopt, true, "127.0.0.1"), tls_mode::required);
  EXPECT_EQ(choose_tls_mode(true, false, "127.0.0.1"), tls_mode::required);
  EXPECT_EQ(choose_tls_mode(false, false, "example.org"), tls_mode::off);
}

TEST(ClientKnownHosts, HostKinds) {
  EXPECT_TRUE(is_ip_literal("10.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("2001:db8::5"));
  EXPECT_FALSE(is_ip_literal("example.org"));
  EXPECT_FALSE(is_ip_literal("10.0.0"));
  EXPECT_TRUE(is_loopback_host("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_host(""));
}

}  // namespace
