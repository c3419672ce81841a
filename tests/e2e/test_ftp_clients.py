"""The FTP front-end with real clients: curl (upload, download, resumed
download and upload, --list-only, EPSV and PASV) and lftp (mirror both ways of
a 200-file tree with nested dirs and UTF-8 names, pget -n 4 of a 64 MiB file).
Every check is against the bytes in the user's home under the server root."""

import hashlib
import os
import random
import urllib.parse

import pytest

from ftp_util import part_files, run_curl, run_lftp, tree
from transfer_util import MiB, check_xferlog_line, part_path, wait_for, xferlog_lines

FTP_CONFIG = ""


def _data(n):
    return os.urandom(n)


def _url(path):
    return "FTP://" + urllib.parse.quote(path)


def _ok(r, what):
    assert r.returncode == 0, (
        f"{what} exited {r.returncode}\nstdout: {r.stdout[-2000:]!r}\n"
        f"stderr: {r.stderr[-3000:]!r}")
    return r


def _sent_commands(r):
    """The FTP commands curl -v shows it sent ("> CMD ...")."""
    return [ln[2:].decode("utf-8", "replace") for ln in r.stderr.splitlines()
            if ln.startswith(b"> ")]


# ---------------------------------------------------------------- curl


def test_curl_upload_and_download(ftp_server, tmp_path):
    home = ftp_server.clean_home("demo")
    data = _data(2 * MiB + 11)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    _ok(run_curl(ftp_server, ["-T", str(src), _url("up.bin")]), "curl -T")
    assert (home / "up.bin").read_bytes() == data
    assert not part_path(home, "up.bin").exists()
    out = tmp_path / "out.bin"
    _ok(run_curl(ftp_server, ["-o", str(out), _url("up.bin")]), "curl download")
    assert out.read_bytes() == data
    # into new directories, with spaces and UTF-8 in the names
    name = "new dir/ünï 名/file with space ✓.bin"
    _ok(run_curl(ftp_server, ["--ftp-create-dirs", "-T", str(src), _url(name)]),
        "curl -T --ftp-create-dirs")
    assert (home / name).read_bytes() == data
    out2 = tmp_path / "out2.bin"
    _ok(run_curl(ftp_server, ["-o", str(out2), _url(name)]), "curl download of a UTF-8 name")
    assert out2.read_bytes() == data
    # a missing file is an error, and nothing is written
    out3 = tmp_path / "out3.bin"
    r = run_curl(ftp_server, ["-o", str(out3), _url("missing.bin")])
    assert r.returncode == 78, f"curl exit {r.returncode} for a missing file (78 expected)"


def test_curl_resume_download(ftp_server, tmp_path):
    home = ftp_server.clean_home("demo")
    data = _data(3 * MiB + 5)
    (home / "big.bin").write_bytes(data)
    k = MiB + 12345
    out = tmp_path / "partial.bin"
    # The local prefix deliberately differs from the server's bytes: only a
    # real resume (REST k) yields this prefix followed by the server's tail.
    local_prefix = b"L" * k
    out.write_bytes(local_prefix)
    r = _ok(run_curl(ftp_server, ["-v", "-C", "-", "-o", str(out), _url("big.bin")]),
            "curl -C - download")
    assert f"REST {k}" in _sent_commands(r), _sent_commands(r)
    assert out.read_bytes() == local_prefix + data[k:]
    # resuming a complete file is a no-op
    out2 = tmp_path / "complete.bin"
    out2.write_bytes(data)
    run_curl(ftp_server, ["-C", "-", "-o", str(out2), _url("big.bin")])
    assert out2.read_bytes() == data


def test_curl_resume_upload_of_half_file(ftp_server, tmp_path):
    home = ftp_server.clean_home("demo")
    data = _data(4 * MiB + 3)
    half = 2 * MiB + 1
    first = tmp_path / "first.bin"
    first.write_bytes(data[:half])
    full = tmp_path / "full.bin"
    full.write_bytes(data)
    _ok(run_curl(ftp_server, ["-T", str(first), _url("res.bin")]), "curl -T first half")
    assert (home / "res.bin").read_bytes() == data[:half]
    r = _ok(run_curl(ftp_server, ["-v", "-C", "-", "-T", str(full), _url("res.bin")]),
            "curl -C - -T")
    sent = _sent_commands(r)
    assert "SIZE res.bin" in sent and "APPE res.bin" in sent, sent
    assert (home / "res.bin").read_bytes() == data
    assert not part_path(home, "res.bin").exists()
    assert os.listdir(home) == ["res.bin"]
    # only the second half crossed the wire the second time
    lines = wait_for(lambda: [f for f in xferlog_lines(ftp_server, "/res.bin") if f[7] != str(half)],
                     5, "xferlog line of the resumed upload")
    assert len(lines) == 1, lines
    check_xferlog_line(lines[0], "demo", len(data) - half, "i", "c", "/res.bin")
    assert lines[0][14] == "ftp", lines[0]


def test_curl_resume_upload_of_part_file(ftp_server, tmp_path):
    """An interrupted upload left .NAME.ferry-part: SIZE reports its length
    and curl -C - -T sends only the rest."""
    home = ftp_server.clean_home("demo")
    data = _data(3 * MiB)
    k = MiB + 777
    part_path(home, "p.bin").write_bytes(data[:k])
    full = tmp_path / "full.bin"
    full.write_bytes(data)
    r = _ok(run_curl(ftp_server, ["-v", "-C", "-", "-T", str(full), _url("p.bin")]),
            "curl -C - -T over a part file")
    assert "APPE p.bin" in _sent_commands(r), _sent_commands(r)
    assert (home / "p.bin").read_bytes() == data
    assert not part_path(home, "p.bin").exists()
    assert os.listdir(home) == ["p.bin"]


def test_curl_list_only_and_list(ftp_server, tmp_path):
    home = ftp_server.clean_home("demo")
    names = ["a.txt", "b c.txt", "ü名.bin", "sub"]
    for n in names[:-1]:
        (home / n).write_bytes(n.encode())
    (home / "sub").mkdir()
    (home / "sub" / "inner.txt").write_bytes(b"x")
    part_path(home, "hidden.bin").write_bytes(b"part")
    r = _ok(run_curl(ftp_server, ["--list-only", "FTP://"]), "curl --list-only")
    assert sorted(r.stdout.decode("utf-8").splitlines()) == sorted(names), r.stdout
    r = _ok(run_curl(ftp_server, ["--list-only", _url("sub/")]), "curl --list-only sub/")
    assert r.stdout.decode("utf-8").splitlines() == ["inner.txt"], r.stdout
    r = _ok(run_curl(ftp_server, ["FTP://"]), "curl LIST")
    lines = r.stdout.decode("utf-8").splitlines()
    assert sorted(ln.split(None, 8)[8] for ln in lines) == sorted(names), lines


@pytest.mark.parametrize("mode", ["epsv", "pasv"])
def test_curl_epsv_and_pasv(ftp_server, tmp_path, mode):
    home = ftp_server.clean_home("demo")
    data = _data(MiB + 1)
    (home / "m.bin").write_bytes(data)
    out = tmp_path / "m.bin"
    args = ["-v", "-o", str(out), _url("m.bin")]
    if mode == "pasv":
        args.insert(0, "--disable-epsv")
    r = _ok(run_curl(ftp_server, args), f"curl ({mode})")
    sent = _sent_commands(r)
    if mode == "epsv":
        assert "EPSV" in sent and "PASV" not in sent, sent
    else:
        assert "PASV" in sent and "EPSV" not in sent, sent
    assert out.read_bytes() == data
    # and an upload the same way
    src = tmp_path / "src.bin"
    src.write_bytes(data[::-1])
    up_args = ["-T", str(src), _url(f"up-{mode}.bin")]
    if mode == "pasv":
        up_args.insert(0, "--disable-epsv")
    _ok(run_curl(ftp_server, up_args), f"curl -T ({mode})")
    assert (home / f"up-{mode}.bin").read_bytes() == data[::-1]


# ---------------------------------------------------------------- lftp


def _make_tree(top, rng):
    """200 files in nested dirs (some UTF-8 names, one empty dir)."""
    top.mkdir(parents=True, exist_ok=True)
    dirs = ["", "a", "a/b", "a/b/c", "ünï", "ünï/名前 dir", "d e/f", "deep/1/2/3/4"]
    for i in range(200):
        d = dirs[i % len(dirs)]
        name = f"файл {i} ü.bin" if i % 7 == 0 else f"f{i:03d}.dat"
        size = 2 * MiB + i if i == 13 else rng.choice([0, 1, 100, 4096, 65537, rng.randrange(200_000)])
        p = top / d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(rng.randbytes(size))
    (top / "empty" / "dir").mkdir(parents=True)


def _assert_same_tree(a, b, what):
    fa, da = tree(a)
    fb, db = tree(b)
    assert len(fa) == 200, f"the source tree has {len(fa)} files"
    assert sorted(fa) == sorted(fb), (
        f"{what}: file names differ: missing {sorted(set(fa) - set(fb))[:10]}, "
        f"extra {sorted(set(fb) - set(fa))[:10]}")
    bad = [k for k in fa if fa[k] != fb[k]]
    assert not bad, f"{what}: contents differ for {bad[:10]}"
    assert da == db, f"{what}: directories differ: {sorted(da ^ db)}"


def test_lftp_mirror_download(ftp_server, tmp_path):
    home = ftp_server.clean_home("many")
    _make_tree(home / "src", random.Random(1))
    dst = tmp_path / "dl"
    r = run_lftp(ftp_server, f"mirror --parallel=4 /src '{dst}'")
    assert r.returncode == 0, f"lftp mirror failed: {r.stdout[-2000:]!r} {r.stderr[-2000:]!r}"
    _assert_same_tree(home / "src", dst, "lftp mirror")


def test_lftp_mirror_upload(ftp_server, tmp_path):
    home = ftp_server.clean_home("many")
    src = tmp_path / "up"
    _make_tree(src, random.Random(2))
    r = run_lftp(ftp_server, f"mirror -R --parallel=4 '{src}' /dst")
    assert r.returncode == 0, f"lftp mirror -R failed: {r.stdout[-2000:]!r} {r.stderr[-2000:]!r}"
    assert not part_files(home), f"part files left: {part_files(home)[:5]}"
    _assert_same_tree(src, home / "dst", "lftp mirror -R")


def test_lftp_pget_parallel(ftp_server, tmp_path):
    home = ftp_server.clean_home("many")
    data = _data(64 * MiB)
    (home / "big.bin").write_bytes(data)
    out = tmp_path / "big.bin"
    # 10 MB/s per connection: alone, the first connection would need 6 s, so
    # lftp's other segments log in and start long before it could finish
    # (at 40 MB/s a loaded machine sometimes let it finish first).
    r = run_lftp(ftp_server, f"set net:limit-rate 10M; pget -n 4 /big.bin -o '{out}'")
    assert r.returncode == 0, f"lftp pget failed: {r.stdout[-2000:]!r} {r.stderr[-2000:]!r}"
    assert out.stat().st_size == len(data)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest(), (
        "pget -n 4 result differs from the file")
    # it really used several connections (one RETR each)
    def segments():
        ls = [f for f in xferlog_lines(ftp_server, "/big.bin") if f[13] == "many"]
        return ls if len(ls) >= 2 else None

    lines = wait_for(segments, 5, "xferlog lines of the pget segments")
    assert all(f[11] == "o" and f[14] == "ftp" for f in lines), lines
