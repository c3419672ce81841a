/* slowfs: a FUSE 3 passthrough filesystem that can be told to be slow, for
 * the "a slow disk stalls no one" tests (tests/e2e/test_slow_disk.py).
 *
 *   slowfs BACKING MOUNTPOINT [-f] [-o allow_other,default_permissions,...]
 *
 * mirrors the directory BACKING at MOUNTPOINT (every call is done on BACKING
 * with the *at() family relative to a descriptor opened before mounting; open
 * files keep their backing fd in fi->fh and use pread/pwrite/fsync/...).
 * When the daemon runs as root, what it creates is given to the caller's
 * uid/gid, so a server that dropped privileges owns its files.
 *
 * Faults, chosen by the name (last path component) of the file:
 *   - a name containing "slow": each read() sleeps SLOWFS_READ_DELAY_MS
 *     (default 5000) before reading. Such files are opened with direct_io, so
 *     the page cache never hides a read: every read call reaches us.
 *     SLOWFS_READ_DELAY_COUNT=N (default 0 = no limit) delays only the first
 *     N reads of each open file, so a multi-MiB download stalls N times, not
 *     once per chunk.
 *   - a name containing "stall": the metadata calls named in SLOWFS_META_OPS
 *     (comma-separated; default "getattr,open"; known: getattr, open, create,
 *     opendir, unlink, rename, mkdir, rmdir, truncate, utimens, fsync,
 *     getxattr, setxattr) sleep SLOWFS_META_DELAY_MS (default 5000).
 *     getattr is also what the kernel's lookup of a name costs, so a stalled
 *     getattr is a stalled stat/open/walk of that name (when not cached; mount
 *     with -o entry_timeout=0,attr_timeout=0 to make every one reach us).
 *     SLOWFS_META_DELAY_COUNT=N (default 0 = no limit) delays at most N calls
 *     per path.
 * With SLOWFS_RELEASE=FILE a delay also ends as soon as FILE exists (polled
 * every 2 ms): a test can hold a call for as long as it needs and let it go
 * (the delay is then only the cap).
 * With SLOWFS_LOG=FILE each delay appends two lines to FILE:
 *   "<CLOCK_MONOTONIC ns> begin <op> <path>" and "<ns> end <op> <path>"
 * (path relative to the mount, starting with "/"), so a test can order its own
 * events (time.monotonic_ns() is the same clock) against the stall.
 *
 * Unmount with `fusermount3 -u MOUNTPOINT` (or umount -l as root).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int backing_fd = -1;         /* O_PATH descriptor of BACKING */
static char backing_path[PATH_MAX]; /* its real path (for the l*xattr calls) */

static long read_delay_ms = 5000;
static long read_delay_count = 0;
static long meta_delay_ms = 5000;
static long meta_delay_count = 0;
static char meta_ops[256] = "getattr,open";
static const char* release_path = NULL;
static FILE* log_file = NULL;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* An open file: its backing fd, and how many of its reads were delayed. */
struct slow_file {
  int fd;
  int slow;
  atomic_long delayed;
};

/* ------------------------------------------------------------- helpers */

static const char* rel(const char* path) {
  while (*path == '/') path++;
  return *path ? path : ".";
}

static const char* leaf(const char* path) {
  const char* s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static int name_has(const char* path, const char* word) {
  return path != NULL && strstr(leaf(path), word) != NULL;
}

static long env_long(const char* name, long def) {
  const char* v = getenv(name);
  if (v == NULL || *v == '\0') return def;
  char* end = NULL;
  long n = strtol(v, &end, 10);
  if (*end != '\0' || n < 0) {
    fprintf(stderr, "slowfs: %s must be a non-negative integer, not \"%s\"\n", name, v);
    exit(2);
  }
  return n;
}

static void log_event(const char* what, const char* op, const char* path) {
  if (log_file == NULL) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  pthread_mutex_lock(&log_lock);
  fprintf(log_file, "%lld %s %s %s\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, what,
          op, path ? path : "?");
  fflush(log_file);
  pthread_mutex_unlock(&log_lock);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int released(void) {
  return release_path != NULL && access(release_path, F_OK) == 0;
}

static void delay(const char* op, const char* path, long ms) {
  log_event("begin", op, path);
  if (release_path == NULL) {
    sleep_ms(ms);
  } else {
    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    for (;;) {
      if (released()) break;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
        break;
      sleep_ms(2);
    }
  }
  log_event("end", op, path);
}

/* Paths whose stalls were counted (SLOWFS_META_DELAY_COUNT). */
struct counted {
  struct counted* next;
  long n;
  char path[];
};
static struct counted* counted_paths = NULL;
static pthread_mutex_t counted_lock = PTHREAD_MUTEX_INITIALIZER;

static int take_meta_ticket(const char* path) {
  if (meta_delay_count == 0) return 1;
  int ok = 0;
  pthread_mutex_lock(&counted_lock);
  struct counted* c = counted_paths;
  while (c != NULL && strcmp(c->path, path) != 0) c = c->next;
  if (c == NULL) {
    c = malloc(sizeof *c + strlen(path) + 1);
    if (c != NULL) {
      strcpy(c->path, path);
      c->n = 0;
      c->next = counted_paths;
      counted_paths = c;
    }
  }
  if (c != NULL && c->n < meta_delay_count) {
    c->n++;
    ok = 1;
  }
  pthread_mutex_unlock(&counted_lock);
  return ok;
}

static int op_listed(const char* op) {
  size_t n = strlen(op);
  for (const char* p = meta_ops; *p;) {
    const char* comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, op, n) == 0) return 1;
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

/* The metadata stall for `op` on `path`, when it applies. */
static void meta_stall(const char* op, const char* path) {
  if (meta_delay_ms == 0 || !name_has(path, "stall") || !op_listed(op)) return;
  if (!take_meta_ticket(path)) return;
  delay(op, path, meta_delay_ms);
}

static struct slow_file* sf(struct fuse_file_info* fi) {
  return (struct slow_file*)(uintptr_t)fi->fh;
}

/* Gives a new node to the caller when the daemon runs as root. */
static void own(const char* path) {
  if (geteuid() != 0) return;
  struct fuse_context* ctx = fuse_get_context();
  if (ctx == NULL || ctx->uid == 0) return;
  (void)fchownat(backing_fd, rel(path), ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW);
}

static void own_fd(int fd) {
  if (geteuid() != 0) return;
  struct fuse_context* ctx = fuse_get_context();
  if (ctx == NULL || ctx->uid == 0) return;
  (void)fchown(fd, ctx->uid, ctx->gid);
}

/* The backing path of `path` (for the calls that have no *at() form). */
static int full_path(const char* path, char* out, size_t size) {
  int n = snprintf(out, size, "%s%s", backing_path, path);
  return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ------------------------------------------------------------- operations */

static void* sfs_init(struct fuse_conn_info* conn, struct fuse_config* cfg) {
  (void)conn;
  cfg->use_ino = 1;
  /* The kernel may cache attributes and pages of normal files as the command
   * line says; slow files get direct_io in sfs_open. */
  return NULL;
}

static int sfs_getattr(const char* path, struct stat* st, struct fuse_file_info* fi) {
  meta_stall("getattr", path);
  int r = fi ? fstat(sf(fi)->fd, st) : fstatat(backing_fd, rel(path), st, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static int sfs_access(const char* path, int mask) {
  return faccessat(backing_fd, rel(path), mask, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int sfs_readlink(const char* path, char* buf, size_t size) {
  if (size == 0) return -EINVAL;
  ssize_t n = readlinkat(backing_fd, rel(path), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

static int sfs_opendir(const char* path, struct fuse_file_info* fi) {
  meta_stall("opendir", path);
  int fd = openat(backing_fd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR* d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return -e;
  }
  fi->fh = (uint64_t)(uintptr_t)d;
  return 0;
}

/* Offset-0 mode: every entry in one call; libfuse buffers and pages them. */
static int sfs_readdir(const char* path, void* buf, fuse_fill_dir_t filler, off_t offset,
                       struct fuse_file_info* fi, enum fuse_readdir_flags flags) {
  (void)path;
  (void)offset;
  (void)flags;
  DIR* d = (DIR*)(uintptr_t)fi->fh;
  rewinddir(d);
  struct dirent* e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_ino = e->d_ino;
    st.st_mode = (mode_t)DTTOIF(e->d_type);
    if (filler(buf, e->d_name, &st, 0, 0)) break;
    errno = 0;
  }
  return errno ? -errno : 0;
}

static int sfs_releasedir(const char* path, struct fuse_file_info* fi) {
  (void)path;
  closedir((DIR*)(uintptr_t)fi->fh);
  return 0;
}

static int sfs_mknod(const char* path, mode_t mode, dev_t rdev) {
  if (mknodat(backing_fd, rel(path), mode, rdev) != 0) return -errno;
  own(path);
  return 0;
}

static int sfs_mkdir(const char* path, mode_t mode) {
  meta_stall("mkdir", path);
  if (mkdirat(backing_fd, rel(path), mode) != 0) return -errno;
  own(path);
  return 0;
}

static int sfs_unlink(const char* path) {
  meta_stall("unlink", path);
  return unlinkat(backing_fd, rel(path), 0) == 0 ? 0 : -errno;
}

static int sfs_rmdir(const char* path) {
  meta_stall("rmdir", path);
  return unlinkat(backing_fd, rel(path), AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static int sfs_symlink(const char* target, const char* path) {
  if (symlinkat(target, backing_fd, rel(path)) != 0) return -errno;
  own(path);
  return 0;
}

static int sfs_rename(const char* from, const char* to, unsigned int flags) {
  meta_stall("rename", from);
  meta_stall("rename", to);
  if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) return -EINVAL;
  return renameat2(backing_fd, rel(from), backing_fd, rel(to), flags) == 0 ? 0 : -errno;
}

static int sfs_link(const char* from, const char* to) {
  return linkat(backing_fd, rel(from), backing_fd, rel(to), 0) == 0 ? 0 : -errno;
}

static int sfs_chmod(const char* path, mode_t mode, struct fuse_file_info* fi) {
  int r = fi ? fchmod(sf(fi)->fd, mode) : fchmodat(backing_fd, rel(path), mode, 0);
  return r == 0 ? 0 : -errno;
}

static int sfs_chown(const char* path, uid_t uid, gid_t gid, struct fuse_file_info* fi) {
  int r = fi ? fchown(sf(fi)->fd, uid, gid)
             : fchownat(backing_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static int sfs_truncate(const char* path, off_t size, struct fuse_file_info* fi) {
  meta_stall("truncate", path);
  if (fi) return ftruncate(sf(fi)->fd, size) == 0 ? 0 : -errno;
  int fd = openat(backing_fd, rel(path), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -errno;
  int r = ftruncate(fd, size) == 0 ? 0 : -errno;
  close(fd);
  return r;
}

static int sfs_utimens(const char* path, const struct timespec tv[2], struct fuse_file_info* fi) {
  meta_stall("utimens", path);
  int r = fi ? futimens(sf(fi)->fd, tv)
             : utimensat(backing_fd, rel(path), tv, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : -errno;
}

static int wrap_fd(const char* path, int fd, struct fuse_file_info* fi) {
  struct slow_file* f = calloc(1, sizeof *f);
  if (f == NULL) {
    close(fd);
    return -ENOMEM;
  }
  f->fd = fd;
  f->slow = name_has(path, "slow");
  atomic_init(&f->delayed, 0);
  fi->fh = (uint64_t)(uintptr_t)f;
  if (f->slow) {
    fi->direct_io = 1;  /* every read of a slow file reaches sfs_read */
    fi->keep_cache = 0;
  }
  return 0;
}

static int sfs_create(const char* path, mode_t mode, struct fuse_file_info* fi) {
  meta_stall("create", path);
  int fd = openat(backing_fd, rel(path), (fi->flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW, mode);
  if (fd < 0) return -errno;
  own_fd(fd);
  return wrap_fd(path, fd, fi);
}

static int sfs_open(const char* path, struct fuse_file_info* fi) {
  meta_stall("open", path);
  /* The kernel resolved the path already; O_NOFOLLOW must not refuse the
   * leaf here (it is not a symlink, or the kernel would not open it). */
  int fd = openat(backing_fd, rel(path), (fi->flags | O_CLOEXEC) & ~(O_NOFOLLOW | O_CREAT));
  if (fd < 0) return -errno;
  return wrap_fd(path, fd, fi);
}

static int sfs_read(const char* path, char* buf, size_t size, off_t off,
                    struct fuse_file_info* fi) {
  struct slow_file* f = sf(fi);
  if (f->slow && read_delay_ms > 0) {
    long n = atomic_fetch_add(&f->delayed, 1);
    if (read_delay_count == 0 || n < read_delay_count) delay("read", path, read_delay_ms);
  }
  ssize_t r = pread(f->fd, buf, size, off);
  return r < 0 ? -errno : (int)r;
}

static int sfs_write(const char* path, const char* buf, size_t size, off_t off,
                     struct fuse_file_info* fi) {
  (void)path;
  ssize_t r = pwrite(sf(fi)->fd, buf, size, off);
  return r < 0 ? -errno : (int)r;
}

static int sfs_statfs(const char* path, struct statvfs* st) {
  (void)path;
  return fstatvfs(backing_fd, st) == 0 ? 0 : -errno;
}

static int sfs_flush(const char* path, struct fuse_file_info* fi) {
  (void)path;
  /* As close(2) would on the backing file (reports delayed write errors). */
  int fd = dup(sf(fi)->fd);
  if (fd < 0) return -errno;
  return close(fd) == 0 ? 0 : -errno;
}

static int sfs_release(const char* path, struct fuse_file_info* fi) {
  (void)path;
  struct slow_file* f = sf(fi);
  close(f->fd);
  free(f);
  return 0;
}

static int sfs_fsync(const char* path, int datasync, struct fuse_file_info* fi) {
  meta_stall("fsync", path);
  int r = datasync ? fdatasync(sf(fi)->fd) : fsync(sf(fi)->fd);
  return r == 0 ? 0 : -errno;
}

static int sfs_fsyncdir(const char* path, int datasync, struct fuse_file_info* fi) {
  (void)path;
  int fd = dirfd((DIR*)(uintptr_t)fi->fh);
  int r = datasync ? fdatasync(fd) : fsync(fd);
  return r == 0 ? 0 : -errno;
}

static int sfs_fallocate(const char* path, int mode, off_t off, off_t len,
                         struct fuse_file_info* fi) {
  (void)path;
  return fallocate(sf(fi)->fd, mode, off, len) == 0 ? 0 : -errno;
}

static off_t sfs_lseek(const char* path, off_t off, int whence, struct fuse_file_info* fi) {
  (void)path;
  off_t r = lseek(sf(fi)->fd, off, whence);
  return r < 0 ? -errno : r;
}

static int sfs_setxattr(const char* path, const char* name, const char* value, size_t size,
                        int flags) {
  meta_stall("setxattr", path);
  char p[PATH_MAX];
  int e = full_path(path, p, sizeof p);
  if (e) return e;
  return lsetxattr(p, name, value, size, flags) == 0 ? 0 : -errno;
}

static int sfs_getxattr(const char* path, const char* name, char* value, size_t size) {
  meta_stall("getxattr", path);
  char p[PATH_MAX];
  int e = full_path(path, p, sizeof p);
  if (e) return e;
  ssize_t n = lgetxattr(p, name, value, size);
  return n < 0 ? -errno : (int)n;
}

static int sfs_listxattr(const char* path, char* list, size_t size) {
  char p[PATH_MAX];
  int e = full_path(path, p, sizeof p);
  if (e) return e;
  ssize_t n = llistxattr(p, list, size);
  return n < 0 ? -errno : (int)n;
}

static int sfs_removexattr(const char* path, const char* name) {
  char p[PATH_MAX];
  int e = full_path(path, p, sizeof p);
  if (e) return e;
  return lremovexattr(p, name) == 0 ? 0 : -errno;
}

static const struct fuse_operations sfs_ops = {
    .init = sfs_init,
    .getattr = sfs_getattr,
    .access = sfs_access,
    .readlink = sfs_readlink,
    .opendir = sfs_opendir,
    .readdir = sfs_readdir,
    .releasedir = sfs_releasedir,
    .mknod = sfs_mknod,
    .mkdir = sfs_mkdir,
    .symlink = sfs_symlink,
    .unlink = sfs_unlink,
    .rmdir = sfs_rmdir,
    .rename = sfs_rename,
    .link = sfs_link,
    .chmod = sfs_chmod,
    .chown = sfs_chown,
    .truncate = sfs_truncate,
    .utimens = sfs_utimens,
    .create = sfs_create,
    .open = sfs_open,
    .read = sfs_read,
    .write = sfs_write,
    .statfs = sfs_statfs,
    .flush = sfs_flush,
    .release = sfs_release,
    .fsync = sfs_fsync,
    .fsyncdir = sfs_fsyncdir,
    .fallocate = sfs_fallocate,
    .lseek = sfs_lseek,
    .setxattr = sfs_setxattr,
    .getxattr = sfs_getxattr,
    .listxattr = sfs_listxattr,
    .removexattr = sfs_removexattr,
};

int main(int argc, char* argv[]) {
  if (argc < 3 || argv[1][0] == '-') {
    fprintf(stderr,
            "usage: %s BACKING MOUNTPOINT [FUSE options, e.g. -f -o allow_other]\n"
            "env: SLOWFS_READ_DELAY_MS SLOWFS_READ_DELAY_COUNT SLOWFS_META_DELAY_MS\n"
            "     SLOWFS_META_DELAY_COUNT SLOWFS_META_OPS SLOWFS_RELEASE SLOWFS_LOG\n",
            argv[0]);
    return 2;
  }
  if (realpath(argv[1], backing_path) == NULL) {
    fprintf(stderr, "slowfs: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  backing_fd = open(backing_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (backing_fd < 0) {
    fprintf(stderr, "slowfs: %s: %s\n", backing_path, strerror(errno));
    return 1;
  }
  if (strcmp(backing_path, "/") == 0) backing_path[0] = '\0';  /* "/" + "/x" */

  read_delay_ms = env_long("SLOWFS_READ_DELAY_MS", 5000);
  read_delay_count = env_long("SLOWFS_READ_DELAY_COUNT", 0);
  meta_delay_ms = env_long("SLOWFS_META_DELAY_MS", 5000);
  meta_delay_count = env_long("SLOWFS_META_DELAY_COUNT", 0);
  const char* ops = getenv("SLOWFS_META_OPS");
  if (ops != NULL) snprintf(meta_ops, sizeof meta_ops, "%s", ops);
  const char* rel_file = getenv("SLOWFS_RELEASE");
  if (rel_file != NULL && *rel_file) release_path = rel_file;
  const char* log = getenv("SLOWFS_LOG");
  if (log != NULL && *log) {
    log_file = fopen(log, "ae");
    if (log_file == NULL) {
      fprintf(stderr, "slowfs: %s: %s\n", log, strerror(errno));
      return 1;
    }
  }

  /* argv for fuse_main: program name, MOUNTPOINT and the options after it. */
  argv[1] = argv[0];
  umask(0);  /* modes come from the callers */
  return fuse_main(argc - 1, argv + 1, &sfs_ops, NULL);
}
