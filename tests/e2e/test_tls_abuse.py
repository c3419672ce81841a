"""Clients that stall or vanish in the TLS paths must not keep their session
slots: a stalled implicit-FTPS handshake, an `AUTH TLS` followed by silence,
and a plain FTP client that stops reading and then resets are all cut at the
login timeout, and the slots serve others afterwards. Also: AUTH TLS after a
clear-text login is refused (the password already crossed in clear)."""

import socket
import ssl
import struct
import time

import pytest

import conftest
import ftp_util
import ferry_wire
from ferry_wire import Conn

LOGIN_TIMEOUT = 2
MAX_SESSIONS = 6


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = tmp_path_factory.mktemp("abuse")
    root = conftest._init_root(base)
    with open(root / "ferryd.toml", "a") as f:
        f.write(f"\nlogin_timeout = {LOGIN_TIMEOUT}\nmax_sessions = {MAX_SESSIONS}\n"
                f"max_sessions_per_ip = {MAX_SESSIONS}\n"
                "[ftp]\nimplicit_listen = \"127.0.0.1:0\"\n")
    log_path = base / "ferryd.log"
    proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=True)
    # The implicit listener's line follows the FTP one on stdout.
    deadline = time.monotonic() + 10
    while not any(b"ftps listening" in c for c in extra) and time.monotonic() < deadline:
        time.sleep(0.05)
    line = b"".join(extra).decode()
    ftps_port = int(line.split("ferryd ftps listening on 127.0.0.1:")[1].split()[0])
    s = conftest.Server(base, root, proc, port, log_path)
    s.ftp_port, s.ftps_port = ftp_port, ftps_port
    s.extra_stdout = extra
    yield s
    # The implicit listener's line was expected; anything else is not.
    s.extra_stdout = [b"".join(extra).replace(f"ferryd ftps listening on 127.0.0.1:{ftps_port}\n".encode(), b"")]
    conftest._stop_server(s)


def _slots_serve_again(srv, within=LOGIN_TIMEOUT + 8):
    """A native login works again (the stalled sessions let their slots go)."""
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        try:
            with Conn(srv.port, timeout=5) as c:
                h = c.hello()
                if h.get("status") == 200:
                    return
                last = h
        except (OSError, AssertionError, ferry_wire.ProtocolError) as e:
            last = e  # refused (the id-0 "too many sessions" frame) or reset: not yet
        time.sleep(0.2)
    pytest.fail(f"the server still refuses new sessions after the login timeout: {last!r}\n"
                f"{srv.log_tail()}")


def _all_closed(socks, within):
    """True when the server has closed every socket (EOF or reset)."""
    deadline = time.monotonic() + within
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        for s in list(open_):
            s.settimeout(0.1)
            try:
                if s.recv(65536) == b"":
                    open_.remove(s)
            except socket.timeout:
                pass
            except OSError:
                open_.remove(s)
    return not open_


def test_stalled_implicit_ftps_handshake_is_cut(srv):
    socks = []
    try:
        for i in range(MAX_SESSIONS):
            s = socket.create_connection(("127.0.0.1", srv.ftps_port), timeout=5)
            if i % 2:
                s.sendall(b"\x16")  # the start of a ClientHello, then nothing
            socks.append(s)
        assert _all_closed(socks, LOGIN_TIMEOUT + 6), (
            "stalled implicit-FTPS handshakes were not closed at the login timeout")
    finally:
        for s in socks:
            s.close()
    _slots_serve_again(srv)
    srv.assert_alive()


def test_auth_tls_then_silence_is_cut(srv):
    socks = []
    try:
        for _ in range(MAX_SESSIONS):
            s = socket.create_connection(("127.0.0.1", srv.ftp_port), timeout=5)
            f = s.makefile("rb")
            assert f.readline().startswith(b"220")
            s.sendall(b"AUTH TLS\r\n")
            assert f.readline().startswith(b"234")
            s.sendall(b"\x16\x03\x01")  # a ClientHello that never finishes
            socks.append(s)
        assert _all_closed(socks, LOGIN_TIMEOUT + 6), (
            "sessions stalled in the AUTH TLS handshake outlived the login timeout")
    finally:
        for s in socks:
            s.close()
    _slots_serve_again(srv)


def test_ftp_client_that_stops_reading_then_resets_is_cut(srv):
    """Pipelined commands whose replies are never read, then a reset (the
    session's next write fails): the session must end, not wait for ever."""
    for _ in range(MAX_SESSIONS):
        s = socket.create_connection(("127.0.0.1", srv.ftp_port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.sendall(b"HELP\r\n" * 3000)
        except OSError:
            pass
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    _slots_serve_again(srv)
    srv.assert_alive()


def test_auth_tls_after_a_clear_text_login_is_refused(srv):
    f = ftp_util.FTP()
    f.connect("127.0.0.1", srv.ftp_port, timeout=10)
    f.login("demo", srv.password("demo"))
    with pytest.raises(Exception) as e:
        f.sendcmd("AUTH TLS")
    assert "503" in str(e.value), e.value
    assert f.sendcmd("PWD").startswith("257")  # the session goes on, in clear
    f.quit()


def test_tls_1_2_without_extended_master_secret_is_refused_on_the_native_port(srv):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    # OpenSSL 3's SSL_OP_NO_EXTENDED_MASTER_SECRET is bit 0 (Python 3.11 has no name for it).
    ctx.options |= getattr(ssl, "OP_NO_EXTENDED_MASTER_SECRET", 1)
    hello = b'{"op":"hello","id":1,"version":1}'
    closed = False
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
        try:
            with ctx.wrap_socket(raw) as t:
                assert t.version() == "TLSv1.2", t.version()
                t.sendall(struct.pack(">I", len(hello)) + hello)
                closed = t.recv(1) == b""
        except (ssl.SSLError, ConnectionError):
            closed = True
    assert closed, "the server served TLS 1.2 without the extended master secret"
