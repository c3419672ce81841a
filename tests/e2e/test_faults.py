"""Fault injection end to end (issue 11), through the real binaries.

1. ferryd SIGKILLed while `ferry get` runs: the client keeps a part file
   (the real local name is never touched), the same get after the restart
   resumes from it ("resuming at", only the missing bytes move) and the
   result is byte-identical.
2. FTP: curl SIGKILLed mid-RETR then `curl -C -`; ferryd SIGKILLed mid-STOR
   (old target kept or absent, part kept, resumed after the restart with
   `curl -C - -T` or REST+STOR); ferryd SIGKILLed mid-RETR then `curl -C -`.
3. A user's home deleted (rm -rf) or renamed away under a live native / FTP
   session: every request that touches the home gets a clear error at once,
   other users are served, a new login of that user is refused with a
   message, nothing is created anywhere (the home is not recreated), and
   once the admin recreates (or moves back) the home a new login works.
   (The server checks at every filesystem call that the home it opened is
   still in place: 503 home_unavailable / FTP 550.)
4. A file replaced while it is being downloaded (paced by the account's
   rate, so there is a wide middle): renamed over (atomic) -> the old bytes
   in full; rewritten in place (truncated, then new bytes of the same, a
   larger or a smaller size) -> the native client refuses the result with a
   clear error and leaves no file under the real name (the server checks
   the file is unchanged before its trailer: 409 file_changed); FTP answers
   451 instead of 226.

The in-place rewrites are made while ferryd is stopped (SIGSTOP, every
thread seen stopped, SIGCONT after), so the server reads either all old or
all new bytes at each offset, never a half-written range: the outcome does
not depend on scheduling.

Every rate-limited test has its own account (one token bucket per user), so
no test waits for another's bucket to refill. The module has its own server
(it restarts it), with the FTP front-end on.
"""

import contextlib
import ftplib
import io
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

import conftest
import ftp_util
from conftest import FERRY, USERS, Server, _SECRETS, must_ferryd, pin_server, run_ferry
from ferry_wire import digest_of
from ftp_util import CURL
from transfer_util import MiB, part_path, wait_for, xferlog_lines

# "slow"-like accounts: 16 MiB/s (16 MiB burst), so SIZE takes ~1.5 s and a
# transfer is caught in its paced middle once TRIGGER bytes went through.
RATE = "16MiB/s"
SIZE = 40 * MiB
TRIGGER = 18 * MiB
POOL = {f"f{i:02d}": f"faults-pass-{i:02d}" for i in range(1, 21)}
VICTIMS = {f"v{i}": f"victim-pass-{i}" for i in range(1, 5)}
PASSWORDS = {**POOL, **VICTIMS}
_pool = iter(sorted(POOL))


def take_user():
    """A rate-limited account no other test used."""
    return next(_pool)


class FaultServer(Server):
    def password(self, user):
        return PASSWORDS[user] if user in PASSWORDS else USERS[user][0]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    real = os.path.realpath(base)
    secrets = [str(base / "root"), os.path.join(real, "root")]
    secrets += [p for p in real.split(os.sep) if p.startswith("pytest-")]
    _SECRETS[:] = secrets
    root = conftest._init_root(base)
    for name, pw in POOL.items():
        must_ferryd("user", "add", name, "--root", root, "--password-stdin", "--rate", RATE,
                    input=pw + "\n")
    for name, pw in VICTIMS.items():
        must_ferryd("user", "add", name, "--root", root, "--password-stdin", input=pw + "\n")
    with open(root / "ferryd.toml", "a") as f:
        f.write("\n[ftp]\n")
    log_path = base / "ferryd.log"
    proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=True)
    s = FaultServer(base, root, proc, port, log_path)
    s.extra_stdout = extra
    s.ftp_port = ftp_port
    pin_server(base, root, port)
    try:
        yield s
    finally:
        _SECRETS[:] = []
        if s.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(s.proc.pid, signal.SIGCONT)
            conftest._stop_server(s)
        else:
            pytest.fail(f"ferryd was dead at the end of the module; log tail:\n{s.log_tail()}")


@pytest.fixture(autouse=True)
def server_survives(srv):
    """ferryd must outlive each test (tests that SIGKILL it restart it in a
    `finally`). A dead one is restarted, so the next tests still run, and the
    test fails with the log tail."""
    yield
    if srv.proc.poll() is not None:
        rc = srv.proc.returncode
        tail = srv.log_tail()
        srv.restart()
        pytest.fail(f"ferryd died during the test (exit {rc}); log tail:\n{tail}")


@pytest.fixture
def local(tmp_path):
    d = tmp_path / "local"
    d.mkdir()
    return d


# ---------------------------------------------------------------- helpers


class Child:
    """A client process whose output goes to temp files (no pipe to fill);
    killed (SIGKILL) and reaped when the `with` block ends, whatever happened."""

    def __init__(self, argv, cwd, env=None):
        self.argv = argv
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=self._out, stderr=self._err)

    def running(self):
        return self.p.poll() is None

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)

    def wait(self, timeout=30):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{os.path.basename(self.argv[0])} did not finish within "
                                 f"{timeout} s: {self.stderr()!r}")

    def stderr(self):
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.kill()
        finally:
            self._out.close()
            self._err.close()


def ferry_env(srv, user):
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_PASSWORD", "XDG_CONFIG_HOME")}
    env.update(HOME=str(srv.base), FERRY_PASSWORD=srv.password(user))
    return env


def spawn_ferry(srv, local, user, *args):
    return Child([FERRY, "-P", str(srv.port), f"{user}@127.0.0.1", *args], cwd=local,
                 env=ferry_env(srv, user))


def ferry(srv, local, user, *args, timeout=60):
    return run_ferry(srv, [f"{user}@127.0.0.1", *args], env_password=srv.password(user),
                     timeout=timeout, cwd=local)


def curl_argv(srv, user, *args):
    return [CURL, "-q", "-sS", "--max-time", "50", "-u", f"{user}:{srv.password(user)}",
            *[a.replace("FTP://", f"ftp://127.0.0.1:{srv.ftp_port}/") for a in args]]


def spawn_curl(srv, local, user, *args):
    return Child(curl_argv(srv, user, *args), cwd=local)


def curl(srv, local, user, *args):
    return ftp_util.run_curl(srv, list(args), user=user, cwd=local)


def size_of(p):
    try:
        return os.stat(p).st_size
    except FileNotFoundError:
        return 0


def wait_mid_transfer(child, cond, what, check=None, timeout=20):
    """Polls until cond() while the client runs; `check()` (assertions about
    what must hold throughout) runs at every poll. Fails when the client
    ends first: the transfer had no middle to interrupt."""
    def ready():
        if check is not None:
            check()
        if cond():
            return True
        if not child.running():
            raise AssertionError(
                f"{os.path.basename(child.argv[0])} ended (exit {child.p.returncode}) before "
                f"{what}; stderr {child.stderr()!r}")
        return False
    wait_for(ready, timeout, what, interval=0.005)


@contextlib.contextmanager
def server_crash(srv):
    """SIGKILLs ferryd; the block runs while it is down; it is restarted on
    the same root when the block ends (new ports: srv.port, srv.ftp_port)."""
    srv.kill()
    try:
        yield
    finally:
        srv.restart()


def _threads_stopped(pid):
    states = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                s = f.read()
        except FileNotFoundError:
            continue
        states.append(s[s.rindex(")") + 2])
    return bool(states) and all(c in "Tt" for c in states)


@contextlib.contextmanager
def frozen(srv):
    """ferryd stopped (SIGSTOP, every thread seen in state T) for the block."""
    srv.assert_alive()
    os.kill(srv.proc.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: _threads_stopped(srv.proc.pid), 5, "every ferryd thread to stop")
        yield
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)


def rewrite_in_place(path, data):
    """Truncates the file (same inode) and writes `data` into it."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


def replace_by_rename(path, data):
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    os.rename(tmp, path)


def xferlog_after(srv, path, before, what):
    return wait_for(lambda: xferlog_lines(srv, path)[before:], 10, what)


def split_point(got, old, new):
    """If `got` is old[:k] + new[k:len(got)] for some k, returns k (0: all
    new; len(got): all old); else None (bytes that are neither)."""
    k = 0
    step = 1 << 16
    while k < len(got) and got[k:k + step] == old[k:k + step]:
        k += step
    k = max(0, k - step)
    while k < len(got) and k < len(old) and got[k] == old[k]:
        k += 1
    return k if got[k:] == new[k:len(got)] else None


# ---------------------------------------------------------------- 1. native: ferryd killed mid-get


def test_native_server_sigkill_mid_get_then_resume(srv, local):
    user = take_user()
    data = os.urandom(SIZE)
    (srv.home(user) / "big.bin").write_bytes(data)
    stale = b"an older local copy of big.bin\n"
    target = local / "big.bin"
    target.write_bytes(stale)
    lpart = part_path(local, "big.bin")

    def target_untouched():
        assert target.read_bytes() == stale, "the real local name changed while incomplete"

    with spawn_ferry(srv, local, user, "get", "/big.bin", "big.bin") as g:
        wait_mid_transfer(g, lambda: size_of(lpart) >= TRIGGER, "the local part to reach TRIGGER bytes",
                          check=target_untouched)
        with server_crash(srv):
            rc = g.wait(20)
            err = g.stderr()
            assert rc == 1, f"ferry get exited {rc} after the server died: {err!r}"
            assert err.strip() and len(err.strip().splitlines()) <= 3, err
            target_untouched()
            kept = size_of(lpart)
            assert TRIGGER <= kept < SIZE, kept
            assert lpart.read_bytes() == data[:kept], "local part is not a prefix of the file"
    before = len(xferlog_lines(srv, "/big.bin"))
    r = ferry(srv, local, user, "get", "/big.bin", "big.bin")
    assert r.returncode == 0, f"resumed get failed: {r.stderr!r}"
    assert f"resuming at {kept} of {SIZE} bytes" in r.stderr, (
        f"the get after the restart did not resume from the {kept}-byte part: {r.stderr!r}")
    assert target.read_bytes() == data, "resumed download differs"
    assert not lpart.exists(), "local part left after the resumed get"
    line = xferlog_after(srv, "/big.bin", before, "the resumed get's xferlog line")[-1]
    assert line[17] == "c" and int(line[7]) == SIZE - kept, (
        f"the resumed get moved {line[7]} bytes; {kept} of {SIZE} were already local: {line}")


# ---------------------------------------------------------------- 2. FTP kills


def test_ftp_client_sigkill_mid_retr_then_curl_resume(srv, local):
    user = take_user()
    data = os.urandom(SIZE)
    (srv.home(user) / "dl.bin").write_bytes(data)
    out = local / "dl.bin"
    before = len(xferlog_lines(srv, "/dl.bin"))
    with spawn_curl(srv, local, user, "FTP://dl.bin", "-o", "dl.bin") as c:
        wait_mid_transfer(c, lambda: size_of(out) >= TRIGGER, "curl's file to reach TRIGGER bytes")
        c.kill()
        assert c.p.returncode == -signal.SIGKILL
    kept = size_of(out)
    assert TRIGGER <= kept < SIZE, kept
    assert out.read_bytes() == data[:kept]
    line = xferlog_after(srv, "/dl.bin", before, "the aborted RETR's xferlog line")[-1]
    assert line[17] == "i" and kept <= int(line[7]) < SIZE, line
    srv.assert_alive()
    r = curl(srv, local, user, "-C", "-", "FTP://dl.bin", "-o", "dl.bin")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data, "curl -C - did not resume to identical bytes"
    line = xferlog_after(srv, "/dl.bin", before + 1, "the resumed RETR's xferlog line")[-1]
    assert line[17] == "c" and int(line[7]) == SIZE - kept, (
        f"the resumed RETR moved {line[7]} bytes, {kept} were already local: {line}")


@pytest.mark.parametrize("old_target", [True, False], ids=["over-old-file", "new-file"])
def test_ftp_server_sigkill_mid_stor_then_resume(srv, local, old_target):
    user = take_user()
    home = srv.home(user)
    data = os.urandom(SIZE)
    (local / "up.bin").write_bytes(data)
    target = home / "up.bin"
    part = part_path(home, "up.bin")
    old = os.urandom(MiB + 3) if old_target else None
    if old is not None:
        target.write_bytes(old)

    def target_as_before():
        if old is None:
            assert not target.exists(), "a half upload appeared under the real name"
        else:
            assert target.read_bytes() == old, "the old file changed during the upload"

    with spawn_curl(srv, local, user, "-T", "up.bin", "FTP://up.bin") as c:
        wait_mid_transfer(c, lambda: size_of(part) >= TRIGGER, "the part file to reach TRIGGER bytes",
                          check=target_as_before)
        with server_crash(srv):
            rc = c.wait(20)
            assert rc != 0, "curl -T reported success although the server died"
            target_as_before()
            kept = size_of(part)
            assert TRIGGER <= kept < SIZE, kept
            assert part.read_bytes() == data[:kept], "part file is not a prefix of the upload"
    target_as_before()
    assert size_of(part) == kept, "the restart changed the part file"
    before = len(xferlog_lines(srv, "/up.bin"))
    if old is None:
        # SIZE reports the part's length while no complete file exists; curl
        # then APPEs the rest
        r = curl(srv, local, user, "-C", "-", "-T", "up.bin", "FTP://up.bin")
        assert r.returncode == 0, r.stderr
    else:
        # SIZE reports the old file here (curl -C - would append to it): a
        # client that knows how much of the part is there continues it
        f = ftp_util.ftp_connect(srv, user)
        try:
            f.storbinary("STOR up.bin", io.BytesIO(data[kept:]), rest=kept)
        finally:
            ftp_util.close_quietly(f)
    wait_for(lambda: target.exists() and size_of(target) == SIZE, 5, "the resumed upload in place")
    assert target.read_bytes() == data, "the resumed upload is not byte-identical"
    assert not part.exists(), "part file left after the resumed upload"
    line = xferlog_after(srv, "/up.bin", before, "the resumed upload's xferlog line")[-1]
    assert line[17] == "c" and int(line[7]) == SIZE - kept, line


def test_ftp_server_sigkill_mid_retr_then_resume(srv, local):
    user = take_user()
    data = os.urandom(SIZE)
    (srv.home(user) / "dl.bin").write_bytes(data)
    out = local / "dl.bin"
    with spawn_curl(srv, local, user, "FTP://dl.bin", "-o", "dl.bin") as c:
        wait_mid_transfer(c, lambda: size_of(out) >= TRIGGER, "curl's file to reach TRIGGER bytes")
        with server_crash(srv):
            rc = c.wait(20)
            assert rc != 0, "curl reported success although the server died mid-RETR"
            kept = size_of(out)
            assert TRIGGER <= kept < SIZE, kept
            assert out.read_bytes() == data[:kept]
    before = len(xferlog_lines(srv, "/dl.bin"))
    r = curl(srv, local, user, "-C", "-", "FTP://dl.bin", "-o", "dl.bin")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data, "curl -C - after the restart did not give identical bytes"
    line = xferlog_after(srv, "/dl.bin", before, "the resumed RETR's xferlog line")[-1]
    assert line[17] == "c" and int(line[7]) == SIZE - kept, line


# ---------------------------------------------------------------- 3. home deleted / renamed away


class HomeGoneNotRefused(AssertionError):
    """A request that touched a home that is gone was not refused (raised
    last, after everything else that must hold was checked)."""


def _snapshot(top, skip):
    """{relative path: (kind, size)} of everything under `top`, but `skip`
    (relative paths whose subtree changes legitimately: logs)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in skip]
        for d in dirnames:
            out[os.path.normpath(os.path.join(rel, d))] = ("d", 0)
        for f in filenames:
            p = os.path.normpath(os.path.join(rel, f))
            if p not in skip:
                out[p] = ("f", os.lstat(os.path.join(dirpath, f)).st_size)
    return out


SNAP_SKIP = {"ferryd.log", os.path.join("root", "log"), ".config", "attic"}
# names the requests below would create
CREATED_NAMES = ("new.txt", "up.bin", "d", "g.txt", ".new.txt.ferry-part", ".up.bin.ferry-part")


def _diff(before, after):
    added = sorted(set(after) - set(before))
    changed = sorted(p for p in set(after) & set(before) if after[p] != before[p])
    return added + changed


def _nothing_created_elsewhere(srv, before):
    """Nothing appeared or changed under the test's base (the server root
    included, the moved-away home excluded) nor in ferryd's cwd or /."""
    d = _diff(before, _snapshot(srv.base, SNAP_SKIP))
    assert not d, f"the server created or changed files after the home went away: {d}"
    for top in (f"/proc/{srv.proc.pid}/cwd", "/"):
        found = [n for n in CREATED_NAMES if os.path.lexists(os.path.join(top, n))]
        assert not found, f"created in {top}: {found}"


def _remove_home(srv, user, how):
    """rm -rf of the home, or a rename to BASE/attic/USER (outside the root);
    returns where it went (None when deleted)."""
    home = srv.home(user)
    if how == "rm":
        shutil.rmtree(home)
        return None
    attic = srv.base / "attic"
    attic.mkdir(exist_ok=True)
    os.rename(home, attic / user)
    return attic / user


def _restore_home(srv, user, moved):
    """The admin's repair: a new empty home, or the old one moved back."""
    if moved is None:
        srv.home(user).mkdir(mode=0o700)
    else:
        os.rename(moved, srv.home(user))


def _clear(reply):
    """A native refusal: a 4xx/5xx status, an error name and a message."""
    return (isinstance(reply.get("status"), int) and reply["status"] >= 400
            and bool(reply.get("error")) and isinstance(reply.get("message"), str)
            and bool(reply["message"].strip()))


def _others_still_served(srv, other_conn, tag):
    other_conn.ok("ls", path="/")
    r = other_conn.put_inline(f"/{tag}.txt", b"still served")
    assert r["status"] == 201, r
    _, body, _ = other_conn.get(f"/{tag}.txt")
    assert body == b"still served"
    other_conn.ok("rm", path=f"/{tag}.txt")
    with srv.login("other") as c2:
        c2.ok("ls", path="/")


def _seed_home(srv, user):
    home = srv.home(user)
    (home / "f.txt").write_bytes(b"hello")
    (home / "sub").mkdir()
    return home


def _check_restored(srv, user, moved):
    """After the repair, a new login works and sees the home as it is on disk
    (empty when recreated; moved back: what it held, with whatever the old
    session wrote into it)."""
    want = sorted(n for n in os.listdir(srv.home(user)) if not n.endswith(".ferry-part"))
    if moved is None:
        assert want == [], want
    with srv.login(user) as c:
        names = [e["name"] for e in c.ok("ls", path="/")["entries"]]
        assert names == want, f"new login after the home was restored lists {names}"
        assert c.put_inline("/back.txt", b"back")["status"] == 201
    f = ftp_util.ftp_connect(srv, user)
    try:
        assert sorted(f.nlst()) == sorted(want + ["back.txt"])
    finally:
        ftp_util.close_quietly(f)
    assert (srv.home(user) / "back.txt").read_bytes() == b"back"


def _check_home_gone_harmless(srv, demo, tag, before, home, moved, moved_before, problems):
    """After requests against a home that went away: ferryd is up and serves
    another user, nothing was created elsewhere, the home was not recreated,
    and nothing was written into a home renamed away (that one a problem)."""
    srv.assert_alive()
    _others_still_served(srv, demo, tag)
    _nothing_created_elsewhere(srv, before)
    assert not home.exists(), "the server recreated the home"
    if moved is not None:
        written = _diff(moved_before, _snapshot(moved, set()))
        if written:
            problems.append(f"written into the renamed-away home: {written}")


def _ferry_login_refusal_problems(srv, local, user, problems):
    """The real client, as the user whose home is gone: exit 1, and the
    reason (the server's message) should reach the user."""
    cli = ferry(srv, local, user, "ls", "/")
    print(f"  ferry ls: exit {cli.returncode} {cli.stderr!r}")
    assert cli.returncode == 1 and cli.stderr.strip(), (
        f"ferry ls as a user without a home: exit {cli.returncode} {cli.stderr!r}")
    if "home" not in cli.stderr.lower():
        problems.append(f"ferry does not say why the login was refused: {cli.stderr.strip()!r}")


@pytest.mark.parametrize("how", [
    "rm",
    "mv",
])
def test_native_home_removed_under_live_session(srv, local, how):
    """Must hold (plain assertions): every request is answered at once (the
    socket timeout would fire on a hang), each refusal carries an error and
    a message, ferryd stays up and serves other users, nothing is created
    outside the home that went away (in particular the home is not
    recreated), a new login of the user is refused with a message, and once
    the admin restores the home a new login works.
    Must hold too: every request that touches the home is refused,
    nothing is written into a renamed-away home, and ferry shows the reason
    of the refused login."""
    user = "v1" if how == "rm" else "v2"
    home = _seed_home(srv, user)
    c = srv.login(user)
    demo = srv.login("demo")
    moved = None
    problems = []
    try:
        c.ok("ls", path="/")
        c.ok("stat", path="/f.txt")
        moved = _remove_home(srv, user, how)
        before = _snapshot(srv.base, SNAP_SKIP)
        moved_before = _snapshot(moved, set()) if moved else None
        got = {}
        for name, op, fields in [
                ("ls /", "ls", {"path": "/"}),
                ("stat /", "stat", {"path": "/"}),
                ("ls /sub", "ls", {"path": "/sub"}),
                ("stat /f.txt", "stat", {"path": "/f.txt"}),
                ("cd /sub", "cd", {"path": "/sub"}),
                ("mkdir /d", "mkdir", {"path": "/d"}),
                ("mv /f.txt /g.txt", "mv", {"from": "/f.txt", "to": "/g.txt"}),
                ("hash /g.txt", "hash", {"path": "/g.txt", "algo": "sha256"}),
                ("rm /g.txt", "rm", {"path": "/g.txt"}),
        ]:
            got[name] = c.req(op, **fields)
        got["get /f.txt"] = c.get("/f.txt")[0]
        got["put inline /new.txt"] = c.put_inline("/new.txt", b"new bytes")
        rid = c.alloc_id()
        got["put /up.bin"] = c.put_open("/up.bin", 10, algo="sha256", id=rid)
        if got["put /up.bin"].get("status") == 200:
            c.put_data(rid, b"0123456789")
            got["commit /up.bin"] = c.put_commit(rid, "sha256", digest_of("sha256", b"0123456789"))
        print(f"\n[home {how}] native replies:")
        for k, v in got.items():
            print(f"  {k}: {v}")
        print(f"  (not judged) pwd: {c.req('pwd')}  quota: {c.req('quota')}")
        for k, v in got.items():
            if v.get("status", 0) >= 300:
                assert _clear(v), f"{k}: a refusal without an error name and a message: {v}"
        accepted = {k: v for k, v in got.items() if not _clear(v)}
        if accepted:
            problems.append(f"requests answered as if the home were there: {accepted}")
        _check_home_gone_harmless(srv, demo, f"alive-{how}", before, home, moved, moved_before, problems)
        # a new login is refused, with a message
        n = srv.connect()
        try:
            assert n.hello()["status"] == 200
            r = n.auth(user, srv.password(user))
            print(f"  new login: {r}")
            assert _clear(r), f"a login whose home is gone was not refused clearly: {r}"
        finally:
            n.close()
        _ferry_login_refusal_problems(srv, local, user, problems)
        assert not home.exists(), "a refused login recreated the home"
        _nothing_created_elsewhere(srv, before)
    finally:
        c.close()
        demo.close()
        if not home.exists():
            _restore_home(srv, user, moved)
    _check_restored(srv, user, moved)
    if problems:
        raise HomeGoneNotRefused("\n".join(problems))


def _ftp_try(fn):
    """The reply text of a command (or of the exception it raised)."""
    try:
        r = fn()
        return ("LISTING " + repr(r)) if isinstance(r, list) else str(r)
    except ftplib.all_errors as e:
        return str(e) or repr(e)


@pytest.mark.parametrize("how", [
    "rm",
    "mv",
])
def test_ftp_home_removed_under_live_session(srv, local, how):
    """The FTP side of test_native_home_removed_under_live_session: the same
    must-hold and should-hold checks (ftplib's 10 s timeout is the hang
    check; a refusal is a 4xx/5xx reply with text)."""
    user = "v3" if how == "rm" else "v4"
    home = _seed_home(srv, user)
    f = ftp_util.ftp_connect(srv, user)
    demo = srv.login("demo")
    moved = None
    problems = []
    try:
        assert sorted(f.nlst()) == ["f.txt", "sub"] and f.size("f.txt") == 5
        moved = _remove_home(srv, user, how)
        before = _snapshot(srv.base, SNAP_SKIP)
        moved_before = _snapshot(moved, set()) if moved else None
        got = {}
        for name, fn in [
                ("CWD /", lambda: f.sendcmd("CWD /")),
                ("LIST", lambda: f.lines("LIST")),
                ("NLST", lambda: f.lines("NLST")),
                ("MLSD", lambda: f.lines("MLSD")),
                ("CWD /sub", lambda: f.sendcmd("CWD /sub")),
                ("SIZE /f.txt", lambda: f.sendcmd("SIZE /f.txt")),
                ("MDTM /f.txt", lambda: f.sendcmd("MDTM /f.txt")),
                ("MLST /f.txt", lambda: f.sendcmd("MLST /f.txt")),
                ("HASH /f.txt", lambda: f.sendcmd("HASH /f.txt")),
                ("RETR /f.txt", lambda: f.retr_bytes("/f.txt")),
                ("STOR /new.txt", lambda: f.storbinary("STOR /new.txt", io.BytesIO(b"new"))),
                ("APPE /f.txt", lambda: f.storbinary("APPE /f.txt", io.BytesIO(b"+"))),
                ("MKD /d", lambda: f.sendcmd("MKD /d")),
                ("RNFR /f.txt", lambda: f.sendcmd("RNFR /f.txt")),
                ("DELE /f.txt", lambda: f.sendcmd("DELE /f.txt")),
                ("RMD /sub", lambda: f.sendcmd("RMD /sub")),
        ]:
            got[name] = _ftp_try(fn)
        print(f"\n[home {how}] FTP replies:")
        for k, v in got.items():
            print(f"  {k}: {v}")
        print(f"  (not judged) PWD: {_ftp_try(lambda: f.sendcmd('PWD'))}")
        refused = {k: v for k, v in got.items() if v[:1] in "45" and v[:3].isdigit()}
        for k, v in refused.items():
            assert len(v) > 4 and v[4:].strip(), f"{k}: a refusal without text: {v!r}"
        assert f.sendcmd("NOOP").startswith("200"), "the control connection is not usable"
        accepted = {k: v for k, v in got.items() if k not in refused}
        if accepted:
            problems.append(f"commands answered as if the home were there: {accepted}")
        _check_home_gone_harmless(srv, demo, f"ftp-alive-{how}", before, home, moved, moved_before,
                                  problems)
        n = ftp_util.ftp_connect(srv, user, login=False)
        try:
            with pytest.raises(ftplib.Error) as e:
                n.login(user, srv.password(user))
            print(f"  new login: {e.value}")
            assert str(e.value)[:1] in "45" and len(str(e.value)) > 4, e.value
        finally:
            ftp_util.close_quietly(n)
        assert not home.exists(), "a refused login recreated the home"
        _nothing_created_elsewhere(srv, before)
    finally:
        ftp_util.close_quietly(f)
        demo.close()
        if not home.exists():
            _restore_home(srv, user, moved)
    _check_restored(srv, user, moved)
    if problems:
        raise HomeGoneNotRefused("\n".join(problems))


# ---------------------------------------------------------------- 4. file replaced while downloaded


class MixedDownloadAccepted(AssertionError):
    pass


REPLACEMENTS = {
    # name: (how, new size as a function of the old size)
    "rename": (replace_by_rename, lambda n: n),
    "rewrite-same-size": (rewrite_in_place, lambda n: n),
    "rewrite-larger": (rewrite_in_place, lambda n: n + 3 * MiB),
    "rewrite-smaller": (rewrite_in_place, lambda n: n // 2 - 5),
}


def _native_get_while_replaced(srv, local, kind, cached):
    user = take_user()
    how, new_size = REPLACEMENTS[kind]
    target = srv.home(user) / "r.bin"
    old = os.urandom(SIZE)
    new = os.urandom(new_size(SIZE))
    if cached:
        # An upload's commit keeps its digest (a `hash` may not: the server
        # does not let a download or a hash take a disk block for the cache).
        src = local / "upload-r.bin"
        src.write_bytes(old)
        up = ferry(srv, local, user, "put", str(src), "/r.bin")
        assert up.returncode == 0, up.stderr
        src.unlink()
        assert os.getxattr(target, "user.ferry.digest.xxh128"), "no cached digest"
    else:
        target.write_bytes(old)
    out = local / "r.bin"
    lpart = part_path(local, "r.bin")

    def no_real_file():
        assert not out.exists(), "a file appeared under the real local name while incomplete"

    with spawn_ferry(srv, local, user, "get", "/r.bin", "r.bin") as g:
        wait_mid_transfer(g, lambda: size_of(lpart) >= TRIGGER, "the local part to reach TRIGGER bytes",
                          check=no_real_file)
        with frozen(srv):
            how(target, new)
        rc = g.wait(30)
        err = g.stderr()
    print(f"\n[{kind}{' cached' if cached else ''}] ferry get: exit {rc} {err!r}")
    if how is replace_by_rename:
        # the server holds the old file open: its bytes in full (or a clear error)
        if rc == 0:
            assert out.read_bytes() == old, "renamed-over file: not the old bytes"
        else:
            assert rc == 1 and err.strip(), err
            assert not out.exists()
    else:
        if rc == 0:
            got = out.read_bytes()
            if got == old:
                raise AssertionError("the rewrite came after the server had read the whole "
                                     "file: the test missed its window")
            k = split_point(got, old, new)
            raise MixedDownloadAccepted(
                f"ferry get accepted a file rewritten in place mid-transfer: exit 0, "
                f"{len(got)} bytes = old[:{k}] + new[{k}:] (old {len(old)}, new {len(new)} bytes)")
        assert rc == 1, f"exit {rc}: {err!r}"
        assert err.strip() and len(err.strip().splitlines()) <= 3, err
        if len(new) >= SIZE:
            assert "changed on the server" in err or "checksum mismatch" in err, (
                f"expected the change to be named: {err!r}")
        assert not out.exists(), "a refused download left a file under the real name"
    if cached or how is replace_by_rename:
        assert not lpart.exists(), "a refused download kept its part file"
        return
    # afterwards gets fetch the new file; a part left by a cut transfer may be
    # refused once (checksum mismatch, part discarded), never accepted mixed
    for attempt in range(2):
        r = ferry(srv, local, user, "get", "/r.bin", "r.bin")
        if r.returncode == 0:
            break
        print(f"  get after the change, attempt {attempt + 1}: exit {r.returncode} {r.stderr!r}")
        assert "checksum mismatch" in r.stderr, r.stderr
        assert not out.exists()
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == new, "the get after the change is not the new file"
    assert not lpart.exists()


@pytest.mark.parametrize("kind", [
    "rename",
    "rewrite-same-size",
    "rewrite-larger",
    "rewrite-smaller",
])
def test_native_get_of_a_file_replaced_mid_transfer(srv, local, kind):
    _native_get_while_replaced(srv, local, kind, cached=False)


@pytest.mark.parametrize("kind", ["rewrite-same-size", "rewrite-larger"])
def test_native_get_of_a_file_rewritten_with_a_cached_digest(srv, local, kind):
    """With a digest kept in the xattr (the file was hashed before), the
    trailer is the old file's digest, so a mix is refused."""
    _native_get_while_replaced(srv, local, kind, cached=True)


@pytest.mark.parametrize("kind", list(REPLACEMENTS))
def test_ftp_retr_of_a_file_replaced_mid_transfer(srv, kind):
    """FTP has no checksum. Renamed over: the old bytes in full, 226.
    Rewritten in place: the client got a mix (old up to where the server had
    read, new after) or a short file, so the reply is never 226: 451 "the
    file changed on the server while it was being sent". Also: never more
    bytes than the 150 announced, every byte is the old or the new file's at
    its offset, the session stays usable."""
    user = take_user()
    how, new_size = REPLACEMENTS[kind]
    target = srv.home(user) / "r.bin"
    old = os.urandom(SIZE)
    target.write_bytes(old)
    new = os.urandom(new_size(SIZE))
    f = ftp_util.ftp_connect(srv, user)
    chunks = []
    got_n = [0]
    done = [False]

    def sink(b):
        chunks.append(b)
        got_n[0] += len(b)
        if not done[0] and got_n[0] >= TRIGGER:
            done[0] = True
            with frozen(srv):
                how(target, new)

    try:
        try:
            final = f.retrbinary("RETR r.bin", sink, blocksize=1 << 20)
        except ftplib.error_temp as e:
            final = str(e)
        got = b"".join(chunks)
        assert done[0], "the transfer ended before the trigger"
        code = int(final[:3])
        k = split_point(got, old, new)
        print(f"\n[FTP {kind}] final reply {final!r}; {len(got)} of {len(old)} bytes; "
              f"old up to {k}")
        assert len(got) <= len(old), "more bytes than the 150 announced"
        assert k is not None, "bytes that are neither the old nor the new file's"
        if how is replace_by_rename:
            assert code == 226 and got == old, "renamed-over file: not the old bytes in full"
        else:
            assert k < len(got) or len(got) < len(old), "the rewrite missed the transfer's middle"
            assert code == 451 and "changed" in final, f"a rewritten file's RETR ended {final!r}"
        assert f.sendcmd("NOOP").startswith("200")
    finally:
        ftp_util.close_quietly(f)
