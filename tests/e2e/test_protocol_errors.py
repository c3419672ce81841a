"""Malformed frames and requests (docs/protocol.md): bad frames get 400 bad_request and
the connection is closed; bad requests inside good frames get 400 and the
connection lives on. Either way every other session keeps working."""

import json
import struct
import time

import pytest

from ferry_wire import check_error, encode_frame, frame_raw

# (name, bytes to send). Each breaks the framing itself.
BAD_FRAMES = [
    ("length_zero", struct.pack(">I", 0)),
    ("length_70000", struct.pack(">I", 70000)),
    ("length_65537", struct.pack(">I", 65537) + b"{" * 16),
    ("length_max_u32", struct.pack(">I", 0xFFFFFFFF)),
    ("not_json", frame_raw(b"this is not json {")),
    ("truncated_json", frame_raw(b'{"op":"pwd","id":5')),
    ("json_array", frame_raw(b'[{"op":"pwd","id":5}]')),
    ("json_number", frame_raw(b"42")),
    ("json_string", frame_raw(b'"pwd"')),
    ("invalid_utf8", frame_raw(b'{"op":"pwd","id":5,"x":"\xff\xfe\xc3"}')),
    ("overlong_utf8_slash", frame_raw(b'{"op":"cd","id":5,"path":"\xc0\xaf"}')),
    ("body_negative", frame_raw(b'{"op":"pwd","id":5,"body":-1}')),
    ("body_string", frame_raw(b'{"op":"pwd","id":5,"body":"x"}')),
]


@pytest.fixture
def bystander(server):
    """An authenticated session open while another connection misbehaves."""
    c = server.login("other")
    assert c.ok("pwd")["path"] == "/"
    yield c
    c.close()


def _check_bad_frame_reply(c, name):
    r = c.recv_header()
    assert r.get("status") == 400 and r.get("error") == "bad_request", f"{name}: {r!r}"
    assert r.get("id") == 0, f"{name}: reply to an unparseable frame must have id 0: {r!r}"
    assert isinstance(r.get("message"), str) and r["message"], f"{name}: {r!r}"


@pytest.mark.parametrize("name,data", BAD_FRAMES, ids=[n for n, _ in BAD_FRAMES])
@pytest.mark.parametrize("state", ["fresh", "authed"])
def test_bad_frame_closes_only_that_connection(server, bystander, name, data, state):
    c = server.login("demo") if state == "authed" else server.connect()
    with c:
        c.send_raw(data)
        _check_bad_frame_reply(c, name)
        c.expect_closed()
    # Everyone else is still served: the open session and a new one.
    assert bystander.ok("pwd")["path"] == "/"
    assert bystander.ok("ls")["status"] == 200
    with server.login("demo") as fresh:
        assert fresh.ok("pwd")["path"] == "/"
    server.assert_alive()


def test_length_is_checked_before_reading(server, bystander):
    """A huge length must be refused at once, without waiting for its bytes."""
    with server.login("demo") as c:
        t0 = time.monotonic()
        c.send_raw(struct.pack(">I", 0x7FFFFFFF) + b'{"op":"pwd"')
        _check_bad_frame_reply(c, "length 2^31-1")
        assert time.monotonic() - t0 < 3
        c.expect_closed()
    assert bystander.ok("pwd")["path"] == "/"


def test_header_of_exactly_65536_bytes_is_accepted(server):
    with server.login("demo") as c:
        base = {"op": "pwd", "id": 77, "pad": ""}
        size = len(json.dumps(base, separators=(",", ":")))
        base["pad"] = "p" * (65536 - size)
        hdr = json.dumps(base, separators=(",", ":")).encode()
        assert len(hdr) == 65536
        c.send_raw(frame_raw(hdr))
        r = c.recv_header()
        assert r.get("id") == 77 and r.get("status") == 200 and r.get("path") == "/", r


# Valid JSON objects that are not valid requests: 400, connection stays open.
BAD_REQUESTS = [
    ("missing_op", {"id": 7}, 7),
    ("missing_id", {"op": "pwd"}, None),
    ("op_not_string", {"op": 5, "id": 8}, 8),
    ("op_null", {"op": None, "id": 9}, 9),
    ("id_string", {"op": "pwd", "id": "ten"}, None),
    ("id_negative", {"op": "pwd", "id": -3}, None),
    ("id_float", {"op": "pwd", "id": 1.5}, None),
    ("path_number", {"op": "stat", "id": 10, "path": 7}, 10),
    ("path_list", {"op": "cd", "id": 11, "path": ["/"]}, 11),
    ("cd_missing_path", {"op": "cd", "id": 12}, 12),
    ("mkdir_parents_string", {"op": "mkdir", "id": 13, "path": "pbad", "parents": "yes"}, 13),
    ("mv_missing_to", {"op": "mv", "id": 14, "from": "a"}, 14),
    ("mv_to_number", {"op": "mv", "id": 15, "from": "a", "to": 1}, 15),
    ("unknown_op", {"op": "frobnicate", "id": 16}, 16),
    ("empty_op", {"op": "", "id": 17}, 17),
]


@pytest.mark.parametrize("name,header,echo_id", BAD_REQUESTS, ids=[n for n, _, _ in BAD_REQUESTS])
def test_bad_request_keeps_connection(server, bystander, name, header, echo_id):
    server.clean_home("demo")
    (server.home("demo") / "a").write_text("a")
    with server.login("demo") as c:
        c.send(header)
        r = c.recv_header()
        assert r.get("status") == 400 and r.get("error") == "bad_request", f"{name}: {r!r}"
        assert isinstance(r.get("message"), str) and r["message"], r
        if echo_id is not None:
            assert r.get("id") == echo_id, f"{name}: reply must echo the id: {r!r}"
        # same connection still works
        p = c.req("pwd")
        assert p["status"] == 200 and p["path"] == "/", f"{name}: after the bad request: {p!r}"
    assert bystander.ok("pwd")["path"] == "/"
    assert not (server.home("demo") / "pbad").exists(), "mkdir with a bad field ran anyway"
    assert (server.home("demo") / "a").read_text() == "a", "mv with a bad field ran anyway"


def test_first_frame_must_be_hello(server, bystander):
    with server.connect() as c:
        r = c.req("pwd")
        check_error(r, 400, "bad_request", "pwd as first frame")
        h = c.hello()
        assert h["status"] == 200, f"hello after a refused first frame: {h!r}"
        r = c.auth("demo", server.password("demo"))
        assert r["status"] == 200, r
        assert c.ok("pwd")["path"] == "/"
    assert bystander.ok("pwd")["path"] == "/"


def test_auth_before_hello_refused(server):
    with server.connect() as c:
        r = c.req("auth", mechanism="SCRAM-SHA-256", data="n,,n=demo,r=abcdefgh")
        check_error(r, 400, "bad_request", "auth as first frame")
        assert c.hello()["status"] == 200


def test_unsupported_mechanism(server):
    with server.connect(source_ip="127.0.0.31") as c:
        c.hello()
        r = c.req("auth", mechanism="PLAIN", data="\0demo\0x")
        assert r["status"] in (400, 401), r
        assert r["status"] != 100 and r["status"] != 200, r


def test_frame_split_byte_by_byte(server):
    """No read guesses where a message ends: a frame dribbled one byte at a
    time, and the next one split across its length prefix, both work."""
    with server.login("demo") as c:
        data = encode_frame({"op": "pwd", "id": 500}) + encode_frame({"op": "quota", "id": 501})
        for i in range(len(data)):
            c.send_raw(data[i:i + 1])
            time.sleep(0.002)
        r1 = c.recv_header()
        r2 = c.recv_header()
        assert r1.get("id") == 500 and r1.get("path") == "/", r1
        assert r2.get("id") == 501 and r2.get("status") == 200, r2


def test_pipelined_requests_answered_in_order(server):
    server.clean_home("demo")
    with server.login("demo") as c:
        reqs = []
        for i in range(60):
            if i % 3 == 0:
                reqs.append({"op": "mkdir", "id": 1000 + i, "path": f"p{i}", "parents": False})
            elif i % 3 == 1:
                reqs.append({"op": "stat", "id": 1000 + i, "path": f"p{i - 1}"})
            else:
                reqs.append({"op": "stat", "id": 1000 + i, "path": "missing"})
        c.send_raw(b"".join(encode_frame(r) for r in reqs))
        for r in reqs:
            reply = c.recv_header()
            assert reply.get("id") == r["id"], f"out of order: expected {r['id']}, got {reply!r}"
            if r["op"] == "mkdir":
                assert reply["status"] in (200, 201), reply
            elif r["path"] == "missing":
                check_error(reply, 404, "not_found", "stat missing")
            else:
                assert reply["status"] == 200 and reply["entry"]["type"] == "dir", reply
    assert sorted(p.name for p in server.home("demo").iterdir()) == sorted(
        f"p{i}" for i in range(0, 60, 3))


def test_stalled_partial_frame_does_not_block_others(server, bystander):
    full = b'{"op":"pwd","id":99'
    full = full + b" " * (199 - len(full)) + b"}"
    assert len(full) == 200
    with server.login("demo") as stalled:
        stalled.send_raw(struct.pack(">I", len(full)) + full[:6])
        t0 = time.monotonic()
        for _ in range(20):
            assert bystander.ok("pwd")["path"] == "/"
        with server.login("demo") as c:
            assert c.ok("ls")["status"] == 200
        assert time.monotonic() - t0 < 5
        # the stalled connection completes its frame later and is answered
        stalled.send_raw(full[6:])
        r = stalled.recv_header()
        assert r.get("id") == 99 and r.get("path") == "/", r


def test_many_bad_connections_do_not_hurt(server, bystander):
    for name, data in BAD_FRAMES * 3:
        with server.connect() as c:
            c.send_raw(data)
            _check_bad_frame_reply(c, name)
    assert bystander.ok("pwd")["path"] == "/"
    server.assert_alive()
