"""Fixtures for the ferry end-to-end tests: a temporary server root with a few
accounts, a running `ferryd serve` on an ephemeral loopback port, and helpers
to talk to it (raw protocol via ferry_wire, or the real `ferry` client).

ctest runs each test_*.py file on its own with FERRYD and FERRY set; each
module gets its own root and server (module-scoped fixture).
"""

import os
import pwd
import select
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import ferry_wire
from ferry_wire import Conn

FERRYD = os.environ.get("FERRYD") or "/work/main/build/apps/ferryd"
FERRY = os.environ.get("FERRY") or "/work/main/build/apps/ferry"
# The suite runs as root in CI, with roots root owns: ferryd refuses to serve as
# root unless told (test_privileges.py covers the drop to a service user).
ALLOW_ROOT = ["--allow-root"] if os.geteuid() == 0 else []

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0

# "address,undefined" or "thread" when the binaries are sanitizer builds
# (scripts/ctest-sanitized.sh sets it). Their allocators keep freed memory in
# quarantine and shadow every byte, so bounds on ferryd's resident memory are
# not checked there (the code paths still run).
SANITIZER = os.environ.get("FERRY_SANITIZER", "")

# name -> (password, extra `ferryd user add` arguments)
USERS = {
    "demo": ("demo-Pa55,=word!", []),
    "other": ("other secret", []),
    "quser": ("quota-pass", ["--quota", "100MiB"]),
    "solo": ("solo-pass", ["--max-sessions", "1"]),
    "many": ("many-pass", []),
    # bandwidth-limited (token bucket shared by all of the user's sessions), so
    # a transfer has a "middle" to interrupt
    "slow": ("slow-pass", ["--rate", "16MiB/s"]),
}

# Strings that must never appear in any reply (real server paths).
_SECRETS = []


def run_ferryd(*args, input=None, timeout=30):
    if not os.access(FERRYD, os.X_OK):
        pytest.fail(f"ferryd binary not found at {FERRYD}")
    return subprocess.run([FERRYD, *map(str, args)], input=input, capture_output=True,
                          text=True, timeout=timeout)


def must_ferryd(*args, input=None):
    r = run_ferryd(*args, input=input)
    assert r.returncode == 0, (
        f"ferryd {' '.join(map(str, args))} exited {r.returncode}\n"
        f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


class Server:
    def __init__(self, base, root, proc, port, log_path):
        self.base = base
        self.root = root
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.users = USERS
        self.ftp_port = None  # set when the FTP front-end runs (ftp_server fixture)

    def home(self, user="demo"):
        return self.root / "home" / user

    def password(self, user):
        return USERS[user][0]

    def connect(self, **kw):
        return Conn(self.port, **kw)

    def login(self, user="demo", **kw):
        c = Conn(self.port, **kw)
        c.login(user, self.password(user))
        return c

    def clean_home(self, user="demo"):
        """Empties a user's home on disk (the test's starting point).

        A previous test's session may still be closing and deleting its own
        empty part file, so names that vanish meanwhile are fine."""
        home = self.home(user)
        for p in home.iterdir():
            try:
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
            except FileNotFoundError:
                pass
        return home

    def log_tail(self, n=40):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def assert_alive(self):
        rc = self.proc.poll()
        assert rc is None, f"ferryd died (exit {rc}); log tail:\n{self.log_tail()}"

    def kill(self):
        """SIGKILLs the running ferryd (a crash: no cleanup at all)."""
        self.assert_alive()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT)

    def restart(self):
        """Starts a new ferryd on the same root after kill(); it listens on a
        new ephemeral port (self.port is updated)."""
        assert self.proc.poll() is not None, "restart() needs the old ferryd to be gone"
        self.proc, self.port, self.extra_stdout, ftp_port = _spawn(
            self.root, self.log_path, ftp=self.ftp_port is not None)
        self.ftp_port = ftp_port
        pin_server(self.base, self.root, self.port)


def cert_fingerprint(cert_pem):
    """"SHA256:AB:CD:..." of a PEM certificate (what ferry pins)."""
    import hashlib
    import ssl
    der = ssl.PEM_cert_to_DER_cert(Path(cert_pem).read_text())
    return "SHA256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def pin_server(base, root, port, host="127.0.0.1"):
    """Trusts the server's certificate for the client runs of this module
    (HOME=base), as a user who accepted it on first use would have: every
    client test then runs over TLS."""
    cfg = Path(base) / ".config" / "ferry"
    cfg.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(cfg / "known_hosts", "a") as f:
        f.write(f"{host}:{port} {cert_fingerprint(Path(root) / 'tls' / 'cert.pem')}\n")


def _init_root(base):
    root = base / "root"
    must_ferryd("init", "--root", root)
    for f in ("ferryd.toml", "accounts.toml"):
        assert (root / f).is_file(), f"ferryd init did not create {f}"
    assert (root / "home").is_dir(), "ferryd init did not create home/"
    for name, (password, extra) in USERS.items():
        must_ferryd("user", "add", name, "--root", root, "--password-stdin", *extra,
                    input=password + "\n")
        assert (root / "home" / name).is_dir(), f"user add did not create home/{name}"
    return root


def _read_stdout_line(proc, deadline, log_path):
    """One line of the server's stdout, read byte by byte (nothing beyond it is
    consumed), within `deadline` (time.monotonic())."""
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            proc.wait()
            pytest.fail(f"ferryd did not print its listening line within {START_TIMEOUT} s; "
                        f"got {line!r}; log:\n{log_path.read_text(errors='replace')}")
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                proc.wait()
                pytest.fail(f"ferryd exited ({proc.returncode}) before listening; got "
                            f"{line!r}; log:\n{log_path.read_text(errors='replace')}")
            line += ch
    return line.decode().rstrip("\n")


def _port_from(text, prefix):
    assert text.startswith(prefix) and text[len(prefix):].isdigit(), (
        f"unexpected stdout line {text!r} (expected {prefix!r}PORT)")
    port = int(text[len(prefix):])
    assert 0 < port < 65536
    return port


def _spawn(root, log_path, ftp=False, prefix=()):
    """Starts `ferryd serve` on ROOT (appending to log_path); with `ftp`, also
    the FTP front-end (--ftp-listen). `prefix`: a command that runs ferryd
    (e.g. prlimit). Returns (proc, port, extra_stdout list kept filled by a
    drain thread, ftp port or None)."""
    log = open(log_path, "ab")
    argv = [*prefix, FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0", "--threads", "2",
            *ALLOW_ROOT]
    if ftp:
        argv += ["--ftp-listen", "127.0.0.1:0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    port = _port_from(_read_stdout_line(proc, deadline, log_path),
                      "ferryd listening on 127.0.0.1:")
    ftp_port = None
    if ftp:
        ftp_port = _port_from(_read_stdout_line(proc, deadline, log_path),
                              "ferryd ftp listening on 127.0.0.1:")

    # Keep draining stdout so the server never blocks on a full pipe.
    extra_stdout = []

    def drain():
        for chunk in iter(lambda: os.read(proc.stdout.fileno(), 4096), b""):
            extra_stdout.append(chunk)

    threading.Thread(target=drain, daemon=True).start()
    return proc, port, extra_stdout, ftp_port


def _start_server(base, ftp_config=None, prefix=()):
    """A fresh root and a running ferryd on it. With `ftp_config` (TOML lines
    for the [ftp] table, possibly empty), the FTP front-end is started too."""
    root = _init_root(base)
    if ftp_config is not None:
        with open(root / "ferryd.toml", "a") as f:
            f.write("\n[ftp]\n" + ftp_config + "\n")
    log_path = base / "ferryd.log"
    proc, port, extra_stdout, ftp_port = _spawn(root, log_path, ftp=ftp_config is not None, prefix=prefix)
    srv = Server(base, root, proc, port, log_path)
    pin_server(base, root, port)
    srv.extra_stdout = extra_stdout
    srv.ftp_port = ftp_port
    return srv


def start_with_settings(base, settings):
    """A fresh root whose ferryd.toml ends with the top-level `settings` (TOML
    lines), served by a ferryd (native port only). Stop it with _stop_server."""
    root = _init_root(base)
    with open(root / "ferryd.toml", "a") as f:
        f.write("\n" + settings + "\n")
    log_path = base / "ferryd.log"
    proc, port, extra, _ = _spawn(root, log_path)
    s = Server(base, root, proc, port, log_path)
    s.extra_stdout = extra
    pin_server(base, root, port)
    return s


def _stop_server(srv):
    rc = srv.proc.poll()
    if rc is not None:
        pytest.fail(f"ferryd died during the tests (exit {rc}); log tail:\n{srv.log_tail()}")
    srv.proc.send_signal(signal.SIGTERM)
    try:
        rc = srv.proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        srv.proc.wait()
        pytest.fail(f"ferryd did not exit within {STOP_TIMEOUT} s of SIGTERM; log tail:\n"
                    f"{srv.log_tail()}")
    assert rc == 0, f"ferryd exited {rc} on SIGTERM; log tail:\n{srv.log_tail()}"
    more = b"".join(srv.extra_stdout)
    assert not more.strip(), f"ferryd printed more than one line on stdout: {more[:500]!r}"


def _server_fixture(tmp_path_factory, ftp_config=None, prefix=()):
    base = tmp_path_factory.mktemp("ferry")
    real = os.path.realpath(base)
    secrets = [str(base / "root"), os.path.join(real, "root")]
    # The pytest temp dir name (e.g. "pytest-of-root") exists only in the
    # server's real path, never in a virtual one.
    secrets += [p for p in Path(real).parts if p.startswith("pytest-")]
    _SECRETS[:] = secrets
    srv = _start_server(base, ftp_config, prefix)
    yield srv
    _SECRETS[:] = []
    _stop_server(srv)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from _server_fixture(tmp_path_factory)


@pytest.fixture(scope="module")
def ftp_server(request, tmp_path_factory):
    """Like `server`, with the FTP front-end on too (server.ftp_port). The test
    module's FTP_CONFIG string (TOML lines for [ftp], e.g. 'data_timeout = 2')
    goes into ROOT/ferryd.toml."""
    yield from _server_fixture(tmp_path_factory, getattr(request.module, "FTP_CONFIG", ""))


@pytest.fixture(autouse=True)
def no_real_path_in_replies():
    """No reply (header or body) may contain the server's real root path."""
    with ferry_wire._TRANSCRIPT_LOCK:
        ferry_wire.TRANSCRIPT.clear()
    yield
    with ferry_wire._TRANSCRIPT_LOCK:
        seen = list(ferry_wire.TRANSCRIPT)
        ferry_wire.TRANSCRIPT.clear()
    for raw in seen:
        for s in _SECRETS:
            assert s.encode() not in raw, f"a reply leaked the real path {s!r}: {raw[:300]!r}"


@pytest.fixture
def demo(server):
    """A logged-in session of "demo" whose home starts empty."""
    server.clean_home("demo")
    c = server.login("demo")
    yield c
    c.close()


def run_ferry(server, args, password=None, env_password=None, timeout=30, cwd=None):
    """Runs the real client. With `password`, passes --password-stdin."""
    if not os.access(FERRY, os.X_OK):
        pytest.fail(f"ferry binary not found at {FERRY}")
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_PASSWORD", "XDG_CONFIG_HOME")}
    env["HOME"] = str(server.base)  # known_hosts: pinned by pin_server()
    if env_password is not None:
        env["FERRY_PASSWORD"] = env_password
    argv = [FERRY, "-P", str(server.port)]
    stdin_data = None
    if password is not None:
        argv.append("--password-stdin")
        stdin_data = password + "\n"
    argv += list(args)
    try:
        r = subprocess.run(argv, input=stdin_data, capture_output=True, text=True,
                           timeout=timeout, env=env, cwd=cwd or server.base,
                           stdin=None if stdin_data is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ferry {' '.join(args)} did not finish within {timeout} s")
    for s in _SECRETS:
        assert s not in r.stdout and s not in r.stderr, (
            f"ferry output leaked the server path {s!r}: {r.stdout!r} {r.stderr!r}")
    return r


@pytest.fixture
def ftp(ftp_server):
    """An FTP (ftplib) session of "demo" whose home starts empty."""
    import ftp_util
    ftp_server.clean_home("demo")
    f = ftp_util.ftp_connect(ftp_server)
    yield f
    ftp_util.close_quietly(f)


SERVICE_USER = "ferrytest"


def service_account():
    """The system user "ferrytest" (created once): ferryd serves as it when a
    root belongs to it (privilege drop, exec). Needs root."""
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", SERVICE_USER], check=True)
        return pwd.getpwnam(SERVICE_USER)


@pytest.fixture
def cleanup():
    """Servers a test starts on its own: pass each to cleanup(srv); those
    still running at the end are killed."""
    servers = []
    yield servers.append
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
