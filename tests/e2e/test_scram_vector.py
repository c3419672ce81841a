"""Checks the tests' own SCRAM-SHA-256 client and frame encoder without a
server: the RFC 7677 section 3 test vector, and the frame layout of docs/protocol.md."""

import struct

from ferry_wire import ScramClient, encode_frame, frame_raw, parse_scram_attrs

CNONCE = "rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = ("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
CLIENT_FINAL = ("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc7677_vector():
    sc = ScramClient("user", "pencil", CNONCE)
    assert sc.client_first() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert sc.client_final(SERVER_FIRST) == CLIENT_FINAL
    assert sc.expected_server_final() == SERVER_FINAL
    assert sc.verify_server_final(SERVER_FINAL)


def test_rfc7677_vector_rejects_wrong_password_and_signature():
    sc = ScramClient("user", "pencil!", CNONCE)
    assert sc.client_final(SERVER_FIRST) != CLIENT_FINAL
    assert not sc.verify_server_final(SERVER_FINAL)
    good = ScramClient("user", "pencil", CNONCE)
    good.client_final(SERVER_FIRST)
    assert not good.verify_server_final("v=" + "A" * 43 + "=")


def test_client_refuses_nonce_not_extending_ours():
    sc = ScramClient("user", "pencil", CNONCE)
    try:
        sc.client_final("r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    except ValueError:
        pass
    else:
        raise AssertionError("a server nonce not starting with ours was accepted")


def test_user_name_escaping():
    sc = ScramClient("a=b,c", "x", "n0nce")
    assert sc.client_first() == "n,,n=a=3Db=2Cc,r=n0nce"


def test_parse_attrs():
    assert parse_scram_attrs(SERVER_FIRST)["i"] == "4096"
    assert parse_scram_attrs(SERVER_FIRST)["s"] == "W22ZaJ0SNY7soEsUEjb6gQ=="


def test_frame_layout():
    f = encode_frame({"op": "pwd", "id": 1})
    assert f[:4] == struct.pack(">I", len(f) - 4)
    assert f[4:] == b'{"op":"pwd","id":1}'
    g = encode_frame({"op": "x", "id": 2}, b"\x00\x01\x02")
    (n,) = struct.unpack(">I", g[:4])
    assert g[4:4 + n] == b'{"op":"x","id":2,"body":3}'
    assert g[4 + n:] == b"\x00\x01\x02"
    assert frame_raw(b"") == b"\x00\x00\x00\x00"
