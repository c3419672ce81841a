"""The reserved-name rule, the same through both protocols: a part file
(".NAME.ferry-part") is an upload's private state. No client operation may
create, open, stat, list, rename or delete one, nor reach through a directory
so named; only an upload of NAME writes it. (The rule lives once, in vfs.)"""

import ftplib
import io

import pytest

from ferry_wire import check_error
from ftp_util import ftp_connect, reply_code
from transfer_util import part_path

FTP_CONFIG = ""


@pytest.fixture
def home(ftp_server):
    h = ftp_server.clean_home("demo")
    (h / "x").write_bytes(b"visible")
    (h / ".x.ferry-part").write_bytes(b"partial upload")
    (h / "d").mkdir()
    (h / ".dir.ferry-part").mkdir()  # made behind the server's back
    (h / ".dir.ferry-part" / "inner").write_bytes(b"inner")
    return h


def test_native_ops_refuse_part_names(ftp_server, home):
    c = ftp_server.login("demo")
    for op, fields in [("stat", {"path": ".x.ferry-part"}),
                       ("ls", {"path": ".x.ferry-part"}),
                       ("mkdir", {"path": ".y.ferry-part"}),
                       ("mkdir", {"path": "d/.y.ferry-part/z", "parents": True}),
                       ("rmdir", {"path": ".dir.ferry-part"}),
                       ("rm", {"path": ".x.ferry-part"}),
                       ("rm", {"path": ".dir.ferry-part/inner"}),
                       ("mv", {"from": ".x.ferry-part", "to": "stolen"}),
                       ("mv", {"from": "x", "to": ".z.ferry-part"}),
                       ("put", {"path": ".x.ferry-part", "size": 1}),
                       ("put", {"path": ".dir.ferry-part/new", "size": 1})]:
        r = c.req(op, **fields)
        check_error(r, 400, "bad_request", f"{op} {fields}")
        assert ".ferry-part" in r["message"], r
    for op in ["get", "hash", "cd"]:
        r = c.req(op, path=".x.ferry-part") if op != "get" else c.get(".x.ferry-part")[0]
        check_error(r, 404, "not_found", f"{op} of a part file")
    assert c.get(".dir.ferry-part/inner")[0]["status"] == 404
    names = [e["name"] for e in c.ok("ls")["entries"]]
    assert names == ["d", "x"], names
    assert (home / ".x.ferry-part").read_bytes() == b"partial upload"
    assert (home / ".dir.ferry-part" / "inner").read_bytes() == b"inner"
    assert not (home / "stolen").exists() and not (home / ".z.ferry-part").exists()
    c.close()


def test_ftp_commands_refuse_part_names(ftp_server, home):
    f = ftp_connect(ftp_server)
    for cmd, code in [("MKD .y.ferry-part", 553), ("RMD .dir.ferry-part", 553),
                      ("DELE .x.ferry-part", 553), ("DELE .dir.ferry-part/inner", 553),
                      ("RNFR .x.ferry-part", 553), ("MLST .x.ferry-part", 553),
                      ("CWD .dir.ferry-part", 550), ("MDTM .x.ferry-part", 550)]:
        with pytest.raises((ftplib.error_perm, ftplib.error_temp)) as e:
            f.sendcmd(cmd)
        assert reply_code(e.value) == code, f"{cmd}: {e.value}"
    f.sendcmd("RNFR x")
    with pytest.raises(ftplib.error_perm) as e:
        f.sendcmd("RNTO .z.ferry-part")
    assert reply_code(e.value) == 553
    with pytest.raises(ftplib.error_perm) as e:
        f.storbinary("STOR .x.ferry-part", io.BytesIO(b"overwrite"))
    assert reply_code(e.value) == 553
    with pytest.raises(ftplib.error_perm) as e:
        f.retrbinary("RETR .x.ferry-part", lambda b: None)
    assert reply_code(e.value) == 550
    assert sorted(f.nlst()) == ["d", "x"]
    f.quit()
    assert (home / ".x.ferry-part").read_bytes() == b"partial upload"
    assert (home / "x").read_bytes() == b"visible"


def test_an_upload_still_resumes_its_own_part(ftp_server, home):
    c = ftp_server.login("demo")
    data = b"partial upload" + b" and the rest"
    (home / "x").unlink()
    r = c.put_open("x", len(data))
    assert r["status"] == 200 and r["offset"] == len(b"partial upload"), r
    c.close()
    assert part_path(home, "x").exists()


def test_client_shows_why_a_bad_request_was_refused(ftp_server, home):
    from conftest import run_ferry
    r = run_ferry(ftp_server, ["demo@127.0.0.1", "mkdir", ".y.ferry-part"],
                  password=ftp_server.password("demo"))
    assert r.returncode == 1, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "reserved" in lines[0], r.stderr
