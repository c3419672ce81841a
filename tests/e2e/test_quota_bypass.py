"""Quota cannot be bypassed (issue 11, bug 4). quser has a 100 MiB quota.
- A put reserved as "size minus the file it replaces" is checked again at
  commit: moving the target away mid-put (mv X Z) makes the commit 413 and
  drops the part, instead of keeping both files (~2x the limit).
- Part files cannot be renamed into visible names (native mv, FTP RNFR/RNTO)
  nor listed: an aborted upload's bytes stay a part file, counted."""

import os

import pytest

from ferry_wire import check_error, digest_of

MiB = 1 << 20
LIMIT = 100 * MiB


def test_moving_the_target_away_mid_put_fails_the_commit(server):
    home = server.clean_home("quser")
    old = os.urandom(1 << 16) * 960  # 60 MiB
    new = os.urandom(1 << 16) * 960
    with server.login("quser") as c:
        put, commit = c.put_file("x.bin", old)
        assert commit["status"] == 201, commit
        rid = c.alloc_id()
        r = c.put_open("x.bin", len(new), id=rid)
        assert r["status"] == 200, r  # 60 + 60 - 60 <= 100: admitted as a replacement
        c.put_data(rid, new)
        with server.login("quser") as other:
            other.ok("mv", **{"from": "x.bin", "to": "z.bin"})
        r = c.put_commit(rid, "xxh128", digest_of("xxh128", new))
        check_error(r, 413, "quota_exceeded", "commit that would leave 120 MiB under a 100 MiB quota")
        used = c.ok("quota")["used"]
        assert used <= LIMIT, f"the ledger says {used} bytes used, over the limit"
    on_disk = sum(p.stat().st_size for p in home.iterdir())
    assert on_disk <= LIMIT, f"{on_disk} bytes on disk for a {LIMIT}-byte quota: {os.listdir(home)}"
    assert (home / "z.bin").read_bytes() == old and not (home / "x.bin").exists()
    server.clean_home("quser")


def test_part_files_cannot_be_renamed_or_listed(server):
    home = server.clean_home("quser")
    (home / ".a.bin.ferry-part").write_bytes(b"p" * 1000)  # an aborted upload's part
    with server.login("quser") as c:
        for to in ("visible.bin", "sub"):
            r = c.req("mv", **{"from": ".a.bin.ferry-part", "to": to})
            assert r["status"] == 400 and r.get("error") == "bad_request", r
        c.ok("mkdir", path="d")
        r = c.req("mv", **{"from": "d", "to": ".b.ferry-part"})
        assert r["status"] == 400, r
        assert [e["name"] for e in c.ok("ls")["entries"]] == ["d"]
    assert (home / ".a.bin.ferry-part").exists() and not (home / "visible.bin").exists()
    server.clean_home("quser")


FTP_CONFIG = ""


def test_ftp_cannot_rename_a_part_file(ftp_server):
    import ftplib
    import ftp_util
    home = ftp_server.clean_home("demo")
    (home / ".a.bin.ferry-part").write_bytes(b"p" * 1000)
    f = ftp_util.ftp_connect(ftp_server)
    try:
        with pytest.raises(ftplib.error_perm):
            f.rename(".a.bin.ferry-part", "visible.bin")
        assert ".a.bin.ferry-part" not in f.nlst()
    finally:
        ftp_util.close_quietly(f)
    assert not (home / "visible.bin").exists()
