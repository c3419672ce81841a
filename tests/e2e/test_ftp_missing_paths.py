"""FTP replies for paths that are not there (issue 13): every command that
takes a path answers 550 for a missing one, whatever the verb, and for a path
of the wrong kind (a file where a directory is needed and back); 501 stays for
syntax errors only. A sync client (lftp mirror -R) asks MLSD of a directory it
is about to create and creates it only when the answer is 550."""

import ftplib
import io

import pytest

from ftp_util import FTP, close_quietly, ftp_connect, reply_code, run_lftp, tree

FTP_CONFIG = ""


def _code(fn, *args):
    """The reply code of an ftplib call that must fail."""
    with pytest.raises((ftplib.error_perm, ftplib.error_temp)) as e:
        fn(*args)
    return reply_code(e.value)


@pytest.fixture
def f(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "file.txt").write_bytes(b"content")
    (home / "dir").mkdir()
    c = ftp_connect(ftp_server)
    yield c
    close_quietly(c)


# (label, how to send it): each runs against "missing" and "missing/deeper".
MISSING = [
    ("MLSD", lambda c, p: c.lines(f"MLSD {p}")),
    ("LIST", lambda c, p: c.lines(f"LIST {p}")),
    ("NLST", lambda c, p: c.lines(f"NLST {p}")),
    ("MLST", lambda c, p: c.sendcmd(f"MLST {p}")),
    ("CWD", lambda c, p: c.sendcmd(f"CWD {p}")),
    ("XCWD", lambda c, p: c.sendcmd(f"XCWD {p}")),
    ("SIZE", lambda c, p: c.sendcmd(f"SIZE {p}")),
    ("MDTM", lambda c, p: c.sendcmd(f"MDTM {p}")),
    ("RETR", lambda c, p: c.retr_bytes(p)),
    ("DELE", lambda c, p: c.sendcmd(f"DELE {p}")),
    ("RMD", lambda c, p: c.sendcmd(f"RMD {p}")),
    ("XRMD", lambda c, p: c.sendcmd(f"XRMD {p}")),
    ("RNFR", lambda c, p: c.sendcmd(f"RNFR {p}")),
    ("STAT", lambda c, p: c.sendcmd(f"STAT {p}")),
    ("HASH", lambda c, p: c.sendcmd(f"HASH {p}")),
]


@pytest.mark.parametrize("verb,send", MISSING, ids=[m[0] for m in MISSING])
@pytest.mark.parametrize("path", ["missing", "missing/deeper", "/dir/missing", "file.txt/below"])
def test_missing_path_is_550(f, verb, send, path):
    assert _code(send, f, path) == 550, f"{verb} {path}"
    # the session is still usable and nothing was created
    assert f.sendcmd("NOOP").startswith("200")
    assert sorted(f.nlst()) == ["dir", "file.txt"]


def test_missing_targets_of_creating_commands(f, ftp_server):
    # a missing parent: MKD and RNTO are 550, STOR/APPE 553 "could not create
    # file" (vsftpd and Pure-FTPd answer STOR so)
    assert _code(f.sendcmd, "MKD missing/new") == 550
    assert f.sendcmd("RNFR file.txt").startswith("350")
    assert _code(f.sendcmd, "RNTO missing/new.txt") == 550
    assert _code(f.storbinary, "STOR missing/new.txt", io.BytesIO(b"x")) == 553
    assert _code(f.storbinary, "APPE missing/new.txt", io.BytesIO(b"x")) == 553
    assert sorted(f.nlst()) == ["dir", "file.txt"]


def test_wrong_kind_is_550(f):
    # a file where a directory is needed
    assert _code(f.lines, "MLSD file.txt") == 550
    assert _code(f.sendcmd, "CWD file.txt") == 550
    assert _code(f.sendcmd, "RMD file.txt") == 550
    # a directory where a file is needed
    assert _code(f.sendcmd, "DELE dir") == 550
    assert _code(f.retr_bytes, "dir") == 550
    assert _code(f.sendcmd, "SIZE dir") == 550
    assert _code(f.sendcmd, "MKD dir") == 550  # exists
    # a directory into itself: the target name is not allowed (553), not a
    # syntax error
    assert f.sendcmd("RNFR dir").startswith("350")
    assert _code(f.sendcmd, "RNTO dir/inside") == 553


def test_syntax_errors_stay_501(f):
    for line in ("REST abc", "ALLO lots", "OPTS NONSENSE"):
        assert _code(f.sendcmd, line) == 501, line
    assert _code(f.sendcmd, "CWD") == 501  # a path command without its path


def test_mlsd_550_lets_a_sync_client_create_the_directory(ftp_server, tmp_path):
    # lftp mirror -R asks MLSD (or LIST) of each remote directory first; on a
    # 501 it stopped without creating it.
    home = ftp_server.clean_home("many")
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "top.txt").write_bytes(b"top")
    (src / "a" / "b" / "deep.txt").write_bytes(b"deep" * 1000)
    r = run_lftp(ftp_server, f"mirror -R {src} /synced", user="many")
    assert r.returncode == 0, r.stderr.decode()
    assert tree(home / "synced") == tree(src)
    # a second run finds everything there and changes nothing
    r = run_lftp(ftp_server, f"mirror -R {src} /synced", user="many")
    assert r.returncode == 0, r.stderr.decode()
    assert tree(home / "synced") == tree(src)
