"""TLS on the native port, at the wire: TLS and plain told apart by the first
byte, the -PLUS mechanism advertised over TLS, downgrades and wrong channel
bindings refused (RFC 5802 GS2 flags, RFC 9266 tls-exporter), `tls.required`
refusing plain sessions with a clear error frame, a root without a
certificate closing on a ClientHello, and a certificate renewed by SIGHUP
while a TLS download runs.

A successful SCRAM-SHA-256-PLUS login needs the tls-exporter value, which
Python's ssl module cannot compute; the real client's logins over TLS are
tested in test_tls_client.py (and every client test runs over TLS)."""

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

import conftest
import ferry_wire
from ferry_wire import Conn

PASSWORD = conftest.USERS["demo"][0]


def _tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _start(tmp_path, toml="", no_tls=False):
    if no_tls:
        root = tmp_path / "root"
        conftest.must_ferryd("init", "--root", root, "--no-tls")
        for name, (password, extra) in conftest.USERS.items():
            conftest.must_ferryd("user", "add", name, "--root", root, "--password-stdin", *extra,
                                 input=password + "\n")
    else:
        root = conftest._init_root(tmp_path)
    if toml:
        with open(root / "ferryd.toml", "a") as f:
            f.write("\n" + toml + "\n")
    log_path = tmp_path / "ferryd.log"
    proc, port, _, _ = conftest._spawn(root, log_path)
    return proc, port, root, log_path


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    proc, port, root, log = _start(tmp_path_factory.mktemp("tls"))
    yield port, root, log
    assert proc.poll() is None, f"ferryd died; log:\n{log.read_text()[-3000:]}"
    _stop(proc)


def _wait_log(log, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def test_plain_and_tls_share_the_port(tls_server):
    port, root, _ = tls_server
    with Conn(port) as plain:
        h = plain.hello()
        assert h["status"] == 200 and h["auth"] == ["SCRAM-SHA-256"], h
    with Conn(port, tls=_tls_context()) as tls:
        h = tls.hello()
        assert h["status"] == 200, h
        # -PLUS first: a client that can bind the channel must.
        assert h["auth"] == ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], h
        der = tls.sock.getpeercert(binary_form=True)
        got = "SHA256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        assert got == conftest.cert_fingerprint(root / "tls" / "cert.pem"), (
            "the server did not present ROOT/tls/cert.pem")
        assert tls.sock.version() in ("TLSv1.2", "TLSv1.3"), tls.sock.version()


def test_old_tls_versions_refused(tls_server):
    port, _, _ = tls_server
    ctx = _tls_context()
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this Python/OpenSSL cannot offer TLS 1.1")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with ctx.wrap_socket(s) as t:
                t.sendall(b"\0")
                t.recv(1)


def test_plain_scram_over_tls_is_refused(tls_server):
    """gs2 "n" over TLS: a client that skips the binding could be talking
    through a TLS-terminating proxy; the server refuses it."""
    port, _, log = tls_server
    with Conn(port, tls=_tls_context(), source_ip="127.0.0.21") as c:
        assert c.hello()["status"] == 200
        r = c.auth("demo", PASSWORD)
        ferry_wire.check_error(r, 401, "auth_failed", "plain SCRAM over TLS")
        assert "channel binding" in r["message"], r
    assert _wait_log(log, "client did not bind the TLS channel"), "the server did not log the refusal"


def test_downgrade_flag_y_is_refused(tls_server):
    """gs2 "y" says "I could bind, but the server offered no -PLUS": over TLS
    the server did offer it, so an attacker stripped it (RFC 5802 §6)."""
    port, _, log = tls_server
    with Conn(port, tls=_tls_context(), source_ip="127.0.0.22") as c:
        assert c.hello()["status"] == 200
        r = c.auth("demo", PASSWORD, gs2="y,,")
        ferry_wire.check_error(r, 401, "auth_failed", "gs2 y over TLS")
        assert "channel binding" in r["message"], r
    assert _wait_log(log, "channel binding downgrade"), "the server did not log the downgrade"


def test_wrong_channel_binding_is_a_mismatch(tls_server):
    """A -PLUS login whose tls-exporter value is not this connection's (what
    a client behind a TLS-terminating proxy sends) fails, and says why."""
    port, _, log = tls_server
    with Conn(port, tls=_tls_context(), source_ip="127.0.0.23") as c:
        assert c.hello()["status"] == 200
        r = c.auth("demo", PASSWORD, mechanism="SCRAM-SHA-256-PLUS", gs2="p=tls-exporter,,",
                   cb_data=os.urandom(32))
        ferry_wire.check_error(r, 401, "auth_failed", "wrong tls-exporter")
        assert r["message"].startswith("channel binding mismatch"), r
    assert _wait_log(log, "channel binding mismatch"), "the server did not log the mismatch"


def test_plus_without_tls_is_a_bad_request(tls_server):
    port, _, _ = tls_server
    with Conn(port) as c:
        assert c.hello()["status"] == 200
        r = c.req("auth", mechanism="SCRAM-SHA-256-PLUS", data="p=tls-exporter,,n=demo,r=abc")
        ferry_wire.check_error(r, 400, "bad_request", "-PLUS on a plain connection")
        assert "TLS" in r["message"], r


def test_mechanism_and_gs2_header_must_agree(tls_server):
    port, _, _ = tls_server
    with Conn(port, tls=_tls_context()) as c:
        assert c.hello()["status"] == 200
        r = c.req("auth", mechanism="SCRAM-SHA-256-PLUS", data="n,,n=demo,r=abc")
        ferry_wire.check_error(r, 400, "bad_request", "-PLUS with gs2 n")


def test_required_tls_refuses_plain_with_a_clear_error(tmp_path):
    proc, port, _, log = _start(tmp_path, "[tls]\nrequired = true")
    try:
        with Conn(port) as c:
            r = c.hello()
            ferry_wire.check_error(r, 403, "forbidden", "plain hello where TLS is required")
            assert "requires TLS" in r["message"], r
            c.expect_closed()
        with Conn(port, tls=_tls_context()) as c:
            assert c.hello()["status"] == 200
        assert _wait_log(log, "plain session refused (TLS required)")
    finally:
        _stop(proc)


def test_required_tls_without_a_certificate_does_not_start(tmp_path):
    root = tmp_path / "root"
    conftest.must_ferryd("init", "--root", root, "--no-tls")
    with open(root / "ferryd.toml", "a") as f:
        f.write("\n[tls]\nrequired = true\n")
    r = conftest.run_ferryd("serve", "--root", root, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode != 0, "ferryd started with tls.required and no certificate"
    assert "no certificate" in r.stderr, r.stderr


def test_no_certificate_closes_a_client_hello(tmp_path):
    proc, port, root, log = _start(tmp_path, no_tls=True)
    try:
        assert not (root / "tls").exists()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
                with _tls_context().wrap_socket(s):
                    pass
        with Conn(port) as c:  # plain still works
            h = c.hello()
            assert h["status"] == 200 and h["auth"] == ["SCRAM-SHA-256"], h
        assert _wait_log(log, "TLS is off"), "the server did not log why it closed"
    finally:
        _stop(proc)


def _new_pair(dest):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=renewed", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "30", "-keyout", str(dest / "key.pem"), "-out", str(dest / "cert.pem")],
                   check=True, capture_output=True, timeout=30)


def _peer_fingerprint(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with _tls_context().wrap_socket(s) as t:
            der = t.getpeercert(binary_form=True)
    return "SHA256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_sighup_reloads_the_certificate_without_dropping_a_download(tmp_path):
    """A TLS download (the real client, rate-limited user "slow" so it runs
    for seconds) survives a certificate renewal; the next handshake shows the
    new certificate."""
    proc, port, root, log = _start(tmp_path)
    try:
        conftest.pin_server(tmp_path, root, port)
        data = os.urandom(48 << 20)  # 3 s at slow's 16 MiB/s
        (root / "home" / "slow" / "big.bin").write_bytes(data)
        old = _peer_fingerprint(port)
        env = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
        env.update(HOME=str(tmp_path), FERRY_PASSWORD=conftest.USERS["slow"][0])
        out = tmp_path / "got.bin"
        client = subprocess.Popen([conftest.FERRY, "--tls", "-P", str(port), "slow@127.0.0.1",
                                   "get", "big.bin", str(out)], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Renew once the download is under way.
        deadline = time.monotonic() + 20
        part = tmp_path / ".got.bin.ferry-part"
        while time.monotonic() < deadline and not (part.exists() and part.stat().st_size > (4 << 20)):
            assert client.poll() is None, client.communicate()
            time.sleep(0.05)
        assert part.exists(), "the download did not start"
        renewed = tmp_path / "renewed"
        renewed.mkdir()
        _new_pair(renewed)
        os.replace(renewed / "key.pem", root / "tls" / "key.pem")
        os.replace(renewed / "cert.pem", root / "tls" / "cert.pem")
        proc.send_signal(signal.SIGHUP)
        assert _wait_log(log, "TLS certificate reloaded"), log.read_text()[-2000:]
        new = _peer_fingerprint(port)
        assert new != old and new == conftest.cert_fingerprint(root / "tls" / "cert.pem")
        stdout, stderr = client.communicate(timeout=60)
        assert client.returncode == 0, f"download failed across the reload: {stderr.decode()}"
        assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest(), (
            "the downloaded file differs")
    finally:
        _stop(proc)


def test_bad_certificate_on_reload_keeps_the_old_one(tmp_path):
    proc, port, root, log = _start(tmp_path)
    try:
        old = _peer_fingerprint(port)
        (root / "tls" / "cert.pem").write_text("not a certificate\n")
        proc.send_signal(signal.SIGHUP)
        assert _wait_log(log, "TLS reload failed"), log.read_text()[-2000:]
        assert proc.poll() is None
        assert _peer_fingerprint(port) == old
    finally:
        _stop(proc)
