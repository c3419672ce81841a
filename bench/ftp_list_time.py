#!/usr/bin/env python3
"""bench/ftp_list_time.py PORT USER PATH CMD [REPS]: times one FTP directory
listing (CMD = LIST or MLSD) of PATH on 127.0.0.1:PORT, plain FTP, passive
mode; the password is read from $FERRY_PASSWORD. Per run it prints
`FTPLIST cmd=CMD first_ms=... total_ms=... bytes=... lines=...`: from sending
the command to the first byte on the data connection, and to the 226 reply
after the last byte (the data connection is opened before the clock starts,
as ftplib's transfercmd opens it on PASV). Used by bench/load.sh (bigdir)."""

import ftplib
import os
import sys
import time


def one(port, user, pw, path, cmd):
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=300)
    f.login(user, pw)
    f.voidcmd("TYPE A" if cmd == "LIST" else "TYPE I")
    t0 = time.perf_counter()
    conn = f.transfercmd(f"{cmd} {path}")
    first = None
    total = 0
    lines = 0
    with conn:
        while True:
            b = conn.recv(1 << 16)
            if not b:
                break
            if first is None:
                first = time.perf_counter()
            total += len(b)
            lines += b.count(b"\n")
    f.voidresp()
    t1 = time.perf_counter()
    f.quit()
    first = first or t1
    print(f"FTPLIST cmd={cmd} first_ms={(first - t0) * 1e3:.1f} total_ms={(t1 - t0) * 1e3:.1f} "
          f"bytes={total} lines={lines}", flush=True)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    port, user, path, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].upper()
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    pw = os.environ.get("FERRY_PASSWORD", "")
    for _ in range(reps):
        one(port, user, pw, path, cmd)


if __name__ == "__main__":
    main()
