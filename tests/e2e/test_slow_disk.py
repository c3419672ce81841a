"""A slow disk stalls no one (issue 11): filesystem calls that can block run
off the event loops, so a hung mount stalls only the sessions touching it.

ROOT/home is a FUSE mount (tests/faults/slowfs.c, built as the `slowfs`
target when libfuse3 is there; ctest passes its path in SLOWFS) of a backing
directory. slowfs holds the first read of every open of a file named `slow*`
(opened with direct_io, so the page cache never hides it) and the first
getattr/open of a `stall*` name, until the test releases it (the file
SLOWFS_RELEASE appears) or a long cap passes; it logs when each hold begins
and ends (CLOCK_MONOTONIC, the clock of time.monotonic_ns()).

Each test: one session's call is held inside the filesystem; while it is held,
50 other sessions on the same ferryd (--threads 2, as conftest starts it) log
in and do a few requests each. They must ALL get every answer while the call
is still held (an ordering check, not a timing one: the test releases the
call only when they are done, or after BUDGET seconds when some are stuck
behind it). Their latency percentiles are printed for the record.

The last test is about one user's share of the filesystem workers: on a
ferryd with `fs_workers = 4` (its own root and mount), one user's 6 gets of
slow files are held while another user's 20 sessions must all be answered,
and slowfs must never hold more than 2 (half the workers) of the first
user's reads at once.

Skipped when /dev/fuse or the slowfs binary is missing or mounting fails.
"""

import contextlib
import ftplib
import hashlib
import io
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

import conftest
import ftp_util
from ferry_wire import Conn, digest_of

SLOWFS = os.environ.get("SLOWFS") or str(
    Path(__file__).resolve().parents[2] / "build" / "tests" / "slowfs")
SESSIONS = 50
# Sanitizer builds run ferryd several times slower.
SCALE = 4 if conftest.SANITIZER else 1
# How long the other sessions may take, all together, while a call is held.
# When they are done sooner the call is released at once; only a failing
# run waits this long.
BUDGET = 5.0 * SCALE
# What slowfs holds a call at most if the test never releases it.
HOLD_CAP_MS = 120_000
MiB = 1 << 20


def _pct(values, q):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def _ms(ns):
    return ns / 1e6


class SlowDisk:
    """The mount (ROOT/home), its backing directory and the slowfs daemon."""

    def __init__(self, base, backing, mnt, proc, log, release, stderr_path):
        self.base = base
        self.backing = backing
        self.mnt = mnt
        self.proc = proc
        self.log = log
        self.release_path = release
        self.stderr_path = stderr_path
        self.mark = 0

    # -- files, written behind the mount's back
    def home(self, user):
        return self.backing / user

    def clean(self, user):
        home = self.home(user)
        for p in home.iterdir():
            if p.is_dir() and not p.is_symlink():
                subprocess.run(["rm", "-rf", str(p)], check=True)
            else:
                p.unlink()
        return home

    # -- holds
    def rearm(self):
        """The next held call is held again (until release()); events before
        this are ignored."""
        self.release_path.unlink(missing_ok=True)
        self.mark = self.log.stat().st_size if self.log.exists() else 0

    def release(self):
        self.release_path.touch()

    def events(self):
        """[(ns, "begin"|"end", op, path)] logged since rearm()."""
        if not self.log.exists():
            return []
        with open(self.log, "rb") as f:
            f.seek(self.mark)
            text = f.read().decode("utf-8", "replace")
        out = []
        for line in text.splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[0].isdigit():
                out.append((int(parts[0]), parts[1], parts[2], parts[3]))
        return out

    def wait_begin(self, ops, path, held, timeout):
        """ns at which slowfs began holding one of `ops` on `path` (as seen
        from the mount root, e.g. "/demo/slow.bin")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ns, what, op, p in self.events():
                if what == "begin" and op in ops and p == path:
                    return ns, op
            if not held.thread.is_alive():
                pytest.fail(f"the call meant to be held ({held.what}) never reached slowfs "
                            f"({'/'.join(ops)} {path}): it ended with {held.error or 'success'}")
            time.sleep(0.01)
        pytest.fail(f"slowfs did not start holding {'/'.join(ops)} {path} within {timeout} s; "
                    f"events: {self.events()[-10:]}")

    def end_of(self, op, path, begin_ns):
        for ns, what, o, p in self.events():
            if what == "end" and o == op and p == path and ns >= begin_ns:
                return ns
        return None

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace").strip()
        except OSError:
            return ""

    def teardown(self):
        """Releases every hold, unmounts (lazily if it must) and reaps slowfs."""
        self.release()
        if os.path.ismount(self.mnt) and not self._unmount(lazy=False):
            self._unmount(lazy=True)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.ismount(self.mnt):  # the daemon is gone: drop what is left
            self._unmount(lazy=True)

    def _unmount(self, lazy):
        """fusermount3 -u (-uz when lazy), or umount (-l) as root without it."""
        if shutil.which("fusermount3"):
            argv = ["fusermount3", "-uz" if lazy else "-u", str(self.mnt)]
        elif os.geteuid() == 0:
            argv = ["umount", *(["-l"] if lazy else []), str(self.mnt)]
        else:
            return False
        return subprocess.run(argv, capture_output=True).returncode == 0


@contextlib.contextmanager
def _slow_root(tmp_path_factory):
    """A fresh server root (conftest's accounts) whose ROOT/home is a slowfs
    mount of the homes `ferryd init`/`user add` made; unmounted on exit."""
    if not os.path.exists("/dev/fuse"):
        pytest.skip("no /dev/fuse here")
    if not os.access(SLOWFS, os.X_OK):
        pytest.skip(f"slowfs is not built at {SLOWFS} (needs libfuse3-dev; or set SLOWFS)")
    if os.geteuid() != 0 and not shutil.which("fusermount3"):
        pytest.skip("mounting FUSE as a user needs fusermount3")
    base = tmp_path_factory.mktemp("slowdisk")
    root = conftest._init_root(base)
    # ROOT/home becomes the mount of the homes `ferryd init`/`user add` made.
    backing = base / "backing"
    mnt = root / "home"
    st = os.stat(mnt)
    os.rename(mnt, backing)
    mnt.mkdir()
    os.chmod(mnt, st.st_mode & 0o7777)
    os.chown(mnt, st.st_uid, st.st_gid)
    log = base / "slowfs.log"
    release = base / "slowfs.release"
    env = dict(os.environ,
               SLOWFS_READ_DELAY_MS=str(HOLD_CAP_MS), SLOWFS_READ_DELAY_COUNT="1",
               SLOWFS_META_DELAY_MS=str(HOLD_CAP_MS), SLOWFS_META_DELAY_COUNT="1",
               SLOWFS_META_OPS="getattr,open", SLOWFS_LOG=str(log),
               SLOWFS_RELEASE=str(release))
    # allow_other: ferryd serves as ROOT's owner (it drops privileges from
    # root); default_permissions: the kernel checks modes as for a disk.
    opts = "default_permissions,fsname=slowfs,subtype=slowfs"
    if os.geteuid() == 0:
        opts += ",allow_other"
    stderr_path = base / "slowfs.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([SLOWFS, str(backing), str(mnt), "-f", "-o", opts],
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env)
    d = SlowDisk(base, backing, mnt, proc, log, release, stderr_path)
    try:
        deadline = time.monotonic() + 10
        while not os.path.ismount(mnt):
            if proc.poll() is not None:
                pytest.skip(f"cannot mount slowfs here (exit {proc.returncode}): {d.stderr()}")
            if time.monotonic() > deadline:
                pytest.skip(f"slowfs did not mount within 10 s: {d.stderr()}")
            time.sleep(0.02)
        # A smoke test of the mount itself before any server uses it.
        probe = d.home("demo") / "probe.txt"
        probe.write_bytes(b"probe")
        assert (mnt / "demo" / "probe.txt").read_bytes() == b"probe", "slowfs does not mirror"
        probe.unlink()
        yield d
    finally:
        d.teardown()


@contextlib.contextmanager
def _serving(disk, toml="", ftp=False):
    """ferryd (--threads 2, as conftest starts it; FTP too with `ftp`) on
    disk's root, whose ferryd.toml gets `toml` appended first. Releases every
    hold before stopping it."""
    root = disk.base / "root"
    with open(root / "ferryd.toml", "a") as f:
        f.write(toml)
    log_path = disk.base / "ferryd.log"
    real = os.path.realpath(disk.base)
    saved = list(conftest._SECRETS)
    conftest._SECRETS[:] = saved + [str(root), os.path.join(real, "root"), str(disk.backing)] + [
        p for p in Path(real).parts if p.startswith("pytest-")]
    try:
        proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=ftp)
        s = conftest.Server(disk.base, root, proc, port, log_path)
        s.extra_stdout = extra
        s.ftp_port = ftp_port
        try:
            yield s
        finally:
            disk.release()  # nothing of ferryd's may still be held while it stops
            conftest._stop_server(s)
    finally:
        conftest._SECRETS[:] = saved


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with _slow_root(tmp_path_factory) as d:
        yield d


@pytest.fixture(scope="module")
def srv(disk):
    """ferryd (native + FTP, --threads 2) on the root whose home is the mount."""
    with _serving(disk, "\n[ftp]\n\n", ftp=True) as s:
        yield s


# ------------------------------------------------------------------ the runner


class Held:
    """The call that slowfs holds, run on its own thread."""

    def __init__(self, what, fn):
        self.what = what
        self.fn = fn
        self.error = None
        self.result = None
        self.done_ns = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.result = self.fn()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)
        finally:
            self.done_ns = time.monotonic_ns()


class Timer:
    """Per-request latencies of one session."""

    def __init__(self):
        self.lat_ms = []

    def __call__(self, fn, *args, **kw):
        t = time.monotonic_ns()
        r = fn(*args, **kw)
        self.lat_ms.append(_ms(time.monotonic_ns() - t))
        return r


def _worker(fn, i, results):
    timer = Timer()
    start = time.monotonic_ns()
    try:
        fn(i, timer)
        results[i] = (None, start, time.monotonic_ns(), timer.lat_ms)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results[i] = (repr(e), start, time.monotonic_ns(), timer.lat_ms)


def run_while_held(srv, disk, label, held, ops, path, worker):
    """Starts `held` (a Held), waits until slowfs holds `ops` on `path`, runs
    SESSIONS workers (worker(i, timer)) and releases the hold when they are
    done or BUDGET has passed. Checks that every worker finished while the
    call was still held and before `held` completed."""
    disk.rearm()
    held.thread.start()
    begin_ns, op = disk.wait_begin(ops, path, held, timeout=15 * SCALE)

    results = [None] * SESSIONS
    threads = [threading.Thread(target=_worker, args=(worker, i, results), daemon=True)
               for i in range(SESSIONS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, BUDGET - (time.monotonic() - t0)))
    released_ns = time.monotonic_ns()
    held_still = held.thread.is_alive()
    disk.release()
    for t in threads:
        t.join(30 * SCALE)
    held.thread.join(30 * SCALE)
    end_ns = disk.end_of(op, path, begin_ns)

    stuck = [i for i, r in enumerate(results) if r is None]
    done = [r for r in results if r is not None]
    lat = [ms for r in done for ms in r[3]]
    total = [_ms(r[2] - r[1]) for r in done]
    in_time = [r for r in done if r[0] is None and r[2] < released_ns]
    late = [r for r in done if r[2] >= released_ns]
    held_ms = _ms((end_ns or released_ns) - begin_ns)
    report = (
        f"{label}: {SESSIONS} sessions while {held.what} was held ({op} {path}, "
        f"held {held_ms:.0f} ms, released when they were done or after {BUDGET:.0f} s)\n"
        f"  answered while it was held: {len(in_time)}/{SESSIONS}; "
        f"only after it was released: {len(late)}; never: {len(stuck)}\n")
    if lat:
        report += (f"  request latency ms  p50 {_pct(lat, 50):8.1f}  p99 {_pct(lat, 99):8.1f}  "
                   f"max {max(lat):8.1f}  ({len(lat)} requests)\n"
                   f"  session time ms     p50 {_pct(total, 50):8.1f}  p99 {_pct(total, 99):8.1f}  "
                   f"max {max(total):8.1f}\n")
    if held.done_ns is not None:
        report += f"  held call completed {_ms(held.done_ns - begin_ns):.0f} ms after the hold began\n"
    print(report)

    errors = [(i, r[0]) for i, r in enumerate(results) if r is not None and r[0] is not None]
    assert not stuck, f"{len(stuck)} sessions never finished\n{report}"
    assert not errors, (f"{len(errors)} sessions failed, first: {errors[:3]}\n{report}"
                        f"server log tail:\n{srv.log_tail()}")
    assert held.error is None, f"the held call failed: {held.error}\n{report}"
    assert not held.thread.is_alive(), f"the held call never completed\n{report}"
    assert held_still, (f"the held call completed before the other sessions were done: "
                        f"slowfs did not hold it\n{report}")
    assert end_ns is not None and end_ns >= released_ns, (
        f"slowfs let the call go before the test released it\n{report}")
    # The point: nobody waited behind the held call.
    nobody_waited = not late
    assert nobody_waited, (f"{len(late)} of {SESSIONS} sessions got their answers only after "
                           f"the held call was released: they were stalled behind it\n{report}")
    before_held = all(r[2] < held.done_ns for r in done)
    assert before_held, report
    srv.assert_alive()
    return held.result


# ------------------------------------------------------------------ fixtures of the tests

SMALL = b"small file contents\n" * 200


def _prepare(disk):
    """demo's home: slow.bin (held on read); many's home: small.txt (what
    the other sessions read)."""
    slow = os.urandom(4 * MiB)
    disk.clean("demo")
    (disk.home("demo") / "slow.bin").write_bytes(slow)
    disk.clean("many")
    (disk.home("many") / "small.txt").write_bytes(SMALL)
    return slow


def _ip(i):
    # Spread over 10 loopback addresses: ferryd's per-address limits (e.g. 32
    # connections not yet logged in) are not what this test is about.
    return f"127.0.0.{60 + i % 10}"


def _native_worker(srv, tag):
    small_digest = hashlib.sha256(SMALL).hexdigest()

    def work(i, timer):
        c = timer(Conn, srv.port, timeout=30 * SCALE, source_ip=_ip(i))
        try:
            timer(c.login, "many", srv.password("many"))
            names = [e["name"] for e in timer(c.ok, "ls")["entries"]]
            assert "small.txt" in names, names
            e = timer(c.ok, "stat", path="small.txt")["entry"]
            assert e["size"] == len(SMALL), e
            reply, body, trailer = timer(c.get, "small.txt", algo="sha256")
            assert reply["status"] == 200 and body == SMALL, reply
            assert trailer["digest"] == small_digest, trailer
            data = f"{tag} {i}\n".encode() * 64
            r = timer(c.put_inline, f"{tag}{i:02d}.txt", data, algo="sha256")
            assert r["status"] == 201, r
            assert timer(c.req, "bye")["status"] == 200
        finally:
            c.close()
    return work


def _ftp_worker(srv, tag):
    def work(i, timer):
        f = timer(ftp_util.ftp_connect, srv, user="many", source_ip=_ip(i), timeout=30 * SCALE)
        try:
            lines = timer(f.lines, "LIST")
            assert any(line.endswith(" small.txt") for line in lines), lines
            assert timer(f.retr_bytes, "small.txt") == SMALL
            data = f"{tag} {i}\n".encode() * 64
            timer(f.storbinary, f"STOR {tag}{i:02d}.txt", io.BytesIO(data))
            timer(f.quit)
        finally:
            f.close()
    return work


def _check_puts(disk, tag, sessions=SESSIONS):
    for i in range(sessions):
        p = disk.home("many") / f"{tag}{i:02d}.txt"
        assert p.read_bytes() == f"{tag} {i}\n".encode() * 64, p


# ------------------------------------------------------------------ tests


def test_native_sessions_are_answered_while_a_get_is_stuck_reading(srv, disk):
    slow = _prepare(disk)

    def held_get():
        with Conn(srv.port, timeout=60 * SCALE + HOLD_CAP_MS / 1000) as c:
            c.login("demo", srv.password("demo"))
            reply, body, trailer = c.get("slow.bin")
            assert reply["status"] == 200, reply
            assert body == slow, f"slow.bin came back wrong ({len(body)} bytes)"
            assert trailer["digest"] == digest_of("xxh128", slow), trailer
            return len(body)

    run_while_held(srv, disk, "native", Held("get slow.bin", held_get), ("read",),
                   "/demo/slow.bin", _native_worker(srv, "n"))
    _check_puts(disk, "n")


def test_ftp_sessions_are_answered_while_a_retr_is_stuck_reading(srv, disk):
    slow = _prepare(disk)

    def held_retr():
        f = ftp_util.ftp_connect(srv, user="demo", timeout=60 * SCALE + HOLD_CAP_MS / 1000)
        try:
            data = f.retr_bytes("slow.bin")
            assert data == slow, f"slow.bin came back wrong ({len(data)} bytes)"
            f.quit()
        except ftplib.all_errors:
            f.close()
            raise
        return len(data)

    run_while_held(srv, disk, "ftp", Held("RETR slow.bin", held_retr), ("read",),
                   "/demo/slow.bin", _ftp_worker(srv, "f"))
    _check_puts(disk, "f")


def test_sessions_are_answered_while_a_stat_is_stuck(srv, disk):
    """A metadata call hangs (the lookup of a `stall` name: what a stat, an
    open or the quota walk of that home would do first)."""
    _prepare(disk)
    disk.clean("other")
    (disk.home("other") / "stall.bin").write_bytes(b"x" * 1000)

    def held_stat():
        with Conn(srv.port, timeout=60 * SCALE + HOLD_CAP_MS / 1000) as c:
            c.login("other", srv.password("other"))
            e = c.ok("stat", path="stall.bin")["entry"]
            assert e["size"] == 1000, e
            return e

    run_while_held(srv, disk, "native, metadata", Held("stat stall.bin", held_stat),
                   ("getattr", "open"), "/other/stall.bin", _native_worker(srv, "m"))
    _check_puts(disk, "m")


# ------------------------------------------------------------------ one user's fair share

# A server with 4 filesystem workers: one user's calls hold at most 2 of them
# (half, src/session/fs_workers.hpp). The hog opens more sessions than there
# are workers, each stuck reading its own slow file.
FAIR_WORKERS = 4
FAIR_PER_USER = FAIR_WORKERS // 2
HOGS = 6
OTHERS = 20
# After the hog's gets are sent and the first holds began: how long ferryd
# gets to hand the rest of them to workers, if it would (it would without the
# per-user cap, taking every worker). Only a wait, never checked against.
SETTLE = 0.3 * SCALE


@pytest.fixture(scope="module")
def fair_disk(tmp_path_factory):
    with _slow_root(tmp_path_factory) as d:
        yield d


@pytest.fixture(scope="module")
def fair_srv(fair_disk):
    """ferryd (native, --threads 2) with fs_workers = 4 on its own slowfs root."""
    with _serving(fair_disk, f"\nfs_workers = {FAIR_WORKERS}\n") as s:
        yield s


def _max_at_once(spans):
    """Most of the (begin, end) spans (end None: still open) open at once."""
    edges = sorted([(b, 1) for b, _ in spans] + [(e, -1) for _, e in spans if e is not None],
                   key=lambda x: (x[0], x[1]))  # an end before a begin at the same ns
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def _hold_spans(disk, paths):
    """path -> [(begin ns, end ns or None)] of the reads slowfs held since
    rearm()."""
    spans = {p: [] for p in paths}
    for ns, what, op, p in disk.events():
        if op != "read" or p not in spans:
            continue
        if what == "begin":
            spans[p].append((ns, None))
        elif spans[p] and spans[p][-1][1] is None:
            spans[p][-1] = (spans[p][-1][0], ns)
    return spans


def test_one_user_stuck_on_slow_files_leaves_workers_to_the_others(fair_srv, fair_disk):
    """fs_workers = 4: "demo" (the hog) gets 6 slow files at once, one per
    session, every read held by slowfs; 20 sessions of "many" (ls, stat, get,
    inline put) must all be answered while they are held, and slowfs must
    have seen at most 2 of the hog's reads at once. Without the per-user cap
    the hog's gets would take all 4 workers and leave "many" none."""
    srv, disk = fair_srv, fair_disk
    hog = "demo"
    disk.clean(hog)
    files = {f"slow{k}.bin": os.urandom(MiB + 4099 * k) for k in range(HOGS)}
    for name, data in files.items():
        (disk.home(hog) / name).write_bytes(data)
    disk.clean("many")
    (disk.home("many") / "small.txt").write_bytes(SMALL)
    paths = [f"/{hog}/{name}" for name in files]

    conns = []
    hogs = []
    results = [None] * OTHERS
    try:
        # The hog's sessions log in first (no hold yet), then all 6 gets go
        # out before anything waits: every one is ferryd's to schedule.
        for k in range(HOGS):
            c = Conn(srv.port, timeout=60 * SCALE + HOLD_CAP_MS / 1000,
                     source_ip=f"127.0.0.{80 + k}")
            conns.append(c)
            c.login(hog, srv.password(hog))
        disk.rearm()
        for k, (c, name) in enumerate(zip(conns, files)):
            rid = c.alloc_id()
            c.send({"op": "get", "id": rid, "path": name, "algo": "sha256"})

            def fetch(c=c, rid=rid, name=name):
                reply, body = c.recv()
                assert reply.get("id") == rid and reply.get("status") == 200, reply
                trailer, tbody = c.recv()
                assert trailer.get("id") == rid and not tbody, trailer
                return reply, body, trailer

            hogs.append(Held(f"get {name}", fetch))
        for h in hogs:
            h.thread.start()

        # The hog's share of the workers fills up: its first holds begin.
        deadline = time.monotonic() + 15 * SCALE
        while True:
            spans = _hold_spans(disk, paths)
            if sum(len(v) for v in spans.values()) >= FAIR_PER_USER:
                break
            done = [h for h in hogs if not h.thread.is_alive()]
            if done:
                pytest.fail(f"a get of the hog ended before slowfs held {FAIR_PER_USER} reads: "
                            f"{done[0].what}: {done[0].error or 'success'}")
            if time.monotonic() > deadline:
                pytest.fail(f"slowfs did not hold {FAIR_PER_USER} of the hog's reads within "
                            f"{15 * SCALE} s; events: {disk.events()[-10:]}")
            time.sleep(0.01)
        time.sleep(SETTLE)
        spans = _hold_spans(disk, paths)
        held_before = sum(1 for v in spans.values() for _, e in v if e is None)

        # The other user's sessions, while the hog's gets are all held.
        threads = [threading.Thread(target=_worker, args=(_native_worker(srv, "h"), i, results),
                                    daemon=True) for i in range(OTHERS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, BUDGET - (time.monotonic() - t0)))
        released_ns = time.monotonic_ns()
        hogs_still = [h.what for h in hogs if h.thread.is_alive()]
        spans_at_release = _hold_spans(disk, paths)
        disk.release()
        for t in threads:
            t.join(30 * SCALE)
        for h in hogs:
            h.thread.join(30 * SCALE)
    finally:
        disk.release()
        for c in conns:
            c.close()

    spans = _hold_spans(disk, paths)
    held_at_release = sum(1 for v in spans_at_release.values() for _, e in v if e is None)
    most_before = _max_at_once([s for v in spans_at_release.values() for s in v])
    most = _max_at_once([s for v in spans.values() for s in v])
    stuck = [i for i, r in enumerate(results) if r is None]
    done = [r for r in results if r is not None]
    errors = [(i, r[0]) for i, r in enumerate(results) if r is not None and r[0] is not None]
    late = [r for r in done if r[2] >= released_ns]
    in_time = [r for r in done if r[0] is None and r[2] < released_ns]
    lat = [ms for r in done for ms in r[3]]
    report = (
        f"fs_workers = {FAIR_WORKERS}: {OTHERS} sessions of many while {HOGS} gets of {hog} were "
        f"held (released when they were done or after {BUDGET:.0f} s)\n"
        f"  hog reads held when the others started: {held_before}; at the release: "
        f"{held_at_release}; most at once before it: {most_before}, in all: {most} "
        f"(per-user cap {FAIR_PER_USER})\n"
        f"  hog gets still running at the release: {len(hogs_still)}/{HOGS}\n"
        f"  answered while held: {len(in_time)}/{OTHERS}; only after the "
        f"release: {len(late)}; never: {len(stuck)}; failed: {len(errors)}\n")
    if lat:
        report += (f"  request latency ms  p50 {_pct(lat, 50):8.1f}  p99 {_pct(lat, 99):8.1f}  "
                   f"max {max(lat):8.1f}  ({len(lat)} requests)\n")
    print(report)

    assert not stuck, f"{len(stuck)} sessions of many never finished\n{report}"
    assert not errors, (f"{len(errors)} sessions of many failed, first: {errors[:3]}\n{report}"
                        f"server log tail:\n{srv.log_tail()}")
    assert len(hogs_still) == HOGS, (
        f"some of the hog's gets completed before the others were done: slowfs did not hold "
        f"them\n{report}")
    # The point: the hog's stuck calls left the other user workers (they were
    # all done before the release, and every get of the hog was running then).
    assert not late, (f"{len(late)} of {OTHERS} sessions of many got their answers only after "
                      f"the hog's reads were released: they were stalled behind them\n{report}")
    # ... because the hog never had more than its share of them.
    assert held_at_release == FAIR_PER_USER and most <= FAIR_PER_USER, (
        f"slowfs held {most} of the hog's reads at once ({held_at_release} when released): "
        f"the per-user cap is {FAIR_PER_USER} of {FAIR_WORKERS} workers\n{report}")

    # Released: every get of the hog completes, with its own bytes.
    for h, (name, data) in zip(hogs, files.items()):
        assert not h.thread.is_alive(), f"{h.what} never completed after the release\n{report}"
        assert h.error is None, f"{h.what} failed: {h.error}\n{report}"
        reply, body, trailer = h.result
        assert reply["size"] == len(data) and body == data, (
            f"{name} came back wrong ({len(body)} bytes)")
        assert trailer["digest"] == hashlib.sha256(data).hexdigest(), trailer
    # Each read was held (or, queued past the release, let through) by slowfs:
    # the gets really went through the slow mount.
    assert all(spans[p] for p in paths), f"slowfs saw no read of some of {paths}: {spans}"
    _check_puts(disk, "h", OTHERS)
    srv.assert_alive()
