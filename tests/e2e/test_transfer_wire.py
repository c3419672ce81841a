"""Transfers over the raw protocol (docs/protocol.md "Transfers"):
get, put (offset step + data + commit), inline put, hash, resume from part
files, atomic replacement, one writer per path, the transfer log. Every check
is against real bytes on disk in the user's home under the server root."""

import os
import socket
import struct

import pytest

from ferry_wire import ALGOS, Conn, check_error, digest_of, digest_of_file, encode_frame
from transfer_util import (MiB, check_xferlog_line, ls_names, part_path, put_open_when_free,
                           wait_for, xferlog_lines)

SIZES = [0, 1, MiB + 1]
SIZE_IDS = ["empty", "1byte", "1MiB+1"]


def _data(n):
    # Random bytes: a digest or offset mistake cannot cancel out.
    return os.urandom(n)


# ---------------------------------------------------------------- get


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_get_whole_file(server, demo, size):
    home = server.home("demo")
    data = _data(size)
    (home / "g.bin").write_bytes(data)
    reply, body, trailer = demo.get("g.bin")
    assert reply["status"] == 200, reply
    assert reply.get("size") == size and reply.get("offset") == 0, reply
    assert reply.get("body", 0) == size, reply
    assert body == data, f"get body differs from the file ({len(body)} vs {size} bytes)"
    assert trailer["status"] == 200, trailer
    # default algo is xxh128
    assert trailer.get("algo") == "xxh128", trailer
    assert trailer.get("digest") == digest_of_file("xxh128", home / "g.bin"), trailer
    assert demo.ok("pwd")["path"] == "/", "connection unusable after a get"


def test_get_with_offset(server, demo):
    home = server.home("demo")
    size = MiB + 1
    data = _data(size)
    (home / "d").mkdir()
    (home / "d" / "o.bin").write_bytes(data)
    whole = digest_of("sha256", data)
    demo.ok("cd", path="d")
    for off in (0, 1, 123457, size - 1, size):
        reply, body, trailer = demo.get("o.bin", offset=off, algo="sha256")
        assert reply["status"] == 200, (off, reply)
        assert reply.get("size") == size and reply.get("offset") == off, (off, reply)
        assert body == data[off:], f"offset {off}: body is not the file's tail"
        assert trailer.get("algo") == "sha256" and trailer.get("digest") == whole, (
            f"offset {off}: the trailer must carry the digest of the whole file: {trailer!r}")


def test_get_errors(server, demo):
    home = server.home("demo")
    (home / "dir").mkdir()
    (home / "f").write_bytes(b"0123456789")
    os.mkfifo(home / "fifo")
    cases = [
        (dict(path="missing"), 404, "not_found"),
        (dict(path="dir/missing"), 404, "not_found"),
        (dict(path="dir"), 409, "is_directory"),
        (dict(path="/"), 409, "is_directory"),
        (dict(path="f", algo="crc32"), 400, "bad_request"),
        (dict(path="f", offset=11), 400, "bad_request"),
        (dict(path="fifo"), 403, "forbidden"),
    ]
    for fields, status, error in cases:
        reply, body, trailer = demo.get(**fields)
        check_error(reply, status, error, f"get {fields!r}")
        assert trailer is None
        # the connection stays usable, and no stray trailer arrives after an error
        assert demo.ok("pwd")["path"] == "/", f"after get {fields!r}"
    # offset == size is fine (empty body, trailer with the whole digest)
    reply, body, trailer = demo.get("f", offset=10, algo="md5")
    assert reply["status"] == 200 and body == b"", reply
    assert trailer.get("digest") == digest_of("md5", b"0123456789"), trailer


def test_get_pipelined(server, demo):
    """Several gets sent at once: replies (header, body, trailer) in order."""
    home = server.home("demo")
    files = {f"p{i}": _data(1000 * i + 7) for i in range(8)}
    for n, d in files.items():
        (home / n).write_bytes(d)
    demo.send_raw(b"".join(
        encode_frame({"op": "get", "id": 500 + i, "path": n, "algo": "md5"})
        for i, n in enumerate(files)))
    for i, (n, d) in enumerate(files.items()):
        reply, body = demo.recv()
        assert reply.get("id") == 500 + i and reply["status"] == 200, reply
        assert body == d, f"body of {n} differs"
        trailer, _ = demo.recv()
        assert trailer.get("id") == 500 + i and trailer.get("digest") == digest_of("md5", d), (
            trailer)


# ---------------------------------------------------------------- put


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_put_lands_on_disk(server, demo, size):
    home = server.home("demo")
    data = _data(size)
    r, c = demo.put_file("up.bin", data)
    assert r["status"] == 200 and r.get("offset") == 0, r
    assert c["status"] == 201, c
    assert (home / "up.bin").read_bytes() == data
    assert not part_path(home, "up.bin").exists(), "part file left after a successful put"
    assert sorted(os.listdir(home)) == ["up.bin"]
    assert ls_names(demo) == ["up.bin"]
    e = demo.ok("stat", path="up.bin")["entry"]
    assert e["type"] == "file" and e["size"] == size, e


def test_put_small_frames_into_subdir(server, demo):
    home = server.home("demo")
    demo.ok("mkdir", path="a/b", parents=True)
    demo.ok("cd", path="a")
    data = _data(300_001)
    r, c = demo.put_file("b/small-frames.bin", data, algo="md5", frame_size=4096)
    assert r["status"] == 200 and c["status"] == 201, (r, c)
    assert (home / "a" / "b" / "small-frames.bin").read_bytes() == data
    assert not (home / "small-frames.bin").exists()


def test_put_replaces_existing_file(server, demo):
    home = server.home("demo")
    (home / "r.bin").write_bytes(b"old contents " * 1000)
    data = _data(5000)
    r, c = demo.put_file("r.bin", data, algo="sha256")
    assert c["status"] == 201, c
    assert (home / "r.bin").read_bytes() == data


def test_put_refusals(server, demo):
    home = server.home("demo")
    (home / "dir").mkdir()
    cases = [
        (dict(path="dir", size=5), 409, "is_directory"),
        (dict(path="/", size=5), 409, "is_directory"),
        (dict(path="nodir/f", size=5), 404, "not_found"),
        (dict(path="f", size=5, algo="crc32"), 400, "bad_request"),
        (dict(path="f", size=-1), 400, "bad_request"),
        (dict(path="f", size="5"), 400, "bad_request"),
        (dict(path="f"), 400, "bad_request"),
    ]
    for fields, status, error in cases:
        fields = dict(fields)
        fields.setdefault("algo", "xxh128")
        r = demo.req("put", **fields)
        check_error(r, status, error, f"put {fields!r}")
    assert demo.ok("pwd")["path"] == "/"
    assert sorted(os.listdir(home)) == ["dir"], f"a refused put left files: {os.listdir(home)}"
    assert os.listdir(home / "dir") == []


@pytest.mark.parametrize("algo", ALGOS)
def test_each_algo_put_get_hash(server, demo, algo):
    home = server.home("demo")
    data = _data(MiB + 1)
    r, c = demo.put_file(f"algo-{algo}.bin", data, algo=algo)
    assert c["status"] == 201, c
    on_disk = home / f"algo-{algo}.bin"
    assert on_disk.read_bytes() == data
    expected = digest_of_file(algo, on_disk)  # xxhsum -H2 / sha256sum / md5sum
    reply, body, trailer = demo.get(f"algo-{algo}.bin", algo=algo)
    assert body == data
    assert trailer.get("algo") == algo and trailer.get("digest") == expected, trailer
    h = demo.ok("hash", path=f"algo-{algo}.bin", algo=algo)
    assert h.get("algo") == algo and h.get("digest") == expected, h


def test_put_wrong_digest(server, demo):
    home = server.home("demo")
    data = _data(2 * MiB + 5)
    for algo in ALGOS:
        name = f"bad-{algo}.bin"
        wrong = digest_of(algo, data[:-1] + bytes([data[-1] ^ 1]))
        r, c = demo.put_file(name, data, algo=algo, digest=wrong)
        assert r["status"] == 200, r
        check_error(c, 422, "checksum_mismatch", f"commit with a wrong {algo} digest")
        assert not (home / name).exists(), "a file landed under the real name despite 422"
        assert not part_path(home, name).exists(), "part file kept after 422"
    assert os.listdir(home) == []
    # a wrong digest never replaces an existing file
    (home / "keep.bin").write_bytes(b"keep me")
    r, c = demo.put_file("keep.bin", data, digest="0" * 32)
    check_error(c, 422, "checksum_mismatch", "replacing commit with a wrong digest")
    assert (home / "keep.bin").read_bytes() == b"keep me"
    assert sorted(os.listdir(home)) == ["keep.bin"]
    # and the path is free again afterwards
    r, c = demo.put_file("keep.bin", data)
    assert c["status"] == 201, c
    assert (home / "keep.bin").read_bytes() == data


def test_commit_with_missing_bytes_keeps_part(server, demo):
    home = server.home("demo")
    data = _data(100_000)
    rid, r = put_open_when_free(demo, "short.bin", len(data))
    assert r["status"] == 200 and r["offset"] == 0, r
    demo.put_data(rid, data[:60_000])
    c = demo.put_commit(rid, "xxh128", digest_of("xxh128", data))
    check_error(c, 400, "bad_request", "commit after fewer bytes than announced")
    assert not (home / "short.bin").exists()
    part = part_path(home, "short.bin")
    assert part.exists() and part.read_bytes() == data[:60_000], "part file not kept"
    rid, r = put_open_when_free(demo, "short.bin", len(data))
    assert r["status"] == 200 and r["offset"] == 60_000, r
    demo.put_data(rid, data[60_000:])
    c = demo.put_commit(rid, "xxh128", digest_of("xxh128", data))
    assert c["status"] == 201, c
    assert (home / "short.bin").read_bytes() == data
    assert not part.exists()


def test_data_beyond_size_is_refused(server, demo):
    home = server.home("demo")
    data = _data(10_000)
    rid, r = put_open_when_free(demo, "over.bin", 9_000)
    assert r["status"] == 200, r
    demo.send_stream({"op": "data", "id": rid}, data)
    demo.send({"op": "commit", "id": rid, "algo": "xxh128", "digest": digest_of("xxh128", data)})
    demo.send({"op": "pwd", "id": 7777})
    replies = []
    while True:
        rep = demo.recv_header()
        if rep.get("id") == 7777:
            assert rep.get("path") == "/", rep
            break
        replies.append(rep)
    assert replies, "no reply at all to data beyond the announced size"
    assert all(x.get("id") == rid for x in replies), replies
    check_error(replies[0], 400, "bad_request", "data beyond size - offset")
    assert all(x.get("status") != 201 for x in replies), replies
    assert not (home / "over.bin").exists()


def test_two_uploads_on_one_connection(server, demo):
    home = server.home("demo")
    a, b = _data(3 * MiB + 1), _data(2 * MiB + 3)
    ra = demo.put_open("a.bin", len(a), algo="sha256", id=41)
    rb = demo.put_open("b.bin", len(b), algo="md5", id=42)
    assert ra["status"] == 200 and rb["status"] == 200, (ra, rb)
    # interleave data frames of the two uploads
    for i in range(0, 3 * MiB + 1, MiB):
        demo.send_stream({"op": "data", "id": 41}, a[i:i + MiB])
        if i < len(b):
            demo.send_stream({"op": "data", "id": 42}, b[i:i + MiB])
    cb = demo.put_commit(42, "md5", digest_of("md5", b))
    ca = demo.put_commit(41, "sha256", digest_of("sha256", a))
    assert ca["status"] == 201 and cb["status"] == 201, (ca, cb)
    assert (home / "a.bin").read_bytes() == a
    assert (home / "b.bin").read_bytes() == b


# ---------------------------------------------------------------- inline put


def test_inline_put(server, demo):
    home = server.home("demo")
    for name, data, algo in [("e", b"", "xxh128"), ("one", b"\x00", "sha256"),
                             ("k", _data(4096), "md5"), ("mib", _data(MiB), "xxh128")]:
        r = demo.put_inline(name, data, algo=algo)
        assert r["status"] == 201, (name, r)
        assert "offset" not in r or r["offset"] == 0, r
        assert (home / name).read_bytes() == data, name
        assert not part_path(home, name).exists()
    # the connection is still in sync
    assert demo.ok("pwd")["path"] == "/"


def test_inline_put_pipelined_stream(server, demo):
    home = server.home("demo")
    demo.ok("mkdir", path="many", parents=False)
    files = {f"many/f{i:03d}": _data(i * 37) for i in range(200)}
    frames = []
    for i, (n, d) in enumerate(files.items()):
        h = {"op": "put", "id": 1000 + i, "path": n, "size": len(d), "algo": "md5",
             "digest": digest_of("md5", d)}
        frames.append(encode_frame(h, d))
    demo.send_raw(b"".join(frames))
    for i in range(len(files)):
        r = demo.recv_header()
        assert r.get("id") == 1000 + i and r.get("status") == 201, r
    for n, d in files.items():
        assert (home / n).read_bytes() == d, n
    assert len(os.listdir(home / "many")) == 200


def test_inline_put_wrong_digest(server, demo):
    home = server.home("demo")
    data = _data(5000)
    r = demo.put_inline("x.bin", data, algo="sha256", digest=digest_of("sha256", b"other"))
    check_error(r, 422, "checksum_mismatch", "inline put with a wrong digest")
    assert os.listdir(home) == [], f"files left after an inline 422: {os.listdir(home)}"
    (home / "x.bin").write_bytes(b"old")
    r = demo.put_inline("x.bin", data, digest="f" * 32)
    check_error(r, 422, "checksum_mismatch", "inline replacement with a wrong digest")
    assert (home / "x.bin").read_bytes() == b"old"
    assert sorted(os.listdir(home)) == ["x.bin"]


def test_inline_put_size_mismatch(server, demo):
    home = server.home("demo")
    r = demo.put_inline("m.bin", b"12345", size=10)
    check_error(r, 400, "bad_request", "inline put whose body is shorter than size")
    assert os.listdir(home) == []
    assert demo.ok("pwd")["path"] == "/"


# ---------------------------------------------------------------- hash


@pytest.mark.parametrize("algo", ALGOS)
def test_hash_matches_system_tools(server, demo, algo):
    home = server.home("demo")
    for name, data in [("h0", b""), ("h1", b"x"), ("hbig", _data(3 * MiB + 17))]:
        (home / name).write_bytes(data)
        h = demo.ok("hash", path=name, algo=algo)
        assert h.get("algo") == algo, h
        assert h.get("digest") == digest_of_file(algo, home / name), (name, h)


def test_hash_follows_changes_after_upload(server, demo):
    """The digest kept with an uploaded file must not be trusted once the file
    changes on disk (same size, different bytes and mtime)."""
    home = server.home("demo")
    data = _data(200_000)
    r, c = demo.put_file("c.bin", data)
    assert c["status"] == 201, c
    assert demo.ok("hash", path="c.bin", algo="xxh128")["digest"] == digest_of("xxh128", data)
    changed = bytearray(data)
    changed[100] ^= 0xFF
    with open(home / "c.bin", "r+b") as f:
        f.write(bytes(changed))
    st = os.stat(home / "c.bin")
    os.utime(home / "c.bin", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert demo.ok("hash", path="c.bin", algo="xxh128")["digest"] == digest_of_file(
        "xxh128", home / "c.bin")
    reply, body, trailer = demo.get("c.bin")
    assert body == bytes(changed)
    assert trailer["digest"] == digest_of("xxh128", bytes(changed)), trailer


def test_hash_errors(server, demo):
    home = server.home("demo")
    (home / "d").mkdir()
    (home / "f").write_text("x")
    check_error(demo.req("hash", path="nope", algo="xxh128"), 404, "not_found", "hash missing")
    check_error(demo.req("hash", path="d", algo="xxh128"), 409, "is_directory", "hash dir")
    check_error(demo.req("hash", path="f", algo="sha1"), 400, "bad_request", "hash bad algo")


# ---------------------------------------------------------------- resume


def _drop_after(server, path, data, sent, frame_size=MiB, partial=b"", user="demo"):
    """Opens a put of `data` on a fresh connection, sends `sent` bytes in whole
    data frames (plus optionally the start of one more frame), then drops the
    connection without committing."""
    c = server.login(user)
    try:
        rid, r = put_open_when_free(c, path, len(data))
        assert r["status"] == 200, r
        off = r["offset"]
        c.put_data(rid, data[off:sent], frame_size)
        if partial:
            c.send_partial_frame({"op": "data", "id": rid}, len(data) - sent, partial)
    finally:
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()


def test_put_resume_after_dropped_connection(server, demo):
    home = server.home("demo")
    data = _data(4 * MiB + 3)
    half = 2 * MiB
    _drop_after(server, "res.bin", data, half)
    part = part_path(home, "res.bin")
    wait_for(lambda: part.exists() and part.stat().st_size == half, 5,
             f"part file {part.name} of {half} bytes after the drop")
    assert part.read_bytes() == data[:half]
    assert not (home / "res.bin").exists(), "a half upload appeared under the real name"
    assert ls_names(demo) == [], "ls must hide part files"
    rid, r = put_open_when_free(demo, "res.bin", len(data))
    assert r["status"] == 200 and r.get("offset") == half, r
    demo.put_data(rid, data[half:])
    c = demo.put_commit(rid, "xxh128", digest_of("xxh128", data))
    assert c["status"] == 201, c
    assert (home / "res.bin").read_bytes() == data
    assert not part.exists()
    assert os.listdir(home) == ["res.bin"]


def test_put_resume_after_drop_mid_frame(server, demo):
    home = server.home("demo")
    data = _data(3 * MiB)
    _drop_after(server, "mid.bin", data, MiB, partial=data[MiB:MiB + 300_000])
    rid, r = put_open_when_free(demo, "mid.bin", len(data))
    assert r["status"] == 200, r
    off = r.get("offset")
    part = part_path(home, "mid.bin")
    assert isinstance(off, int) and MiB <= off <= MiB + 300_000, (
        f"resume offset {off} not within the bytes that were sent: {r!r}")
    assert part.stat().st_size == off, "offset is not the part file's length"
    assert part.read_bytes() == data[:off]
    demo.put_data(rid, data[off:])
    c = demo.put_commit(rid, "xxh128", digest_of("xxh128", data))
    assert c["status"] == 201, c
    assert (home / "mid.bin").read_bytes() == data
    assert not part.exists()


def test_put_resume_false_starts_over(server, demo):
    home = server.home("demo")
    data = _data(2 * MiB)
    _drop_after(server, "nr.bin", data, MiB)
    part = part_path(home, "nr.bin")
    wait_for(lambda: part.exists() and part.stat().st_size == MiB, 5, "part file")
    rid, r = put_open_when_free(demo, "nr.bin", len(data), algo="sha256", resume=False)
    assert r["status"] == 200 and r.get("offset") == 0, r
    demo.put_data(rid, data)
    c = demo.put_commit(rid, "sha256", digest_of("sha256", data))
    assert c["status"] == 201, c
    assert (home / "nr.bin").read_bytes() == data
    assert not part.exists()


def test_put_resume_from_existing_part_files(server, demo):
    """The offset is the length of whatever part file is on disk, if it is not
    longer than the announced size."""
    home = server.home("demo")
    data = _data(100_000)
    part = part_path(home, "p.bin")
    part.write_bytes(data[:12_345])
    rid, r = put_open_when_free(demo, "p.bin", len(data), algo="md5")
    assert r["status"] == 200 and r.get("offset") == 12_345, r
    demo.put_data(rid, data[12_345:])
    assert demo.put_commit(rid, "md5", digest_of("md5", data))["status"] == 201
    assert (home / "p.bin").read_bytes() == data
    assert not part.exists()
    # a part file longer than the new size is not resumed from
    part.write_bytes(_data(100_010))
    data2 = _data(100_000)
    rid, r = put_open_when_free(demo, "p.bin", len(data2), algo="md5")
    assert r["status"] == 200 and r.get("offset") == 0, r
    demo.put_data(rid, data2)
    assert demo.put_commit(rid, "md5", digest_of("md5", data2))["status"] == 201
    assert (home / "p.bin").read_bytes() == data2
    assert not part.exists()


def test_corrupted_part_file_is_detected_and_discarded(server, demo):
    home = server.home("demo")
    data = _data(4 * MiB)
    half = 2 * MiB
    _drop_after(server, "cor.bin", data, half)
    part = part_path(home, "cor.bin")
    wait_for(lambda: part.exists() and part.stat().st_size == half, 5, "part file")
    # bytes change under the server: same length, different content
    with open(part, "r+b") as f:
        f.seek(777_777)
        f.write(bytes(b ^ 0x5A for b in data[777_777:777_777 + 64]))
    rid, r = put_open_when_free(demo, "cor.bin", len(data))
    assert r["status"] == 200 and r.get("offset") == half, r
    demo.put_data(rid, data[half:])
    c = demo.put_commit(rid, "xxh128", digest_of("xxh128", data))
    check_error(c, 422, "checksum_mismatch", "commit over a corrupted part file")
    assert not part.exists(), "corrupted part file not discarded after 422"
    assert not (home / "cor.bin").exists()
    # starting over works
    rid, r = put_open_when_free(demo, "cor.bin", len(data))
    assert r["status"] == 200 and r.get("offset") == 0, r
    demo.put_data(rid, data)
    assert demo.put_commit(rid, "xxh128", digest_of("xxh128", data))["status"] == 201
    assert (home / "cor.bin").read_bytes() == data


# ---------------------------------------------------------------- one writer, atomicity


def test_concurrent_put_same_path_busy(server, demo):
    home = server.home("demo")
    old = _data(50_000)
    (home / "x.bin").write_bytes(old)
    new = _data(3 * MiB)
    rid, r = put_open_when_free(demo, "x.bin", len(new))
    assert r["status"] == 200, r
    demo.put_data(rid, new[:MiB])
    with server.login("demo") as other:
        check_error(other.put_open("x.bin", 10), 409, "busy", "second put of the same path")
        check_error(other.put_open("/x.bin", 10, resume=False), 409, "busy",
                    "second put (absolute path, no resume)")
        check_error(other.put_inline("x.bin", b"0123456789"), 409, "busy",
                    "inline put of a path being uploaded")
        # readers of the old version are not disturbed
        reply, body, trailer = other.get("x.bin")
        assert body == old, "a reader saw something else than the old file during an upload"
        demo.put_data(rid, new[MiB:])
        c = demo.put_commit(rid, "xxh128", digest_of("xxh128", new))
        assert c["status"] == 201, c
        reply, body, trailer = other.get("x.bin")
        assert body == new
        # the lock is gone after the commit
        r2, c2 = other.put_file("x.bin", b"third")
        assert c2 is not None and c2["status"] == 201, (r2, c2)
    assert (home / "x.bin").read_bytes() == b"third"


def test_concurrent_put_race_exactly_one_wins(server, demo):
    """Two connections ask for the same new path at the same moment."""
    import threading
    home = server.home("demo")
    conns = [server.login("demo") for _ in range(2)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait(5)
        results[i] = conns[i].put_open("race.bin", 1000)

    ts = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(15)
    try:
        statuses = sorted(r["status"] for r in results)
        assert statuses == [200, 409], results
        loser = [r for r in results if r["status"] == 409][0]
        check_error(loser, 409, "busy", "the losing put")
    finally:
        for c in conns:
            c.close()
    assert not (home / "race.bin").exists()


def test_interrupted_replacement_leaves_old_file(server, demo):
    home = server.home("demo")
    old = _data(MiB)
    (home / "keep.bin").write_bytes(old)
    new = _data(4 * MiB)
    c = server.login("demo")
    rid, r = put_open_when_free(c, "keep.bin", len(new))
    assert r["status"] == 200 and r["offset"] == 0, r
    c.put_data(rid, new[:2 * MiB])
    part = part_path(home, "keep.bin")
    wait_for(lambda: file_size_ge(part, MiB), 5, "part file growing")
    assert (home / "keep.bin").read_bytes() == old, "real name changed during the upload"
    reply, body, trailer = demo.get("keep.bin")
    assert body == old
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    wait_for(lambda: part.exists() and part.stat().st_size == 2 * MiB, 5, "part file after drop")
    assert (home / "keep.bin").read_bytes() == old, "interrupted upload damaged the old file"
    assert ls_names(demo) == ["keep.bin"]
    # and the resumed upload replaces it only when complete
    rid, r = put_open_when_free(demo, "keep.bin", len(new))
    assert r["status"] == 200 and r["offset"] == 2 * MiB, r
    demo.put_data(rid, new[2 * MiB:])
    assert demo.put_commit(rid, "xxh128", digest_of("xxh128", new))["status"] == 201
    assert (home / "keep.bin").read_bytes() == new


def file_size_ge(p, n):
    try:
        return p.stat().st_size >= n
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------- xferlog


def test_xferlog(server, demo):
    home = server.home("demo")
    data = _data(123_457)
    (home / "xl-get.bin").write_bytes(data)
    reply, body, trailer = demo.get("xl-get.bin")
    assert body == data
    r, c = demo.put_file("xl-put.bin", data[:54_321])
    assert c["status"] == 201, c
    r = demo.put_inline("xl-inline.bin", data[:999])
    assert r["status"] == 201, r
    _drop_after(server, "xl-drop.bin", data, 100_000, frame_size=50_000)

    got = wait_for(lambda: xferlog_lines(server, "/xl-get.bin"), 5, "xferlog line of the get")
    assert len(got) == 1, got
    check_xferlog_line(got[0], "demo", 123_457, "o", "c", "/xl-get.bin")
    got = wait_for(lambda: xferlog_lines(server, "/xl-put.bin"), 5, "xferlog line of the put")
    assert len(got) == 1, got
    check_xferlog_line(got[0], "demo", 54_321, "i", "c", "/xl-put.bin")
    got = wait_for(lambda: xferlog_lines(server, "/xl-inline.bin"), 5, "xferlog inline put")
    assert len(got) == 1, got
    check_xferlog_line(got[0], "demo", 999, "i", "c", "/xl-inline.bin")
    got = wait_for(lambda: xferlog_lines(server, "/xl-drop.bin"), 5,
                   "xferlog line of the aborted put")
    assert len(got) == 1, got
    check_xferlog_line(got[0], "demo", 100_000, "i", "i", "/xl-drop.bin")
    # an aborted get (client gone mid-body) is logged as incomplete
    (home / "xl-big.bin").write_bytes(_data(64 * MiB))
    c = Conn(server.port)
    c.login("demo", server.password("demo"))
    c.send({"op": "get", "id": 9, "path": "xl-big.bin"})
    head = c.sock.recv(4096)
    assert head, "no reply to get"
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()  # RST
    got = wait_for(lambda: xferlog_lines(server, "/xl-big.bin"), 10,
                   "xferlog line of the aborted get")
    assert len(got) == 1, got
    f = got[0]
    assert f[11] == "o" and f[13] == "demo" and f[17] == "i", f
    assert int(f[7]) < 64 * MiB, f
