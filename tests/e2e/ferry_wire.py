"""Wire helpers for the ferry end-to-end tests (docs/protocol.md).

A frame is a u32 big-endian length N, N bytes of UTF-8 JSON object, then
header["body"] raw bytes. This module has a minimal blocking client (`Conn`)
and a SCRAM-SHA-256 client (RFC 5802 / RFC 7677) written from the RFCs, so
the tests never share code with the server they check.

Every reply header received by any `Conn` is appended to `TRANSCRIPT`, so a
fixture can check afterwards that no reply ever leaked a real server path.
"""

import base64
import functools
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import threading

DEFAULT_TIMEOUT = 10.0

# Raw reply headers (bytes) and bodies seen by every Conn in this process.
TRANSCRIPT = []
_TRANSCRIPT_LOCK = threading.Lock()


def _record(raw):
    with _TRANSCRIPT_LOCK:
        TRANSCRIPT.append(raw)


# ---------------------------------------------------------------- framing


def encode_header(header):
    """JSON bytes of a header dict (ASCII-only, so always valid UTF-8)."""
    return json.dumps(header, separators=(",", ":")).encode("ascii")


def frame_raw(header_bytes, body=b""):
    """One frame from pre-encoded header bytes (may be deliberately invalid)."""
    return struct.pack(">I", len(header_bytes)) + header_bytes + body


def encode_frame(header, body=b""):
    if body:
        header = dict(header, body=len(body))
    return frame_raw(encode_header(header), body)


class ProtocolError(Exception):
    pass


class Conn:
    """A blocking connection to ferryd speaking the native protocol."""

    def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT, source_ip=None,
                 tls=None):
        # source_ip (e.g. "127.0.0.7") gives a test its own client address, so
        # the server's per-address failed-login throttle of one test does not
        # slow down another. `tls`: an ssl.SSLContext to speak TLS (the native
        # port tells TLS from plain by the first byte).
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source_ip, 0) if source_ip else None)
        self.sock.settimeout(timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=host)
        self.next_id = 1
        self.closed = False

    # -- raw I/O
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, header, body=b""):
        self.sock.sendall(encode_frame(header, body))

    def _recv_exact(self, n):
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError("connection closed by server")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def recv(self):
        """Returns (header dict, body bytes). EOFError on a closed connection."""
        head = self._recv_exact(4)
        (n,) = struct.unpack(">I", head)
        if n < 1 or n > 65536:
            raise ProtocolError(f"server sent a frame with length {n}")
        raw = self._recv_exact(n)
        _record(raw)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError(f"server sent an invalid header {raw[:200]!r}: {e}")
        if not isinstance(header, dict):
            raise ProtocolError(f"server sent a non-object header {raw[:200]!r}")
        body_len = header.get("body", 0)
        body = self._recv_exact(body_len) if body_len else b""
        if body:
            _record(body)
        return header, body

    def recv_header(self):
        return self.recv()[0]

    def expect_closed(self, timeout=5.0):
        """Asserts the server closes the connection (EOF or reset) without
        sending another frame within `timeout` seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return
        except socket.timeout:
            raise AssertionError(
                f"server did not close the connection within {timeout} s")
        if data:
            raise AssertionError(
                f"expected the server to close the connection, got more bytes: {data[:200]!r}")

    # -- requests
    def alloc_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def request(self, header, body=b""):
        """Sends `header` (an "id" is added when missing) and returns the reply
        header. Checks that the reply echoes the id."""
        if "id" not in header:
            header = dict(header, id=self.alloc_id())
        self.send(header, body)
        reply = self.recv_header()
        assert reply.get("id") == header["id"], (
            f"reply id {reply.get('id')!r} does not echo request id {header['id']!r}: "
            f"request {header!r} reply {reply!r}")
        assert isinstance(reply.get("status"), int), f"reply without integer status: {reply!r}"
        return reply

    def req(self, op, **fields):
        return self.request(dict(op=op, **fields))

    def ok(self, op, **fields):
        """A request that must succeed (200, or 201 for creations)."""
        reply = self.req(op, **fields)
        assert reply["status"] in (200, 201), f"{op} {fields!r} failed: {reply!r}"
        return reply

    def fails(self, op, status, error, **fields):
        reply = self.req(op, **fields)
        check_error(reply, status, error, f"{op} {fields!r}")
        return reply

    def hello(self, version=1):
        return self.req("hello", version=version, client="ferry-e2e/1")

    def login(self, user, password, cnonce=None):
        """hello + SCRAM. Returns the final auth reply (raises on failure)."""
        h = self.hello()
        assert h["status"] == 200, f"hello failed: {h!r}"
        final = self.auth(user, password, cnonce)
        assert final["status"] == 200, f"login of {user!r} failed: {final!r}"
        return final

    def auth(self, user, password, cnonce=None, mechanism="SCRAM-SHA-256", gs2="n,,",
             cb_data=b""):
        """Runs the SCRAM exchange; returns the last reply (100-step failures
        are returned as they are). On success verifies the server signature.
        `gs2`/`cb_data`: the GS2 header and channel-binding bytes to claim."""
        sc = ScramClient(user, password, cnonce, gs2=gs2, cb_data=cb_data)
        first = self.req("auth", mechanism=mechanism, data=sc.client_first())
        if first["status"] != 100:
            return first
        self.last_server_first = first["data"]
        final = self.req("auth", data=sc.client_final(first["data"]))
        if final["status"] == 200:
            assert sc.verify_server_final(final.get("data", "")), (
                f"server signature did not verify: {final!r}")
        return final

    # -- transfers (docs/protocol.md: get, put, data, commit, inline put)
    def send_stream(self, header, data, chunk=1 << 20):
        """Sends one frame whose body is `data` (bytes-like, may be large),
        written in `chunk`-sized pieces. header["body"] is set to len(data)."""
        header = dict(header, body=len(data))
        self.sock.sendall(frame_raw(encode_header(header)))
        view = memoryview(data)
        for i in range(0, len(view), chunk):
            self.sock.sendall(view[i:i + chunk])

    def send_partial_frame(self, header, announced, data):
        """Sends a frame header announcing `announced` body bytes, then only
        `data` (fewer bytes): the rest of the frame never comes."""
        assert len(data) < announced
        header = dict(header, body=announced)
        self.sock.sendall(frame_raw(encode_header(header)) + bytes(data))

    def get(self, path, offset=None, algo=None, id=None):
        """Sends a get and reads its reply. Returns (reply, body, trailer):
        on an error reply body is b"" and trailer None; on success the trailer
        is the second reply with the same id."""
        rid = self.alloc_id() if id is None else id
        h = {"op": "get", "id": rid, "path": path}
        if offset is not None:
            h["offset"] = offset
        if algo is not None:
            h["algo"] = algo
        self.send(h)
        reply, body = self.recv()
        assert reply.get("id") == rid, f"get reply id mismatch: {h!r} -> {reply!r}"
        if reply.get("status") != 200:
            assert not body, f"an error reply to get carried a body: {reply!r}"
            return reply, b"", None
        trailer, tbody = self.recv()
        assert trailer.get("id") == rid, f"get trailer id mismatch: {h!r} -> {trailer!r}"
        assert not tbody, f"get trailer carried a body: {trailer!r}"
        return reply, body, trailer

    def put_open(self, path, size, algo="xxh128", resume=None, id=None):
        """Sends a put (not inline) and returns its reply (offset step)."""
        rid = self.alloc_id() if id is None else id
        h = {"op": "put", "id": rid, "path": path, "size": size, "algo": algo}
        if resume is not None:
            h["resume"] = resume
        return self.request(h)

    def put_data(self, rid, data, frame_size=1 << 20):
        """Sends `data` as data frames of at most `frame_size` bytes for the
        upload opened by put id `rid` (data frames get no reply)."""
        view = memoryview(data)
        for i in range(0, len(view), frame_size):
            self.send_stream({"op": "data", "id": rid}, view[i:i + frame_size])

    def put_commit(self, rid, algo, digest):
        return self.request({"op": "commit", "id": rid, "algo": algo, "digest": digest})

    def put_file(self, path, data, algo="xxh128", digest=None, resume=None,
                 frame_size=1 << 20):
        """A whole put: offset step, the bytes from the offset the server asks
        for, commit with the true digest of `data` (or `digest`). Returns
        (put reply, commit reply); commit reply is None when put failed."""
        rid = self.alloc_id()
        r = self.put_open(path, len(data), algo=algo, resume=resume, id=rid)
        if r["status"] != 200:
            return r, None
        off = r.get("offset")
        assert isinstance(off, int) and 0 <= off <= len(data), f"bad put offset: {r!r}"
        self.put_data(rid, memoryview(data)[off:], frame_size)
        c = self.put_commit(rid, algo, digest if digest is not None else digest_of(algo, data))
        return r, c

    def put_inline(self, path, data, algo="xxh128", digest=None, size=None, id=None):
        """Inline put: header with digest and the whole file as its body."""
        rid = self.alloc_id() if id is None else id
        h = {"op": "put", "id": rid, "path": path,
             "size": len(data) if size is None else size, "algo": algo,
             "digest": digest if digest is not None else digest_of(algo, data)}
        if data:
            self.send_stream(h, data)
        else:
            self.send(h)
        reply = self.recv_header()
        assert reply.get("id") == rid, f"inline put reply id mismatch: {h!r} -> {reply!r}"
        return reply

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def bye(self):
        try:
            self.req("bye")
        finally:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_error(reply, status, error, what=""):
    assert reply.get("status") == status and reply.get("error") == error, (
        f"{what}: expected {status} {error}, got {reply!r}")
    assert isinstance(reply.get("message"), str) and reply["message"], (
        f"{what}: error reply without a message: {reply!r}")


# ---------------------------------------------------------------- digests

ALGOS = ("xxh128", "sha256", "md5")


def digest_of(algo, data):
    """Lowercase hex digest of bytes, computed independently of ferry:
    hashlib for sha256/md5, the `xxhsum -H2` binary for xxh128."""
    if algo == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algo == "md5":
        return hashlib.md5(data).hexdigest()
    if algo == "xxh128":
        r = subprocess.run(["xxhsum", "-H2", "-"], input=bytes(data), capture_output=True,
                           check=True, timeout=60)
        return r.stdout.split()[0].decode("ascii")
    raise ValueError(algo)


def digest_of_file(algo, path):
    """Digest of a file by the system tool: xxhsum -H2, sha256sum, md5sum."""
    tool = {"xxh128": ["xxhsum", "-H2"], "sha256": ["sha256sum"], "md5": ["md5sum"]}[algo]
    r = subprocess.run([*tool, str(path)], capture_output=True, check=True, timeout=120)
    return r.stdout.split()[0].decode("ascii")


# ---------------------------------------------------------------- SCRAM


def _b64(b):
    return base64.b64encode(b).decode("ascii")


@functools.lru_cache(maxsize=256)
def salted_password(password, salt, iterations):
    """Hi(Normalize(password), salt, i) of RFC 5802 (ASCII passwords: SASLprep
    is the identity)."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def parse_scram_attrs(message):
    out = {}
    for part in message.split(","):
        if "=" not in part or len(part.split("=", 1)[0]) != 1:
            raise ValueError(f"malformed SCRAM attribute {part!r} in {message!r}")
        k, v = part.split("=", 1)
        out[k] = v
    return out


def scram_escape_user(user):
    return user.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    """SCRAM-SHA-256 client side, RFC 5802 section 3 / RFC 7677."""

    def __init__(self, user, password, cnonce=None, gs2="n,,", cb_data=b""):
        self.user = user
        self.password = password
        self.gs2 = gs2
        self.cb_data = cb_data
        self.cnonce = cnonce or _b64(os.urandom(18)).replace("+", "-").replace("/", "_")
        self.client_first_bare = f"n={scram_escape_user(user)},r={self.cnonce}"
        self.server_signature = None

    def client_first(self):
        return self.gs2 + self.client_first_bare

    def client_final(self, server_first):
        attrs = parse_scram_attrs(server_first)
        nonce, salt_b64, iters = attrs["r"], attrs["s"], int(attrs["i"])
        if not nonce.startswith(self.cnonce) or len(nonce) <= len(self.cnonce):
            raise ValueError(f"server nonce {nonce!r} does not extend ours {self.cnonce!r}")
        salt = base64.b64decode(salt_b64, validate=True)
        salted = salted_password(self.password, salt, iters)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        binding = _b64(self.gs2.encode() + self.cb_data)
        without_proof = f"c={binding},r={nonce}"
        auth_message = ",".join(
            [self.client_first_bare, server_first, without_proof]).encode("utf-8")
        client_signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        self.server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
        return f"{without_proof},p={_b64(proof)}"

    def expected_server_final(self):
        return "v=" + _b64(self.server_signature)

    def verify_server_final(self, server_final):
        return self.server_signature is not None and hmac.compare_digest(
            server_final, self.expected_server_final())
