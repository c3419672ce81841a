"""A man in the middle that terminates TLS with its own certificate — one the
user has even accepted (pinned) — cannot log in as the user: SCRAM-SHA-256-PLUS
binds the login to the TLS connection (tls-exporter, RFC 9266), and the
client's connection ends at the proxy, not at ferryd. Also: a proxy that
strips -PLUS from the server's hello (a downgrade) is caught.

The proxy is test-only: it accepts TLS with its own certificate, opens its own
TLS connection to ferryd, and relays the bytes (optionally rewriting the
hello reply)."""

import json
import os
import select
import socket
import ssl
import struct
import subprocess
import threading

import pytest

import conftest

USER = "demo"
PASSWORD = conftest.USERS[USER][0]


def _make_cert(dest):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=mitm", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "2", "-keyout", str(dest / "mitm.key"), "-out", str(dest / "mitm.pem")],
                   check=True, capture_output=True, timeout=30)
    return dest / "mitm.pem", dest / "mitm.key"


class Proxy:
    """Accepts TLS connections (its own certificate) and relays them to
    ferryd over a second TLS connection. `strip_plus` rewrites the hello
    reply so it no longer lists SCRAM-SHA-256-PLUS."""

    def __init__(self, upstream_port, cert, key, strip_plus=False):
        self.upstream_port = upstream_port
        self.strip_plus = strip_plus
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(cert, key)
        self.client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_ctx.check_hostname = False
        self.client_ctx.verify_mode = ssl.CERT_NONE
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(20)
        self.port = self.listener.getsockname()[1]
        self.relayed = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            raw, _ = self.listener.accept()
        except OSError:
            return
        try:
            down = self.server_ctx.wrap_socket(raw, server_side=True)
            up = self.client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.upstream_port),
                                                                      timeout=20))
        except (OSError, ssl.SSLError):
            raw.close()
            return
        try:
            self._relay(down, up)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            for s in (down, up):
                try:
                    s.close()
                except OSError:
                    pass

    def _relay(self, down, up):
        """Relays both ways until one side ends, then passes that end on.
        One thread for both directions (an SSL object must not be read and
        written from two threads at once), so no read may block: a TLS socket
        is readable when only a record without data came (TLS 1.3 session
        tickets), and a blocked read would hold up the other direction (the
        client's first frame, under load)."""
        peer = {down: up, up: down}
        for s in peer:
            s.settimeout(0)
        pending_first = b"" if self.strip_plus else None  # upstream bytes before the hello reply
        while True:
            ready = [s for s in peer if s.pending()] or select.select(list(peer), [], [], 20)[0]
            if not ready:
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue  # no application data yet
                if not data:
                    self._pass_on_end(peer[s])
                    return
                self.relayed += len(data)
                if s is up and pending_first is not None:
                    pending_first += data
                    if len(pending_first) < 4:
                        continue
                    (n,) = struct.unpack(">I", pending_first[:4])
                    if len(pending_first) < 4 + n:
                        continue
                    header = json.loads(pending_first[4:4 + n])
                    if "auth" in header:
                        header["auth"] = [m for m in header["auth"] if not m.endswith("-PLUS")]
                    out = json.dumps(header).encode()
                    data = struct.pack(">I", len(out)) + out + pending_first[4 + n:]
                    pending_first = None
                peer[s].settimeout(20)
                peer[s].sendall(data)
                peer[s].settimeout(0)

    @staticmethod
    def _pass_on_end(other):
        """The peer of `other` ended, and all it sent has been passed on:
        half-close `other` (its FIN follows that data) and read it to its own
        end, so that closing it is never a RST that could destroy the last
        frame (the server's error) before the client read it."""
        other.settimeout(20)
        other.shutdown(socket.SHUT_WR)  # also drops TLS on it: the rest is only drained
        while other.recv(65536):
            pass

    def close(self):
        self.listener.close()


@pytest.fixture
def mitm_setup(server, tmp_path):
    cert, key = _make_cert(tmp_path)
    return cert, key


def _run_client_through(server, proxy, tmp_path, cert):
    # The user accepted the proxy's certificate (pinned it): the strongest
    # position a man in the middle can get to without the server's key.
    home = tmp_path / "home"
    (home / ".config" / "ferry").mkdir(parents=True)
    (home / ".config" / "ferry" / "known_hosts").write_text(
        f"127.0.0.1:{proxy.port} {conftest.cert_fingerprint(cert)}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "FERRY_PASSWORD")}
    env.update(HOME=str(home), FERRY_PASSWORD=PASSWORD)
    return subprocess.run([conftest.FERRY, "--tls", "-P", str(proxy.port), f"{USER}@127.0.0.1", "pwd"],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)


def _server_log(server):
    return server.log_path.read_text(errors="replace")


def test_tls_terminating_proxy_cannot_log_in(server, mitm_setup, tmp_path):
    cert, key = mitm_setup
    before = _server_log(server).count("channel binding mismatch")
    proxy = Proxy(server.port, cert, key)
    try:
        r = _run_client_through(server, proxy, tmp_path, cert)
    finally:
        proxy.close()
    assert proxy.relayed > 0, "the proxy relayed nothing: the test did not exercise the relay"
    assert r.returncode == 1, f"login through the proxy did not fail: rc={r.returncode} {r.stdout!r} {r.stderr!r}"
    assert "channel binding mismatch" in r.stderr, f"unclear error: {r.stderr!r}"
    assert "/" not in r.stdout, "the client ran a command through the proxy"
    server.assert_alive()
    assert _server_log(server).count("channel binding mismatch") > before, (
        "the server did not log the mismatch")


def test_proxy_that_strips_plus_is_a_downgrade(server, mitm_setup, tmp_path):
    cert, key = mitm_setup
    before = _server_log(server).count("channel binding downgrade")
    proxy = Proxy(server.port, cert, key, strip_plus=True)
    try:
        r = _run_client_through(server, proxy, tmp_path, cert)
    finally:
        proxy.close()
    assert r.returncode == 1, f"login through the stripping proxy did not fail: {r.stdout!r} {r.stderr!r}"
    assert "channel binding" in r.stderr, f"unclear error: {r.stderr!r}"
    assert _server_log(server).count("channel binding downgrade") > before, (
        "the server did not log the downgrade")


def test_same_client_logs_in_directly(server, tmp_path):
    """Control: without the proxy the same client, settings and password log in."""
    r = conftest.run_ferry(server, ["--tls", f"{USER}@127.0.0.1", "pwd"], env_password=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/"
