"""docs/protocol.md checked against a live ferryd and against the source.

The wire spec is only useful if it is right, so its examples are executable.

Example convention (docs/protocol.md, section 1). A fenced block tagged `wire`
is one conversation; each line is one step:

    > {...}        the client sends a frame with exactly this JSON header text
    < {...}        the server must send a frame with this header
    = "..."        the raw body of the frame on the line before (a JSON string;
                   its UTF-8 bytes are the body, and must be header["body"] long)
    > raw HEX      the client sends these bytes as they are
    < EOF          the server must close the connection

Tags after `wire` choose the connection the block starts on:
    (none)         plain TCP, hello + login as "demo", home emptied first
    user=NAME      the same as user NAME (a conftest account)
    fresh          a new plain connection, nothing sent yet
    tls            a new TLS connection, nothing sent yet
    exec           logged in as "runner" (exec = true) on a ferryd that serves
                   as an unprivileged service user, so commands can run
    scram-example  the SCRAM worked example: not replayed as is (the server
                   draws a new nonce each time), checked by test_scram_* below

Placeholders in expected replies (`<` lines), for what varies between runs:
    "<int>"        any non-negative integer (mtimes, modes, sizes on disk)
    "<str>"        any string
    "<any>"        any value
    "<re:REGEX>"   a string that matches REGEX as a whole
Everything else must be equal, and a reply must have exactly the documented
keys (none missing, none extra), so a field the server adds or drops fails
the test until the document says it.

Besides the replay: the SCRAM worked example is recomputed from its inputs
with hashlib/hmac and used for a real login; the error table (between the
`errc-table` markers) must be row for row the table in src/proto/errc.cpp
(and the enum names of src/proto/errc.hpp); every error in an example must
be a row of it; and no document may point outside the repository.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import conftest
import ferry_wire
from ferry_wire import Conn

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "protocol.md"
ERRC_CPP = REPO / "src" / "proto" / "errc.cpp"
ERRC_HPP = REPO / "src" / "proto" / "errc.hpp"

KNOWN_TAGS = {"fresh", "tls", "exec", "scram-example"}
EXEC_USER = ("runner", "runner-pass")
BYE_ID = 999999

# ---------------------------------------------------------------- parsing


def _doc_text():
    return DOC.read_text(encoding="utf-8")


def fenced_blocks(text, lang):
    """[(line number, tags, [(line number, text), ...])] of ```LANG blocks."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append((i + 1, lines[i]))
            i += 1
        i += 1  # the closing fence
        if m.group(1) == lang:
            out.append((start, m.group(2).split(), body))
    return out


def parse_steps(block_line, body):
    """The steps of a wire block: ("send", header text, header, body bytes),
    ("raw", bytes), ("recv", expected header, expected body or None), ("eof",)."""
    steps = []
    for n, line in body:
        where = f"protocol.md:{n}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("> raw "):
            steps.append(("raw", bytes.fromhex(line[6:].replace(" ", "")), n))
        elif line.startswith("> "):
            text = line[2:]
            header = json.loads(text)
            assert isinstance(header, dict), f"{where}: not an object"
            steps.append(["send", text, header, b"", n])
        elif line == "< EOF":
            steps.append(("eof", n))
        elif line.startswith("< "):
            header = json.loads(line[2:])
            assert isinstance(header, dict), f"{where}: not an object"
            steps.append(["recv", header, None, n])
        elif line.startswith("= "):
            body_bytes = json.loads(line[2:]).encode("utf-8")
            assert steps and steps[-1][0] in ("send", "recv"), f"{where}: a body line must follow a frame"
            prev = steps[-1]
            header = prev[2] if prev[0] == "send" else prev[1]
            assert header.get("body") == len(body_bytes), (
                f"{where}: the body is {len(body_bytes)} bytes, the header says {header.get('body')!r}")
            if prev[0] == "send":
                prev[3] = body_bytes
            else:
                prev[2] = body_bytes
        else:
            raise AssertionError(f"{where}: not a wire example line: {line!r}")
    for s in steps:
        if s[0] == "send" and s[2].get("body", 0) and not s[3]:
            raise AssertionError(f"protocol.md:{s[4]}: the frame announces a body but no `=` line gives it")
        if s[0] == "recv" and isinstance(s[1].get("body"), int) and s[1]["body"] > 0 and s[2] is None:
            raise AssertionError(f"protocol.md:{s[3]}: the reply has a body but no `=` line gives it")
    assert steps, f"protocol.md:{block_line}: empty wire example"
    return steps


def matches(expected, actual, where="reply"):
    """Asserts `actual` is `expected` with the placeholder convention."""
    if isinstance(expected, str) and expected.startswith("<") and expected.endswith(">"):
        if expected == "<any>":
            return
        if expected == "<int>":
            assert isinstance(actual, int) and not isinstance(actual, bool) and actual >= 0, (
                f"{where}: expected an integer, got {actual!r}")
            return
        if expected == "<str>":
            assert isinstance(actual, str), f"{where}: expected a string, got {actual!r}"
            return
        if expected.startswith("<re:"):
            assert isinstance(actual, str) and re.fullmatch(expected[4:-1], actual), (
                f"{where}: {actual!r} does not match {expected[4:-1]!r}")
            return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(expected) == set(actual), (
            f"{where}: keys differ: documented {sorted(expected)}, server sent {sorted(actual)}")
        for k in expected:
            matches(expected[k], actual[k], f"{where}.{k}")
        return
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: expected {expected!r}, got {actual!r}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            matches(e, a, f"{where}[{i}]")
        return
    assert type(expected) is type(actual) and expected == actual, (
        f"{where}: documented {expected!r}, server sent {actual!r}")


WIRE_BLOCKS = fenced_blocks(_doc_text(), "wire")
REPLAYED = [b for b in WIRE_BLOCKS if "scram-example" not in b[1]]


def _block_id(b):
    return f"L{b[0]}" + ("-" + "-".join(b[1]) if b[1] else "")


# ---------------------------------------------------------------- servers


def _tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(VERSION)


@pytest.fixture(scope="module")
def exec_server():
    """A ferryd that can run commands: root owned by a service user (ferryd
    drops to it), an account "runner" with exec = true."""
    if os.geteuid() != 0:
        pytest.skip("exec examples need root (ferryd must serve as a service user)")
    if _landlock_abi() < 6:
        pytest.skip("this kernel lacks Landlock ABI 6: exec is refused")
    pw = conftest.service_account()
    base = Path(tempfile.mkdtemp(prefix="ferry-docexec."))
    os.chmod(base, 0o755)
    root = conftest._init_root(base)
    conftest.must_ferryd("user", "add", EXEC_USER[0], "--root", root, "--password-stdin", "--exec",
                         input=EXEC_USER[1] + "\n")
    subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", str(root)], check=True)
    log_path = base / "ferryd.log"
    proc, port, extra, _ = conftest._spawn(root, log_path)
    s = conftest.Server(base, root, proc, port, log_path)
    s.extra_stdout = extra
    yield s
    conftest._stop_server(s)
    shutil.rmtree(base, ignore_errors=True)


def _open(request, server, tags):
    """The connection a block starts on (see the module docstring)."""
    unknown = [t for t in tags if t not in KNOWN_TAGS and not t.startswith("user=")]
    assert not unknown, f"unknown wire example tags {unknown}"
    if "fresh" in tags:
        return Conn(server.port)
    if "tls" in tags:
        return Conn(server.port, tls=_tls_context())
    if "exec" in tags:
        srv = request.getfixturevalue("exec_server")
        home = srv.root / "home" / EXEC_USER[0]
        for p in home.iterdir():
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        c = Conn(srv.port)
        c.login(*EXEC_USER)
        return c
    user = next((t.split("=", 1)[1] for t in tags if t.startswith("user=")), "demo")
    server.clean_home(user)
    c = Conn(server.port)
    c.login(user, server.password(user))
    return c


def replay(c, steps):
    for step in steps:
        kind = step[0]
        if kind == "raw":
            c.send_raw(step[1])
        elif kind == "send":
            _, text, header, body, n = step
            c.send_raw(ferry_wire.frame_raw(text.encode("utf-8"), body))
        elif kind == "recv":
            expected, ebody, n = step[1], step[2], step[3]
            try:
                header, body = c.recv()
            except (EOFError, OSError) as e:
                raise AssertionError(f"protocol.md:{n}: expected {expected!r}, but {e}")
            matches(expected, header, f"protocol.md:{n}")
            if ebody is not None or body:
                assert body == (ebody or b""), f"protocol.md:{n}: body {body!r}, documented {ebody!r}"
        elif kind == "eof":
            try:
                c.expect_closed()
            except AssertionError as e:
                raise AssertionError(f"protocol.md:{step[1]}: {e}")
            return True
    return False


@pytest.mark.parametrize("block", REPLAYED, ids=[_block_id(b) for b in REPLAYED])
def test_wire_example(request, server, block):
    line, tags, body = block
    steps = parse_steps(line, body)
    c = _open(request, server, tags)
    try:
        closed = replay(c, steps)
        if not closed:
            # End cleanly, and wait for the server to be done with the
            # session (the next block may log in as the same user).
            c.send({"op": "bye", "id": BYE_ID})
            h = c.recv_header()
            assert h == {"id": BYE_ID, "status": 200}, (
                f"protocol.md:{line}: a frame the example does not show: {h!r}")
            c.expect_closed()
    finally:
        c.close()
    server.assert_alive()


def test_examples_exist():
    # Every section that promises examples has some; the replay covers them.
    assert len(REPLAYED) >= 20, f"only {len(REPLAYED)} wire examples found in {DOC}"
    ops_seen = set()
    for _, _, body in WIRE_BLOCKS:
        for _, line in body:
            if line.startswith("> {"):
                ops_seen.add(json.loads(line[2:]).get("op"))
    for op in ("hello", "auth", "bye", "pwd", "cd", "ls", "stat", "mkdir", "rmdir", "rm", "mv", "quota",
               "hash", "get", "put", "data", "commit", "exec", "exec_input", "exec_signal"):
        assert op in ops_seen, f"no wire example sends op {op!r}"


# ---------------------------------------------------------------- SCRAM


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def scram_values(user, password, salt, iterations, cnonce, snonce, gs2="n,,", cb_data=b""):
    """Every value of an RFC 5802 / 7677 exchange, computed here."""
    v = {}
    sp = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    ck = hmac.new(sp, b"Client Key", hashlib.sha256).digest()
    stk = hashlib.sha256(ck).digest()
    sk = hmac.new(sp, b"Server Key", hashlib.sha256).digest()
    escaped = user.replace("=", "=3D").replace(",", "=2C")
    v["client-first-bare"] = f"n={escaped},r={cnonce}"
    v["client-first"] = gs2 + v["client-first-bare"]
    v["server-first"] = f"r={cnonce}{snonce},s={_b64(salt)},i={iterations}"
    v["client-final-without-proof"] = f"c={_b64(gs2.encode() + cb_data)},r={cnonce}{snonce}"
    am = ",".join([v["client-first-bare"], v["server-first"], v["client-final-without-proof"]])
    cs = hmac.new(stk, am.encode("utf-8"), hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(ck, cs))
    ss = hmac.new(sk, am.encode("utf-8"), hashlib.sha256).digest()
    v.update({
        "salt (hex)": salt.hex(), "salt (base64)": _b64(salt),
        "SaltedPassword": sp.hex(), "ClientKey": ck.hex(), "StoredKey": stk.hex(),
        "ServerKey": sk.hex(), "AuthMessage": am, "ClientSignature": cs.hex(),
        "ClientProof": proof.hex(), "ClientProof (base64)": _b64(proof),
        "ServerSignature": ss.hex(), "ServerSignature (base64)": _b64(ss),
        "verifier": f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stk)}:{_b64(sk)}",
    })
    v["client-final"] = v["client-final-without-proof"] + ",p=" + v["ClientProof (base64)"]
    v["server-final"] = "v=" + v["ServerSignature (base64)"]
    return v


def test_scram_recompute_matches_rfc7677():
    # The recomputation itself is checked on the RFC 7677 section 3 vector.
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    v = scram_values("user", "pencil", salt, 4096, "rOprNGfwEbeRWgbNEkqO",
                     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    assert v["ClientProof (base64)"] == "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    assert v["ServerSignature (base64)"] == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def _scram_doc():
    blocks = fenced_blocks(_doc_text(), "scram-example")
    assert len(blocks) == 1, "docs/protocol.md needs exactly one ```scram-example block"
    doc = {}
    for _, line in blocks[0][2]:
        if line.strip():
            k, v = line.split(": ", 1)
            doc[k] = v
    frames = [b for b in WIRE_BLOCKS if "scram-example" in b[1]]
    assert len(frames) == 1, "docs/protocol.md needs exactly one ```wire scram-example block"
    return doc, parse_steps(frames[0][0], frames[0][2])


def _inputs(doc):
    return dict(user=doc["user"], password=doc["password"], salt=bytes.fromhex(doc["salt (hex)"]),
                iterations=int(doc["iterations"]), cnonce=doc["client nonce"], snonce=doc["server nonce"])


def test_scram_example_values_follow_from_inputs():
    doc, _ = _scram_doc()
    v = scram_values(**_inputs(doc))
    given = set(doc) - {"user", "password", "iterations", "client nonce", "server nonce"}
    for k in sorted(given):
        assert k in v, f"scram-example: unknown value {k!r}"
        assert doc[k] == v[k], f"scram-example: {k} is documented as {doc[k]!r}, computed {v[k]!r}"
    for k in ("SaltedPassword", "ClientKey", "StoredKey", "ServerKey", "AuthMessage", "ClientSignature",
              "ClientProof", "ServerSignature", "verifier"):
        assert k in doc, f"scram-example: {k} is missing"


def test_scram_example_frames_carry_the_values():
    doc, steps = _scram_doc()
    v = scram_values(**_inputs(doc))
    sent = [s[2] for s in steps if s[0] == "send"]
    got = [s[1] for s in steps if s[0] == "recv"]
    assert [h["op"] for h in sent] == ["hello", "auth", "auth"]
    assert sent[1]["mechanism"] == "SCRAM-SHA-256" and "mechanism" not in sent[2]
    assert sent[1]["data"] == v["client-first"]
    assert got[1]["status"] == 100 and got[1]["data"] == v["server-first"]
    assert sent[2]["data"] == v["client-final"]
    assert got[2] == {"id": sent[2]["id"], "status": 200, "data": v["server-final"], "user": doc["user"]}


def _add_account_with_verifier(server, user, password, verifier):
    """Creates `user` (home and all) with `ferryd user add`, then puts the
    documented verifier in accounts.toml in place of the random-salt one."""
    accounts = server.root / "accounts.toml"
    if f"[users.{user}]" not in accounts.read_text():
        conftest.must_ferryd("user", "add", user, "--root", server.root, "--password-stdin",
                             input=password + "\n")
    text = accounts.read_text()
    section = text.index(f"[users.{user}]")
    line = re.compile(r'^scram = "[^"]*"$', re.M).search(text, section)
    text = text[:line.start()] + f'scram = "{verifier}"' + text[line.end():]
    accounts.write_text(text)
    # The server re-reads the file when its mtime or size changes: make sure.
    st = accounts.stat()
    os.utime(accounts, (st.st_atime, st.st_mtime + 2))


def test_scram_example_live_login(server):
    """The worked example's account logs in on a real server: same client
    frames (but the server's own nonce), same salt and iterations."""
    doc, steps = _scram_doc()
    inp = _inputs(doc)
    v = scram_values(**inp)
    _add_account_with_verifier(server, inp["user"], inp["password"], doc["verifier"])
    sends = [s for s in steps if s[0] == "send"]
    recvs = [s for s in steps if s[0] == "recv"]
    with Conn(server.port) as c:
        # hello and client-first exactly as documented
        replay(c, [sends[0], recvs[0], sends[1]])
        h = c.recv_header()
        snonce_re = r"[A-Za-z0-9+/]{24}"
        expected = dict(recvs[1][1], data="<re:" + re.escape(f"r={inp['cnonce']}") + snonce_re +
                        re.escape(f",s={doc['salt (base64)']},i={inp['iterations']}") + ">")
        matches(expected, h, "live server-first")
        snonce = h["data"].split(",")[0][2 + len(inp["cnonce"]):]
        live = scram_values(**dict(inp, snonce=snonce))
        final = dict(sends[2][2], data=live["client-final"])
        c.send(final)
        h = c.recv_header()
        matches(dict(recvs[2][1], data=live["server-final"]), h, "live server-final")
        # and logged in for real
        assert c.req("pwd") == {"id": c.next_id - 1, "status": 200, "path": "/"}
        c.bye()
    # The documented proof is the one for the documented server nonce only.
    assert v["client-final"] != live["client-final"]


# ---------------------------------------------------------------- errors


def _source_table():
    src = ERRC_CPP.read_text()
    body = src[src.index("table{{"):src.index("}};")]
    rows = re.findall(r'\{(\d+),\s*"([^"]*)",\s*(\d+),\s*"([^"]*)"\}', body)
    hpp = ERRC_HPP.read_text()
    enum = hpp[hpp.index("enum class errc {"):]
    enum = enum[:enum.index("};")]
    names = re.findall(r"^\s*(\w+)\s*(?:=\s*0)?,", enum, re.M)
    assert len(names) == len(rows), f"errc.hpp has {len(names)} codes, errc.cpp {len(rows)} rows"
    return [(n, int(s), e, int(f), t) for n, (s, e, f, t) in zip(names, rows)]


def _doc_table():
    text = _doc_text()
    start = text.index("<!-- errc-table")
    end = text.index("<!-- /errc-table -->")
    rows = []
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[1].isdigit():
            continue
        rows.append((cells[0], int(cells[1]), cells[2], int(cells[3]), cells[4]))
    return rows


def test_error_table_is_the_source_table():
    doc, src = _doc_table(), _source_table()
    assert len(src) >= 30
    missing = [r for r in src if r not in doc]
    extra = [r for r in doc if r not in src]
    assert not missing and not extra, (
        f"docs/protocol.md error table differs from src/proto/errc.cpp:\n"
        f"  in the source, not the doc: {missing}\n  in the doc, not the source: {extra}")
    assert doc == src, "the error table is not in the source's order"
    doc_errors = {r[2] for r in doc}
    src_text = ERRC_CPP.read_text()
    for e in doc_errors:
        assert f'"{e}"' in src_text, f"error {e!r} is not in errc.cpp"


def test_status_list_matches_table():
    text = _doc_text()
    m = re.search(r"So the statuses a client can see are ([0-9,\s and]+)\.", text)
    assert m, "the list of statuses after the error table is missing"
    listed = {int(x) for x in re.findall(r"\d+", m.group(1))}
    assert listed == {r[1] for r in _source_table()} | {100, 201}


def test_example_errors_are_table_rows():
    rows = {(r[1], r[2]) for r in _source_table()}
    for line_no, _, body in WIRE_BLOCKS:
        for n, line in body:
            if line.startswith("< {"):
                h = json.loads(line[2:])
                if "error" in h:
                    assert (h["status"], h["error"]) in rows, (
                        f"protocol.md:{n}: {h['status']} {h['error']} is not a row of the error table")
                    assert isinstance(h.get("message"), str) and h["message"], f"protocol.md:{n}: no message"


# ---------------------------------------------------------------- self-contained


def test_docs_point_nowhere_outside_the_repository():
    for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = p.read_text(encoding="utf-8")
        for bad in ("DESIGN", "../shared", "design brief"):
            assert bad not in text, f"{p.relative_to(REPO)} refers to {bad!r}, which a clone does not have"
    # Relative links between the documents resolve.
    for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", p.read_text(encoding="utf-8")):
            assert (p.parent / target).exists(), f"{p.relative_to(REPO)} links to missing {target}"


def test_anchors_in_contents_resolve():
    text = _doc_text()
    headings = re.findall(r"^#+ (.+)$", text, re.M)

    def slug(h):
        s = h.strip().lower()
        s = re.sub(r"[^\w\- ]", "", s)
        return s.replace(" ", "-")

    slugs = {slug(h) for h in headings}
    for a in re.findall(r"\]\(#([^)]+)\)", text):
        assert a in slugs, f"protocol.md links to #{a}, no such heading"
