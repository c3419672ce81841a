"""The FTP front-end with Python's ftplib (RFC 959, 2389, 3659, 2428; default
[ftp] settings): login, navigation, directories, transfers checked byte for
byte against the files in the user's home under the server root, REST, SIZE,
MDTM, MLSD/MLST facts, rename/delete, NLST, escape attempts, names with spaces
and UTF-8, the informational commands, EPSV ALL, HASH, and PORT being off."""

import ftplib
import io
import os
import time

import pytest

from ferry_wire import digest_of_file
from ftp_util import FTP, close_quietly, ftp_connect, reply_code
from transfer_util import MiB, part_path

FTP_CONFIG = ""  # every [ftp] setting at its default


def _data(n):
    return os.urandom(n)


def _perm(fn, *args, code=550, **kw):
    """Runs an ftplib call that must fail with reply `code`; returns the text."""
    with pytest.raises((ftplib.error_perm, ftplib.error_temp)) as e:
        fn(*args, **kw)
    assert reply_code(e.value) == code, f"{fn.__name__}{args}: expected {code}, got {e.value}"
    return str(e.value)


# ---------------------------------------------------------------- login


def test_greeting_login_quit(ftp_server):
    f = FTP()
    welcome = f.connect("127.0.0.1", ftp_server.ftp_port, timeout=10)
    assert welcome.startswith("220 "), welcome
    assert f.sendcmd("USER demo").startswith("331 "), "USER must ask for the password"
    assert f.sendcmd(f"PASS {ftp_server.password('demo')}") == "230 Login successful."
    assert f.pwd() == "/"
    assert f.quit().startswith("221 ")
    f.close()


def test_wrong_password_then_right_one(ftp_server):
    f = ftp_connect(ftp_server, login=False, source_ip="127.0.0.31")
    try:
        t0 = time.monotonic()
        assert _perm(f.login, "demo", "not the password", code=530) == "530 Login incorrect."
        assert time.monotonic() - t0 >= 0.2, "a failed login was not delayed at all"
        # the session is not logged in
        _perm(f.pwd, code=530)
        # an unknown user gets the very same answer
        assert _perm(f.login, "ghost", "whatever", code=530) == "530 Login incorrect."
        # and the right password still works on the same connection
        assert f.login("demo", ftp_server.password("demo")).startswith("230")
        assert f.pwd() == "/"
    finally:
        close_quietly(f)


def test_pass_without_user(ftp_server):
    f = ftp_connect(ftp_server, login=False)
    try:
        _perm(f.sendcmd, "PASS x", code=503)
        _perm(f.sendcmd, "PWD", code=530)
    finally:
        close_quietly(f)


# ---------------------------------------------------------------- navigation


def test_pwd_cwd_cdup_mkd_rmd(ftp_server, ftp):
    home = ftp_server.home("demo")
    assert ftp.pwd() == "/"
    assert ftp.mkd("a") == "/a"
    assert ftp.mkd("a/b") == "/a/b"
    assert (home / "a" / "b").is_dir()
    assert ftp.cwd("a").startswith("250")
    assert ftp.pwd() == "/a"
    ftp.cwd("b")
    assert ftp.pwd() == "/a/b"
    assert ftp.mkd("c") == "/a/b/c", "MKD of a relative name must answer the absolute path"
    assert (home / "a" / "b" / "c").is_dir()
    assert ftp.sendcmd("CDUP").startswith("250")
    assert ftp.pwd() == "/a"
    ftp.sendcmd("XCUP")
    assert ftp.pwd() == "/"
    ftp.cwd("/a/b/c")
    assert ftp.pwd() == "/a/b/c"
    ftp.cwd("/")
    # failures leave the directory unchanged
    (home / "file").write_bytes(b"x")
    _perm(ftp.cwd, "missing")
    _perm(ftp.cwd, "file")
    assert ftp.pwd() == "/"
    _perm(ftp.mkd, "a")            # exists
    _perm(ftp.mkd, "nope/x")       # parent missing
    _perm(ftp.rmd, "a")            # not empty
    _perm(ftp.rmd, "file")         # not a directory
    _perm(ftp.rmd, "missing")
    ftp.cwd("a/b/c")
    _perm(ftp.rmd, "/a/b/c")       # the current directory
    _perm(ftp.rmd, "/a")           # an ancestor of it
    ftp.cwd("/")
    assert ftp.rmd("a/b/c").startswith("250")
    assert not (home / "a" / "b" / "c").exists()
    ftp.rmd("a/b")
    ftp.rmd("a")
    assert sorted(os.listdir(home)) == ["file"]


def test_escape_attempts(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "mine.txt").write_bytes(b"mine")
    (home / "sub").mkdir()
    other = ftp_server.home("other")
    (other / "other-only.txt").write_bytes(b"not yours")
    (ftp_server.root / "outside-root.txt").write_bytes(b"outside the homes")
    (ftp_server.base / "outside-base.txt").write_bytes(b"outside the root")
    try:
        ftp.cwd("../..")
        assert ftp.pwd() == "/", "CWD ../.. left the home"
        ftp.cwd("sub")
        ftp.cwd("../../../..")
        assert ftp.pwd() == "/"
        ftp.cwd("sub")
        ftp.sendcmd("CDUP")
        ftp.sendcmd("CDUP")
        assert ftp.pwd() == "/"
        for path in ["../../etc/passwd", "/../../../../etc/passwd", "../other/other-only.txt",
                     "../../outside-root.txt", "../../../outside-base.txt",
                     "/../ferryd.toml", "../../accounts.toml", "sub/../../../secret"]:
            got = []
            text = _perm(ftp.retrbinary, f"RETR {path}", got.append)
            assert text == "550 Failed to open file.", (path, text)
            assert got == [], f"RETR {path} sent data"
            _perm(ftp.size, path)
        # listings of "/.." and friends show the home and nothing else
        names_outside = {"demo", "other", "quser", "home", "log", "ferryd.toml",
                         "accounts.toml", "secret", "outside-root.txt", "outside-base.txt",
                         "other-only.txt", "etc", "passwd", "root", "ferryd.log"}
        for cmd in ["LIST /..", "LIST ../..", "LIST -la /../..", "NLST /..", "NLST ../../..",
                    "MLSD /..", "MLSD sub/../.."]:
            lines = ftp.lines(cmd)
            if cmd.startswith("LIST"):
                names = {ln.split(None, 8)[8] for ln in lines}
            elif cmd.startswith("MLSD"):
                names = {ln.split("; ", 1)[1] for ln in lines}
            else:
                names = set(lines)
            assert names == {"mine.txt", "sub"}, f"{cmd} listed {lines!r}"
            assert not names & names_outside
        # the stuff outside is untouched
        assert (other / "other-only.txt").read_bytes() == b"not yours"
    finally:
        (other / "other-only.txt").unlink()
        (ftp_server.root / "outside-root.txt").unlink()
        (ftp_server.base / "outside-base.txt").unlink()


def test_symlinks_do_not_lead_out(ftp_server, ftp):
    home = ftp_server.home("demo")
    (ftp_server.root / "outside.txt").write_bytes(b"secret outside")
    try:
        os.symlink("/etc", home / "etc-link")
        os.symlink("../../outside.txt", home / "rel-link")
        os.symlink(str(ftp_server.root), home / "root-link")
        for path in ["etc-link/passwd", "rel-link", "root-link/outside.txt",
                     "root-link/ferryd.toml"]:
            got = []
            _perm(ftp.retrbinary, f"RETR {path}", got.append)
            assert got == [], f"RETR {path} sent data"
        for d in ["etc-link", "root-link"]:
            _perm(ftp.cwd, d)
            assert ftp.pwd() == "/"
            try:
                lines = ftp.lines(f"NLST {d}")
            except ftplib.error_perm:
                lines = []
            assert not {"passwd", "ferryd.toml", "accounts.toml", "outside.txt"} & set(lines), (
                f"NLST {d} listed outside names: {lines!r}")
    finally:
        (ftp_server.root / "outside.txt").unlink()


# ---------------------------------------------------------------- transfers


@pytest.mark.parametrize("size", [0, 1, 3 * MiB + 1], ids=["empty", "1byte", "3MiB+1"])
def test_stor_retr_round_trip(ftp_server, ftp, size):
    home = ftp_server.home("demo")
    data = _data(size)
    assert ftp.storbinary("STOR up.bin", io.BytesIO(data)) == "226 Transfer complete."
    assert (home / "up.bin").read_bytes() == data
    assert not part_path(home, "up.bin").exists(), "part file left after a complete STOR"
    assert sorted(os.listdir(home)) == ["up.bin"]
    assert ftp.retr_bytes("up.bin") == data
    assert ftp.size("up.bin") == size
    # a file put there behind the server's back is served as is
    other = _data(size + 7)
    (home / "disk.bin").write_bytes(other)
    assert ftp.retr_bytes("disk.bin") == other


def test_stor_replaces_and_into_subdir(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "r.bin").write_bytes(b"old " * 1000)
    (home / "d").mkdir()
    data = _data(200_001)
    ftp.storbinary("STOR r.bin", io.BytesIO(data), blocksize=4096)
    assert (home / "r.bin").read_bytes() == data
    ftp.cwd("d")
    ftp.storbinary("STOR ../d/x.bin", io.BytesIO(data[:999]))
    ftp.storbinary("STOR /d/y.bin", io.BytesIO(data[:5]))
    assert (home / "d" / "x.bin").read_bytes() == data[:999]
    assert (home / "d" / "y.bin").read_bytes() == data[:5]
    # refused targets
    ftp.cwd("/")
    _perm(ftp.storbinary, "STOR d", io.BytesIO(b"x"))                    # a directory
    _perm(ftp.storbinary, "STOR nodir/f", io.BytesIO(b"x"), code=553)    # no such dir
    _perm(ftp.storbinary, "STOR .f.ferry-part", io.BytesIO(b"x"), code=553)
    assert sorted(os.listdir(home)) == ["d", "r.bin"]
    assert sorted(os.listdir(home / "d")) == ["x.bin", "y.bin"]


def test_retr_rest_resume(ftp_server, ftp):
    home = ftp_server.home("demo")
    size = MiB + 3
    data = _data(size)
    (home / "o.bin").write_bytes(data)
    for off in (0, 1, 777_777, size - 1, size):
        assert ftp.retr_bytes("o.bin", rest=off) == data[off:], f"REST {off}"
    _perm(ftp.retr_bytes, "o.bin", rest=size + 1, code=554)
    # REST applies to the next transfer only
    ftp.sendcmd("REST 100")
    ftp.sendcmd("NOOP")
    assert ftp.retr_bytes("o.bin") == data
    _perm(ftp.sendcmd, "REST -5", code=501)
    _perm(ftp.sendcmd, "REST abc", code=501)
    # errors of RETR
    _perm(ftp.retr_bytes, "missing")
    (home / "dir").mkdir()
    _perm(ftp.retr_bytes, "dir")


def test_rest_stor_and_appe_continue(ftp_server, ftp):
    home = ftp_server.home("demo")
    data = _data(300_000)
    ftp.storbinary("STOR a.bin", io.BytesIO(data[:100_000]))
    # APPE adds to the end of the existing file
    ftp.storbinary("APPE a.bin", io.BytesIO(data[100_000:200_000]))
    assert (home / "a.bin").read_bytes() == data[:200_000]
    # REST + STOR writes from the offset on
    ftp.storbinary("STOR a.bin", io.BytesIO(data[150_000:]), rest=150_000)
    assert (home / "a.bin").read_bytes() == data
    assert not part_path(home, "a.bin").exists()
    # APPE of a new file creates it
    ftp.storbinary("APPE new.bin", io.BytesIO(data[:10]))
    assert (home / "new.bin").read_bytes() == data[:10]


def test_stou_picks_a_fresh_name(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "d").mkdir()
    ftp.cwd("d")
    seen = set()
    for i in range(2):
        data = _data(1000 + i)
        conn, _ = ftp.ntransfercmd("STOU")
        assert ftp.lastresp == "150", "STOU must answer 150 before the data"
        conn.sendall(data)
        conn.close()
        assert ftp.voidresp().startswith("226")
        ftp.voidcmd("NOOP")   # the rename into place precedes the next reply (ftp_uploads.cpp)
        new = set(os.listdir(home / "d")) - seen
        assert len(new) == 1, (new, seen)
        name = new.pop()
        assert (home / "d" / name).read_bytes() == data
        seen.add(name)
    assert len(seen) == 2
    assert os.listdir(home) == ["d"]


def test_size_and_mdtm(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "s.bin").write_bytes(_data(12_345))
    (home / "d").mkdir()
    os.utime(home / "s.bin", (1_600_000_000, 1_600_000_000))
    assert ftp.sendcmd("SIZE s.bin") == "213 12345"
    assert ftp.size("/s.bin") == 12_345
    _perm(ftp.size, "d")
    _perm(ftp.size, "missing")
    assert ftp.sendcmd("MDTM s.bin") == "213 20200913122640"
    _perm(ftp.sendcmd, "MDTM missing")
    # SIZE of a missing file with a part file reports the part's length
    part_path(home, "half.bin").write_bytes(b"x" * 777)
    assert ftp.size("half.bin") == 777


def _mlsd_expected(p, name):
    st = os.lstat(p)
    is_dir = os.path.isdir(p)
    return name, {
        "type": "dir" if is_dir else "file",
        "size": str(st.st_size),
        "modify": time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)),
        "perm": "cdeflmp" if is_dir else "adfrw",
        "unique": f"{st.st_dev:x}g{st.st_ino:x}",
    }


def test_mlsd_and_mlst_facts(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "f.bin").write_bytes(_data(1234))
    (home / "empty").write_bytes(b"")
    (home / "d").mkdir()
    (home / "d" / "inner.txt").write_bytes(b"inner")
    part_path(home, "hidden.bin").write_bytes(b"part")
    os.utime(home / "f.bin", (1_600_000_000, 1_600_000_000))
    os.utime(home / "d", (1_500_000_000, 1_500_000_000))
    got = sorted(ftp.mlsd())
    want = sorted(_mlsd_expected(home / n, n) for n in ["f.bin", "empty", "d"])
    assert got == want, "MLSD facts differ"
    assert dict(got)["f.bin"]["modify"] == "20200913122640"
    assert dict(got)["d"]["modify"] == "20170714024000"
    # MLSD of another directory, absolute and relative
    assert list(ftp.mlsd("/d")) == [_mlsd_expected(home / "d" / "inner.txt", "inner.txt")]
    ftp.cwd("d")
    assert list(ftp.mlsd()) == [_mlsd_expected(home / "d" / "inner.txt", "inner.txt")]
    ftp.cwd("/")
    # not a directory / missing: 550 (test_ftp_missing_paths.py has every verb)
    _perm(ftp.lines, "MLSD f.bin", code=550)
    _perm(ftp.lines, "MLSD missing", code=550)
    # MLST: the same facts on the control connection, with the full path
    resp = ftp.sendcmd("MLST f.bin")
    lines = resp.split("\n")
    assert lines[0].startswith("250-") and lines[-1].startswith("250 "), resp
    assert len(lines) == 3, resp
    name, facts = _mlsd_expected(home / "f.bin", "/f.bin")
    fact_text = "".join(f"{k}={v};" for k, v in facts.items())
    assert lines[1] == f" {fact_text} /f.bin", resp
    _perm(ftp.sendcmd, "MLST missing")


def test_rename_delete_nlst(ftp_server, ftp):
    home = ftp_server.home("demo")
    data = _data(5000)
    (home / "a.bin").write_bytes(data)
    (home / "sub").mkdir()
    (home / "sub" / "in.txt").write_bytes(b"in")
    part_path(home, "p.bin").write_bytes(b"part")
    assert sorted(ftp.nlst()) == ["a.bin", "sub"], "NLST must hide part files"
    assert [n.rsplit("/", 1)[-1] for n in ftp.nlst("sub")] == ["in.txt"]
    assert ftp.rename("a.bin", "b.bin").startswith("250")
    assert not (home / "a.bin").exists() and (home / "b.bin").read_bytes() == data
    ftp.rename("b.bin", "sub/c.bin")
    assert (home / "sub" / "c.bin").read_bytes() == data
    ftp.rename("sub", "sub2")
    assert (home / "sub2" / "c.bin").read_bytes() == data
    _perm(ftp.rename, "missing", "x")
    _perm(ftp.sendcmd, "RNTO x", code=503)
    _perm(ftp.rename, "sub2/c.bin", ".c.bin.ferry-part", code=553)
    # RNFR is forgotten after any other command
    ftp.sendcmd("RNFR sub2/c.bin")
    ftp.sendcmd("NOOP")
    _perm(ftp.sendcmd, "RNTO d.bin", code=503)
    assert (home / "sub2" / "c.bin").read_bytes() == data
    assert ftp.delete("sub2/c.bin").startswith("250")
    assert not (home / "sub2" / "c.bin").exists()
    _perm(ftp.delete, "sub2/c.bin")
    _perm(ftp.delete, "sub2")       # a directory
    assert sorted(ftp.nlst()) == ["sub2"]
    assert ftp.nlst("sub2") == ["in.txt"]
    assert sorted(os.listdir(home)) == [".p.bin.ferry-part", "sub2"]


def test_list_long_form(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "f.bin").write_bytes(b"x" * 4321)
    (home / "d").mkdir()
    lines = ftp.lines("LIST")
    by_name = {ln.split(None, 8)[8]: ln for ln in lines}
    assert sorted(by_name) == ["d", "f.bin"], lines
    assert by_name["d"].startswith("d"), by_name["d"]
    assert by_name["f.bin"].startswith("-"), by_name["f.bin"]
    assert by_name["f.bin"].split()[4] == "4321", by_name["f.bin"]
    # ls options are accepted
    assert ftp.lines("LIST -la") == lines
    assert [ln.split(None, 8)[8] for ln in ftp.lines("LIST -l d")] == []


def test_names_with_spaces_and_utf8(ftp_server, ftp):
    home = ftp_server.home("demo")
    d = "dir with  spaces ü"
    names = ["with space.txt", "Grüße 名前 файл.bin", "emoji 😀.dat", "a  b   c"]
    assert ftp.mkd(d) == f"/{d}"
    assert (home / d).is_dir()
    ftp.cwd(d)
    assert ftp.pwd() == f"/{d}"
    blobs = {}
    for n in names:
        blobs[n] = _data(len(n) * 100)
        ftp.storbinary(f"STOR {n}", io.BytesIO(blobs[n]))
        assert (home / d / n).read_bytes() == blobs[n], n
    assert sorted(ftp.nlst()) == sorted(names)
    assert sorted(n for n, _ in ftp.mlsd()) == sorted(names)
    assert sorted(ln.split(None, 8)[8] for ln in ftp.lines("LIST")) == sorted(names)
    ftp.cwd("/")
    for n in names:
        assert ftp.retr_bytes(f"{d}/{n}") == blobs[n]
        assert ftp.size(f"/{d}/{n}") == len(blobs[n])
    ftp.rename(f"{d}/{names[1]}", f"{d}/renamé ✓.bin")
    assert (home / d / "renamé ✓.bin").read_bytes() == blobs[names[1]]
    ftp.delete(f"{d}/renamé ✓.bin")
    assert sorted(os.listdir(home / d)) == sorted(set(names) - {names[1]})
    # quotes in a directory name are doubled in the 257 reply
    assert ftp.mkd('say "hi"') == '/say "hi"'
    assert ftp.sendcmd('MKD say "hi" 2') == '257 "/say ""hi"" 2" created'
    assert (home / 'say "hi" 2').is_dir()


# ---------------------------------------------------------------- other commands


def test_feat_syst_help_stat_noop(ftp_server):
    f = ftp_connect(ftp_server, login=False)
    try:
        feat = f.sendcmd("FEAT").split("\n")
        assert feat[0].startswith("211-") and feat[-1].startswith("211 "), feat
        features = {ln.strip() for ln in feat[1:-1]}
        assert all(ln.startswith(" ") for ln in feat[1:-1]), feat
        for want in ["EPRT", "EPSV", "PASV", "MDTM", "SIZE", "REST STREAM", "UTF8", "TVFS",
                     "MLST type*;size*;modify*;perm*;unique*;", "HASH XXH128*;SHA-256;MD5"]:
            assert want in features, f"FEAT lacks {want!r}: {feat}"
        assert f.sendcmd("SYST") == "215 UNIX Type: L8"
        assert f.sendcmd("NOOP").startswith("200")
        helptext = f.sendcmd("HELP").split("\n")
        assert helptext[0].startswith("214-") and helptext[-1].startswith("214 "), helptext
        verbs = " ".join(helptext[1:-1]).split()
        for v in ["USER", "PASS", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD", "MLST", "EPSV",
                  "PASV", "HASH", "SIZE", "REST", "RNFR", "RNTO", "FEAT", "QUIT"]:
            assert v in verbs, f"HELP does not mention {v}: {helptext}"
        # STAT needs a login
        _perm(f.sendcmd, "STAT", code=530)
        f.login("demo", ftp_server.password("demo"))
        st = f.sendcmd("STAT").split("\n")
        assert st[0].startswith("211-") and st[-1].startswith("211 "), st
        assert " Logged in as demo" in st, st
        assert any("127.0.0.1" in ln for ln in st), st
        home = ftp_server.clean_home("demo")
        (home / "st.txt").write_bytes(b"12345")
        st = f.sendcmd("STAT /").split("\n")
        assert st[0].startswith("213-") and st[-1].startswith("213 "), st
        assert len(st) == 3 and st[1].endswith(" st.txt") and st[1].split()[4] == "5", st
        _perm(f.sendcmd, "STAT missing")
    finally:
        close_quietly(f)


def test_type_mode_stru(ftp, ftp_server):
    for cmd in ["TYPE I", "TYPE i", "TYPE A", "TYPE L 8", "MODE S", "MODE s", "STRU F"]:
        assert ftp.sendcmd(cmd).startswith("200"), cmd
    for cmd in ["TYPE E", "TYPE X", "MODE B", "MODE C", "STRU R", "STRU P"]:
        _perm(ftp.sendcmd, cmd, code=504)
    for cmd in ["TYPE", "MODE", "STRU"]:
        _perm(ftp.sendcmd, cmd, code=501)
    # still binary after all that: bytes are not translated
    data = b"a\nb\r\nc\x00\xff" * 1000
    ftp.sendcmd("TYPE I")
    ftp.storbinary("STOR t.bin", io.BytesIO(data))
    assert (ftp_server.home("demo") / "t.bin").read_bytes() == data
    assert ftp.retr_bytes("t.bin") == data


def test_epsv_and_epsv_all(ftp_server, ftp):
    home = ftp_server.home("demo")
    data = _data(100_000)
    (home / "e.bin").write_bytes(data)
    _perm(ftp.sendcmd, "EPSV 2", code=522)
    assert ftp.sendcmd("EPSV 1").startswith("229 ")
    ftp.use_epsv = True
    assert ftp.retr_bytes("e.bin") == data
    assert ftp.sendcmd("EPSV ALL").startswith("200")
    # after EPSV ALL every other way of setting up a data connection is refused
    _perm(ftp.sendcmd, "PASV", code=500)
    _perm(ftp.sendcmd, "PORT 127,0,0,1,200,1", code=500)
    _perm(ftp.sendcmd, "EPRT |1|127.0.0.1|51201|", code=500)
    assert ftp.retr_bytes("e.bin") == data
    ftp.storbinary("STOR e2.bin", io.BytesIO(data[:777]))
    assert (home / "e2.bin").read_bytes() == data[:777]
    assert sorted(ftp.nlst()) == ["e.bin", "e2.bin"]
    # ftplib with plain PASV now fails
    ftp.use_epsv = False
    _perm(ftp.retr_bytes, "e.bin", code=500)


def _hash_reply(ftp, name):
    r = ftp.sendcmd(f"HASH {name}")
    code, algo, rng, digest, shown = r.split(" ", 4)
    assert code == "213", r
    return algo, rng, digest, shown


def test_hash(ftp_server, ftp):
    home = ftp_server.home("demo")
    data = _data(3 * MiB + 17)
    ftp.storbinary("STOR h.bin", io.BytesIO(data))
    (home / "empty").write_bytes(b"")
    n = len(data)
    assert ftp.sendcmd("OPTS HASH") == "200 XXH128"
    assert _hash_reply(ftp, "h.bin") == ("XXH128", f"0-{n}", digest_of_file("xxh128", home / "h.bin"),
                                          "/h.bin")
    assert _hash_reply(ftp, "empty") == ("XXH128", "0-0", digest_of_file("xxh128", home / "empty"),
                                          "/empty")
    assert ftp.sendcmd("OPTS HASH SHA-256") == "200 SHA-256"
    assert ftp.sendcmd("OPTS HASH") == "200 SHA-256"
    assert _hash_reply(ftp, "h.bin") == ("SHA-256", f"0-{n}", digest_of_file("sha256", home / "h.bin"),
                                          "/h.bin")
    feat = ftp.sendcmd("FEAT")
    assert " HASH XXH128;SHA-256*;MD5" in feat.split("\n"), feat
    assert ftp.sendcmd("OPTS HASH MD5") == "200 MD5"
    assert _hash_reply(ftp, "h.bin")[2] == digest_of_file("md5", home / "h.bin")
    _perm(ftp.sendcmd, "OPTS HASH CRC32", code=501)
    assert ftp.sendcmd("OPTS HASH") == "200 MD5", "a refused OPTS HASH changed the algorithm"
    ftp.sendcmd("OPTS HASH XXH128")
    _perm(ftp.sendcmd, "HASH missing")
    (home / "d").mkdir()
    _perm(ftp.sendcmd, "HASH d")
    # the digest follows changes on disk (same size, new bytes and mtime)
    changed = bytearray(data)
    changed[4242] ^= 0x5A
    (home / "h.bin").write_bytes(bytes(changed))
    st = os.stat(home / "h.bin")
    os.utime(home / "h.bin", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert _hash_reply(ftp, "h.bin")[2] == digest_of_file("xxh128", home / "h.bin")
    # names with spaces
    (home / "with space.bin").write_bytes(data[:100])
    assert _hash_reply(ftp, "with space.bin") == (
        "XXH128", "0-100", digest_of_file("xxh128", home / "with space.bin"), "/with space.bin")


def test_port_and_eprt_refused_by_default(ftp_server, ftp):
    home = ftp_server.home("demo")
    (home / "p.bin").write_bytes(b"payload")
    _perm(ftp.sendcmd, "PORT 127,0,0,1,200,1", code=502)
    _perm(ftp.sendcmd, "EPRT |1|127.0.0.1|51201|", code=502)
    # with no data connection set up, transfers ask for one
    _perm(ftp.sendcmd, "RETR p.bin", code=425)
    _perm(ftp.sendcmd, "LIST", code=425)
    ftp.set_pasv(False)
    _perm(ftp.retr_bytes, "p.bin", code=502)
    ftp.set_pasv(True)
    assert ftp.retr_bytes("p.bin") == b"payload"
