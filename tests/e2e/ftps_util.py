"""Helpers for the FTPS (RFC 4217) end-to-end tests: servers with an implicit
FTPS listener or without a certificate (conftest's fixtures start neither),
ftplib FTP_TLS clients (stock, session-reusing, implicit), a raw control
connection that can switch to TLS, and curl/lftp runners that insist on TLS."""

import ftplib
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import conftest
from conftest import FERRYD, START_TIMEOUT, USERS, Server, _port_from, _read_stdout_line, must_ferryd
from ftp_util import TIMEOUT, RawFTP, record, run_curl, run_lftp

# Crash signatures that must never show up in a server log.
CRASH_MARKERS = ("terminate called", "Segmentation fault", "AddressSanitizer", "runtime error:",
                 "Assertion", "core dumped", "std::bad_alloc", " critical ")


class FtpsServer(Server):
    """conftest.Server plus the FTPS bits: ftps_port (implicit listener or
    None) and cert (the PEM clients trust, or None without TLS)."""

    ftps_port = None
    cert = None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def start(base, ftp_config="", tls_config=None, tls=True, implicit=False,
          users=("demo", "many", "other"), move_cert=None):
    """Inits a root under `base` (with --no-tls unless `tls`), adds `users`
    (passwords from conftest.USERS), appends `ftp_config` to [ftp] and
    `tls_config` (or tls_config(root)) to [tls], and starts ferryd with the FTP front-end (and the
    implicit FTPS listener with `implicit`). `move_cert(root)` may relocate
    the pair before start and returns the cert path clients should trust."""
    root = base / "root"
    must_ferryd("init", "--root", root, *([] if tls else ["--no-tls"]))
    if tls:
        assert (root / "tls" / "cert.pem").is_file(), "ferryd init made no tls/cert.pem"
        assert (root / "tls" / "key.pem").is_file(), "ferryd init made no tls/key.pem"
    else:
        assert not (root / "tls").exists(), "ferryd init --no-tls still made tls/"
    for name in users:
        password, extra = USERS[name]
        must_ferryd("user", "add", name, "--root", root, "--password-stdin", *extra,
                    input=password + "\n")
    cert = None
    if tls:
        cert = move_cert(root) if move_cert else root / "tls" / "cert.pem"
        # Clients trust a copy outside the root: their verbose output names
        # the CA file, and the real root path must not appear in it.
        shutil.copyfile(cert, base / "server-cert.pem")
        cert = base / "server-cert.pem"
    if callable(tls_config):
        tls_config = tls_config(root)
    with open(root / "ferryd.toml", "a") as f:
        f.write("\n[ftp]\n" + ftp_config + "\n")
        if tls_config is not None:
            f.write("\n[tls]\n" + tls_config + "\n")
    log_path = base / "ferryd.log"
    log = open(log_path, "ab")
    argv = [FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0", "--threads", "2",
            "--ftp-listen", "127.0.0.1:0", *conftest.ALLOW_ROOT]
    if implicit:
        argv += ["--ftps-listen", "127.0.0.1:0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    port = _port_from(_read_stdout_line(proc, deadline, log_path), "ferryd listening on 127.0.0.1:")
    ftp_port = _port_from(_read_stdout_line(proc, deadline, log_path),
                          "ferryd ftp listening on 127.0.0.1:")
    ftps_port = None
    if implicit:
        ftps_port = _port_from(_read_stdout_line(proc, deadline, log_path),
                               "ferryd ftps listening on 127.0.0.1:")
    extra_stdout = []

    def drain():
        for chunk in iter(lambda: os.read(proc.stdout.fileno(), 4096), b""):
            extra_stdout.append(chunk)

    threading.Thread(target=drain, daemon=True).start()
    srv = FtpsServer(base, root, proc, port, log_path)
    srv.extra_stdout = extra_stdout
    srv.ftp_port = ftp_port
    srv.ftps_port = ftps_port
    srv.cert = cert
    return srv


def server_fixture(tmp_path_factory, **kw):
    """Generator body of a module-scoped fixture: a running FtpsServer whose
    real paths are added to the reply leak check; stopped (SIGTERM, exit 0,
    nothing more on stdout) and its log checked for crashes afterwards."""
    base = tmp_path_factory.mktemp("ftps")
    real = os.path.realpath(base)
    secrets = [str(base / "root"), os.path.join(real, "root")]
    conftest._SECRETS.extend(secrets)
    srv = start(base, **kw)
    try:
        yield srv
    finally:
        for s in secrets:
            if s in conftest._SECRETS:
                conftest._SECRETS.remove(s)
        conftest._stop_server(srv)
        assert_no_crash(srv)


def assert_no_crash(srv):
    text = srv.log_text()
    bad = [m for m in CRASH_MARKERS if m in text]
    assert not bad, f"ferryd log shows {bad}; tail:\n{srv.log_tail(60)}"


def client_context(srv):
    """A TLS client context that trusts exactly the server's certificate
    and checks the host name (127.0.0.1 is in the certificate's SANs)."""
    ctx = ssl.create_default_context(cafile=str(srv.cert))
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    return ctx


# ------------------------------------------------------------ ftplib clients


class StockFTPS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS as shipped (its data connections never resume the
    control connection's TLS session); records every reply line."""

    def getline(self):
        line = super().getline()
        record(line.encode(self.encoding, "replace"))
        return line

    def retr_bytes(self, name, rest=None):
        chunks = []
        self.retrbinary(f"RETR {name}", chunks.append, rest=rest)
        return b"".join(chunks)

    def lines(self, cmd):
        out = []

        def keep(line):
            record(line.encode(self.encoding, "replace"))
            out.append(line)

        self.retrlines(cmd, keep)
        return out


class ReuseFTPS(StockFTPS):
    """FTP_TLS whose protected data connections resume the control
    connection's TLS session (what curl, lftp and FileZilla do)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = self.sock.session
            assert session is not None, "the control connection has no TLS session to resume"
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


class ImplicitFTPS(ReuseFTPS):
    """Implicit FTPS: TLS from the first byte of the control connection; data
    connections are protected without PBSZ/PROT (the server's default)."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        raw = socket.create_connection((host, port), self.timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=host)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        self._prot_p = True
        return self.welcome


def ftps_login(srv, cls=ReuseFTPS, user="demo", prot_p=True, ctx=None):
    """An explicit-FTPS ftplib session (AUTH TLS, USER/PASS, PBSZ 0 + PROT P)."""
    f = cls(context=ctx or client_context(srv), timeout=TIMEOUT, encoding="utf-8")
    f.connect("127.0.0.1", srv.ftp_port)
    f.login(user, srv.password(user))
    assert isinstance(f.sock, ssl.SSLSocket), "ftplib did not switch the control connection to TLS"
    if prot_p:
        f.prot_p()
    return f


def implicit_login(srv, user="demo"):
    f = ImplicitFTPS(context=client_context(srv), timeout=TIMEOUT, encoding="utf-8")
    f.connect("127.0.0.1", srv.ftps_port)
    f.login(user, srv.password(user))
    return f


def close_quietly(f):
    try:
        f.quit()
    except (OSError, EOFError, ftplib.Error, ValueError):
        pass
    try:
        f.close()
    except OSError:
        pass


# ------------------------------------------------------------ raw control


class RawTLS(RawFTP):
    """RawFTP that can switch its control connection to TLS after a 234."""

    def __init__(self, srv, port=None, ctx=None, implicit=False):
        self.srv = srv
        self.ctx = ctx or client_context(srv)
        if implicit:
            raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            self.sock = self.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            self.buf = b""
            self.greeting = self.reply()
            assert self.greeting[0] == 220, f"greeting: {self.greeting!r}"
        else:
            super().__init__(port or srv.ftp_port)

    def starttls(self):
        """Wraps the control socket after a 234 (nothing may be buffered: the
        server must not have said anything in clear after 234)."""
        assert self.buf == b"", f"server sent clear text after 234: {self.buf!r}"
        try:
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname="127.0.0.1")
        except (ssl.SSLError, OSError) as e:
            raise AssertionError(f"TLS handshake on the control connection failed: {e!r}") from e

    def auth_tls(self, mech="TLS"):
        self.expect(f"AUTH {mech}", 234)
        self.starttls()
        return self

    def secure_login(self, user="demo"):
        self.auth_tls()
        self.login(self.srv, user)
        self.expect("PBSZ 0", 200)
        self.expect("PROT P", 200)
        return self

    def tls_data(self, port, ctx=None, session="control"):
        """Connects to a data port and runs the TLS handshake: resuming the
        control connection's session by default, or with `session` (None for a
        full handshake) on `ctx` (default: the control's context)."""
        if session == "control":
            session = self.sock.session
            assert session is not None, "no TLS session on the control connection"
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        return (ctx or self.ctx).wrap_socket(raw, server_hostname="127.0.0.1", session=session)


def read_until_closed(sock, timeout=TIMEOUT):
    """Everything readable from a (TLS or plain) socket until it closes or
    fails; never raises for the close itself."""
    sock.settimeout(timeout)
    chunks = []
    while True:
        try:
            b = sock.recv(1 << 20)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            break
        except socket.timeout:
            raise AssertionError(f"data connection neither sent nor closed within {timeout} s")
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


# ------------------------------------------------------------ curl / lftp


def curl_tls(srv, args, implicit=False, **kw):
    """curl with --ssl-reqd, trusting only the server's certificate. URLs:
    "FTP://path" (explicit, AUTH TLS) or "FTPS://path" (implicit listener)."""
    full = ["--ssl-reqd", "--cacert", str(srv.cert)]
    for a in args:
        if a.startswith("FTPS://"):
            a = f"ftps://127.0.0.1:{srv.ftps_port}/" + a[len("FTPS://"):]
        full.append(a)
    return run_curl(srv, full, **kw)


LFTP_TLS = ("set ftp:ssl-allow yes; set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            "set ftp:ssl-protect-list true; set ssl:verify-certificate yes; "
            "set ssl:check-hostname yes; set ssl:ca-file '{cert}'; "
            # a failed transfer is retried once, after 1-2 s (not lftp's 15 s)
            "set net:reconnect-interval-base 1; set net:reconnect-interval-max 2; ")


def lftp_tls(srv, script, debug=False, **kw):
    """lftp forced to FTPS (control and data) that verifies the certificate
    against the server's cert.pem. With `debug`, the protocol trace goes to
    stderr (for checking which commands went out)."""
    pre = LFTP_TLS.format(cert=srv.cert) + ("debug 9; " if debug else "")
    return run_lftp(srv, pre + script, **kw)


def ok(r, what):
    def text(b):
        return b.decode("utf-8", "replace") if isinstance(b, bytes) else b
    assert r.returncode == 0, (
        f"{what} exited {r.returncode}\nstdout: {text(r.stdout)[-2000:]}\n"
        f"stderr: {text(r.stderr)[-3000:]}")
    return r


def sent_commands(r):
    """The FTP commands curl -v shows it sent ("> CMD ...")."""
    return [ln[2:].decode("utf-8", "replace") for ln in r.stderr.splitlines()
            if ln.startswith(b"> ")]


def reply_code(exc):
    return int(str(exc)[:3])
