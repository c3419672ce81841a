"""`ferryd init` makes the server's self-signed TLS identity (ROOT/tls/):
file modes, the fingerprint it prints (the one `openssl x509 -fingerprint`
gives), an existing pair kept on a second init, and --no-tls."""

import re
import shutil
import stat
import subprocess

import pytest

from conftest import must_ferryd

FINGERPRINT = re.compile(r"^TLS certificate: (.+), SHA256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$",
                         re.M)

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")


def mode(p):
    return stat.S_IMODE(p.stat().st_mode)


def printed_fingerprint(out):
    m = FINGERPRINT.search(out)
    assert m, f"no fingerprint line in:\n{out}"
    return m.group(1), m.group(2)


def openssl(*args):
    r = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"openssl {' '.join(map(str, args))}: {r.stderr}"
    return r.stdout


def test_init_creates_cert_and_key_with_modes(tmp_path):
    root = tmp_path / "root"
    must_ferryd("init", "--root", root)
    tls = root / "tls"
    assert mode(tls) == 0o700
    assert mode(tls / "key.pem") == 0o600
    assert mode(tls / "cert.pem") == 0o644
    assert (tls / "key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert (tls / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----\n")


@needs_openssl
def test_printed_fingerprint_is_openssls(tmp_path):
    root = tmp_path / "root"
    out = must_ferryd("init", "--root", root).stdout
    path, fp = printed_fingerprint(out)
    assert path == str(root / "tls" / "cert.pem")
    want = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", root / "tls" / "cert.pem")
    assert want.strip().split("=", 1)[1] == fp


@needs_openssl
def test_cert_is_self_signed_leaf_for_localhost(tmp_path):
    root = tmp_path / "root"
    must_ferryd("init", "--root", root)
    cert, key = root / "tls" / "cert.pem", root / "tls" / "key.pem"
    text = openssl("x509", "-in", cert, "-noout", "-text")
    assert "CA:FALSE" in text
    assert "DNS:localhost" in text and "IP Address:127.0.0.1" in text
    assert "TLS Web Server Authentication" in text
    assert "ecdsa-with-SHA256" in text
    openssl("verify", "-CAfile", cert, cert)
    # the key is the certificate's
    assert openssl("pkey", "-in", key, "-pubout") == openssl("x509", "-in", cert, "-noout", "-pubkey")


def test_second_init_keeps_the_pair(tmp_path):
    root = tmp_path / "root"
    _, first = printed_fingerprint(must_ferryd("init", "--root", root).stdout)
    key = (root / "tls" / "key.pem").read_bytes()
    _, again = printed_fingerprint(must_ferryd("init", "--root", root).stdout)
    assert again == first
    assert (root / "tls" / "key.pem").read_bytes() == key


def test_no_tls_creates_no_tls_dir(tmp_path):
    root = tmp_path / "root"
    out = must_ferryd("init", "--root", root, "--no-tls").stdout
    assert not (root / "tls").exists()
    assert "fingerprint" not in out
    assert (root / "accounts.toml").is_file()
