// fs_create_bench: how many small files per second this filesystem can take
// from one thread, doing what a receiver of a tree must do per file: create a
// hidden part file, write it, close it, rename it into place (no fsync).
// The context for the "1,000 x 4 KiB" rows of bench/transfer.sh: no client or
// server writing one file at a time can beat this.
//
// Files are spread over --dirs new subdirectories (10 by default, as in the
// benchmark's tree): ext4 places a new directory's inodes in its own block
// group, and inode allocation there (recently deleted inodes are skipped) is
// most of the cost on this machine.
//
// ext4 also skips inodes freed in the last minutes when it allocates, so
// deleting many files just before makes creating slower: with --keep the
// trees stay (the caller deletes them later); without, each run's tree is
// deleted at the very end, not between runs.
//
// Usage: fs_create_bench DIR [--files N] [--kib K] [--dirs D] [--reps R] [--keep]
// Last line: FSLIMIT create_files_per_s=... (best of R)

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fs_create_bench: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

std::string sub(const std::string& dir, int d) { return dir + "/d" + std::to_string(d); }

// File i lives in directory i * dirs / files: directory by directory, as a
// tree walk writes them.
std::string file_path(const std::string& dir, int i, int files, int dirs) {
  return sub(dir, static_cast<int>(static_cast<long long>(i) * dirs / files)) + "/f" + std::to_string(i);
}

void remove_tree(const std::string& dir, int files, int dirs) {
  for (int i = 0; i < files; ++i) (void)::unlink(file_path(dir, i, files, dirs).c_str());
  for (int d = 0; d < dirs; ++d) (void)::rmdir(sub(dir, d).c_str());
  (void)::rmdir(dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string base;
  int files = 1000;
  int kib = 4;
  int reps = 3;
  int dirs = 10;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--files" && i + 1 < argc) {
      files = std::atoi(argv[++i]);
    } else if (a == "--kib" && i + 1 < argc) {
      kib = std::atoi(argv[++i]);
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--dirs" && i + 1 < argc) {
      dirs = std::atoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (base.empty() && !a.empty() && a[0] != '-') {
      base = a;
    } else {
      std::fprintf(stderr, "usage: fs_create_bench DIR [--files N] [--kib K] [--dirs D] [--reps R] [--keep]\n");
      return 2;
    }
  }
  if (base.empty() || files < 1 || kib < 0 || reps < 1 || dirs < 1) {
    std::fprintf(stderr, "usage: fs_create_bench DIR [--files N] [--kib K] [--dirs D] [--reps R] [--keep]\n");
    return 2;
  }
  std::vector<char> data(static_cast<std::size_t>(kib) * 1024, 'x');
  double best = 0;
  std::string runs;
  for (int r = 0; r < reps; ++r) {
    const std::string dir = base + "/fs_create_bench." + std::to_string(::getpid()) + "." + std::to_string(r);
    if (::mkdir(dir.c_str(), 0700) != 0) die("mkdir " + dir);
    const double t0 = now_s();
    for (int d = 0; d < dirs; ++d)
      if (::mkdir(sub(dir, d).c_str(), 0700) != 0) die("mkdir");
    for (int i = 0; i < files; ++i) {
      const std::string final_path = file_path(dir, i, files, dirs);
      const auto slash = final_path.rfind('/');
      const std::string part = final_path.substr(0, slash + 1) + "." + final_path.substr(slash + 1) + ".part";
      const int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) die("open " + part);
      std::size_t done = 0;
      while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("write");
        done += static_cast<std::size_t>(n);
      }
      ::close(fd);
      if (::rename(part.c_str(), final_path.c_str()) != 0) die("rename");
    }
    const double rate = files / (now_s() - t0);
    char b[32];
    std::snprintf(b, sizeof b, "%s%.0f", r ? " " : "", rate);
    runs += b;
    if (rate > best) best = rate;
  }
  if (!keep) {
    for (int r = 0; r < reps; ++r)
      remove_tree(base + "/fs_create_bench." + std::to_string(::getpid()) + "." + std::to_string(r), files, dirs);
  }
  std::printf("create+write+close+rename of %d x %d KiB in %d new dirs under %s: %.0f files/s (runs: %s)\n",
              files, kib, dirs, base.c_str(), best, runs.c_str());
  std::printf("FSLIMIT create_files_per_s=%.0f\n", best);
  return 0;
}
