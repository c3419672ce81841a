"""The `ferry` client over TLS (issue 10): login and byte-identical get/put
(large file, resume, a tree with non-ASCII names) over TLS; trust on first
use through a real pseudo-terminal (yes pins, no refuses), then pinned
reconnects without a terminal; an unknown host without a terminal and a
changed certificate refused with the fingerprints shown; --ca with a test CA
(IP and DNS names, mismatches refused with OpenSSL's reason); --no-tls
against a server that requires TLS; the fallback to clear text on loopback
against a server without TLS (and --tls refusing it); a TLS-terminating man
in the middle caught by channel binding.

Every run gets its own XDG_CONFIG_HOME (so its own known_hosts), and runs
without a controlling terminal unless the test gives it a pty."""

import hashlib
import os
import pty
import select
import shutil
import signal
import ssl
import subprocess
import time

import pytest

import conftest
from conftest import FERRY
from transfer_util import MiB, part_path

HOST = "127.0.0.1"


# ---------------------------------------------------------------- helpers


def fingerprint_of(cert_pem_path):
    """"SHA256:AB:CD:..." of the first certificate in a PEM file."""
    der = ssl.PEM_cert_to_DER_cert(open(cert_pem_path).read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def known_hosts(xdg):
    return xdg / "ferry" / "known_hosts"


def pin(xdg, port, fingerprint, host=HOST):
    f = known_hosts(xdg)
    f.parent.mkdir(parents=True, exist_ok=True)
    with open(f, "a") as out:
        out.write(f"{host}:{port} {fingerprint}\n")


def client_env(xdg, password=None):
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_PASSWORD", "XDG_CONFIG_HOME")}
    env["XDG_CONFIG_HOME"] = str(xdg)
    env["HOME"] = str(xdg.parent)
    if password is not None:
        env["FERRY_PASSWORD"] = password
    return env


def ferry(srv, xdg, *args, user="demo", host=HOST, port=None, cwd=None, timeout=60,
          options=()):
    """The real client, without a controlling terminal (a new session), the
    password in FERRY_PASSWORD."""
    argv = [FERRY, "-P", str(port or srv.port), *options, f"{user}@{host}", *args]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           env=client_env(xdg, srv.password(user)), cwd=cwd or xdg.parent,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ferry {' '.join(argv[1:])} did not finish within {timeout} s")
    return r


def ok(r, what):
    assert r.returncode == 0, (
        f"{what}: exit {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}")
    return r


def failed(r, what):
    assert r.returncode == 1, (
        f"{what}: expected exit 1, got {r.returncode}\nstdout: {r.stdout!r}\n"
        f"stderr: {r.stderr!r}")
    return r


def on_pty(argv, env, answers, stdin_data=None, timeout=30):
    """Runs argv with a new pseudo-terminal as its controlling terminal (and
    as stdout/stderr; stdin too unless `stdin_data` is given, which then
    comes from a pipe). `answers`: [(bytes to wait for, line to type)], in
    order. Returns (exit status, everything printed)."""
    rfd = wfd = None
    if stdin_data is not None:
        rfd, wfd = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            if rfd is not None:
                os.dup2(rfd, 0)
                os.close(rfd)
                os.close(wfd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    if rfd is not None:
        os.close(rfd)
        os.write(wfd, stdin_data.encode())
        os.close(wfd)
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child is gone and the pty closed
                break
            if not chunk:
                break
            out += chunk
        if pending and pending[0][0] in out:
            os.write(fd, (pending.pop(0)[1] + "\n").encode())
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        pytest.fail(f"{argv[1:]} on a pty did not finish within {timeout} s; output:\n"
                    f"{out.decode(errors='replace')}")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace").replace("\r\n", "\n")


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert r.returncode == 0, f"openssl {' '.join(args)}: {r.stderr}"


def self_signed(directory, name="cert", san="IP:127.0.0.1"):
    """A new self-signed P-256 pair: (cert path, key path)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=ferry-test",
            "-addext", f"subjectAltName={san}", cwd=directory)
    os.chmod(key, 0o600)
    return cert, key


def make_ca(directory):
    directory.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ferry test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return directory / "ca.pem"


def issue(ca_dir, name, san):
    """A server certificate signed by the CA in ca_dir: (cert path, key path)."""
    (ca_dir / f"{name}.ext").write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=ca_dir)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
            "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=ca_dir)
    os.chmod(ca_dir / f"{name}.key", 0o600)
    return ca_dir / f"{name}.pem", ca_dir / f"{name}.key"


def start_server(base, toml="", no_tls=False):
    """A server of its own (the shared one must keep its certificate): a
    fresh root, `toml` appended to ferryd.toml, without ROOT/tls when
    `no_tls`."""
    root = conftest._init_root(base)
    if no_tls:
        shutil.rmtree(root / "tls")
    if toml:
        with open(root / "ferryd.toml", "a") as f:
            f.write("\n" + toml + "\n")
    log_path = base / "ferryd.log"
    proc, port, extra_stdout, _ = conftest._spawn(root, log_path)
    srv = conftest.Server(base, root, proc, port, log_path)
    srv.extra_stdout = extra_stdout
    return srv


@pytest.fixture
def own_server(tmp_path):
    """Factory of servers of their own, stopped at the end of the test."""
    started = []

    def make(**kw):
        base = tmp_path / f"srv{len(started)}"
        base.mkdir()
        srv = start_server(base, **kw)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        conftest._stop_server(srv)


@pytest.fixture
def xdg(tmp_path):
    """A fresh XDG_CONFIG_HOME (no known_hosts yet)."""
    d = tmp_path / "client" / "config"
    d.mkdir(parents=True)
    return d


@pytest.fixture
def pinned(server, xdg):
    """An XDG_CONFIG_HOME whose known_hosts pins the shared server."""
    pin(xdg, server.port, fingerprint_of(server.root / "tls" / "cert.pem"))
    return xdg


@pytest.fixture
def local(tmp_path):
    d = tmp_path / "local"
    d.mkdir()
    return d


# ---------------------------------------------------------------- trust on first use


def test_unknown_host_without_terminal_is_refused(server, xdg):
    fp = fingerprint_of(server.root / "tls" / "cert.pem")
    r = failed(ferry(server, xdg, "pwd"), "unknown host, no tty")
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"one line expected: {r.stderr!r}"
    assert fp in lines[0], f"the fingerprint is not named: {r.stderr!r}"
    assert "known_hosts" in lines[0] and "interactive" in lines[0], r.stderr
    assert r.stdout == ""
    assert not known_hosts(xdg).exists(), "nothing may be pinned without the user's yes"


def test_first_use_on_a_tty_yes_pins_then_reconnects_silently(server, xdg):
    fp = fingerprint_of(server.root / "tls" / "cert.pem")
    argv = [FERRY, "-P", str(server.port), "--password-stdin", f"demo@{HOST}", "pwd"]
    # The password comes from stdin; the question and the answer use the tty.
    status, out = on_pty(argv, client_env(xdg), [(b"[fingerprint])? ", "yes")],
                         stdin_data=server.password("demo") + "\n")
    assert status == 0, out
    key = f"{HOST}:{server.port}"
    assert f"The authenticity of host '{key}' can't be established." in out, out
    assert f"TLS certificate SHA256 fingerprint: {fp}" in out, out
    assert f"Permanently added '{key}' to the list of known hosts." in out, out
    assert out.rstrip().endswith("/"), f"pwd output missing: {out!r}"
    f = known_hosts(xdg)
    assert f.read_text() == f"{key} {fp}\n"
    assert oct(f.stat().st_mode & 0o777) == oct(0o600)
    assert oct(f.parent.stat().st_mode & 0o777) == oct(0o700)

    # pinned: no terminal needed any more, nothing asked
    r = ok(ferry(server, xdg, "pwd"), "pinned reconnect")
    assert r.stdout.strip() == "/" and r.stderr == "", r
    # on a tty too: no question
    status, out = on_pty([FERRY, "-P", str(server.port), f"demo@{HOST}", "pwd"],
                         client_env(xdg, server.password("demo")), [])
    assert status == 0 and "authenticity" not in out, out


def test_first_use_on_a_tty_no_refuses(server, xdg):
    argv = [FERRY, "-P", str(server.port), f"demo@{HOST}", "pwd"]
    status, out = on_pty(argv, client_env(xdg, server.password("demo")),
                         [(b"[fingerprint])? ", "no")])
    assert status == 1, out
    assert "certificate verification failed" in out, out
    assert not known_hosts(xdg).exists()


def test_first_use_asks_again_and_checks_a_pasted_fingerprint(server, xdg):
    """Anything but yes/no/the fingerprint is asked again; a wrong
    fingerprint is said to be wrong; the right one (as openssl prints it,
    without the SHA256: label) is as good as "yes"."""
    fp = conftest.cert_fingerprint(server.root / "tls" / "cert.pem")
    wrong = "SHA256:" + ":".join(["00"] * 32)
    argv = [FERRY, "-P", str(server.port), f"demo@{HOST}", "pwd"]
    status, out = on_pty(argv, client_env(xdg, server.password("demo")),
                         [(b"[fingerprint])? ", "maybe"),
                          (b"or the fingerprint: ", wrong),
                          (b"or the fingerprint: ", fp[len("SHA256:"):])])
    assert status == 0, out
    assert "That is not this certificate's fingerprint." in out, out
    assert known_hosts(xdg).read_text() == f"{HOST}:{server.port} {fp}\n"


def test_pinned_loopback_server_without_tls_is_refused(own_server, xdg):
    """On loopback the client may fall back to clear text, but not for a
    server whose certificate it pinned: that server spoke TLS before."""
    srv = own_server(no_tls=True)
    pin(xdg, srv.port, "SHA256:" + ":".join(["AB"] * 32))
    r = failed(ferry(srv, xdg, "pwd"), "pinned server without TLS")
    assert "does not offer TLS" in r.stderr and "pinned" in r.stderr, r.stderr
    r = ok(ferry(srv, xdg, "pwd", options=["--no-tls"]), "--no-tls insists")


def test_changed_certificate_is_refused_with_both_fingerprints(own_server, xdg, tmp_path):
    srv = own_server()
    old = fingerprint_of(srv.root / "tls" / "cert.pem")
    pin(xdg, 1, old)  # another server first: the pin is on line 3
    known_hosts(xdg).write_text("# my servers\n" + known_hosts(xdg).read_text())
    pin(xdg, srv.port, old)
    ok(ferry(srv, xdg, "pwd"), "pinned")

    cert, key = self_signed(tmp_path / "new")
    shutil.copy(cert, srv.root / "tls" / "cert.pem")
    shutil.copy(key, srv.root / "tls" / "key.pem")
    srv.proc.send_signal(signal.SIGHUP)
    new = fingerprint_of(cert)
    assert new != old

    deadline = time.monotonic() + 10
    while True:
        r = ferry(srv, xdg, "pwd")
        if r.returncode != 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # the reload is asynchronous
    failed(r, "changed certificate")
    err = r.stderr
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in err, err
    assert old in err and new in err, f"both fingerprints must be shown: {err}"
    f = str(known_hosts(xdg))
    assert f"line 3 of {f}" in err and f"sed -i '3d' {f}" in err, err
    assert "certificate verification failed" in err.splitlines()[-1], err
    assert r.stdout == ""
    # nothing changed in the file
    assert known_hosts(xdg).read_text().count(old) == 2 and new not in known_hosts(xdg).read_text()


# ---------------------------------------------------------------- transfers over TLS


def _tree(root):
    files = {
        "ä/ö/ü.txt": b"umlauts\n",
        "日本語/ファイル.bin": os.urandom(70_000),
        "emoji 🚀/x y.dat": os.urandom(3 * MiB + 17),
        "plain/empty": b"",
        "Ελληνικά.txt": "καλημέρα\n".encode(),
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


def test_login_get_put_resume_and_tree_over_tls(server, pinned, local):
    home = server.clean_home("demo")
    size = 48 * MiB + 12345
    data = os.urandom(size)
    (local / "big.bin").write_bytes(data)

    r = ok(ferry(server, pinned, "put", "big.bin", "/big.bin", cwd=local), "put over TLS")
    assert r.stderr == "", r.stderr
    assert (home / "big.bin").read_bytes() == data
    r = ok(ferry(server, pinned, "get", "/big.bin", "back.bin", cwd=local), "get over TLS")
    assert (local / "back.bin").read_bytes() == data

    # resume a get from a local part file
    lpart = part_path(local, "again.bin")
    lpart.write_bytes(data[:5 * MiB + 3])
    r = ok(ferry(server, pinned, "get", "/big.bin", "again.bin", cwd=local), "resumed get")
    assert "resuming at" in r.stderr, r.stderr
    assert (local / "again.bin").read_bytes() == data and not lpart.exists()

    # resume a put from a server part file
    spart = part_path(home, "up.bin")
    spart.write_bytes(data[:7 * MiB + 1])
    r = ok(ferry(server, pinned, "put", "big.bin", "/up.bin", cwd=local), "resumed put")
    assert "resuming at" in r.stderr, r.stderr
    assert (home / "up.bin").read_bytes() == data and not spart.exists()

    # a tree with non-ASCII names, both ways
    files = _tree(local / "tree")
    ok(ferry(server, pinned, "put", "-r", "tree", "/tree", cwd=local), "put -r over TLS")
    for rel, content in files.items():
        assert (home / "tree" / rel).read_bytes() == content, rel
    ok(ferry(server, pinned, "get", "-r", "/tree", "down", cwd=local), "get -r over TLS")
    for rel, content in files.items():
        assert (local / "down" / rel).read_bytes() == content, rel


def test_batch_and_password_stdin_over_tls(server, pinned, local):
    server.clean_home("demo")
    (local / "b.txt").write_text("batch\n")
    batch = local / "cmds"
    batch.write_text("mkdir d\nput b.txt d/b.txt\nls d\n")
    argv = [FERRY, "-P", str(server.port), "--password-stdin", "-b", str(batch), f"demo@{HOST}"]
    env = client_env(pinned)
    r = subprocess.run(argv, input=server.password("demo") + "\n", capture_output=True, text=True,
                       env=env, cwd=local, timeout=60, start_new_session=True)
    ok(r, "batch over TLS")
    assert "b.txt" in r.stdout, r.stdout


def test_wrong_password_over_tls(server, pinned):
    argv = [FERRY, "-P", str(server.port), f"demo@{HOST}", "pwd"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                       env=client_env(pinned, "not the password"), stdin=subprocess.DEVNULL,
                       start_new_session=True)
    failed(r, "wrong password")
    assert r.stderr.strip() == "ferry: login failed: authentication failed", r.stderr


# ---------------------------------------------------------------- --ca


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    d = tmp_path_factory.mktemp("ca")
    make_ca(d)
    return {
        "dir": d,
        "ca": d / "ca.pem",
        "ip": issue(d, "ip", "IP:127.0.0.1"),
        "both": issue(d, "both", "IP:127.0.0.1,DNS:localhost"),
        "other": issue(d, "other", "DNS:other.example,IP:127.0.0.2"),
    }


def _tls_toml(pair):
    cert, key = pair
    return f'[tls]\ncert = "{cert}"\nkey = "{key}"\n'


def test_ca_verifies_chain_and_ip(own_server, ca, xdg):
    srv = own_server(toml=_tls_toml(ca["ip"]))
    r = ok(ferry(srv, xdg, "pwd", options=["--ca", str(ca["ca"])]), "--ca with a matching IP SAN")
    assert r.stdout.strip() == "/"
    assert not known_hosts(xdg).exists(), "known_hosts is not used with --ca"
    # the name is checked too: localhost is not in this certificate
    r = failed(ferry(srv, xdg, "pwd", host="localhost", options=["--ca", str(ca["ca"])]),
               "--ca, host name not in the certificate")
    assert "certificate verify failed: hostname mismatch" in r.stderr.lower(), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    # the system store does not know the test CA
    r = failed(ferry(srv, xdg, "pwd", options=["--ca", "system"]), "--ca system")
    assert "certificate verify failed: " in r.stderr, r.stderr


def test_ca_with_dns_name(own_server, ca, xdg):
    srv = own_server(toml=_tls_toml(ca["both"]))
    ok(ferry(srv, xdg, "pwd", host="localhost", options=["--ca", str(ca["ca"])]),
       "--ca, DNS name localhost")
    ok(ferry(srv, xdg, "pwd", options=["--ca", str(ca["ca"])]), "--ca, IP 127.0.0.1")


def test_ca_refuses_a_certificate_for_another_host(own_server, ca, xdg):
    srv = own_server(toml=_tls_toml(ca["other"]))
    r = failed(ferry(srv, xdg, "pwd", options=["--ca", str(ca["ca"])]), "--ca, other host's cert")
    assert "certificate verify failed: ip address mismatch" in r.stderr.lower(), r.stderr
    r = failed(ferry(srv, xdg, "pwd", host="localhost", options=["--ca", str(ca["ca"])]),
               "--ca by name, other host's cert")
    assert "certificate verify failed: hostname mismatch" in r.stderr.lower(), r.stderr
    # a self-signed certificate is no CA's
    r = failed(ferry(srv, xdg, "pwd", options=["--ca", str(ca["ip"][0])]), "--ca, wrong CA")
    assert "certificate verify failed" in r.stderr, r.stderr


def test_ca_file_that_does_not_load(server, xdg, tmp_path):
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("hello\n")
    r = failed(ferry(server, xdg, "pwd", options=["--ca", str(bad)]), "--ca garbage")
    assert "cannot load CA certificates from" in r.stderr and str(bad) in r.stderr, r.stderr


# ---------------------------------------------------------------- policy


def test_no_tls_against_a_server_requiring_tls(own_server, xdg):
    srv = own_server(toml="[tls]\nrequired = true\n")
    r = failed(ferry(srv, xdg, "pwd", options=["--no-tls"]), "--no-tls to a TLS-only server")
    line = r.stderr.strip()
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert line.startswith("ferry: ") and "TLS" in line, line
    assert "permission denied" not in line, f"the server's own message is expected: {line}"
    # the default on loopback uses TLS and works
    pin(xdg, srv.port, fingerprint_of(srv.root / "tls" / "cert.pem"))
    ok(ferry(srv, xdg, "pwd"), "TLS to a TLS-only server")


def test_loopback_falls_back_to_clear_text_without_tls(own_server, xdg):
    srv = own_server(no_tls=True)
    r = ok(ferry(srv, xdg, "pwd"), "loopback default, server without TLS")
    assert r.stdout.strip() == "/" and r.stderr == "", r
    assert not known_hosts(xdg).exists()
    r = failed(ferry(srv, xdg, "pwd", options=["--tls"]), "--tls, server without TLS")
    assert r.stderr.strip() == f"ferry: {HOST}:{srv.port} does not offer TLS", r.stderr
    # 0.0.0.0 reaches this machine but is not a loopback name: TLS is required
    r = failed(ferry(srv, xdg, "pwd", host="0.0.0.0"), "non-loopback default, no TLS")
    assert "does not offer TLS" in r.stderr, r.stderr
    # --no-tls anywhere, with a warning off loopback
    r = ok(ferry(srv, xdg, "pwd", host="0.0.0.0", options=["--no-tls"]), "--no-tls off loopback")
    assert len(r.stderr.splitlines()) == 1 and "warning" in r.stderr, r.stderr
    r = ok(ferry(srv, xdg, "pwd", options=["--no-tls"]), "--no-tls on loopback")
    assert r.stderr == "", r.stderr


def test_tls_flag_usage_errors(server, xdg):
    r = ferry(server, xdg, "pwd", options=["--tls", "--no-tls"])
    assert r.returncode == 2, r
    r = ferry(server, xdg, "pwd", options=["--no-tls", "--ca", "system"])
    assert r.returncode == 2, r

# A TLS-terminating man in the middle (channel binding): test_tls_mitm.py.
