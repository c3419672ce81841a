// exec/command_line: argv checks, the fixed search path, the scrubbed
// environment and shell-style exit statuses; exec/spawn: a real child,
// confined where the kernel allows.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "exec/command_line.hpp"
#include "exec/landlock.hpp"
#include "exec/seccomp_filter.hpp"
#include "exec/spawn.hpp"

namespace {

using namespace ferry::exec;
namespace fs = std::filesystem;

TEST(ExecCommand, ArgvChecks) {
  EXPECT_NE(check_argv({}), "");
  EXPECT_NE(check_argv({""}), "");
  EXPECT_NE(check_argv({"ls", std::string("a\0b", 3)}), "");
  EXPECT_EQ(check_argv({"ls", "-l", ""}), "");
  EXPECT_NE(check_argv(std::vector<std::string>(max_args + 1, "x")), "");
}

TEST(ExecCommand, ResolvesBareNamesOnTheFixedPathOnly) {
  std::vector<std::string> asked;
  auto only_bin = [&](const std::string& p) {
    asked.push_back(p);
    return p == "/bin/tool";
  };
  EXPECT_EQ(resolve("tool", only_bin), "/bin/tool");
  EXPECT_EQ(asked, (std::vector<std::string>{"/usr/local/bin/tool", "/usr/bin/tool", "/bin/tool"}));
  EXPECT_EQ(resolve("missing", only_bin), std::nullopt);
  // A name with a slash is taken as given (execve decides).
  EXPECT_EQ(resolve("./x", only_bin), "./x");
  EXPECT_EQ(resolve("/opt/y", only_bin), "/opt/y");
}

TEST(ExecCommand, EnvironmentIsScrubbed) {
  ::setenv("FERRY_SECRET_TEST", "s3cret", 1);
  const auto env = environment("/srv/home/ann", "/srv/home/ann/d", "ann", "fr_FR.UTF-8");
  EXPECT_EQ(env, (std::vector<std::string>{"HOME=/srv/home/ann", "PATH=/usr/local/bin:/usr/bin:/bin",
                                            "PWD=/srv/home/ann/d", "USER=ann", "LOGNAME=ann",
                                            "LANG=fr_FR.UTF-8"}));
  // A LANG that is not a plain locale name is not passed.
  const auto odd = environment("/h", "/h", "u", "x;rm -rf /");
  for (const auto& e : odd) EXPECT_FALSE(e.starts_with("LANG=")) << e;
  EXPECT_FALSE(plain_locale(""));
  EXPECT_FALSE(plain_locale(std::string(65, 'a')));
  EXPECT_TRUE(plain_locale("C.UTF-8"));
  EXPECT_TRUE(plain_locale("sr_RS@latin"));
}

TEST(ExecCommand, EndingsReadLikeAShell) {
  EXPECT_EQ(from_wait(CLD_EXITED, 3).exit_code, 3);
  EXPECT_EQ(from_wait(CLD_EXITED, 3).signal, 0);
  EXPECT_EQ(from_wait(CLD_KILLED, SIGKILL).exit_code, 137);
  EXPECT_EQ(from_wait(CLD_KILLED, SIGKILL).signal, SIGKILL);
  EXPECT_EQ(from_wait(CLD_DUMPED, SIGSEGV).exit_code, 128 + SIGSEGV);
  EXPECT_EQ(signal_by_name("INT"), SIGINT);
  EXPECT_EQ(signal_by_name("STOP"), std::nullopt);
  EXPECT_EQ(signal_by_name("int"), std::nullopt);
}

/// Runs a command to its end; returns stdout, stderr and the ending.
struct outcome {
  std::string out, err;
  ending end;
  bool started = false;
  std::string error;
};

outcome run(spawn_request r) {
  outcome o;
  int err = 0;
  auto c = spawn(r, err, o.error);
  if (!c) return o;
  o.started = true;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd p[2] = {{out_open ? c->out.get() : -1, POLLIN, 0}, {err_open ? c->err.get() : -1, POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0) break;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (p[i].revents == 0) continue;
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? o.out : o.err).append(buf, static_cast<std::size_t>(n));
      else (i == 0 ? out_open : err_open) = false;
    }
  }
  int status = 0;
  ::waitpid(c->pid, &status, 0);
  o.end = WIFEXITED(status) ? ending{WEXITSTATUS(status), 0} : ending{128 + WTERMSIG(status), WTERMSIG(status)};
  return o;
}

class ExecSpawn : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("exec_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "home");
    home_ = ::open((dir_ / "home").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(home_, 0);
  }
  void TearDown() override {
    ::close(home_);
    fs::remove_all(dir_);
  }
  spawn_request request(std::vector<std::string> argv) {
    spawn_request r;
    r.program = argv[0];
    r.argv = std::move(argv);
    r.env = environment((dir_ / "home").string(), (dir_ / "home").string(), "t", "C.UTF-8");
    r.cwd_fd = home_;
    return r;
  }
  fs::path dir_;
  int home_ = -1;
};

TEST_F(ExecSpawn, RunsInTheDirectoryWithOnlyTheGivenEnvironment) {
  auto o = run(request({"/bin/sh", "-c", "pwd; env | sort; echo oops >&2"}));
  ASSERT_TRUE(o.started) << o.error;
  EXPECT_EQ(o.err, "oops\n");
  EXPECT_NE(o.out.find((dir_ / "home").string() + "\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("HOME=" + (dir_ / "home").string()), std::string::npos);
  EXPECT_EQ(o.out.find("FERRY_SECRET_TEST"), std::string::npos) << o.out;
}

TEST_F(ExecSpawn, AStepThatFailsIsReportedNotRun) {
  auto r = request({"/nonexistent/prog"});
  int err = 0;
  std::string error;
  EXPECT_FALSE(spawn(r, err, error));
  EXPECT_EQ(err, ENOENT);
  EXPECT_NE(error.find("execve /nonexistent/prog"), std::string::npos) << error;
}

TEST_F(ExecSpawn, NoServerDescriptorLeaks) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec on purpose
  ASSERT_GE(leaked, 3);
  auto o = run(request({"/bin/ls", "/proc/self/fd"}));
  ::close(leaked);
  ASSERT_TRUE(o.started) << o.error;
  // 0, 1, 2 and the one ls opens to read the directory: 4 entries.
  int entries = 0;
  for (char ch : o.out) entries += ch == '\n';
  EXPECT_EQ(entries, 4) << o.out;
}

TEST_F(ExecSpawn, ConfinedToTheHome) {
  const int abi = landlock_abi();
  if (abi < 1) GTEST_SKIP() << "no Landlock on this kernel";
  std::string error;
  const int rs = make_ruleset(abi, home_, false, error);
  ASSERT_GE(rs, 0) << error;
  const auto filter = make_seccomp_filter(false);
  auto r = request({"/bin/sh", "-c",
                    "echo in > inside && cat inside && "
                    "(echo x > ../outside && echo WROTE-OUTSIDE) ; "
                    "(ls / >/dev/null && echo LISTED-ROOT) ; "
                    "(cat /etc/hostname >/dev/null && echo READ-ETC) ; "
                    "(mkfifo f 2>/dev/null && echo MADE-FIFO) ; "
                    "(setsid true 2>/dev/null && echo NEW-SESSION) ; "
                    "echo done"});
  r.ruleset_fd = rs;
  r.seccomp = &filter;
  auto o = run(r);
  ::close(rs);
  ASSERT_TRUE(o.started) << o.error;
  EXPECT_NE(o.out.find("in\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("READ-ETC"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(o.out.find("WROTE-OUTSIDE"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("LISTED-ROOT"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("MADE-FIFO"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("NEW-SESSION"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("done"), std::string::npos) << o.out;
  EXPECT_FALSE(fs::exists(dir_ / "outside"));
}

}  // namespace
