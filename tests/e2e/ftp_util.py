"""Helpers for the FTP end-to-end tests (test_ftp_*.py): an ftplib client that
records every reply (so the autouse leak check in conftest.py sees FTP replies
too), a raw control-connection client for malformed input, and runners for
curl and lftp. The server comes from the `ftp_server` fixture (conftest.py)."""

import ftplib
import os
import re
import socket
import subprocess
import time

import pytest

import ferry_wire

TIMEOUT = 10.0
CURL = "/usr/bin/curl"
LFTP = "/usr/bin/lftp"


def record(raw):
    """Adds reply bytes (control or listing) to the transcript checked for
    leaked real paths after each test."""
    ferry_wire._record(raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace"))


class FTP(ftplib.FTP):
    """ftplib.FTP that records replies and listings, and can use EPSV for
    IPv4 (ftplib only sends EPSV on IPv6)."""

    use_epsv = False

    def getline(self):
        line = super().getline()
        record(line.encode(self.encoding, "replace"))
        return line

    def makepasv(self):
        if self.use_epsv:
            return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())
        return super().makepasv()

    def retrlines(self, cmd, callback=None):
        lines = []

        def keep(line):
            lines.append(line)
            record(line.encode(self.encoding, "replace"))
            if callback is not None:
                callback(line)

        resp = super().retrlines(cmd, keep)
        if callback is None:
            for line in lines:
                print(line)
        return resp

    def lines(self, cmd):
        """A LIST/NLST/MLSD-like command's data lines."""
        out = []
        self.retrlines(cmd, out.append)
        return out

    def storbinary(self, cmd, fp, blocksize=8192, callback=None, rest=None):
        """ftplib's STOR/APPE/STOU, then a NOOP, as a client's next command.
        Over a plain data connection ferryd answers 226 at once but renames
        the upload into place only when the client shows it outlived the data
        connection (its next command, or ~50 ms later: ftp_uploads.cpp), so
        a test that looks at the disk right after needs that round trip."""
        resp = super().storbinary(cmd, fp, blocksize, callback, rest)
        self.voidcmd("NOOP")
        return resp

    def retr_bytes(self, name, rest=None):
        chunks = []
        self.retrbinary(f"RETR {name}", chunks.append, rest=rest)
        return b"".join(chunks)


def ftp_connect(server, user="demo", password=None, source_ip=None, encoding="utf-8",
                login=True, timeout=TIMEOUT):
    """An ftplib session to the server's FTP port (logged in unless login=False)."""
    f = FTP(encoding=encoding)
    f.connect("127.0.0.1", server.ftp_port, timeout=timeout,
              source_address=(source_ip, 0) if source_ip else None)
    if login:
        f.login(user, server.password(user) if password is None else password)
    return f


def close_quietly(f):
    try:
        f.quit()
    except (OSError, EOFError, ftplib.Error):
        pass
    f.close()


def reply_code(exc_or_text):
    return int(str(exc_or_text)[:3])


class RawFTP:
    """A control connection speaking bytes: for input ftplib will not send."""

    def __init__(self, port, source_ip=None, timeout=TIMEOUT):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source_ip, 0) if source_ip else None)
        self.buf = b""
        self.greeting = self.reply()
        assert self.greeting[0] == 220, f"greeting: {self.greeting!r}"

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"control connection closed (pending {self.buf!r})")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        record(line)
        return line

    def reply(self):
        """(code, text) of the next reply; text joins the lines of a
        multi-line reply with "\\n"."""
        first = self._line()
        assert re.match(rb"^\d{3}[ -]", first), f"malformed reply line {first!r}"
        code = int(first[:3])
        lines = [first]
        if first[3:4] == b"-":
            while True:
                line = self._line()
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == b" ":
                    break
        return code, b"\n".join(lines).decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def expect(self, line, code):
        got = self.cmd(line)
        assert got[0] == code, f"{line!r}: expected {code}, got {got!r}"
        return got[1]

    def login(self, server, user="demo"):
        self.expect(f"USER {user}", 331)
        self.expect(f"PASS {server.password(user)}", 230)
        return self

    def epsv(self):
        """EPSV, then connect to the data port. Returns the data socket."""
        code, text = self.cmd("EPSV")
        assert code == 229, f"EPSV: {code} {text}"
        port = int(re.search(r"\(\|\|\|(\d+)\|\)", text).group(1))
        return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)

    def epsv_port(self):
        code, text = self.cmd("EPSV")
        assert code == 229, f"EPSV: {code} {text}"
        return int(re.search(r"\(\|\|\|(\d+)\|\)", text).group(1))

    def expect_closed(self, timeout=5.0):
        self.sock.settimeout(timeout)
        try:
            data = self.buf or self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return
        except socket.timeout:
            raise AssertionError(f"server did not close the connection within {timeout} s")
        assert not data, f"expected the server to close the connection, got {data[:200]!r}"

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def recv_all(sock, timeout=TIMEOUT):
    sock.settimeout(timeout)
    chunks = []
    while True:
        b = sock.recv(1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def tree(top):
    """{relative path: bytes} of the files and {relative path} of the dirs
    under `top` (no symlinks expected)."""
    files, dirs = {}, set()
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        for d in dirnames:
            dirs.add(os.path.normpath(os.path.join(rel, d)))
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as fh:
                files[os.path.normpath(os.path.join(rel, f))] = fh.read()
    return files, dirs


def part_files(top):
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs
            if f.endswith(".ferry-part")]


def _check_no_secret(text):
    """Client output must not show the server's real root path. (Only the
    full paths are checked: the clients' own local paths live under the same
    pytest temp dir.)"""
    from conftest import _SECRETS
    for s in _SECRETS:
        if "/" not in s:
            continue
        assert s not in text, f"client output leaked the server path {s!r}: {text[:500]!r}"


def run_curl(server, args, user="demo", timeout=60, cwd=None):
    """curl -sS -u USER:PASS ARGS... (URLs are relative to ftp://127.0.0.1:PORT)."""
    argv = [CURL, "-q", "-sS", "--max-time", str(timeout - 5), "-u",
            f"{user}:{server.password(user)}"]
    argv += [a.replace("FTP://", f"ftp://127.0.0.1:{server.ftp_port}/") for a in args]
    try:
        r = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd or server.base)
    except subprocess.TimeoutExpired:
        pytest.fail(f"curl {' '.join(args)} did not finish within {timeout} s")
    _check_no_secret(r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace"))
    return r


def run_lftp(server, script, user="many", timeout=60, cwd=None):
    """lftp -u USER,PASS -p PORT -e "set ftp:ssl-allow no; SCRIPT; quit" 127.0.0.1"""
    password = server.password(user)
    assert "," not in password, "lftp -u splits user,password at the comma"
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8", HOME=str(server.base))
    full = ("set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; "
            "set net:reconnect-interval-base 1; set cmd:fail-exit yes; "
            f"{script}; quit")
    argv = [LFTP, "-u", f"{user},{password}", "-p", str(server.ftp_port), "-e", full, "127.0.0.1"]
    try:
        r = subprocess.run(argv, capture_output=True, timeout=timeout, env=env,
                           cwd=cwd or server.base, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"lftp {script!r} did not finish within {timeout} s")
    _check_no_secret(r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace"))
    return r


def stor_when_free(f, name, data, timeout=5.0):
    """STOR `data`; while the server still holds the path of an upload whose
    client vanished (it notices asynchronously) it answers 450: retry."""
    import io
    deadline = time.monotonic() + timeout
    while True:
        try:
            return f.storbinary(f"STOR {name}", io.BytesIO(data))
        except ftplib.error_temp as e:
            if reply_code(e) != 450 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
