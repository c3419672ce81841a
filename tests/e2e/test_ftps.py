"""FTP over TLS (RFC 4217) through the real binaries: curl --ssl-reqd, lftp with
ftp:ssl-force, Python's ftplib.FTP_TLS (stock and session-resuming) and raw
sockets, against three servers on 127.0.0.1:

  loose  - loopback defaults (TLS offered, not required; data connections
           need not resume the control's session) plus the implicit FTPS
           listener (--ftps-listen);
  strict - [ftp] require_tls = true, require_tls_session_reuse = true, with
           the key pair moved out of tls/ and named in [tls];
  notls  - `ferryd init --no-tls`: no certificate at all.

Every file check is against the bytes in the user's home under the root."""

import ftplib
import hashlib
import io
import os
import random
import select
import socket
import ssl
import subprocess
import urllib.parse

import pytest

import ftps_util as fu
from conftest import FERRYD, must_ferryd
from ftp_util import RawFTP, part_files, run_curl, tree
from transfer_util import MiB, part_path, wait_for

DATA_TIMEOUT = "data_timeout = 10"
REFUSED_LOG = "refused a data connection that did not resume"


def _move_pair(root):
    """Moves the pair out of tls/ (so only [tls] can point at it)."""
    keys = root / "keys"
    keys.mkdir(mode=0o700)
    os.rename(root / "tls" / "cert.pem", keys / "server-cert.pem")
    os.rename(root / "tls" / "key.pem", keys / "server-key.pem")
    (root / "tls").rmdir()
    return keys / "server-cert.pem"


@pytest.fixture(scope="module")
def loose(tmp_path_factory):
    yield from fu.server_fixture(tmp_path_factory, ftp_config=DATA_TIMEOUT, implicit=True)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    yield from fu.server_fixture(
        tmp_path_factory,
        ftp_config=f"require_tls = true\nrequire_tls_session_reuse = true\n{DATA_TIMEOUT}",
        # cert relative to the root, key absolute
        tls_config=lambda root: ('cert = "keys/server-cert.pem"\n'
                                 f'key = "{root / "keys" / "server-key.pem"}"'),
        move_cert=_move_pair)


@pytest.fixture(scope="module")
def notls(tmp_path_factory):
    yield from fu.server_fixture(tmp_path_factory, tls=False, users=("demo",))


def _url(path):
    return "FTP://" + urllib.parse.quote(path)


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def _feat(c):
    code, text = c.cmd("FEAT")
    assert code == 211, f"FEAT: {code} {text}"
    return [ln.strip() for ln in text.split("\n")[1:-1]]


def _code(fn, *a, **kw):
    """The reply code of an ftplib call (its exception's code if it raised)."""
    try:
        return int(fn(*a, **kw)[:3])
    except ftplib.Error as e:
        return fu.reply_code(e)


# ----------------------------------------------------------- protocol codes


def test_feat_lists_auth_pbsz_prot(loose, notls):
    with fu.RawTLS(loose) as c:
        feats = _feat(c)
        for want in ("AUTH TLS", "PBSZ", "PROT"):
            assert want in feats, f"FEAT before AUTH TLS lacks {want!r}: {feats}"
        c.auth_tls()
        feats = _feat(c)
        for want in ("AUTH TLS", "PBSZ", "PROT"):
            assert want in feats, f"FEAT over TLS lacks {want!r}: {feats}"
    with RawFTP(notls.ftp_port) as c:
        feats = _feat(c)
        assert not {"AUTH TLS", "PBSZ", "PROT"} & set(feats), (
            f"a server without a certificate advertises TLS in FEAT: {feats}")
        assert "EPSV" in feats, f"FEAT without TLS lost the other features: {feats}"


def test_pbsz_prot_ordering_codes(loose):
    with fu.RawTLS(loose) as c:
        code, text = c.cmd("PBSZ 0")
        assert code == 503, f"PBSZ before AUTH TLS: expected 503, got {code} {text}"
        code, text = c.cmd("PROT P")
        assert code == 503, f"PROT before AUTH TLS: expected 503, got {code} {text}"
        code, text = c.cmd("AUTH KERBEROS")
        assert code == 504, f"AUTH with an unknown mechanism: expected 504, got {code} {text}"
        c.auth_tls()
        code, text = c.cmd("AUTH TLS")
        assert code == 503, f"AUTH TLS on a TLS connection: expected 503, got {code} {text}"
        code, text = c.cmd("PROT P")
        assert code == 503, f"PROT before PBSZ: expected 503, got {code} {text}"
        code, text = c.cmd("PBSZ 1024")
        assert (code, text) == (200, "200 PBSZ=0"), f"PBSZ 1024: expected '200 PBSZ=0', got {text!r}"
        for level, want in (("S", 536), ("E", 536), ("X", 504), ("C", 200), ("P", 200)):
            code, text = c.cmd(f"PROT {level}")
            assert code == want, f"PROT {level}: expected {want}, got {code} {text}"
        c.login(loose)
        c.expect("NOOP", 200)


@pytest.mark.parametrize("mech", ["SSL", "TLS-C", "tls"])
def test_auth_mechanism_aliases(loose, mech):
    with fu.RawTLS(loose) as c:
        c.auth_tls(mech)
        c.login(loose)
        code, text = c.cmd("PWD")
        assert code == 257, f"PWD over TLS after AUTH {mech}: {code} {text}"


def test_starttls_injection_discarded(loose):
    home = loose.clean_home("demo")
    with fu.RawTLS(loose) as c:
        # An attacker in the path appends clear-text commands to AUTH TLS.
        c.send(b"AUTH TLS\r\nUSER demo\r\nPASS " + loose.password("demo").encode() +
               b"\r\nMKD injected\r\n")
        code, text = c.reply()
        assert code == 234, f"AUTH TLS: expected 234, got {code} {text}"
        c.starttls()  # fails if the server answered the injected lines in clear
        code, text = c.cmd("PWD")
        assert code == 530, f"the injected USER/PASS logged the session in: PWD gave {code} {text}"
        code, text = c.cmd("PASS " + loose.password("demo"))
        assert code == 503, f"the injected USER was kept: PASS without USER gave {code} {text}"
        c.login(loose)
        c.expect("PWD", 257)
    assert not (home / "injected").exists(), "the injected MKD ran"


# ----------------------------------------------------------- curl


def test_curl_upload_download_sha256(loose, tmp_path):
    home = loose.clean_home("demo")
    data = os.urandom(8 * MiB + 13)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = fu.ok(fu.curl_tls(loose, ["-v", "-T", str(src), _url("big.bin")]), "curl --ssl-reqd -T")
    sent = fu.sent_commands(r)
    assert "AUTH SSL" in sent or "AUTH TLS" in sent, f"curl sent no AUTH (commands: {sent})"
    for want in ("PBSZ 0", "PROT P"):
        assert want in sent, f"curl did not send {want!r} (commands: {sent})"
    assert _sha((home / "big.bin").read_bytes()) == _sha(data), "uploaded file differs"
    out = tmp_path / "out.bin"
    fu.ok(fu.curl_tls(loose, ["-o", str(out), _url("big.bin")]), "curl --ssl-reqd download")
    assert _sha(out.read_bytes()) == _sha(data), "downloaded file differs"
    # a non-ASCII name, into a new directory
    name = "dir ü/名前 ✓ file.bin"
    small = data[: MiB + 1]
    src2 = tmp_path / "small.bin"
    src2.write_bytes(small)
    fu.ok(fu.curl_tls(loose, ["--ftp-create-dirs", "-T", str(src2), _url(name)]),
          "curl --ssl-reqd -T (UTF-8 name)")
    assert _sha((home / name).read_bytes()) == _sha(small), "uploaded UTF-8-named file differs"
    out2 = tmp_path / "out2.bin"
    fu.ok(fu.curl_tls(loose, ["-o", str(out2), _url(name)]), "curl --ssl-reqd download (UTF-8 name)")
    assert _sha(out2.read_bytes()) == _sha(small), "downloaded UTF-8-named file differs"
    r = fu.ok(fu.curl_tls(loose, ["--list-only", _url("dir ü/")]), "curl --ssl-reqd --list-only")
    assert r.stdout.decode("utf-8").splitlines() == ["名前 ✓ file.bin"], r.stdout
    assert not part_files(home), f"part files left: {part_files(home)}"


def test_curl_resume_download(loose, tmp_path):
    home = loose.clean_home("demo")
    data = os.urandom(3 * MiB + 5)
    (home / "r.bin").write_bytes(data)
    k = MiB + 12345
    out = tmp_path / "partial.bin"
    # A prefix that differs from the server's bytes: only a real REST k
    # yields exactly this prefix followed by the server's tail.
    out.write_bytes(b"L" * k)
    r = fu.ok(fu.curl_tls(loose, ["-v", "-C", "-", "-o", str(out), _url("r.bin")]),
              "curl --ssl-reqd -C - download")
    assert f"REST {k}" in fu.sent_commands(r), fu.sent_commands(r)
    got = out.read_bytes()
    assert len(got) == len(data) and got == b"L" * k + data[k:], (
        f"resumed download is wrong ({len(got)} bytes, {len(data)} expected)")


def test_curl_resume_upload(loose, tmp_path):
    home = loose.clean_home("demo")
    data = os.urandom(4 * MiB + 3)
    half = 2 * MiB + 1
    first = tmp_path / "first.bin"
    first.write_bytes(data[:half])
    full = tmp_path / "full.bin"
    full.write_bytes(data)
    fu.ok(fu.curl_tls(loose, ["-T", str(first), _url("u.bin")]), "curl --ssl-reqd -T (first half)")
    assert (home / "u.bin").read_bytes() == data[:half]
    r = fu.ok(fu.curl_tls(loose, ["-v", "-C", "-", "-T", str(full), _url("u.bin")]),
              "curl --ssl-reqd -C - -T")
    sent = fu.sent_commands(r)
    assert "APPE u.bin" in sent, f"curl did not append (commands: {sent})"
    assert _sha((home / "u.bin").read_bytes()) == _sha(data), "resumed upload differs"
    assert sorted(os.listdir(home)) == ["u.bin"], os.listdir(home)


# ----------------------------------------------------------- lftp


def _make_tree(top, rng, n):
    top.mkdir(parents=True, exist_ok=True)
    dirs = ["", "a", "a/b", "ünï", "ünï/名前 dir", "d e/f"]
    for i in range(n):
        d = dirs[i % len(dirs)]
        name = f"файл {i} ü.bin" if i % 5 == 0 else f"f{i:03d}.dat"
        size = 2 * MiB + i if i == 7 else rng.choice([0, 1, 4096, 65537, rng.randrange(200_000)])
        p = top / d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(rng.randbytes(size))
    (top / "empty").mkdir()


def _same_tree(a, b, what, n):
    fa, da = tree(a)
    fb, db = tree(b)
    assert len(fa) == n, f"{what}: the source tree has {len(fa)} files, {n} expected"
    assert sorted(fa) == sorted(fb), (
        f"{what}: file names differ: missing {sorted(set(fa) - set(fb))[:10]}, "
        f"extra {sorted(set(fb) - set(fa))[:10]}")
    bad = [k for k in fa if fa[k] != fb[k]]
    assert not bad, f"{what}: contents differ for {bad[:10]}"
    assert da == db, f"{what}: directories differ: {sorted(da ^ db)}"


def _lftp_get_put(srv, tmp_path, debug):
    home = srv.clean_home("many")
    data = os.urandom(3 * MiB + 1)
    local = tmp_path / "lf ü.bin"
    local.write_bytes(data)
    back = tmp_path / "back ü.bin"
    r = fu.ok(fu.lftp_tls(srv, f"put '{local}' -o 'up 名.bin'; get 'up 名.bin' -o '{back}'",
                          debug=debug), "lftp put/get over FTPS")
    assert _sha((home / "up 名.bin").read_bytes()) == _sha(data), "lftp put: file differs"
    assert _sha(back.read_bytes()) == _sha(data), "lftp get: file differs"
    return r


def _lftp_mirror(srv, tmp_path, n, seed):
    home = srv.clean_home("many")
    src = tmp_path / "up"
    _make_tree(src, random.Random(seed), n)
    fu.ok(fu.lftp_tls(srv, f"mirror -R --parallel=3 '{src}' /dst"), "lftp mirror -R over FTPS")
    assert not part_files(home), f"part files left: {part_files(home)[:5]}"
    _same_tree(src, home / "dst", "lftp mirror -R", n)
    dl = tmp_path / "dl"
    fu.ok(fu.lftp_tls(srv, f"mirror --parallel=3 /dst '{dl}'"), "lftp mirror over FTPS")
    _same_tree(src, dl, "lftp mirror", n)


def test_lftp_get_put(loose, tmp_path):
    r = _lftp_get_put(loose, tmp_path, debug=True)
    trace = r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")
    for want in ("AUTH TLS", "PROT P"):
        assert want in trace, f"lftp's trace shows no {want!r}:\n{trace[-3000:]}"


def test_lftp_mirror_both_ways(loose, tmp_path):
    _lftp_mirror(loose, tmp_path, 40, 1)


# ----------------------------------------------------------- ftplib


def test_ftplib_stock_prot_p(loose):
    """Stock FTP_TLS works where reuse is not required; PROT C then really
    means clear data connections."""
    home = loose.clean_home("demo")
    data = os.urandom(MiB + 17)
    f = fu.ftps_login(loose, cls=fu.StockFTPS)
    try:
        f.storbinary("STOR st ü.bin", io.BytesIO(data))
        assert (home / "st ü.bin").read_bytes() == data, "ftplib STOR over PROT P: file differs"
        assert f.retr_bytes("st ü.bin") == data, "ftplib RETR over PROT P: bytes differ"
        assert f.nlst() == ["st ü.bin"], f.nlst()
        f.prot_c()
        # a plain socket now: the server must not start TLS on it
        assert f.retr_bytes("st ü.bin") == data, "ftplib RETR over PROT C: bytes differ"
    finally:
        fu.close_quietly(f)


# ----------------------------------------------------------- implicit FTPS


def test_implicit_curl(loose, tmp_path):
    home = loose.clean_home("demo")
    data = os.urandom(2 * MiB + 9)
    src = tmp_path / "imp.bin"
    src.write_bytes(data)
    name = "implicit ü.bin"
    fu.ok(fu.curl_tls(loose, ["-T", str(src), "FTPS://" + urllib.parse.quote(name)]),
          "curl ftps:// upload")
    assert _sha((home / name).read_bytes()) == _sha(data), "ftps:// upload differs"
    out = tmp_path / "out.bin"
    fu.ok(fu.curl_tls(loose, ["-o", str(out), "FTPS://" + urllib.parse.quote(name)]),
          "curl ftps:// download")
    assert _sha(out.read_bytes()) == _sha(data), "ftps:// download differs"


def test_implicit_ftplib(loose):
    home = loose.clean_home("demo")
    data = os.urandom(MiB + 3)
    f = fu.implicit_login(loose)
    try:
        # No AUTH, PBSZ or PROT was sent: data connections are TLS by default
        # (the client wraps them; a clear server side fails the handshake).
        f.storbinary("STOR im.bin", io.BytesIO(data))
        assert (home / "im.bin").read_bytes() == data, "implicit STOR: file differs"
        assert f.retr_bytes("im.bin") == data, "implicit RETR: bytes differ"
        code = _code(f.sendcmd, "AUTH TLS")
        assert code == 503, f"AUTH TLS on the implicit listener: expected 503, got {code}"
    finally:
        fu.close_quietly(f)


def test_implicit_port_says_nothing_in_clear(loose):
    s = socket.create_connection(("127.0.0.1", loose.ftps_port), timeout=10)
    try:
        s.sendall(b"USER demo\r\n")
        got = fu.read_until_closed(s)
    finally:
        s.close()
    assert b"220" not in got and b"331" not in got, (
        f"the implicit FTPS listener answered a plain-text client in clear: {got[:200]!r}")


def test_tls_data_from_other_address_gets_nothing(loose):
    """Reuse off: the same-address rule still keeps a TLS data thief out."""
    home = loose.clean_home("demo")
    payload = os.urandom(300_000)
    (home / "f.bin").write_bytes(payload)
    with fu.RawTLS(loose) as c:
        c.secure_login()
        port = c.epsv_port()
        thief = socket.create_connection(("127.0.0.1", port), timeout=10,
                                         source_address=("127.0.0.2", 0))
        c.send(b"RETR f.bin\r\n")
        code, text = c.reply()
        assert code == 150, f"RETR: {code} {text}"
        mine = c.tls_data(port, session=None)
        got = fu.read_until_closed(mine)
        mine.close()
        code, text = c.reply()
        assert code == 226, f"RETR completion: {code} {text}"
        assert got == payload, f"the real client got {len(got)} bytes, {len(payload)} expected"
        try:
            t = fu.client_context(loose).wrap_socket(thief, server_hostname="127.0.0.1")
            stolen = fu.read_until_closed(t)
        except (ssl.SSLError, OSError):
            stolen = b""
        finally:
            thief.close()
        assert stolen == b"", f"a data connection from 127.0.0.2 got {len(stolen)} bytes"
    wait_for(lambda: "refused data connection from 127.0.0.2" in loose.log_text(), 5,
             "the refused 127.0.0.2 data connection in the log")


# ----------------------------------------------------------- require_tls


def test_require_tls_user_before_auth_530(strict):
    with fu.RawTLS(strict) as c:
        code, text = c.cmd("USER demo")
        assert code == 530, f"USER before AUTH TLS: expected 530, got {code} {text}"
        assert "requires TLS" in text, f"530 does not say why: {text!r}"
        code, text = c.cmd("PASS " + strict.password("demo"))
        assert code == 503, f"PASS after a refused USER: expected 503, got {code} {text}"
        code, text = c.cmd("PWD")
        assert code == 530, f"not logged in, yet PWD gave {code} {text}"
        c.auth_tls()
        c.login(strict)
        c.expect("PWD", 257)


def test_require_tls_prot_c_534_and_clear_data_522(strict):
    home = strict.clean_home("demo")
    payload = os.urandom(100_000)
    (home / "f.bin").write_bytes(payload)
    with fu.RawTLS(strict) as c:
        c.auth_tls()
        c.login(strict)
        c.expect("PBSZ 0", 200)
        code, text = c.cmd("PROT C")
        assert code == 534, f"PROT C where TLS is required: expected 534, got {code} {text}"
        # no PROT P yet: every transfer is refused before any data moves
        for cmd in ("RETR f.bin", "STOR new.bin", "APPE f.bin", "LIST", "NLST", "MLSD"):
            port = c.epsv_port()
            d = socket.create_connection(("127.0.0.1", port), timeout=10)
            code, text = c.cmd(cmd)
            got = fu.read_until_closed(d)
            d.close()
            assert code == 522, f"{cmd} without PROT P: expected 522, got {code} {text}"
            assert got == b"", f"{cmd} without PROT P sent {len(got)} clear bytes"
        assert sorted(os.listdir(home)) == ["f.bin"], f"a refused STOR left {os.listdir(home)}"
        assert (home / "f.bin").read_bytes() == payload, "a refused APPE changed the file"
        # with PROT P the same session works
        c.expect("PROT P", 200)
        port = c.epsv_port()
        c.send(b"RETR f.bin\r\n")
        code, text = c.reply()
        assert code == 150, f"RETR with PROT P: {code} {text}"
        d = c.tls_data(port)
        got = fu.read_until_closed(d)
        d.close()
        code, text = c.reply()
        assert code == 226 and got == payload, f"RETR with PROT P: {code} {text}, {len(got)} bytes"


# ----------------------------------------------------------- session reuse required


def test_curl_with_session_reuse_required(strict, tmp_path):
    home = strict.clean_home("demo")
    data = os.urandom(3 * MiB + 7)
    src = tmp_path / "c.bin"
    src.write_bytes(data)
    fu.ok(fu.curl_tls(strict, ["-T", str(src), _url("c ü.bin")]), "curl -T (reuse required)")
    assert _sha((home / "c ü.bin").read_bytes()) == _sha(data), "upload differs"
    out = tmp_path / "out.bin"
    fu.ok(fu.curl_tls(strict, ["-o", str(out), _url("c ü.bin")]), "curl download (reuse required)")
    assert _sha(out.read_bytes()) == _sha(data), "download differs"
    r = fu.ok(fu.curl_tls(strict, ["--list-only", "FTP://"]), "curl --list-only (reuse required)")
    assert r.stdout.decode("utf-8").splitlines() == ["c ü.bin"], r.stdout


def test_lftp_with_session_reuse_required(strict, tmp_path):
    (tmp_path / "gp").mkdir()
    (tmp_path / "m").mkdir()
    _lftp_get_put(strict, tmp_path / "gp", debug=False)
    _lftp_mirror(strict, tmp_path / "m", 12, 2)


def test_ftplib_resuming_subclass_passes(strict):
    home = strict.clean_home("demo")
    data = os.urandom(2 * MiB + 1)
    f = fu.ftps_login(strict, cls=fu.ReuseFTPS)
    try:
        f.storbinary("STOR re ü.bin", io.BytesIO(data))
        assert (home / "re ü.bin").read_bytes() == data, "STOR (session resumed): file differs"
        assert f.retr_bytes("re ü.bin") == data, "RETR (session resumed): bytes differ"
        assert f.nlst() == ["re ü.bin"], f.nlst()
        assert f.lines("MLSD")[0].endswith("; re ü.bin"), "MLSD (session resumed)"
    finally:
        fu.close_quietly(f)


def _refused(f, call):
    """Runs an ftplib transfer the server should refuse and returns the
    reply code. ftplib may trip over the closed data connection (a write or
    close_notify into it) before it reads the reply: then read it here."""
    try:
        return int(call()[:3])
    except ftplib.Error as e:
        return fu.reply_code(e)
    except (ssl.SSLError, OSError):
        pass
    try:
        return int(f.getresp()[:3])
    except ftplib.Error as e:
        return fu.reply_code(e)


def test_ftplib_stock_refused_without_reuse(strict):
    home = strict.clean_home("demo")
    secret = os.urandom(200_000)
    (home / "s.bin").write_bytes(secret)
    f = fu.ftps_login(strict, cls=fu.StockFTPS)
    try:
        chunks = []
        code = _refused(f, lambda: f.retrbinary("RETR s.bin", chunks.append))
        assert code == 522, f"stock ftplib RETR (no session resumption): expected 522, got {code}"
        assert b"".join(chunks) == b"", "a data connection without the session got file data"
        code = _refused(f, lambda: f.storbinary("STOR n.bin", io.BytesIO(secret)))
        assert code == 522, f"stock ftplib STOR (no session resumption): expected 522, got {code}"
        assert not (home / "n.bin").exists() and not part_files(home), (
            f"a refused STOR left {os.listdir(home)}")
        code = _refused(f, lambda: f.nlst())
        assert code == 522, f"stock ftplib NLST (no session resumption): expected 522, got {code}"
        # the control connection is still fine
        assert f.voidcmd("NOOP").startswith("200")
    finally:
        fu.close_quietly(f)


def _steal(strict, thief_ctx, thief_session):
    """The victim asks for a file over PASV; a thief on the same host connects
    to the passive port first and runs a TLS handshake (with thief_session or
    none). Returns (bytes the thief got, the victim's reply, thief's
    session_reused)."""
    home = strict.home("demo")
    with fu.RawTLS(strict) as c:
        c.secure_login()
        code, text = c.cmd("PASV")
        assert code == 227, f"PASV: {code} {text}"
        _, port = ftplib.parse227(text.split("\n")[0])
        c.send(b"RETR secret.bin\r\n")
        code, text = c.reply()
        assert code == 150, f"RETR: {code} {text}"
        reused = None
        try:
            t = c.tls_data(port, ctx=thief_ctx, session=thief_session)
            reused = t.session_reused
            stolen = fu.read_until_closed(t)
            t.close()
        except (ssl.SSLError, OSError):
            stolen = b""
        reply = c.reply()
        # the victim itself can still fetch the file
        port = c.epsv_port()
        c.send(b"RETR secret.bin\r\n")
        code, text = c.reply()
        assert code == 150, f"RETR after the theft: {code} {text}"
        d = c.tls_data(port)
        got = fu.read_until_closed(d)
        d.close()
        code, text = c.reply()
        assert code == 226, f"the victim's own RETR after the theft: {code} {text}"
        assert got == (home / "secret.bin").read_bytes(), "the victim's own RETR got wrong bytes"
    return stolen, reply, reused


def test_data_thief_without_session_refused(strict):
    home = strict.clean_home("demo")
    (home / "secret.bin").write_bytes(os.urandom(300_000))
    before = strict.log_text().count(REFUSED_LOG)
    stolen, (code, text), reused = _steal(strict, fu.client_context(strict), None)
    assert code == 522, f"a data connection that did not resume the session: expected 522, got {code} {text}"
    assert "resume" in text, f"522 does not say why: {text!r}"
    assert stolen == b"", f"the thief got {len(stolen)} bytes of the file"
    assert reused is not True, "the fresh context resumed a session?"
    wait_for(lambda: strict.log_text().count(REFUSED_LOG) > before, 5,
             f"{REFUSED_LOG!r} in the log")


@pytest.mark.parametrize("who,version", [("anonymous", "TLSv1_3"), ("other", "TLSv1_3"),
                                         ("anonymous", "TLSv1_2")])
def test_data_thief_with_its_own_session_refused(strict, who, version):
    """The thief has a TLS session of its own with the server (from a control
    connection that only sent AUTH TLS, or logged in as another user):
    resuming it is not resuming the victim's session."""
    home = strict.clean_home("demo")
    (home / "secret.bin").write_bytes(os.urandom(300_000))
    ctx = fu.client_context(strict)
    ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, version)
    with fu.RawTLS(strict, ctx=ctx) as own:
        own.auth_tls()
        if who != "anonymous":
            own.login(strict, who)
        own.expect("NOOP", 200)  # a TLS 1.3 ticket has arrived by now
        session = own.sock.session
        assert session is not None and session.has_ticket, "the thief got no session ticket"
        stolen, (code, text), reused = _steal(strict, ctx, session)
    assert reused, "the thief's own session was not resumed (the test needs it to be)"
    assert stolen == b"", (
        f"a data connection resuming another connection's TLS session ({who}, {version}) "
        f"got {len(stolen)} bytes of the victim's file (reply {text!r})")
    assert code == 522, f"a data connection resuming another session: expected 522, got {code} {text}"


def test_upload_data_connection_carries_nothing_unread(strict):
    """curl (7.88) and lftp (4.9) never read an upload's data connection.
    Anything the server sends there before the client's close_notify (TLS 1.3
    NewSessionTicket messages, say) stays unread, and their close() then
    becomes a TCP RST that throws away the upload's unsent tail: the server
    sees a cut stream, answers 426 and keeps only a part file (curl issue
    #6149). So after the handshake the server must stay silent there."""
    home = strict.clean_home("demo")
    data = os.urandom(300_000)
    f = fu.ftps_login(strict, cls=fu.ReuseFTPS)
    try:
        conn = f.transfercmd("STOR quiet.bin")
        readable, _, _ = select.select([conn], [], [], 1.0)
        sent = b""
        if readable:
            peek = socket.socket(fileno=os.dup(conn.fileno()))
            try:
                sent = peek.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                pass
            finally:
                peek.close()
        conn.sendall(data)
        conn.unwrap()
        conn.close()
        resp = f.voidresp()
        assert resp.startswith("226"), f"STOR: {resp}"
        assert (home / "quiet.bin").read_bytes() == data, "upload differs"
        assert sent == b"", (
            f"the server sent {len(sent)} bytes (TLS records of type {sorted(set(sent[:1]))}) on "
            f"an upload's data connection right after the handshake; clients that never read "
            f"it (curl, lftp) then reset the connection and lose the upload's tail")
    finally:
        fu.close_quietly(f)


def test_truncated_tls_upload_is_not_committed(strict):
    home = strict.clean_home("demo")
    data = os.urandom(2 * MiB + 5)
    cut = MiB + 7
    f = fu.ftps_login(strict, cls=fu.ReuseFTPS)
    try:
        conn = f.transfercmd("STOR cut.bin")
        assert conn.session_reused, "the data connection did not resume the control session"
        conn.sendall(data[:cut])
        # SSLSocket.shutdown drops TLS without close_notify, then TCP FIN
        conn.shutdown(socket.SHUT_WR)
        with pytest.raises(ftplib.error_temp) as ei:
            f.voidresp()
        conn.close()
        assert fu.reply_code(ei.value) == 426, f"upload cut without close_notify: expected 426, got {ei.value}"
        assert not (home / "cut.bin").exists(), "an upload cut without close_notify was committed"
        part = part_path(home, "cut.bin")
        kept = part.read_bytes() if part.exists() else b""
        assert data.startswith(kept), "the part file of the cut upload is not a prefix of the data"
        # the same upload with close_notify commits
        conn = f.transfercmd("STOR clean.bin")
        conn.sendall(data)
        conn.unwrap()
        conn.close()
        resp = f.voidresp()
        assert resp.startswith("226"), f"upload ended with close_notify: {resp}"
        assert (home / "clean.bin").read_bytes() == data, "clean TLS upload: file differs"
        # and the cut one can be finished from what was kept
        f.storbinary("STOR cut.bin", io.BytesIO(data[len(kept):]), rest=len(kept) or None)
        assert (home / "cut.bin").read_bytes() == data, "resumed cut upload differs"
        assert not part_files(home), f"part files left: {part_files(home)}"
    finally:
        fu.close_quietly(f)


# ----------------------------------------------------------- no certificate


def test_no_cert_auth_tls_502(notls, tmp_path):
    home = notls.clean_home("demo")
    with RawFTP(notls.ftp_port) as c:
        for mech in ("TLS", "SSL"):
            code, text = c.cmd(f"AUTH {mech}")
            assert code == 502, f"AUTH {mech} without a certificate: expected 502, got {code} {text}"
        code, text = c.cmd("PBSZ 0")
        assert code == 503, f"PBSZ without TLS: expected 503, got {code} {text}"
        c.login(notls)  # still plain FTP on loopback
        c.expect("PWD", 257)
    src = tmp_path / "x.bin"
    src.write_bytes(b"x" * 1000)
    r = run_curl(notls, ["--ssl-reqd", "-T", str(src), _url("x.bin")])
    assert r.returncode == 64, (
        f"curl --ssl-reqd against a server without TLS: exit {r.returncode}, 64 expected; "
        f"{r.stderr[-500:]!r}")
    assert not (home / "x.bin").exists(), "curl --ssl-reqd uploaded in clear"


@pytest.mark.parametrize("setting", ["require_tls = true", 'implicit_listen = "127.0.0.1:0"'])
def test_tls_settings_without_cert_refuse_to_start(tmp_path, setting):
    root = tmp_path / "root"
    must_ferryd("init", "--root", root, "--no-tls")
    with open(root / "ferryd.toml", "a") as f:
        f.write(f"\n[ftp]\n{setting}\n")
    try:
        r = subprocess.run([FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0",
                            "--ftp-listen", "127.0.0.1:0"], capture_output=True, text=True,
                           timeout=15, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ferryd served with {setting!r} and no certificate")
    assert r.returncode != 0, f"ferryd started with {setting!r} and no certificate: {r.stdout!r}"
    assert "certificate" in r.stderr, f"no reason given: {r.stderr!r}"


# ----------------------------------------------------------- afterwards


def test_servers_alive_and_logs_clean(loose, strict, notls):
    for srv in (loose, strict, notls):
        srv.assert_alive()
        fu.assert_no_crash(srv)
        # and they still answer
        with RawFTP(srv.ftp_port) as c:
            c.expect("NOOP", 200)
    assert REFUSED_LOG in strict.log_text(), "the refused data connections were not logged"
