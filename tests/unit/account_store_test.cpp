// Accounts file: save/load round trip, 0600 atomic writes, missing file = empty
// store, errors with line numbers, and the user-name rule that keeps names safe
// as directory names under ROOT/home.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <utility>
#include <sstream>
#include <string>
#include <vector>

#include "auth/account_store.hpp"
#include "auth/scram.hpp"

namespace {

using namespace ferry::auth;
namespace fs = std::filesystem;

class AccountStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ferry-accounts-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path file() const { return dir_ / "accounts.toml"; }

  void write(const std::string& text) const { std::ofstream(file()) << text; }

  std::string read() const {
    std::ifstream in(file());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string load_error(const std::string& text) const {
    write(text);
    std::string err;
    EXPECT_FALSE(account_store::load(file(), err)) << text;
    return err;
  }

  fs::path dir_;
};

const std::string& sample_verifier() {
  static const std::string v = format_verifier(make_verifier("pw", 4096));
  return v;
}

TEST_F(AccountStore, SaveLoadRoundTrip) {
  account_store s;
  s.users["alex"] = {sample_verifier(), 100ull << 20, 10ull << 20, 3, true, 7000};
  s.users["bo"] = {sample_verifier(), 12345, 0, 0, false, std::nullopt};
  s.users["c.d-e_f"] = {"", 0, 1536, 7, false, 0};
  s.users["_huge"] = {sample_verifier(), std::numeric_limits<std::uint64_t>::max(),
                      (1ull << 63) + 1, std::numeric_limits<std::uint32_t>::max(), true,
                      std::uint64_t{1} << 62};
  std::string err;
  ASSERT_TRUE(s.save(file(), err)) << err;

  const auto text = read();
  EXPECT_NE(text.find("[users.alex]"), std::string::npos);
  EXPECT_NE(text.find("quota = \"100MiB\""), std::string::npos);
  EXPECT_NE(text.find("rate = \"10MiB/s\""), std::string::npos);
  EXPECT_NE(text.find("quota = 12345"), std::string::npos);
  EXPECT_NE(text.find("rate = \"\""), std::string::npos);

  const auto back = account_store::load(file(), err);
  ASSERT_TRUE(back) << err;
  ASSERT_EQ(back->users.size(), s.users.size());
  for (const auto& [name, a] : s.users) {
    const auto& b = back->users.at(name);
    EXPECT_EQ(b.scram, a.scram) << name;
    EXPECT_EQ(b.quota, a.quota) << name;
    EXPECT_EQ(b.rate, a.rate) << name;
    EXPECT_EQ(b.max_sessions, a.max_sessions) << name;
    EXPECT_EQ(b.exec, a.exec) << name;
    EXPECT_EQ(b.max_files, a.max_files) << name;
  }
}

TEST_F(AccountStore, MaxFilesIsKeptOnlyWhenSet) {
  account_store s;
  s.users["own"] = {sample_verifier(), 0, 0, 0, false, 5000};
  s.users["none"] = {sample_verifier(), 0, 0, 0, false, 0};
  s.users["dflt"] = {sample_verifier(), 0, 0, 0, false, std::nullopt};
  std::string err;
  ASSERT_TRUE(s.save(file(), err)) << err;
  const auto text = read();
  EXPECT_NE(text.find("max_files = 5000"), std::string::npos) << text;
  EXPECT_NE(text.find("max_files = 0"), std::string::npos) << text;
  const auto back = account_store::load(file(), err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->users.at("own").max_files, std::optional<std::uint64_t>(5000));
  EXPECT_EQ(back->users.at("none").max_files, std::optional<std::uint64_t>(0)) << "0 = unlimited";
  EXPECT_FALSE(back->users.at("dflt").max_files) << "unset: the server's default";
}

TEST_F(AccountStore, RewriteKeepsModeButNeverForOthers) {
  // issue 13: the mode of the file replaced stays (owner and group too, when
  // run as root: test_admin_ownership.py), less any access for others.
  for (const auto& [before, after] : {std::pair{0600u, 0600u}, std::pair{0640u, 0640u}, std::pair{0660u, 0660u},
                                     std::pair{0644u, 0640u}}) {
    write("# old\n");
    fs::permissions(file(), fs::perms(before));
    const mode_t old_mask = ::umask(0);
    account_store s;
    s.users["alex"] = {sample_verifier(), 0, 0, 0, false, std::nullopt};
    std::string err;
    const bool ok = s.save(file(), err);
    ::umask(old_mask);
    ASSERT_TRUE(ok) << err;
    struct stat st {};
    ASSERT_EQ(::stat(file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, after) << std::oct << before;
  }
}

TEST_F(AccountStore, FileIsMode0600AndNoTempLeft) {
  const mode_t old_mask = ::umask(0);
  account_store s;
  s.users["alex"] = {sample_verifier(), 0, 0, 0, false, std::nullopt};
  std::string err;
  const bool ok = s.save(file(), err);  // a new file
  ::umask(old_mask);
  ASSERT_TRUE(ok) << err;
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"accounts.toml"});
}

TEST_F(AccountStore, EmptyStoreSavesAndLoads) {
  std::string err;
  ASSERT_TRUE(account_store{}.save(file(), err)) << err;
  const auto back = account_store::load(file(), err);
  ASSERT_TRUE(back) << err;
  EXPECT_TRUE(back->users.empty());
}

TEST_F(AccountStore, MissingFileIsEmptyStore) {
  std::string err;
  const auto s = account_store::load(dir_ / "nope.toml", err);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->users.empty());
  EXPECT_TRUE(err.empty());
}

TEST_F(AccountStore, EmptyFileIsEmptyStore) {
  write("");
  std::string err;
  const auto s = account_store::load(file(), err);
  ASSERT_TRUE(s) << err;
  EXPECT_TRUE(s->users.empty());
}

TEST_F(AccountStore, HandWrittenFile) {
  write("# comment\n[server]\nanything = 1\n\n[users.alex]\nscram = \"" + sample_verifier() +
        "\"\nquota = \"1.5GiB\"\nrate = 2048\nmax_sessions = 2\nexec = true\ncolour = \"blue\"\n"
        "[users.bo]\n[users.\"c.d\"]\nexec = true\n");
  std::string err;
  const auto s = account_store::load(file(), err);
  ASSERT_TRUE(s) << err;
  const auto& a = s->users.at("alex");
  EXPECT_EQ(a.quota, (3ull << 30) / 2);
  EXPECT_EQ(a.rate, 2048u);
  EXPECT_EQ(a.max_sessions, 2u);
  EXPECT_TRUE(a.exec);
  const auto& b = s->users.at("bo");
  EXPECT_EQ(b.scram, "");
  EXPECT_EQ(b.quota, 0u);
  EXPECT_FALSE(b.exec);
  EXPECT_TRUE(s->users.at("c.d").exec);
}

TEST_F(AccountStore, ParseErrorHasLineNumber) {
  const auto err = load_error("[users.alex]\nquota = \"1MiB\"\nrate = = 3\n");
  EXPECT_NE(err.find("accounts.toml:3:"), std::string::npos) << err;
}

TEST_F(AccountStore, SemanticErrorsHaveLineNumbers) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\n[users.Alex]\n", ":2:"},
      {"[users.alex]\n\nquota = \"lots\"\n", ":3:"},
      {"[users.alex]\nrate = \"1MiB/h\"\n", ":2:"},
      {"[users.alex]\nquota = -1\n", ":2:"},
      {"[users.alex]\nmax_sessions = -1\n", ":2:"},
      {"[users.alex]\nmax_sessions = 4294967296\n", ":2:"},
      {"[users.alex]\nmax_sessions = \"3\"\n", ":2:"},
      {"[users.alex]\nmax_files = -1\n", ":2:"},
      {"[users.alex]\nmax_files = \"lots\"\n", ":2:"},
      {"[users.alex]\nexec = \"yes\"\n", ":2:"},
      {"[users.alex]\nscram = \"SCRAM-SHA-256$garbage\"\n", ":2:"},
      {"[users.alex]\nscram = 5\n", ":2:"},
      {"users = 5\n", ":1:"},
      {"[users]\nalex = 5\n", ":2:"},
      {"[users.\"../etc\"]\n", ":1:"},
      {"[users.alex]\nexec = true\n\n[users.first.last]\n", ":4:"},
  };
  for (const auto& [text, line] : cases) {
    const auto err = load_error(text);
    EXPECT_NE(err.find("accounts.toml" + line), std::string::npos) << text << " -> " << err;
  }
}

// Found by fuzz/account_store_fuzz: toml++ quotes what it saw ("saw
// 'fals\n'") and names/keys may hold escapes; the error is one log line.
TEST_F(AccountStore, ErrorsAreOneLine) {
  const std::vector<std::string> cases = {
      "[users.alex]\nexec = fals\n",
      "[users.\"a\\nb\"]\n",
      "[users.alex]\n[users.alex.\"x\\ry\"]\n",
  };
  for (const auto& text : cases) {
    const auto err = load_error(text);
    EXPECT_FALSE(err.empty()) << text;
    for (char c : err) {
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << text << " -> " << err;
    }
  }
}

TEST_F(AccountStore, SaveRefusesInvalidNames) {
  account_store s;
  s.users["../evil"] = {};
  std::string err;
  EXPECT_FALSE(s.save(file(), err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(AccountStore, SaveIntoMissingDirectoryFails) {
  std::string err;
  EXPECT_FALSE(account_store{}.save(dir_ / "no" / "accounts.toml", err));
  EXPECT_FALSE(err.empty());
}

TEST(ValidUserName, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"a", true},
      {"alex", true},
      {"0day", true},
      {"_svc", true},
      {"a.b", true},
      {"a-b", true},
      {"a..b", true},
      {"a_", true},
      {std::string(32, 'a'), true},
      {std::string(33, 'a'), false},
      {"", false},
      {".", false},
      {"..", false},
      {".hidden", false},
      {"-x", false},
      {"Alex", false},
      {"a/b", false},
      {"/", false},
      {"a b", false},
      {"a:b", false},
      {"a=b", false},
      {"a,b", false},
      {std::string("a\0b", 3), false},
      {"\xc3\xa9t\xc3\xa9", false},
  };
  for (const auto& [name, ok] : cases) EXPECT_EQ(valid_user_name(name), ok) << name;
}

}  // namespace
