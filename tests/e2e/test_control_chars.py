"""Control characters in names (issue 11): bytes 0x00-0x1F and 0x7F are
refused in every path, through both protocols, before anything is created. A
name with CR LF would otherwise inject fake entries into FTP LIST/MLSD/NLST
output. (The rule lives once, in vfs::resolve.)"""

import ftplib
import io
import os

import pytest

from ferry_wire import check_error, digest_of
from ftp_util import RawFTP, ftp_connect, recv_all, reply_code

FTP_CONFIG = ""

BAD_NAMES = ["a\nb", "a\rb", "a\tb", "a\x01b", "a\x7fb", "a\x1bb",
             "x\r\n-rw-r--r--    1 ftp      ftp             0 Jan 01 00:00 fake"]


@pytest.fixture
def home(ftp_server):
    h = ftp_server.clean_home("demo")
    (h / "ok.txt").write_bytes(b"fine")
    (h / "d").mkdir()
    return h


def _on_disk(top):
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        out += [os.path.normpath(os.path.join(rel, n)) for n in dirnames + filenames]
    return sorted(out)


def _refused(reply, what):
    check_error(reply, 400, "bad_request", what)
    assert "control character" in reply["message"], f"{what}: {reply!r}"


@pytest.mark.parametrize("name", BAD_NAMES)
def test_native_ops_refuse_control_characters(ftp_server, home, name):
    c = ftp_server.login("demo")
    for op, fields in [("mkdir", {"path": name}),
                       ("mkdir", {"path": "d/" + name + "/deeper", "parents": True}),
                       ("mkdir", {"path": "/" + name}),
                       ("mv", {"from": "ok.txt", "to": name}),
                       ("mv", {"from": "ok.txt", "to": "d/" + name}),
                       ("put", {"path": name, "size": 4, "algo": "xxh128"}),
                       ("cd", {"path": name}),
                       ("stat", {"path": name}),
                       ("rm", {"path": name})]:
        _refused(c.req(op, **fields), f"{op} {fields!r}")
    # the inline put (path, size, digest and the body in one frame)
    r = c.request({"op": "put", "path": name, "size": 4, "algo": "xxh128",
                   "digest": digest_of("xxh128", b"data")}, b"data")
    _refused(r, "inline put")
    # the connection is still fine, and nothing was created or moved
    assert sorted(e["name"] for e in c.ok("ls")["entries"]) == ["d", "ok.txt"]
    c.close()
    assert _on_disk(home) == ["d", "ok.txt"]
    assert (home / "ok.txt").read_bytes() == b"fine"


# "\n" cannot travel inside an FTP command line (it ends the line).
@pytest.mark.parametrize("name", [b"a\rb", b"a\tb", b"a\x01b", b"a\x7fb", b"a\x1bb", b"d/a\x02b/c"])
def test_ftp_commands_refuse_control_characters(ftp_server, home, name):
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        for verb in [b"MKD", b"XMKD", b"CWD"]:
            code, text = c.cmd(verb + b" " + name)
            assert code == 553, f"{verb} {name!r}: {code} {text}"
            assert "control character" in text, text
        c.expect("RNFR ok.txt", 350)
        code, text = c.cmd(b"RNTO " + name)
        assert code == 553, f"RNTO {name!r}: {code} {text}"
        # STOR: refused before the 150, so no data connection is opened
        data = c.epsv()
        code, text = c.cmd(b"STOR " + name)
        assert code == 553, f"STOR {name!r}: {code} {text}"
        data.close()
        c.expect("NOOP", 200)
    assert _on_disk(home) == ["d", "ok.txt"]
    assert (home / "ok.txt").read_bytes() == b"fine"


def test_ftplib_stor_and_mkd_refused(ftp_server, home):
    with ftp_connect(ftp_server) as f:
        for bad in ["a\tb", "a\x7fb"]:
            with pytest.raises(ftplib.error_perm) as e:
                f.mkd(bad)
            assert reply_code(e.value) == 553
            with pytest.raises(ftplib.error_perm) as e:
                f.storbinary(f"STOR {bad}", io.BytesIO(b"x"))
            assert reply_code(e.value) == 553
        assert sorted(f.nlst()) == ["d", "ok.txt"]
    assert _on_disk(home) == ["d", "ok.txt"]


def test_ftp_listings_skip_names_made_behind_the_servers_back(ftp_server, home):
    """A name with CR LF made outside the server (an admin, exec) is not
    listed over FTP: it would forge listing lines."""
    forged = "x\r\n-rw-r--r--    1 ftp      ftp             0 Jan 01 00:00 fake"
    (home / forged).write_bytes(b"")
    (home / "tab\there").write_bytes(b"")
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        for verb in ["NLST", "LIST", "MLSD"]:
            data = c.epsv()
            code, text = c.cmd(verb)
            assert code == 150, f"{verb}: {code} {text}"
            listing = recv_all(data).decode("utf-8", "replace")
            data.close()
            assert c.reply()[0] == 226
            lines = listing.split("\r\n")[:-1]
            assert len(lines) == 2, f"{verb}: {listing!r}"
            assert "fake" not in listing and "tab" not in listing, f"{verb}: {listing!r}"
            assert all("\r" not in ln and "\n" not in ln for ln in lines), f"{verb}: {listing!r}"
